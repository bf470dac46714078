"""Sync status in both systems, over HTTPS against the seeded simulators: a failure shows Error and the
reason on the Salesforce Opportunity, Account and Contacts and on the NetSuite records that exist; a later
success clears it; a re-run with nothing new writes nothing anywhere."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pytest

from sync.connections.connectors.netsuite import NetSuiteConnector
from sync.connections.connectors.salesforce import SalesforceConnector
from sync.connections.models import Connection
from sync.pipeline import sources
from sync.pipeline.models import CrossReference, JobStatus, RecordStatus
from sync.pipeline.runner import run_batch
from sync.pipeline.sync_status import error_marker
from tests.sync.full_graph import FULL_GRAPH
from tests.sync.pipeline.conftest import THREADED_DB

pytestmark = THREADED_DB
SF_FIELDS = ["Concord_Sync_Status__c", "Concord_Sync_Message__c", "Concord_Last_Sync__c", "SystemModstamp"]
CUSTOMER_FIELDS = ("custentity_concord_sync_status", "custentity_concord_sync_message")
ORDER_FIELDS = ("custbody_concord_sync_status", "custbody_concord_sync_message")


def salesforce_state(sf: SalesforceConnector, graph: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Status fields and SystemModstamp of the opportunity, its account and its contacts, by id."""
    contacts = [role["ContactId"] for role in graph["OpportunityContactRoles"]["records"]]
    state = sf.get_records("Opportunity", [graph["Id"]], SF_FIELDS)
    state.update(sf.get_records("Account", [graph["AccountId"]], [*SF_FIELDS, "NetSuite_Id__c"]))
    state.update(sf.get_records("Contact", contacts, SF_FIELDS))
    return state


def netsuite_status(record: Mapping[str, Any] | None, names: Sequence[str]) -> tuple[Any, ...]:
    assert record is not None
    return tuple(record.get(name) for name in names)


def with_unknown_items(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every SKU resolves to an item NetSuite does not have: the sales order is refused (after the
    customer, contacts and billing account are written), with NetSuite's own INVALID_KEY_OR_REF."""

    def unknown(netsuite: NetSuiteConnector) -> Callable[[Sequence[str]], dict[str, str]]:
        return lambda skus: dict.fromkeys(skus, "987654")

    monkeypatch.setattr(sources, "_item_fetch", unknown)


def test_it_shows_a_failure_in_both_systems_and_clears_it_on_the_next_success(
    seeded_connections: tuple[Connection, Connection],
    sf: SalesforceConnector,
    ns: NetSuiteConnector,
    netsuite_count: Callable[[str, str], int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    salesforce, netsuite = seeded_connections
    rows = sf.query("SELECT Id FROM Opportunity WHERE IsWon = true ORDER BY Id")
    graphs = sf.fetch_opportunity_graphs([row["Id"] for row in rows], FULL_GRAPH)
    graph = next(g for g in graphs.values() if g["OpportunityContactRoles"] and g["primary_quote"])
    opportunity_id, account_id = graph["Id"], graph["AccountId"]
    contact_ids = [role["ContactId"] for role in graph["OpportunityContactRoles"]["records"]]

    with_unknown_items(monkeypatch)
    job = run_batch(salesforce=salesforce, netsuite=netsuite, opportunity_ids=[opportunity_id])
    record = job.records.get()
    assert record.status == RecordStatus.FAILED and job.message == ""
    failure = record.failures.get()
    assert (failure.mapping_object_key, failure.vendor_code) == ("sales_order", "INVALID_KEY_OR_REF")
    assert netsuite_count("transaction", opportunity_id) == 0 and netsuite_count("customer", account_id) == 1
    message = f"sales_order: {failure.message}"

    # Salesforce: every record the flow touched says Error and why, with a time.
    failed = salesforce_state(sf, graph)
    for record_id in (opportunity_id, account_id, *contact_ids):
        row = failed[record_id]
        assert (row["Concord_Sync_Status__c"], row["Concord_Sync_Message__c"]) == ("Error", message)
        assert row["Concord_Last_Sync__c"]
    assert (
        failed[account_id]["NetSuite_Id__c"] == CrossReference.objects.get(object_key="customer").netsuite_id
    )
    # NetSuite: the customer and contacts written before the refusal say the same (in 300 characters).
    customer = ns.get_by_external_id("customer", account_id)
    assert netsuite_status(customer, CUSTOMER_FIELDS) == ("Error", message[:300])
    assert customer and customer["custentity_concord_sync_time"]
    for contact_id in contact_ids:
        assert netsuite_status(ns.get_by_external_id("contact", contact_id), CUSTOMER_FIELDS) == (
            "Error",
            message[:300],
        )
    assert CrossReference.objects.get(object_key="customer").error_shown == error_marker(message[:300])

    # The same failure again: nothing new to say, so no write on either side.
    again = run_batch(salesforce=salesforce, netsuite=netsuite, opportunity_ids=[opportunity_id])
    assert again.records.get().status == RecordStatus.FAILED and again.netsuite_writes == 0
    assert salesforce_state(sf, graph) == failed
    assert ns.get_by_external_id("customer", account_id) == customer

    # Fixed: the next sync rewrites the records it had marked, clearing the message everywhere.
    monkeypatch.undo()
    fixed = run_batch(salesforce=salesforce, netsuite=netsuite, opportunity_ids=[opportunity_id])
    assert fixed.status == JobStatus.SUCCEEDED and fixed.message == ""
    synced = salesforce_state(sf, graph)
    for record_id in (opportunity_id, account_id, *contact_ids):
        row = synced[record_id]
        assert (row["Concord_Sync_Status__c"], row["Concord_Sync_Message__c"]) == ("Synced", None)
        assert row["Concord_Last_Sync__c"] >= failed[record_id]["Concord_Last_Sync__c"]
    customer = ns.get_by_external_id("customer", account_id)
    assert netsuite_status(customer, CUSTOMER_FIELDS) == ("Synced", None)
    for contact_id in contact_ids:
        assert netsuite_status(ns.get_by_external_id("contact", contact_id), CUSTOMER_FIELDS) == (
            "Synced",
            None,
        )
    order = ns.get_by_external_id("salesOrder", opportunity_id)
    assert netsuite_status(order, ORDER_FIELDS) == ("Synced", None)
    assert order and order["custbody_concord_sync_time"]

    # Nothing changed since: no NetSuite write, no Salesforce write (SystemModstamps stay), same stamps.
    rerun = run_batch(salesforce=salesforce, netsuite=netsuite, opportunity_ids=[opportunity_id])
    assert rerun.status == JobStatus.SUCCEEDED and rerun.netsuite_writes == 0
    assert salesforce_state(sf, graph) == synced
    assert ns.get_by_external_id("customer", account_id) == customer
    assert ns.get_by_external_id("salesOrder", opportunity_id) == order


def test_it_stamps_every_netsuite_record_on_a_first_successful_sync(
    seeded_connections: tuple[Connection, Connection], sf: SalesforceConnector, ns: NetSuiteConnector
) -> None:
    rows = sf.query("SELECT Id FROM Opportunity WHERE IsWon = true ORDER BY Id LIMIT 3")
    ids = [row["Id"] for row in rows]
    job = run_batch(salesforce=seeded_connections[0], netsuite=seeded_connections[1], opportunity_ids=ids)
    assert job.status == JobStatus.SUCCEEDED
    stamped = {"customer": CUSTOMER_FIELDS, "contact": CUSTOMER_FIELDS, "salesOrder": ORDER_FIELDS}
    xrefs = CrossReference.objects.filter(netsuite_type__in=stamped)
    assert {x.netsuite_type for x in xrefs} == set(stamped)
    for xref in xrefs:
        record = ns.get(xref.netsuite_type, xref.netsuite_id)
        assert netsuite_status(record, stamped[xref.netsuite_type]) == ("Synced", None), xref
    for graph in sf.fetch_opportunity_graphs(ids, FULL_GRAPH).values():
        for row in salesforce_state(sf, graph).values():
            assert row["Concord_Sync_Status__c"] == "Synced" and row["Concord_Last_Sync__c"]
