"""manage.py seed_volume: totals topped up (never doubled), plausible rows, an intact audit chain."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command

from governance.chain_verify import chain_verify
from governance.models import AuditEntry
from sync.exceptions.causes import cause_of_item
from sync.exceptions.groups import exception_groups
from sync.exceptions.models import ACTIVE_STATUSES, ExceptionItem
from sync.integrations.models import Integration
from sync.pipeline.models import DealMilestone, InboxMessage, SyncJob


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
