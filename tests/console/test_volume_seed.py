"""manage.py seed_volume: totals topped up (never doubled), plausible rows, an intact audit chain."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command

from governance.chain_verify import chain_verify
from governance.models import AuditEntry
from sync.exceptions.causes import cause_of_item
from sync.exceptions.groups import exception_groups
from sync.exceptions.models import ACTIVE_STATUSES, ExceptionItem, ExceptionStatus
from sync.integrations.models import Integration
from sync.mappings.models import LookupTable
from sync.pipeline.models import DealMilestone, InboxMessage, SyncJob

# Both CI stages: COPY on PostgreSQL, bulk_create elsewhere (tests/database_stage.py).
pytestmark = pytest.mark.database


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
    out = capsys.readouterr().out
    assert "sync_exceptionitem: 200 before, 10 added, 210 now" in out
    assert "sync_dealmilestone: 60 before, 1 added, 61 now" in out
    assert chain_verify().intact

    with pytest.raises(CommandError, match="0 or more"):
        call_command("seed_volume", exceptions=-1)


@pytest.mark.django_db
def test_it_seeds_one_deal_per_won_event_and_exceptions_grouped_by_cause(admin: User) -> None:
    call_command("seed_volume", exceptions=100, jobs=30, audit=0, batch=7)
    # Each seeded inbox event is a deal won then: its milestones, most ordered, many invoiced.
    # (Its moment is the event's planned one: bulk_create on SQLite stamps received_at now, COPY does not.)
    deals = list(DealMilestone.objects.select_related("integration"))
    assert len(deals) == 30
    assert {d.opportunity_id for d in deals} == set(InboxMessage.objects.values_list("record_id", flat=True))
    assert {d.integration.name for d in deals} <= {"volume-a", "volume-b"}
    assert all(d.backfilled_at is None for d in deals)
    assert 0 < sum(1 for d in deals if d.invoiced_at) < sum(1 for d in deals if d.ordered_at) < 30
    for d in deals:
        assert d.won_at is not None
        if d.ordered_at is not None:
            assert d.won_at < d.ordered_at <= (d.invoiced_at or d.ordered_at)
    # Exceptions carry the cause the services would give them: the queue shows groups.
    item = ExceptionItem.objects.order_by("pk")[3]
    assert item.cause_key and item.cause_key == cause_of_item(item).key  # type: ignore[union-attr]
    groups = exception_groups(user=admin)
    assert groups and sum(group.size for group in groups) == 5  # the 5 active ones

    # An older seed's active exceptions without a cause get one; closed ones are left alone.
    ExceptionItem.objects.update(cause_key="")
    call_command("seed_volume", exceptions=100)
    assert not ExceptionItem.objects.filter(status__in=ACTIVE_STATUSES, cause_key="").exists()
    assert not ExceptionItem.objects.exclude(status__in=ACTIVE_STATUSES).exclude(cause_key="").exists()


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
