"""Tamper evidence: the audit trail is a hash chain, append-only in the application and (on PostgreSQL)
in the database, and ``verify_audit_chain`` names the first broken link."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.utils import DatabaseError
from django.test import Client

from governance import services
from governance.chain import entry_hash_compute
from governance.chain_verify import chain_verify
from governance.models import AuditEntry, AuditTrailIsAppendOnly

# Both CI stages: the chain lock and the append-only triggers differ per database (tests/database_stage.py).
pytestmark = pytest.mark.database


on_postgresql = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL only")


def some_entries(count: int = 3) -> list[AuditEntry]:
    for n in range(count):
        services.user_create(username=f"chain-user-{n}", email=f"u{n}@concord.example")
    return list(AuditEntry.objects.order_by("id"))


def verify() -> str:
    out = StringIO()
    call_command("verify_audit_chain", stdout=out)
    return out.getvalue()


def tamper(sql: str, params: list[str | int]) -> None:
    """Raw SQL behind the application's back; on PostgreSQL the trigger is switched off first (the test's
    transaction rolls the switch back), as someone with the table owner's rights could do."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Django's deferred foreign-key checks must run first: ALTER TABLE refuses pending trigger events.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(
                "ALTER TABLE governance_auditentry DISABLE TRIGGER governance_auditentry_append_only"
            )
            cursor.execute(
                "ALTER TABLE governance_auditcheckpoint "
                "DISABLE TRIGGER governance_auditcheckpoint_append_only"
            )
        cursor.execute(sql, params)


@pytest.mark.django_db
def test_it_links_every_entry_to_the_one_before() -> None:
    entries = some_entries(4)
    assert entries[0].prev_hash == ""
    for before, after in zip(entries, entries[1:], strict=False):
        assert after.prev_hash == before.entry_hash != ""
    for entry in entries:
        assert entry.entry_hash == entry_hash_compute(entry, entry.prev_hash)
    report = chain_verify(batch_size=2)  # several batches
    assert (report.intact, report.checked, report.head) == (True, len(entries), entries[-1].entry_hash)
    head = entries[-1]
    assert verify() == (
        f"audit chain intact: {len(entries)} entries, head {head.entry_hash} (entry {head.pk}), "
        "0 checkpoints and 0 expected heads matched\n"
    )


@pytest.mark.django_db
def test_it_keeps_the_chain_through_bulk_create(revops: User) -> None:
    template = AuditEntry.objects.order_by("id").first()
    assert template is not None
    AuditEntry.objects.bulk_create(
        AuditEntry(
            content_type_id=template.content_type_id, object_pk=str(n), action=1, changes={"n": [n, n + 1]}
        )
        for n in range(5)
    )
    assert chain_verify().intact


@pytest.mark.django_db
def test_it_refuses_to_change_or_delete_entries_through_the_application() -> None:
    entry = some_entries(1)[0]
    entry.object_repr = "rewritten"
    with pytest.raises(AuditTrailIsAppendOnly):
        entry.save()
    with pytest.raises(AuditTrailIsAppendOnly):
        entry.delete()
    with pytest.raises(AuditTrailIsAppendOnly):
        AuditEntry.objects.filter(pk=entry.pk).update(object_repr="rewritten")
    with pytest.raises(AuditTrailIsAppendOnly):
        AuditEntry.objects.filter(pk=entry.pk).delete()
    with pytest.raises(AuditTrailIsAppendOnly):
        AuditEntry.objects.bulk_update([entry], ["object_repr"])
    assert AuditEntry.objects.get(pk=entry.pk).object_repr != "rewritten"


@on_postgresql
@pytest.mark.django_db
@pytest.mark.parametrize(
    "sql", ["UPDATE governance_auditentry SET object_repr = 'x'", "DELETE FROM governance_auditentry"]
)
def test_it_refuses_raw_update_and_delete_in_postgresql(sql: str) -> None:
    some_entries(2)
    with pytest.raises(DatabaseError, match="append-only"), connection.cursor() as cursor:
        cursor.execute(sql)


@pytest.mark.django_db
def test_it_reports_the_first_entry_whose_content_was_changed() -> None:
    entries = some_entries(4)
    target = entries[2]
    checked = len(entries[: entries.index(target) + 1])
    tamper("UPDATE governance_auditentry SET object_repr = %s WHERE id = %s", ["someone else", target.pk])
    with pytest.raises(CommandError) as raised:
        verify()
    expected = entry_hash_compute(AuditEntry.objects.get(pk=target.pk), target.prev_hash)
    assert str(raised.value) == (
        f"audit chain broken at entry {target.pk} ({checked} entries checked): "
        f"entry_hash expected {expected}, stored {target.entry_hash}"
    )


@pytest.mark.django_db
def test_it_reports_a_removed_entry_at_its_successor() -> None:
    entries = some_entries(4)
    tamper("DELETE FROM governance_auditentry WHERE id = %s", [entries[1].pk])
    report = chain_verify()
    assert report.first_break is not None
    assert (report.first_break.entry_id, report.first_break.field) == (entries[2].pk, "prev_hash")
    assert (report.first_break.expected, report.first_break.stored) == (
        entries[0].entry_hash,
        entries[1].entry_hash,
    )


@pytest.mark.django_db
def test_it_detects_a_rewritten_hash_that_hides_a_change() -> None:
    entries = some_entries(3)
    changed = AuditEntry.objects.get(pk=entries[1].pk)
    changed.actor_email = "someone@else.example"
    forged = entry_hash_compute(changed, changed.prev_hash)
    tamper(
        "UPDATE governance_auditentry SET actor_email = %s, entry_hash = %s WHERE id = %s",
        ["someone@else.example", forged, changed.pk],
    )
    report = chain_verify()
    assert report.first_break is not None
    # The forged entry checks out by itself; its successor still points at the original hash.
    assert (report.first_break.entry_id, report.first_break.field) == (entries[2].pk, "prev_hash")


def test_it_shows_auditors_the_check_on_a_console_page(auditor_client: Client) -> None:
    entries = list(AuditEntry.objects.order_by("id"))
    page = auditor_client.get("/governance/audit/chain/")
    assert page.status_code == 200 and b"Check the chain now" in page.content
    intact = auditor_client.post("/governance/audit/chain/", HTTP_HX_REQUEST="true")
    assert f"Intact: {len(entries)} entries checked".encode() in intact.content
    tamper("UPDATE governance_auditentry SET changes_text = %s WHERE id = %s", ["edited", entries[0].pk])
    broken = auditor_client.post("/governance/audit/chain/", HTTP_HX_REQUEST="true").content.decode()
    assert f"Broken at entry <strong>{entries[0].pk}</strong>" in broken
    assert entries[0].entry_hash in broken  # the stored hash, beside the expected one
