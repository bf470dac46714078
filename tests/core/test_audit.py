"""The one writer of action entries (re-run, requeue, resume, retry): core.audit."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.contrib.contenttypes.models import ContentType

from core.audit import REASON_LIMIT, audit_action_record
from core.correlation import correlation
from governance.models import AuditEntry

pytestmark = pytest.mark.django_db


def test_it_writes_one_access_entry_on_the_object_with_the_event_details_and_reason(revops: User) -> None:
    with correlation() as cid:
        entry = audit_action_record(
            obj=revops, actor=revops, event="sync_rerun", reason="r" * (REASON_LIMIT + 20), job=7
        )
    stored = AuditEntry.objects.get(pk=entry.pk)
    assert stored.content_type == ContentType.objects.get_for_model(User)
    expected = (str(revops.pk), revops.pk, str(revops))
    assert (stored.object_pk, stored.object_id, stored.object_repr) == expected
    assert stored.action == AuditEntry.Action.ACCESS and stored.actor == revops and stored.cid == cid
    assert stored.additional_data == {"event": "sync_rerun", "job": 7, "reason": "r" * REASON_LIMIT}


def test_the_system_acts_without_an_actor(revops: User) -> None:
    entry = audit_action_record(obj=revops, actor=None, event="backfill_resume")
    assert entry.actor is None and entry.additional_data == {"event": "backfill_resume", "reason": ""}
