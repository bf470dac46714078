"""A group action at volume: the members' history lines, audit entries and retries are written in batches,
so a group of 200 stays under the same query bound as a group of 20, and each member's history and audit
entry are exactly what acting on it alone writes (the same event, text, actor, reason and changes), the
audit chain intact. A group retry queues one task that sends each retry from the worker; delivered twice,
it still runs each retry once."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from governance.chain_verify import chain_verify
from governance.models import AuditEntry
from sync.exceptions import actions, group_actions
from sync.exceptions.models import (
    ExceptionAction,
    ExceptionEvent,
    ExceptionItem,
    ExceptionRetry,
    ExceptionStatus,
    RetryStatus,
)
from sync.exceptions.retry import retries_send
from sync.integrations.selectors import primary_integration
from sync.mappings.services.lookups import lookup_tables_seed_defaults
from tests.sync.exceptions.test_groups import _miss

# What differs between two entries about two exceptions written at two moments; the rest must be equal.
ENTRY_OWN = {"id", "object_pk", "object_id", "object_repr", "timestamp", "prev_hash", "entry_hash", "cid"}


def _group_of(size: int, prefix: str) -> list[ExceptionItem]:
    """``size`` exceptions of one cause: one raised as the pipeline raises it, the rest copied from it."""
    first = _miss(f"sync:1:{prefix}0", primary_integration())
    copies = []
    for n in range(1, size):
        copy = ExceptionItem.objects.get(pk=first.pk)
        copy.pk, copy.dedup_key = None, f"sync:1:{prefix}{n}"
        copies.append(copy)
    ExceptionItem.objects.bulk_create(copies)
    return list(ExceptionItem.objects.filter(cause_key=first.cause_key).order_by("pk"))


def _entry(item: ExceptionItem, event: str) -> dict[str, Any]:
    entry = AuditEntry.objects.get(object_pk=str(item.pk), additional_data__event=event)
    return {
        field.attname: getattr(entry, field.attname)
        for field in AuditEntry._meta.concrete_fields
        if field.attname not in ENTRY_OWN
    }


def _line(item: ExceptionItem) -> tuple[Any, ...]:
    event = item.events.order_by("-id")[0]
    return (event.action, event.actor_id, event.reason, event.before, event.after)


def _queries_of(size: int, prefix: str, act: Any, bound: int, django_assert_max_num_queries: Any) -> int:
    group = _group_of(size, prefix)
    with django_assert_max_num_queries(bound) as captured:
        act(group[0].cause_key)
    return len(captured.captured_queries)


# Measured for 20 members: a retry 24-26 queries on SQLite, 36 on PostgreSQL (where each chain append also
# locks: 7 queries); a lookup draft 104 and 154, mostly the new draft copied from the published table (its
# entries and their audit entries, one by one as the lookup editor writes them): the table's size, not the
# group's. A query per member would add 200 for the large group.
@pytest.mark.parametrize(("action", "bound"), [("retry", 40), ("lookup-draft", 170)])
def test_a_group_action_s_queries_do_not_grow_with_the_group(
    db: None, revops: User, action: str, bound: int, django_assert_max_num_queries: Any
) -> None:
    lookup_tables_seed_defaults()

    def act(key: str) -> None:
        if action == "retry":
            report = group_actions.exception_group_retry(key=key, user=revops, reason="mapped")
            assert not report.skipped
        else:
            group_actions.exception_group_lookup_draft(key=key, user=revops, value="4", reason="EMEA")

    small = _queries_of(20, "S", act, bound, django_assert_max_num_queries)
    ExceptionItem.objects.update(status=ExceptionStatus.RESOLVED)  # the first group out of the way
    large = _queries_of(200, "L", act, bound, django_assert_max_num_queries)
    # Ten times the members, the same bound: not a query per member. (PostgreSQL writes each batch in one
    # INSERT; SQLite caps an INSERT's parameters, so it splits a batch into a few: 2 more for 200 here.)
    assert large <= small + 5, (small, large)
    members = ExceptionItem.objects.filter(dedup_key__startswith="sync:1:L")
    expected = ExceptionAction.RETRY if action == "retry" else ExceptionAction.COMMENTED
    assert ExceptionEvent.objects.filter(item__in=members, action=expected).count() == 200
    assert AuditEntry.objects.filter(additional_data__event=f"exception_{expected}").count() == 220
    assert chain_verify().intact


def test_a_group_retry_writes_each_member_what_a_retry_alone_writes(
    db: None,
    revops: User,
    retry_calls: list[dict[str, Any]],
    django_capture_on_commit_callbacks: Any,
) -> None:
    lookup_tables_seed_defaults()
    alone, *members = _group_of(4, "R")
    ExceptionItem.objects.filter(pk=members[0].pk).update(status=ExceptionStatus.IN_PROGRESS)  # already
    actions.exception_override_propose(item=alone, user=revops, field="Memo", new_value="x", retry=False)
    actions.exception_override_propose(item=members[1], user=revops, field="Memo", new_value="x", retry=False)
    with django_capture_on_commit_callbacks(execute=True):
        actions.exception_retry(item=ExceptionItem.objects.get(pk=alone.pk), user=revops, reason="mapped")
    ExceptionItem.objects.filter(pk=alone.pk).update(status=ExceptionStatus.RESOLVED)  # out of the group
    retry_calls.clear()
    with django_capture_on_commit_callbacks(execute=True):
        report = group_actions.exception_group_retry(key=alone.cause_key, user=revops, reason="mapped")

    assert sorted(report.retried) == sorted(item.pk for item in members) and not report.skipped
    assert sorted(call["opportunity_id"] for call in retry_calls) == ["006A"] * 3
    reference = _entry(alone, "exception_retry")
    assert reference["changes"] == {"status": ["open", "in_progress"]}
    for item in members:
        item.refresh_from_db()
        assert item.status == ExceptionStatus.IN_PROGRESS and item.closed_at is None
        assert _line(item)[:3] == _line(alone)[:3] == (ExceptionAction.RETRY, revops.pk, "mapped")
        entry = _entry(item, "exception_retry")
        if item.pk == members[0].pk:  # it was in progress already: the same entry, with no change
            assert entry == {**reference, "changes": {}}
            assert _line(item)[3:] == ({"status": "in_progress"}, {"status": "in_progress"})
        else:
            assert entry == reference and _line(item)[3:] == _line(alone)[3:]
    # The approved change goes with its member's retry, as with a retry alone.
    with_change = ExceptionRetry.objects.get(item=members[1])
    assert with_change.overrides == ExceptionRetry.objects.get(item=alone).overrides == {"Memo": "x"}
    assert set(ExceptionRetry.objects.values_list("status", flat=True)) == {RetryStatus.STARTED}
    assert chain_verify().intact


def test_the_group_retry_task_delivered_twice_runs_each_retry_once(
    db: None,
    revops: User,
    retry_calls: list[dict[str, Any]],
    django_capture_on_commit_callbacks: Any,
) -> None:
    lookup_tables_seed_defaults()
    members = _group_of(3, "D")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        group_actions.exception_group_retry(key=members[0].cause_key, user=revops)
    assert len(callbacks) == 1  # one task for the group, not one per member
    pending = list(ExceptionRetry.objects.filter(status=RetryStatus.PENDING).values_list("pk", flat=True))
    assert len(pending) == 3 and retry_calls == []
    assert retries_send(pending) == 3 and len(retry_calls) == 3
    assert retries_send(pending) == 0 and len(retry_calls) == 3  # the second delivery: nothing pending


def test_a_member_with_a_retry_waiting_is_reported_and_the_others_retried(
    db: None, revops: User, django_capture_on_commit_callbacks: Any
) -> None:
    lookup_tables_seed_defaults()
    members = _group_of(3, "W")
    with django_capture_on_commit_callbacks(execute=False):
        actions.exception_retry(item=members[0], user=revops)
    ExceptionItem.objects.filter(pk=members[0].pk).update(status=ExceptionStatus.OPEN)
    report = group_actions.exception_group_retry(key=members[0].cause_key, user=revops)
    assert report.skipped == {members[0].pk: "A retry is already waiting to run; cancel it or let it run."}
    assert sorted(report.retried) == sorted(item.pk for item in members[1:])
    assert ExceptionRetry.objects.filter(status=RetryStatus.PENDING).count() == 3


def test_the_lookup_draft_through_the_page_notes_every_member(db: None, revops_client: Client) -> None:
    lookup_tables_seed_defaults()
    members = _group_of(30, "P")
    response = revops_client.post(
        f"/exceptions/groups/{members[0].cause_key}/lookup-draft/", {"value": "4", "reason": "EMEA"}
    )
    assert response.status_code == 302
    notes = ExceptionEvent.objects.filter(item__in=members, action=ExceptionAction.COMMENTED)
    assert notes.count() == 30 and {note.reason.split("\n")[0] for note in notes} == {"EMEA"}
    assert set(notes.values_list("actor__username", flat=True)) == {"revops"}
    entries = AuditEntry.objects.filter(additional_data__event="exception_commented")
    assert entries.count() == 30 and {entry.actor.username for entry in entries} == {"revops"}
    assert {entry.remote_addr for entry in entries} == {"127.0.0.1"}  # the request's, as one by one
    assert chain_verify().intact
