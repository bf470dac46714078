"""Each deal's milestones, written by the real pipeline against the simulators over HTTPS: won by the
inbox intake (the catch-up poll), ordered by the record synced, invoiced by the return flow; a
redelivered or later event, a re-sync and a second return run move none of them, and a backfill never
makes a deal won. The dashboard's quote to cash reads them.

Transactional: run_batch's worker threads take NetSuite request slots through the database limiter.
"""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command

from console.selectors import quote_to_cash
from simulators.core.runner import RunningSimulator
from sync.connections.connectors.salesforce import SalesforceConnector
from sync.connections.models import Connection
from sync.integrations.selectors import integration_for_connection
from sync.pipeline.models import DealMilestone, InboxMessage, RecordStatus, SyncedInvoice, SyncRecord
from sync.pipeline.polling import poll_closed_won
from sync.pipeline.returns import return_flow_run
from sync.pipeline.runner import inbox_drain
from tests.sync.pipeline.conftest import THREADED_DB, won_ids
from tests.sync.pipeline.test_returns import control

pytestmark = THREADED_DB

BEFORE_SEED = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def no_drain(monkeypatch: pytest.MonkeyPatch) -> None:
    """The test drains the inbox itself, when it chooses."""
    monkeypatch.setattr("sync.pipeline.inbox.async_task", lambda name, **kw: None)


def milestones() -> dict[str, tuple[dt.datetime | None, ...]]:
    return {
        row.opportunity_id: (row.won_at, row.ordered_at, row.invoiced_at, row.backfilled_at)
        for row in DealMilestone.objects.all()
    }


def test_the_pipeline_notes_each_milestone_once(
    seeded_connections: tuple[Connection, Connection],
    seeded_simulators: tuple[RunningSimulator, RunningSimulator],
    sf: SalesforceConnector,
) -> None:
    salesforce, netsuite = seeded_connections
    integration = integration_for_connection(salesforce.pk)
    ids = won_ids(sf)
    # Won: the poll's events, as the intake stores them; nothing ordered or invoiced yet.
    assert poll_closed_won(salesforce=salesforce, netsuite=netsuite, start=BEFORE_SEED) == len(ids)
    received = {m.record_id: m.received_at for m in InboxMessage.objects.all()}
    assert DealMilestone.objects.filter(integration=integration).count() == len(ids)
    assert milestones() == {i: (received[i], None, None, None) for i in ids}
    # A redelivery (the overlap re-reads every record) stores nothing and moves nothing.
    assert poll_closed_won(salesforce=salesforce, netsuite=netsuite, overlap=dt.timedelta(days=400)) == 0
    assert milestones() == {i: (received[i], None, None, None) for i in ids}

    # Ordered: the worker syncs them; each deal's first synced record is its order.
    inbox_drain()
    synced = {r.opportunity_id: r.finished_at for r in SyncRecord.objects.filter(status=RecordStatus.SYNCED)}
    assert len(synced) >= 2, "the seed should sync most won deals"
    assert milestones() == {i: (received[i], synced.get(i), None, None) for i in ids}
    first = dict(milestones())

    # The second day: the first deal edited, and the synced ones stamped by the write-back: new poll
    # events (later), synced again. Nothing moves.
    sf.update("Opportunity", ids[0], {"NextStep": "Kick-off call"})
    assert poll_closed_won(salesforce=salesforce, netsuite=netsuite) >= 1
    inbox_drain()
    assert SyncRecord.objects.filter(opportunity_id=ids[0]).count() == 2
    assert milestones() == first

    # Invoiced: NetSuite bills two orders, the return flow brings the invoices back.
    billed_ids = sorted(synced)[:2]
    orders = {
        r.opportunity_id: r.netsuite_ids["sales_order"]
        for r in SyncRecord.objects.filter(opportunity_id__in=billed_ids, status=RecordStatus.SYNCED)
    }
    billed = control(seeded_simulators[1], "invoice-orders", {"salesOrders": [orders[i] for i in billed_ids]})
    start = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    assert return_flow_run(salesforce=salesforce, netsuite=netsuite, start=start).failed == 0
    ledger = {row.opportunity_id: row.first_synced_at for row in SyncedInvoice.objects.all()}
    assert set(ledger) == set(billed_ids)
    expected = {i: (*first[i][:2], ledger.get(i), None) for i in ids}
    assert milestones() == expected
    # A second return run and a payment: the ledger moves on, the first invoice's moment does not.
    control(seeded_simulators[1], "pay-invoices", {"invoices": [billed[0]["invoice"]], "fraction": 0.5})
    assert return_flow_run(salesforce=salesforce, netsuite=netsuite).failed == 0
    assert SyncedInvoice.objects.filter(amount_paid__gt=0).count() == 1
    assert milestones() == expected

    # The dashboard reads them: every won deal, those synced, those invoiced.
    q2c = quote_to_cash(now=dt.datetime.now(dt.UTC))
    assert (q2c.won, q2c.ordered, q2c.invoiced) == (len(ids), len(synced), 2)
    assert {deal.opportunity_id for deal in q2c.slowest} == set(billed_ids)


def test_a_backfill_never_makes_a_deal_won(
    seeded_connections: tuple[Connection, Connection], sf: SalesforceConnector
) -> None:
    salesforce, netsuite = seeded_connections
    call_command(
        "sync_backfill",
        "--since",
        "2026-01-01",
        "--salesforce",
        salesforce.name,
        "--netsuite",
        netsuite.name,
        "--batch",
        "3",
        stdout=io.StringIO(),
    )
    ids = won_ids(sf)
    found = milestones()
    assert set(found) == set(ids)
    assert all(won is None and backfilled is not None for won, _, _, backfilled in found.values())
    synced = set(
        SyncRecord.objects.filter(status=RecordStatus.SYNCED).values_list("opportunity_id", flat=True)
    )
    assert {i for i, (_, ordered, _, _) in found.items() if ordered} == synced
    # Polled afterwards (an edit, the catch-up poll's first run): not when they were won either.
    assert poll_closed_won(salesforce=salesforce, netsuite=netsuite, start=BEFORE_SEED) == len(ids)
    assert quote_to_cash(now=dt.datetime.now(dt.UTC)).won == 0
