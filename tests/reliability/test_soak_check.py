"""The soak's invariant checker on a seeded world: a sound state passes, each kind of damage is named."""

from __future__ import annotations

from bench.soak_check import orders_without_external_id, soak_check
from simulators.core.runner import RunningSimulator
from simulators.netsuite.client import RestClient
from sync.connections.connectors.netsuite import NetSuiteConnector
from sync.connections.connectors.salesforce import SalesforceConnector
from sync.connections.models import Connection
from sync.exceptions.services import exception_raise
from sync.pipeline.failures import sync_dedup_key
from sync.pipeline.models import CrossReference, InboxMessage, InboxSource, InboxStatus
from sync.pipeline.runner import run_batch
from tests.sync.pipeline.conftest import THREADED_DB, won_ids

pytestmark = THREADED_DB


def inbox_row(connections: tuple[Connection, Connection], opportunity_id: str, status: str) -> InboxMessage:
    return InboxMessage.objects.create(
        notification_id=f"poll:{opportunity_id}",
        source=InboxSource.POLL,
        salesforce_connection=connections[0],
        netsuite_connection=connections[1],
        record_id=opportunity_id,
        status=status,
    )


def test_it_passes_a_sound_run_and_names_each_broken_invariant(
    seeded_simulators: tuple[RunningSimulator, RunningSimulator],
    seeded_connections: tuple[Connection, Connection],
    sf: SalesforceConnector,
    ns: NetSuiteConnector,
) -> None:
    salesforce, netsuite = seeded_connections
    synced, queued, lost = won_ids(sf)[:2], won_ids(sf)[2], won_ids(sf)[3]
    without_before = orders_without_external_id(ns)
    job = run_batch(salesforce=salesforce, netsuite=netsuite, opportunity_ids=synced)
    assert job.records_synced == 2
    for opportunity_id in synced:
        inbox_row(seeded_connections, opportunity_id, InboxStatus.DONE)
    exception_raise(
        category="sync_failure",
        dedup_key=sync_dedup_key(netsuite_connection_id=netsuite.pk, opportunity_id=queued),
        title="failed",
    )

    sound = soak_check(
        netsuite=ns,
        netsuite_connection=netsuite,
        opportunity_ids=[*synced, queued],
        orders_without_external_id_before=without_before,
    )
    assert sound.ok, sound.summary()
    assert (sound.synced_once, sound.in_exception_queue, sound.inbox_done) == (2, 1, 2)
    assert sound.xref_checked >= 4  # two orders, their customers and contacts

    # Damage: an opportunity nobody handled, a message still pending, a stale cross-reference, a sales
    # order created without the opportunity's external id (a duplicate NetSuite cannot refuse), and an
    # order's line sent again without ?replace=item (the connector always replaces: raw HTTP here).
    inbox_row(seeded_connections, lost, InboxStatus.PENDING)
    CrossReference.objects.filter(netsuite_type="customer").update(netsuite_id="999999")
    order = ns.get_by_external_id("salesOrder", synced[0], expand=True)
    assert order is not None
    line = order["item"]["items"][0]
    ns.create(
        "salesOrder",
        {
            "entity": {"id": order["entity"]["id"]},
            "item": {"items": [{"item": {"id": line["item"]["id"]}, "quantity": 1, "rate": 1}]},
        },
    )

    appended = order["item"]["items"][0]
    again = {
        "item": {"id": appended["item"]["id"]},
        "quantity": appended["quantity"],
        "custcol_sf_quote_line_id": appended["custcol_sf_quote_line_id"],
    }
    netsuite_sim = seeded_simulators[1]
    raw = RestClient(netsuite_sim.url, netsuite_sim.ca_file)
    answer = raw.request("PATCH", f"record/v1/salesOrder/{order['id']}", json={"item": {"items": [again]}})
    assert answer.status_code == 204, answer.text

    damaged = soak_check(
        netsuite=ns,
        netsuite_connection=netsuite,
        opportunity_ids=[*synced, queued, lost],
        orders_without_external_id_before=without_before,
    )
    assert not damaged.ok
    assert damaged.lost == [lost]
    violations = damaged.violations()
    assert violations["lost"] == 1 and violations["inbox_unfinished"] == 1
    assert violations["unexplained_new_orders"] == 1
    assert damaged.duplicated_order_lines == [synced[0]]
    assert (
        violations["xref_mismatched"] == CrossReference.objects.filter(netsuite_type="customer").count() > 0
    )
    assert set(violations) == {
        "lost",
        "inbox_unfinished",
        "unexplained_new_orders",
        "xref_mismatched",
        "duplicated_order_lines",
    }
