"""manage.py seed_volume: totals topped up (never doubled), plausible rows, an intact audit chain."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command

from governance.chain_verify import chain_verify
from governance.models import AuditEntry
from sync.exceptions.groups import exception_groups
from sync.exceptions.models import ACTIVE_STATUSES, ExceptionItem, ExceptionStatus
from sync.integrations.models import Integration
from sync.mappings.models import LookupTable
from sync.pipeline.models import InboxMessage, SyncJob


@pytest.mark.django_db
def test_it_tops_the_tables_up_to_the_totals_and_keeps_the_audit_chain(
    capsys: pytest.CaptureFixture[str],
) -> None:
    audit_before = AuditEntry.objects.count()
    call_command("seed_volume", exceptions=200, jobs=60, audit=audit_before + 90, batch=40)
    assert (ExceptionItem.objects.count(), SyncJob.objects.count(), InboxMessage.objects.count()) == (
        200,
        60,
        60,
    )
    assert AuditEntry.objects.count() == audit_before + 90
    # One in 20 active, across both integrations; the rest closed.
    active = ExceptionItem.objects.filter(status__in=ACTIVE_STATUSES)
    assert active.count() == 10 and not active.filter(closed_at__isnull=False).exists()
    b = Integration.objects.get(name="volume-b")
    assert 0 < ExceptionItem.objects.filter(integration=b).count() < 60
    assert 0 < SyncJob.objects.filter(salesforce_connection=b.salesforce_connection).count() < 20
    report = chain_verify()
    assert report.intact and report.checked == audit_before + 90
    # A year of history on every database (bulk_create would stamp started_at / received_at with today).
    started = sorted(SyncJob.objects.values_list("started_at", flat=True))
    assert (started[-1] - started[0]).days > 300
    received = sorted(InboxMessage.objects.values_list("received_at", flat=True))
    assert (received[-1] - received[0]).days > 300

    call_command("seed_volume", exceptions=210, jobs=60, inbox=61, audit=0)  # again: only what is missing
    assert (ExceptionItem.objects.count(), SyncJob.objects.count(), InboxMessage.objects.count()) == (
        210,
        60,
        61,
    )
    assert "sync_exceptionitem: 200 before, 10 added, 210 now" in capsys.readouterr().out
    assert chain_verify().intact

    with pytest.raises(CommandError, match="0 or more"):
        call_command("seed_volume", exceptions=-1)


@pytest.mark.django_db
def test_every_exception_active_and_grouped_by_cause_with_active_every_1(revops: User) -> None:
    call_command("seed_volume", exceptions=400, active_every=1, batch=150)
    # Every one active, in the 2:1:1 cycle: half of them open.
    assert ExceptionItem.objects.filter(status__in=ACTIVE_STATUSES).count() == 400
    assert ExceptionItem.objects.filter(status=ExceptionStatus.OPEN).count() == 200
    # Causes shared as real ones are: the missing-lookup rows miss one of three countries of their
    # integration's country table (seeded, so the group's lookup draft has a table to go into).
    a = Integration.objects.get(name="volume-a")
    groups = {group.key: group for group in exception_groups(user=revops, integration="volume-a")}
    lookups = [group for group in groups.values() if group.lookup_miss is not None]
    assert sorted(group.lookup_miss.key for group in lookups if group.lookup_miss) == ["ES", "IT", "NL"]
    assert all(group.size > 10 for group in groups.values())
    assert LookupTable.objects.filter(integration=a, name="country_to_subsidiary").exists()
    assert not ExceptionItem.objects.filter(cause_key="").exists()

    with pytest.raises(CommandError, match="1 or more"):
        call_command("seed_volume", exceptions=500, active_every=0)
    assert ExceptionItem.objects.count() == 400  # refused before a row was written
