"""Catch-up polling by SystemModstamp: ties across page boundaries, overlap re-reads, one event a version."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django_q.models import Schedule

from sync.connections.connectors.salesforce import SalesforceConnector
from sync.connections.models import Connection
from sync.pipeline.models import InboxMessage, PollWatermark
from sync.pipeline.polling import closed_won_since, parse_modstamp, poll_closed_won
from sync.pipeline.schedules import CATCH_UP_POLL
from tests.sync.pipeline.conftest import won_ids

BEFORE_SEED = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def no_drain(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sync.pipeline.inbox.async_task", lambda name, **kw: None)


def test_it_reads_every_record_sharing_a_second_across_page_boundaries(sf: SalesforceConnector) -> None:
    everything = list(closed_won_since(sf, BEFORE_SEED, page_size=5000))
    stamps = [row["SystemModstamp"] for row in everything]
    assert len(set(stamps)) < len(stamps), "the seed should have won opportunities sharing a SystemModstamp"
    for size in (1, 2, 3):
        paged = [row["Id"] for row in closed_won_since(sf, BEFORE_SEED, page_size=size)]
        assert paged == [row["Id"] for row in everything]
    assert sorted(row["Id"] for row in everything) == won_ids(sf)


def test_it_stores_each_version_of_a_record_once(
    seeded_connections: tuple[Connection, Connection], sf: SalesforceConnector
) -> None:
    salesforce, netsuite = seeded_connections
    ids = won_ids(sf)
    assert poll_closed_won(salesforce=salesforce, netsuite=netsuite, start=BEFORE_SEED, page_size=1) == len(
        ids
    )
    assert sorted(InboxMessage.objects.values_list("record_id", flat=True)) == ids
    mark = PollWatermark.objects.get()
    assert mark.watermark == max(
        parse_modstamp(row["SystemModstamp"])
        for row in sf.query("SELECT SystemModstamp FROM Opportunity WHERE IsWon = true")
    )
    # The overlap re-reads the records at and before the watermark: nothing new is stored.
    assert poll_closed_won(salesforce=salesforce, netsuite=netsuite, overlap=dt.timedelta(days=400)) == 0
    # A record edited again is a new version: one new event for it, none for the others.
    sf.update("Opportunity", ids[0], {"NextStep": "Kick-off call"})
    assert poll_closed_won(salesforce=salesforce, netsuite=netsuite, page_size=1) == 1
    assert InboxMessage.objects.filter(record_id=ids[0]).count() == 2
    moved = PollWatermark.objects.get().watermark
    assert moved is not None and mark.watermark is not None and moved > mark.watermark


def test_it_reads_a_record_stamped_before_the_watermark_within_the_overlap(
    seeded_connections: tuple[Connection, Connection], sf: SalesforceConnector
) -> None:
    salesforce, netsuite = seeded_connections
    rows = list(closed_won_since(sf, BEFORE_SEED))
    latest = parse_modstamp(rows[-1]["SystemModstamp"])
    # As if the last poll ran when only the newest record existed (the others committed late, skewed).
    PollWatermark.objects.create(
        name=f"closed-won:{salesforce.pk}:{netsuite.pk}",
        salesforce_connection=salesforce,
        netsuite_connection=netsuite,
        watermark=latest,
    )
    within = latest - parse_modstamp(rows[-3]["SystemModstamp"])
    found = poll_closed_won(salesforce=salesforce, netsuite=netsuite, overlap=within)
    assert found == sum(1 for row in rows if parse_modstamp(row["SystemModstamp"]) >= latest - within)
    assert found >= 3


@pytest.mark.django_db
def test_it_creates_its_schedules_idempotently_and_keeps_an_operators_timing() -> None:
    call_command("sync_schedules_ensure", "--poll-minutes", "7")
    poll = Schedule.objects.get(name=CATCH_UP_POLL)
    assert (poll.func, poll.minutes, poll.schedule_type) == ("sync.tasks.catch_up_poll", 7, Schedule.MINUTES)
    # The next deploy runs it again with other flags: the timing in place stays, the function is put right.
    Schedule.objects.filter(pk=poll.pk).update(func="sync.tasks.moved_away")
    call_command("sync_schedules_ensure", "--poll-minutes", "3")
    poll.refresh_from_db()
    assert (poll.func, poll.minutes) == ("sync.tasks.catch_up_poll", 7)
    # poll, return flow, connection watch, inbox sweep, worker heartbeat, interrupted-work sweep, catalogue,
    # notifications, retention prune
    assert Schedule.objects.count() == 9
    assert Schedule.objects.filter(func="sync.tasks.notifications_dispatch_task", minutes=1).exists()


def test_the_scheduled_task_polls_each_listener_pair_once(
    seeded_connections: tuple[Connection, Connection], sf: SalesforceConnector
) -> None:
    from sync import tasks
    from sync.pipeline.listener.services import listener_create

    salesforce, netsuite = seeded_connections
    for name in ("one", "two"):  # two listeners on the same pair of connections: one poll
        listener_create(name=name, salesforce_connection=salesforce, netsuite_connection=netsuite)
    PollWatermark.objects.create(
        name=f"closed-won:{salesforce.pk}:{netsuite.pk}",
        salesforce_connection=salesforce,
        netsuite_connection=netsuite,
        watermark=BEFORE_SEED,
    )
    assert tasks.catch_up_poll() == len(won_ids(sf))
    assert tasks.catch_up_poll() == 0
