"""Checkpoints: the chain's head recorded outside the audit table (its own table and the logs), so that
removing or rewriting the newest entries is detected, which the links alone cannot show."""

from __future__ import annotations

import logging
import re
from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django_q.models import Schedule

from governance import services
from governance.audit_checkpoints import CHECKPOINT_SCHEDULE, audit_checkpoint_record
from governance.chain import entry_hash_compute
from governance.chain_verify import chain_verify
from governance.models import AuditCheckpoint, AuditEntry, AuditTrailIsAppendOnly, CheckpointSource
from governance.tasks import audit_checkpoint_task
from tests.governance.test_chain import on_postgresql, tamper

# Both CI stages: the chain lock differs per database (tests/database_stage.py).
pytestmark = [pytest.mark.django_db, pytest.mark.database]

LOGGED = re.compile(r"audit chain checkpoint: entry=(\d+) hash=([0-9a-f]{64}) count=(\d+)")


def some_entries(count: int) -> list[AuditEntry]:
    start = AuditEntry.objects.count()
    for n in range(count):
        services.user_create(username=f"cp-user-{start}-{n}", email=f"cp{n}@concord.example")
    return list(AuditEntry.objects.order_by("id"))


def verify(*expect: str) -> str:
    out = StringIO()
    call_command("verify_audit_chain", *[f"--expect={e}" for e in expect], stdout=out)
    return out.getvalue()


def test_it_records_the_head_in_the_table_and_the_logs(caplog: pytest.LogCaptureFixture) -> None:
    entries = some_entries(3)
    with caplog.at_level(logging.INFO, logger="governance.audit_checkpoints"):
        checkpoint = audit_checkpoint_record(source=CheckpointSource.COMMAND)
    assert (checkpoint.entry_id, checkpoint.entry_hash, checkpoint.entry_count) == (
        entries[-1].pk,
        entries[-1].entry_hash,
        len(entries),
    )
    (logged,) = [LOGGED.search(r.getMessage()) for r in caplog.records if LOGGED.search(r.getMessage())]
    assert logged is not None and logged.groups() == (
        str(entries[-1].pk),
        entries[-1].entry_hash,
        str(len(entries)),
    )
    report = chain_verify()
    assert report.intact and report.checkpoints_checked == 1


def test_it_refuses_to_change_or_delete_checkpoints() -> None:
    checkpoint = audit_checkpoint_record(source=CheckpointSource.COMMAND)
    with pytest.raises(AuditTrailIsAppendOnly):
        checkpoint.save()
    with pytest.raises(AuditTrailIsAppendOnly):
        checkpoint.delete()
    with pytest.raises(AuditTrailIsAppendOnly):
        AuditCheckpoint.objects.all().delete()
    with pytest.raises(AuditTrailIsAppendOnly):
        AuditCheckpoint.objects.update(entry_count=0)


def test_it_detects_an_edited_newest_entry() -> None:
    newest = some_entries(3)[-1]
    tamper("UPDATE governance_auditentry SET remote_addr = %s WHERE id = %s", ["203.0.113.9", newest.pk])
    report = chain_verify()
    assert report.first_break is not None
    assert (report.first_break.entry_id, report.first_break.field) == (newest.pk, "entry_hash")


def test_it_detects_a_rewritten_newest_entry_only_through_a_checkpoint() -> None:
    newest = some_entries(3)[-1]
    audit_checkpoint_record(source=CheckpointSource.SCHEDULE)
    forged = AuditEntry.objects.get(pk=newest.pk)
    forged.object_repr = "someone else"
    forged_hash = entry_hash_compute(forged, forged.prev_hash)
    tamper(
        "UPDATE governance_auditentry SET object_repr = %s, entry_hash = %s WHERE id = %s",
        ["someone else", forged_hash, newest.pk],
    )
    report = chain_verify()
    assert report.first_break is not None
    link = report.first_break
    assert (link.entry_id, link.field, link.expected, link.stored) == (
        newest.pk,
        "checkpoint",
        newest.entry_hash,
        forged_hash,
    )
    assert "recorded another hash" in link.detail


def test_it_detects_removed_newest_entries_through_the_newest_checkpoint() -> None:
    entries = some_entries(2)
    audit_checkpoint_record(source=CheckpointSource.SCHEDULE)
    later = some_entries(3)[len(entries) :]
    audit_checkpoint_record(source=CheckpointSource.SCHEDULE)
    assert chain_verify().intact
    # The last two entries go: what is left still links up, but the newest checkpoint names a missing entry.
    tamper("DELETE FROM governance_auditentry WHERE id >= %s", [later[1].pk])
    with pytest.raises(CommandError, match=rf"broken at entry {later[-1].pk} .*checkpoint.*no longer holds"):
        verify()


@pytest.mark.parametrize("statement", ["DELETE FROM governance_auditentry", "TRUNCATE governance_auditentry"])
def test_it_detects_a_truncated_trail(statement: str) -> None:
    if statement.startswith("TRUNCATE") and connection.vendor != "postgresql":
        pytest.skip("SQLite has no TRUNCATE")
    newest = some_entries(2)[-1]
    audit_checkpoint_record(source=CheckpointSource.SCHEDULE)
    tamper(statement, [])
    report = chain_verify()
    assert report.checked == 0
    assert report.first_break is not None and report.first_break.entry_id == newest.pk


def test_it_detects_a_truncation_that_took_the_checkpoints_too_with_the_logged_head(
    caplog: pytest.LogCaptureFixture,
) -> None:
    entries = some_entries(3)
    with caplog.at_level(logging.INFO, logger="governance.audit_checkpoints"):
        call_command("audit_checkpoint", stdout=StringIO())
    lines = [LOGGED.search(record.getMessage()) for record in caplog.records]
    (match,) = [line for line in lines if line is not None]
    logged_head = ":".join(match.groups())
    tamper("DELETE FROM governance_auditentry WHERE id = %s", [entries[-1].pk])
    tamper("DELETE FROM governance_auditcheckpoint", [])
    assert "intact" in verify()  # nothing left in the database to tell...
    with pytest.raises(CommandError, match=f"broken at entry {entries[-1].pk}"):
        verify(logged_head)  # ...but the head copied from the logs does
    with pytest.raises(CommandError, match="expected ENTRY_ID:HASH:COUNT"):
        verify("12:nothex:3")


def test_it_detects_an_entry_count_that_changed_before_the_checkpoint() -> None:
    """A head that is still there but was reached by fewer entries: an older entry was removed and the
    chain re-linked from there on (all hashes recomputed)."""
    entries = some_entries(3)
    audit_checkpoint_record(source=CheckpointSource.SCHEDULE)
    first = entries[0]
    tamper("DELETE FROM governance_auditentry WHERE id = %s", [first.pk])
    prev_hash = ""
    for entry in AuditEntry.objects.order_by("id"):
        new_hash = entry_hash_compute(entry, prev_hash)
        tamper(
            "UPDATE governance_auditentry SET prev_hash = %s, entry_hash = %s WHERE id = %s",
            [prev_hash, new_hash, entry.pk],
        )
        prev_hash = new_hash
    report = chain_verify()
    assert report.first_break is not None and report.first_break.field == "checkpoint"


def test_it_schedules_checkpoints_through_a_worker_task() -> None:
    out = StringIO()
    call_command("audit_schedules_ensure", "--checkpoint-minutes=30", stdout=out)
    call_command("audit_schedules_ensure", "--checkpoint-minutes=30", stdout=out)
    schedule = Schedule.objects.get(name=CHECKPOINT_SCHEDULE)
    assert (schedule.func, schedule.minutes) == ("governance.tasks.audit_checkpoint_task", 30)
    some_entries(1)
    checkpoint = AuditCheckpoint.objects.get(pk=audit_checkpoint_task())
    assert checkpoint.source == CheckpointSource.SCHEDULE
    assert checkpoint.entry_id == AuditEntry.objects.order_by("-id").values_list("id", flat=True).first()
    with pytest.raises(CommandError):
        call_command("audit_schedules_ensure", "--checkpoint-minutes=0", stdout=out)


def test_it_records_checkpoints_from_the_console(auditor: User, auditor_client: Client) -> None:
    page = auditor_client.get("/governance/audit/chain/")
    assert b"No checkpoint recorded yet" in page.content
    response = auditor_client.post(
        "/governance/audit/chain/", {"checkpoint": "1"}, HTTP_HX_REQUEST="true"
    ).content.decode()
    checkpoint = AuditCheckpoint.objects.get()
    assert (checkpoint.source, checkpoint.recorded_by) == (CheckpointSource.CONSOLE, auditor)
    assert f"Checkpoint {checkpoint.pk} recorded" in response and "1 checkpoint matched" in response


def test_it_records_and_verifies_through_the_api(auditor: User, revops: User) -> None:
    _, secret = services.token_create(user=auditor, name="audit script")
    client = Client(headers={"Authorization": f"Bearer {secret}"})
    created = client.post("/api/v1/audit-checkpoints/")
    assert created.status_code == 201 and created.json()["recorded_by"] == "auditor"
    assert created.json()["source"] == "api"
    listed = client.get("/api/v1/audit-checkpoints/").json()["results"]
    assert [c["id"] for c in listed] == [created.json()["id"]]
    verdict = client.post("/api/v1/audit-checkpoints/verify/").json()
    assert verdict["intact"] is True and verdict["checkpoints_checked"] == 1
    tamper("DELETE FROM governance_auditentry WHERE id = %s", [created.json()["entry_id"]])
    verdict = client.post("/api/v1/audit-checkpoints/verify/").json()
    assert verdict["intact"] is False and verdict["first_break"]["field"] == "checkpoint"
    _, other = services.token_create(user=revops, name="not an auditor")
    refused = Client(headers={"Authorization": f"Bearer {other}"}).post("/api/v1/audit-checkpoints/")
    assert refused.status_code == 403


@on_postgresql
def test_the_database_refuses_to_change_checkpoints() -> None:
    from django.db.utils import DatabaseError

    audit_checkpoint_record(source=CheckpointSource.COMMAND)
    with pytest.raises(DatabaseError, match="append-only"), connection.cursor() as cursor:
        cursor.execute("DELETE FROM governance_auditcheckpoint")
