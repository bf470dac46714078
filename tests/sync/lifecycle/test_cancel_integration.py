"""Orders NetSuite has moved on, and cancellations, over HTTPS against the simulators through the real
connectors (issue 22, points 3 and 4).

- A synced deal lost afterwards: the batch opens an exception waiting for a finance approval and writes
  nothing; finance approves; the worker closes every line of the NetSuite order (status H), deletes
  nothing; the next run writes nothing and asks nothing again.
- A billed order changed in Salesforce: no update is sent, an ``order_locked`` exception names the order
  and its status, the trace page shows "Locked in NetSuite: Billed"; changed again the next day, the same
  exception is updated, not duplicated; a re-run writes nothing.

Transactional: run_batch's worker threads take NetSuite request slots through the database limiter.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from simulators.core.runner import RunningSimulator
from sync.connections.connectors.netsuite import NetSuiteConnector
from sync.connections.connectors.salesforce import SalesforceConnector
from sync.connections.models import Connection
from sync.exceptions.actions import exception_approve
from sync.exceptions.models import ExceptionItem, ExceptionStatus
from sync.exceptions.permissions import subsidiary_scope_grant
from sync.exceptions.tasks import exception_retry_run
from sync.integrations.selectors import integration_for_pair
from sync.lifecycle.models import Cancellation, CancellationReason, CancellationStatus, OrderLock
from sync.pipeline.models import InboxMessage, RecordStatus, SyncRecord
from sync.pipeline.polling import poll_closed_won
from sync.pipeline.runner import run_batch
from tests.sync.full_graph import FULL_GRAPH
from tests.sync.pipeline.conftest import THREADED_DB
from tests.sync.pipeline.test_returns import control

pytestmark = THREADED_DB


def a_won_deal(sf: SalesforceConnector) -> str:
    """A won opportunity with a quote: one whose quote holds no package (a sales order only) if the seeds
    have one, else the first (a sales order and its package's subscriptions)."""
    ids = [row["Id"] for row in sf.query("SELECT Id FROM Opportunity WHERE IsWon = true ORDER BY Id")]
    quoted = [
        (key, (graph.get("primary_quote") or {}).get("lines") or [])
        for key, graph in sf.fetch_opportunity_graphs(ids, FULL_GRAPH).items()
    ]
    quoted = [(key, lines) for key, lines in quoted if lines]
    plain = [key for key, lines in quoted if not any(line.get("SBQQ__RequiredBy__c") for line in lines)]
    return (plain or [key for key, _ in quoted])[0]


def sync_once(salesforce: Connection, netsuite: Connection, deal: str) -> SyncRecord:
    job = run_batch(salesforce=salesforce, netsuite=netsuite, opportunity_ids=[deal])
    return job.records.get()


def order_writes(record: SyncRecord) -> list[dict[str, Any]]:
    """The PUT/PATCH requests the record's job sent for sales orders."""
    return [
        exchange
        for exchange in record.exchanges or []
        if exchange["method"] in ("PUT", "PATCH", "DELETE") and "/salesorder/" in exchange["url"].lower()
    ]


@pytest.fixture
def approver(finance: User) -> User:
    subsidiary_scope_grant(holder=finance, subsidiary=None)
    return User.objects.get(pk=finance.pk)


@pytest.fixture
def inline_worker(monkeypatch: pytest.MonkeyPatch) -> None:
    """django-q2's worker, inline: the approval's task runs as soon as the approval commits."""
    monkeypatch.setattr(
        "sync.exceptions.retry.async_task",
        lambda name, item_id, overrides, **kw: exception_retry_run(item_id, overrides),
    )


def test_a_synced_deal_lost_afterwards_is_closed_in_netsuite_after_finance_approves(
    seeded_connections: tuple[Connection, Connection],
    sf: SalesforceConnector,
    ns: NetSuiteConnector,
    approver: User,
    inline_worker: None,
) -> None:
    salesforce, netsuite = seeded_connections
    deal = a_won_deal(sf)
    first = sync_once(salesforce, netsuite, deal)
    assert first.status == RecordStatus.SYNCED, first.message
    order_id = first.netsuite_ids["sales_order"]

    sf.update("Opportunity", deal, {"StageName": "Closed Lost"})
    lost = sync_once(salesforce, netsuite, deal)
    assert lost.status == RecordStatus.SKIPPED and "finance approval" in lost.message
    assert order_writes(lost) == []
    item = ExceptionItem.objects.get(category__key="cancellation_approval")
    assert item.status == ExceptionStatus.PENDING_APPROVAL and order_id in item.title
    order = ns.get("salesOrder", order_id, expand=True)
    assert not any(line.get("isClosed") for line in order["item"]["items"])

    exception_approve(item=item, user=approver, reason="the customer walked away")
    closed = ns.get("salesOrder", order_id, expand=True)  # still there: never deleted
    assert closed["item"]["items"] and all(line["isClosed"] is True for line in closed["item"]["items"])
    assert closed["orderStatus"]["id"] == "H"
    assert len(closed["item"]["items"]) == len(order["item"]["items"])
    cancellation = Cancellation.objects.get(opportunity_id=deal)
    assert cancellation.status == CancellationStatus.DONE and cancellation.approved_by == approver
    for subscription_id in cancellation.subscription_ids:  # a package's subscription: terminated
        subscription = ns.get("subscription", subscription_id)
        status = subscription["subscriptionStatus"]
        assert (status.get("id") if isinstance(status, dict) else status) == "TERMINATED"
    item.refresh_from_db()
    assert item.status == ExceptionStatus.RESOLVED

    again = sync_once(salesforce, netsuite, deal)  # the next event about the lost deal
    assert order_writes(again) == [] and again.writes == 0
    item.refresh_from_db()
    assert item.status == ExceptionStatus.RESOLVED
    assert ExceptionItem.objects.filter(category__key="cancellation_approval").count() == 1
    exception_retry_run(item.pk, {})  # the task delivered twice: closes nothing again
    assert ns.get("salesOrder", order_id)["lastModifiedDate"] == closed["lastModifiedDate"]


def test_a_billed_order_changed_in_salesforce_is_not_edited_and_finance_sees_the_lock(
    seeded_simulators: tuple[RunningSimulator, RunningSimulator],
    seeded_connections: tuple[Connection, Connection],
    sf: SalesforceConnector,
    ns: NetSuiteConnector,
    auditor_client: Client,
) -> None:
    salesforce, netsuite = seeded_connections
    deal = a_won_deal(sf)
    first = sync_once(salesforce, netsuite, deal)
    assert first.status == RecordStatus.SYNCED, first.message
    order_id = first.netsuite_ids["sales_order"]
    control(seeded_simulators[1], "invoice-orders", {"salesOrders": [order_id]})
    billed = ns.get("salesOrder", order_id, expand=True)
    assert billed["orderStatus"]["id"] == "G"

    sf.update("Opportunity", deal, {"Name": "Renamed after billing"})
    locked = sync_once(salesforce, netsuite, deal)
    assert locked.status == RecordStatus.BLOCKED
    assert order_writes(locked) == []  # no PATCH/PUT reached the billed order
    item = ExceptionItem.objects.get(category__key="order_locked")
    assert f"Sales order {order_id} is Billed in NetSuite" in item.title
    lock = OrderLock.objects.get(sales_order_id=order_id)
    assert lock.status_label == "Billed" and lock.opportunity_id == deal
    assert lock.integration_id == integration_for_pair(salesforce.pk, netsuite.pk).pk  # whose deal it is
    page = auditor_client.get(f"/sync/trace/{deal}/")
    assert "Locked in NetSuite: Billed" in page.content.decode()

    # The second day: changed again; still no edit, the same exception counted again.
    sf.update("Opportunity", deal, {"Name": "Renamed again"})
    second = sync_once(salesforce, netsuite, deal)
    assert second.status == RecordStatus.BLOCKED and order_writes(second) == []
    assert ExceptionItem.objects.filter(category__key="order_locked").count() == 1
    item.refresh_from_db()
    assert item.occurrence_count >= 2 and item.is_active
    # A re-run writes nothing to the order.
    third = sync_once(salesforce, netsuite, deal)
    assert order_writes(third) == []
    after = ns.get("salesOrder", order_id, expand=True)
    # Nothing Concord could send changed: the memo (the opportunity's name), the lines, the status. (The
    # stamp alone is not compared: NetSuite's own refresh of a billed order may touch it.)
    assert {k: v for k, v in after.items() if k != "lastModifiedDate"} == {
        k: v for k, v in billed.items() if k != "lastModifiedDate"
    }


def test_a_cancelled_contract_of_a_synced_deal_waits_for_finance_from_the_catch_up_poll(
    seeded_connections: tuple[Connection, Connection],
    sf: SalesforceConnector,
) -> None:
    salesforce, netsuite = seeded_connections
    deal = a_won_deal(sf)
    assert sync_once(salesforce, netsuite, deal).status == RecordStatus.SYNCED
    sf.update("Opportunity", deal, {"SBQQ__Contracted__c": True})  # CPQ contracts the won deal
    contract = next(iter(sf.query(f"SELECT Id FROM Contract WHERE SBQQ__Opportunity__c = '{deal}'")))  # noqa: S608
    sf.update("Contract", contract["Id"], {"Status": "Cancelled"})

    poll_closed_won(salesforce=salesforce, netsuite=netsuite, start=timezone.now() - dt.timedelta(hours=1))
    poll_closed_won(salesforce=salesforce, netsuite=netsuite)  # the next poll: asked once
    cancellation = Cancellation.objects.get(opportunity_id=deal)
    assert (cancellation.reason, cancellation.contract_id) == (
        CancellationReason.CONTRACT_CANCELLED,
        contract["Id"],
    )
    item = ExceptionItem.objects.get(category__key="cancellation_approval")
    assert item.status == ExceptionStatus.PENDING_APPROVAL and item.pk == cancellation.exception_id


def test_the_catch_up_poll_reads_a_synced_deal_lost_afterwards_and_only_that_one(
    seeded_connections: tuple[Connection, Connection],
    sf: SalesforceConnector,
) -> None:
    salesforce, netsuite = seeded_connections
    deal = a_won_deal(sf)
    assert sync_once(salesforce, netsuite, deal).status == RecordStatus.SYNCED
    never_synced = next(
        row["Id"]
        for row in sf.query("SELECT Id FROM Opportunity WHERE IsClosed = false ORDER BY Id")
        if row["Id"] != deal
    )
    started = timezone.now() - dt.timedelta(minutes=5)
    sf.update("Opportunity", deal, {"StageName": "Closed Lost"})
    sf.update("Opportunity", never_synced, {"StageName": "Closed Lost"})
    poll_closed_won(salesforce=salesforce, netsuite=netsuite, start=started)
    polled = set(InboxMessage.objects.values_list("record_id", flat=True))
    assert deal in polled and never_synced not in polled
