"""The one audit writer (core.audit): what an entry stores, and that core imports no feature to write it."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import pytest
from auditlog.context import auditlog_value
from django.contrib.auth.models import AnonymousUser, Group, User
from django.contrib.contenttypes.models import ContentType

import core.audit
from core.audit import REASON_LIMIT, AuditAction, audit_actor, audit_actor_set, audit_record
from core.correlation import correlation
from governance.models import AuditEntry

pytestmark = pytest.mark.django_db

# Columns that differ between two entries written one after the other whatever wrote them.
PER_ENTRY = {"id", "timestamp", "prev_hash", "entry_hash"}


def _stored(entry: Any) -> dict[str, Any]:
    row = AuditEntry.objects.filter(pk=entry.pk).values().get()
    return {column: value for column, value in row.items() if column not in PER_ENTRY}


def test_it_writes_one_access_entry_on_the_object_with_the_event_details_and_reason(revops: User) -> None:
    with correlation() as cid:
        entry = audit_record(
            obj=revops,
            actor=revops,
            action=AuditAction.ACCESS,
            event="sync_rerun",
            reason="r" * (REASON_LIMIT + 20),
            job=7,
        )
    stored = AuditEntry.objects.get(pk=entry.pk)
    assert stored.content_type == ContentType.objects.get_for_model(User)
    expected = (str(revops.pk), revops.pk, str(revops))
    assert (stored.object_pk, stored.object_id, stored.object_repr) == expected
    assert stored.action == AuditEntry.Action.ACCESS and stored.actor == revops and stored.cid == cid
    assert stored.changes is None
    assert stored.additional_data == {"event": "sync_rerun", "job": 7, "reason": "r" * REASON_LIMIT}


def test_the_system_acts_without_an_actor(revops: User) -> None:
    entry = audit_record(
        obj=revops, actor=None, action=AuditAction.ACCESS, event="backfill_resume", reason=""
    )
    assert entry.actor is None and entry.additional_data == {"event": "backfill_resume", "reason": ""}


def test_someone_not_signed_in_is_recorded_as_no_actor(revops: User) -> None:
    entry = audit_record(obj=revops, actor=AnonymousUser(), action=AuditAction.UPDATE, event="x")
    assert AuditEntry.objects.get(pk=entry.pk).actor is None


def test_a_state_change_keeps_its_reason_whole_and_its_changes(revops: User, admin: User) -> None:
    reason = "w" * (REASON_LIMIT + 20)
    entry = audit_record(
        obj=revops,
        actor=admin,
        action=AuditAction.UPDATE,
        changes={"status": ["draft", "approved"]},
        event="rule_approve",
        reason=reason,
        retired_version=3,
    )
    stored = AuditEntry.objects.get(pk=entry.pk)
    assert stored.action == AuditEntry.Action.UPDATE and stored.actor == admin
    assert stored.changes == {"status": ["draft", "approved"]}
    assert stored.additional_data == {"event": "rule_approve", "retired_version": 3, "reason": reason}


def test_without_event_details_or_reason_the_details_are_null_as_auditlog_leaves_them(revops: User) -> None:
    entry = audit_record(obj=revops, actor=None, action=AuditAction.UPDATE, changes={"roles": ["none", "x"]})
    assert AuditEntry.objects.get(pk=entry.pk).additional_data is None


def test_it_stores_what_auditlogs_own_log_create_stores(revops: User, admin: User) -> None:
    """The call sites moved from ``log_create(obj, force_log=True, ...)`` to the writer: same row."""
    group = Group.objects.create(name="Billing desk")
    changes = {"groups": ["none", "Billing desk"]}
    with correlation():
        ours = audit_record(
            obj=group, actor=admin, action=AuditAction.UPDATE, changes=changes, event="group_join", group="g"
        )
        theirs = AuditEntry.objects.log_create(
            group,
            force_log=True,
            action=AuditEntry.Action.UPDATE,
            actor=admin,
            changes=changes,
            additional_data={"event": "group_join", "group": "g"},
        )
    assert _stored(ours) == _stored(theirs)


def test_an_entry_without_an_instance_names_the_model_and_the_given_text() -> None:
    """A failed login for a username nobody has: the entry is about the User model, with no object."""
    entry = audit_record(
        obj=User, actor=None, action=AuditAction.ACCESS, object_repr="nobody", event="login_failed"
    )
    stored = AuditEntry.objects.get(pk=entry.pk)
    assert stored.content_type == ContentType.objects.get_for_model(User)
    assert (stored.object_pk, stored.object_id, stored.object_repr) == ("", None, "nobody")
    assert stored.additional_data == {"event": "login_failed"}


def test_the_object_text_is_cut_only_by_the_columns_own_limit(revops: User) -> None:
    """``object_repr`` is a TextField (no limit, through field_fit): a long text is stored whole."""
    long_text = "n" * 1000
    entry = audit_record(obj=revops, actor=None, action=AuditAction.ACCESS, object_repr=long_text)
    assert AuditEntry.objects.get(pk=entry.pk).object_repr == long_text


def test_an_entry_carries_the_correlation_id_of_the_job_or_none(revops: User) -> None:
    with correlation("job-42"):
        inside = audit_record(obj=revops, actor=None, action=AuditAction.UPDATE, event="x")
    outside = audit_record(obj=revops, actor=None, action=AuditAction.UPDATE, event="x")
    assert AuditEntry.objects.get(pk=inside.pk).cid == "job-42"
    assert AuditEntry.objects.get(pk=outside.pk).cid is None


def test_audit_actor_names_the_person_on_entries_without_one_and_restores_the_request(
    revops: User, admin: User
) -> None:
    with audit_actor(revops):
        named = audit_record(obj=admin, actor=None, action=AuditAction.UPDATE, event="x")
        explicit = audit_record(obj=admin, actor=admin, action=AuditAction.UPDATE, event="x")
    assert AuditEntry.objects.get(pk=named.pk).actor == revops
    assert AuditEntry.objects.get(pk=explicit.pk).actor == admin

    request_context = {"actor": admin, "remote_addr": "10.0.0.9", "remote_port": None, "signal_duid": "r"}
    token = auditlog_value.set(request_context)
    try:
        with audit_actor(revops):
            inner = audit_record(obj=admin, actor=None, action=AuditAction.UPDATE, event="x")
        assert auditlog_value.get() is request_context
    finally:
        auditlog_value.reset(token)
    assert AuditEntry.objects.get(pk=inner.pk).remote_addr == "10.0.0.9"


def test_audit_actor_set_names_the_actor_for_the_rest_of_the_request_only_inside_one(revops: User) -> None:
    audit_actor_set(revops)  # outside a request: nothing to change, and no error
    context: dict[str, Any] = {"actor": None, "remote_addr": None, "remote_port": None, "signal_duid": "r"}
    token = auditlog_value.set(context)
    try:
        audit_actor_set(revops)
    finally:
        auditlog_value.reset(token)
    assert context["actor"] == revops


def test_core_audit_imports_no_feature() -> None:
    """core sits below every feature: the writer finds the entry model through auditlog, not governance."""
    tree = ast.parse(Path(core.audit.__file__).read_text())
    imported: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            imported.add(node.module or "")
    features = ("sync", "governance", "reconciliation", "console", "demo", "simulators")
    assert not {name for name in imported if name.split(".")[0] in features}
    assert "core.fields" in imported and "auditlog" in imported
