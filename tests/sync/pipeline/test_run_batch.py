"""run_batch against the seeded simulators over HTTPS: ordered upserts, xrefs, write-back, idempotence.

Transactional: the worker threads take NetSuite request slots through the database limiter.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User

from sync.connections.connectors.netsuite import NetSuiteConnector
from sync.connections.connectors.salesforce import SalesforceConnector
from sync.connections.models import Connection
from sync.exceptions.models import ExceptionItem, ExceptionStatus
from sync.mappings.engine import StaticLookups
from sync.pipeline import sources
from sync.pipeline.failures import sync_dedup_key
from sync.pipeline.gates import GateOutcome, Gates
from sync.pipeline.models import CrossReference, JobStatus, RecordStatus, SyncJob, SyncRecord
from sync.pipeline.runner import run_batch
from sync.rules.services import (
    rule_version_approve,
    rule_version_publish,
    rule_version_submit,
    rules_shipped_install,
)
from tests.sync.full_graph import FULL_GRAPH
from tests.sync.pipeline.conftest import THREADED_DB

pytestmark = THREADED_DB


def one_per_account(sf: SalesforceConnector) -> list[str]:
    rows = sf.query("SELECT Id, AccountId FROM Opportunity WHERE IsWon = true ORDER BY Id")
    return list({row["AccountId"]: row["Id"] for row in reversed(list(rows))}.values())


def test_it_syncs_won_opportunities_once_and_writes_ids_back(
    seeded_connections: tuple[Connection, Connection],
    sf: SalesforceConnector,
    ns: NetSuiteConnector,
    netsuite_count: Callable[[str, str], int],
) -> None:
    salesforce, netsuite = seeded_connections
    ids = one_per_account(sf)[:4]
    job = run_batch(salesforce=salesforce, netsuite=netsuite, opportunity_ids=ids)
    records = {r.opportunity_id: r for r in job.records.all()}
    assert job.status == JobStatus.SUCCEEDED, [(r.status, r.message) for r in records.values()]
    graphs = sf.fetch_opportunity_graphs(ids, FULL_GRAPH)
    for opportunity_id, record in records.items():
        assert record.status == RecordStatus.SYNCED and record.attempts == 1
        assert netsuite_count("transaction", opportunity_id) == 1
        assert netsuite_count("customer", graphs[opportunity_id]["AccountId"]) == 1
        order = ns.get("salesOrder", record.netsuite_ids["sales_order"])
        assert (
            order["externalId"] == opportunity_id and order["entity"]["id"] == record.netsuite_ids["customer"]
        )
        assert record.exchanges and all("Authorization" not in str(x) for x in record.exchanges)
    back = sf.get_records(
        "Opportunity", ids, ["NetSuite_Sales_Order_Id__c", "Concord_Sync_Status__c", "AccountId"]
    )
    accounts = sf.get_records("Account", [b["AccountId"] for b in back.values()], ["NetSuite_Id__c"])
    for opportunity_id, row in back.items():
        assert row["NetSuite_Sales_Order_Id__c"] == records[opportunity_id].netsuite_ids["sales_order"]
        assert row["Concord_Sync_Status__c"] == "Synced"
        assert (
            accounts[row["AccountId"]]["NetSuite_Id__c"] == records[opportunity_id].netsuite_ids["customer"]
        )
    # A second run finds every payload unchanged: no NetSuite write at all, and still one of each.
    again = run_batch(salesforce=salesforce, netsuite=netsuite, opportunity_ids=ids)
    assert again.status == JobStatus.SUCCEEDED
    assert again.netsuite_writes == 0 and again.netsuite_writes_skipped >= job.netsuite_writes
    assert all(netsuite_count("transaction", i) == 1 for i in ids)
    assert CrossReference.objects.filter(object_key="sales_order").count() == 4
    assert SyncRecord.objects.count() == 8


def test_it_writes_a_customer_shared_by_two_opportunities_once(
    seeded_connections: tuple[Connection, Connection],
    sf: SalesforceConnector,
    netsuite_count: Callable[[str, str], int],
) -> None:
    rows = list(sf.query("SELECT Id, AccountId FROM Opportunity WHERE IsWon = true ORDER BY Id"))
    by_account: dict[str, list[str]] = {}
    for row in rows:
        by_account.setdefault(row["AccountId"], []).append(row["Id"])
    account, ids = next((a, i) for a, i in by_account.items() if len(i) >= 2)
    job = run_batch(salesforce=seeded_connections[0], netsuite=seeded_connections[1], opportunity_ids=ids)
    assert job.status == JobStatus.SUCCEEDED
    assert netsuite_count("customer", account) == 1
    customers = {r.netsuite_ids["customer"] for r in job.records.all()}
    assert len(customers) == 1


def test_it_skips_an_opportunity_that_is_not_won(
    seeded_connections: tuple[Connection, Connection], sf: SalesforceConnector
) -> None:
    lost = next(iter(sf.query("SELECT Id FROM Opportunity WHERE IsWon = false LIMIT 1")))["Id"]
    job = run_batch(salesforce=seeded_connections[0], netsuite=seeded_connections[1], opportunity_ids=[lost])
    record = job.records.get()
    assert record.status == RecordStatus.SKIPPED and record.writes == 0
    assert job.netsuite_writes == 0 and not CrossReference.objects.exists()


def test_it_fails_only_the_opportunity_netsuite_rejects(
    seeded_connections: tuple[Connection, Connection],
    sf: SalesforceConnector,
    monkeypatch: pytest.MonkeyPatch,
    netsuite_count: Callable[[str, str], int],
) -> None:
    graphs = sf.fetch_opportunity_graphs(one_per_account(sf), FULL_GRAPH)
    bad = next(g["Id"] for g in graphs.values() if g["Account"]["BillingCountry"] == "JP")
    good = next(g["Id"] for g in graphs.values() if g["Account"]["BillingCountry"] != "JP")
    live_lookups = sources.live_lookups

    def wrong_subsidiary_for_japan(
        netsuite: NetSuiteConnector, chosen: Any = None, integration: Any = None
    ) -> Any:
        lookups, dynamic = live_lookups(netsuite, chosen, integration)
        tables = {name: lookups._tables[name] for name in lookups.tables()}
        tables["country_to_subsidiary"] = {**tables["country_to_subsidiary"], "JP": "99"}
        return StaticLookups(tables, dynamic), dynamic

    monkeypatch.setattr(sources, "live_lookups", wrong_subsidiary_for_japan)
    job = run_batch(
        salesforce=seeded_connections[0], netsuite=seeded_connections[1], opportunity_ids=[bad, good]
    )
    records = {r.opportunity_id: r for r in job.records.all()}
    assert job.status == JobStatus.PARTIAL
    assert records[good].status == RecordStatus.SYNCED and netsuite_count("transaction", good) == 1
    assert records[bad].status == RecordStatus.FAILED and netsuite_count("transaction", bad) == 0
    failure = records[bad].failures.get()
    assert (failure.category, failure.system, failure.vendor_code) == (
        "vendor",
        "netsuite",
        "INVALID_KEY_OR_REF",
    )
    assert failure.error_path == "subsidiary" and failure.mapping_object_key == "customer"
    assert "subsidiary" in failure.message
    # Sales sees the reason on the opportunity.
    back = sf.get_records("Opportunity", [bad], ["Concord_Sync_Status__c", "Concord_Sync_Message__c"])[bad]
    assert back["Concord_Sync_Status__c"] == "Error" and "subsidiary" in back["Concord_Sync_Message__c"]
    # Finance sees it in the exception queue: one open exception, with the vendor's words and the row.
    key = sync_dedup_key(netsuite_connection_id=seeded_connections[1].pk, opportunity_id=bad)
    item = ExceptionItem.objects.get(dedup_key=key)
    assert (item.status, item.category.key, item.vendor_code, item.error_path) == (
        ExceptionStatus.OPEN,
        "sync_failure",
        "INVALID_KEY_OR_REF",
        "subsidiary",
    )
    assert item.mapping_row and item.mapping_row.startswith("customer")
    assert not ExceptionItem.objects.filter(dedup_key__endswith=good).exists()
    # The same failure again counts on the same exception; a clean run resolves it.
    run_batch(salesforce=seeded_connections[0], netsuite=seeded_connections[1], opportunity_ids=[bad])
    item.refresh_from_db()
    assert (ExceptionItem.objects.filter(dedup_key=key).count(), item.occurrence_count) == (1, 2)
    monkeypatch.setattr(sources, "live_lookups", live_lookups)
    run_batch(salesforce=seeded_connections[0], netsuite=seeded_connections[1], opportunity_ids=[bad])
    item.refresh_from_db()
    assert item.status == ExceptionStatus.RESOLVED and netsuite_count("transaction", bad) == 1


def test_it_stops_a_blocked_opportunity_and_tells_sales_why(
    seeded_connections: tuple[Connection, Connection],
    sf: SalesforceConnector,
    netsuite_count: Callable[[str, str], int],
) -> None:
    blocked, passed = one_per_account(sf)[:2]

    def gate(graph: dict[str, Any]) -> GateOutcome:
        if graph["Id"] == blocked:
            return GateOutcome(
                blocked=True, reason="Discount above 20% needs approval", rule="discount-approval v3"
            )
        return GateOutcome()

    job = run_batch(
        salesforce=seeded_connections[0],
        netsuite=seeded_connections[1],
        opportunity_ids=[blocked, passed],
        gates=Gates(pre_sale=gate),
    )
    records = {r.opportunity_id: r for r in job.records.all()}
    assert job.status == JobStatus.PARTIAL
    assert records[blocked].status == RecordStatus.BLOCKED and records[blocked].writes == 0
    assert records[passed].status == RecordStatus.SYNCED
    failure = records[blocked].failures.get()
    assert (failure.category, failure.message, failure.mapping_object_key) == (
        "rule",
        "Discount above 20% needs approval",
        "discount-approval v3",
    )
    assert netsuite_count("transaction", blocked) == 0 and netsuite_count("transaction", passed) == 1
    back = sf.get_records("Opportunity", [blocked], ["Concord_Sync_Status__c", "Concord_Sync_Message__c"])[
        blocked
    ]
    assert back["Concord_Sync_Status__c"] == "Error"
    assert back["Concord_Sync_Message__c"] == "Blocked: Discount above 20% needs approval"


def test_it_duplicates_nothing_when_rerun_after_a_crash_between_netsuite_writes(
    seeded_connections: tuple[Connection, Connection],
    sf: SalesforceConnector,
    netsuite_count: Callable[[str, str], int],
) -> None:
    ids = one_per_account(sf)[:2]

    def crash_before_the_order(payload: Any) -> GateOutcome:
        if payload.target_type == "salesOrder":
            raise RuntimeError("worker killed")  # customer, contacts and billing account are already written
        return GateOutcome()

    with pytest.raises(RuntimeError, match="worker killed"):
        run_batch(
            salesforce=seeded_connections[0],
            netsuite=seeded_connections[1],
            opportunity_ids=ids,
            gates=Gates(post_sale=crash_before_the_order),
        )
    assert not CrossReference.objects.exists()  # the crash came before anything was recorded
    assert SyncJob.objects.get().status == JobStatus.FAILED
    accounts = {g["AccountId"] for g in sf.fetch_opportunity_graphs(ids, FULL_GRAPH).values()}
    assert all(netsuite_count("customer", account) == 1 for account in accounts)
    job = run_batch(salesforce=seeded_connections[0], netsuite=seeded_connections[1], opportunity_ids=ids)
    assert job.status == JobStatus.SUCCEEDED
    assert all(netsuite_count("customer", account) == 1 for account in accounts)
    assert all(netsuite_count("transaction", i) == 1 for i in ids)


def test_it_blocks_what_a_published_rule_forbids_and_lets_the_rest_through(
    seeded_connections: tuple[Connection, Connection],
    sf: SalesforceConnector,
    netsuite_count: Callable[[str, str], int],
    revops: User,
    finance: User,
) -> None:
    # The shipped rule "opportunity amount equals the quote's net amount", published with four eyes.
    created = {version.rule.key: version for version in rules_shipped_install(user=revops)}
    version = created["amount_matches_quote"]
    rule_version_submit(version=version, user=revops, reason="go live")
    rule_version_approve(version=version, user=finance, reason="agreed")
    rule_version_publish(version=version, user=finance)
    every = [row["Id"] for row in sf.query("SELECT Id FROM Opportunity ORDER BY Id")]
    quoted = [g for g in sf.fetch_opportunity_graphs(every, FULL_GRAPH).values() if g["primary_quote"]]
    # The seed plants an amount that differs from its quote's net amount on every 23rd opportunity.
    bad = next(g["Id"] for g in quoted if g["Amount"] != g["primary_quote"]["SBQQ__NetAmount__c"])
    good = next(g["Id"] for g in quoted if g["Amount"] == g["primary_quote"]["SBQQ__NetAmount__c"])
    for opportunity_id in (bad, good):
        sf.update("Opportunity", opportunity_id, {"StageName": "Closed Won"})
    job = run_batch(
        salesforce=seeded_connections[0], netsuite=seeded_connections[1], opportunity_ids=[bad, good]
    )
    records = {r.opportunity_id: r for r in job.records.all()}
    assert records[bad].status == RecordStatus.BLOCKED and netsuite_count("transaction", bad) == 0
    assert records[good].status == RecordStatus.SYNCED and netsuite_count("transaction", good) == 1
    # Each record keeps what the gates evaluated: the rule version and its decision.
    (blocked,) = records[bad].rule_evaluations
    assert (blocked["placement"], blocked["decision"], blocked["rule_versions"]) == (
        "pre_sale",
        "blocked",
        [version.pk],
    )
    assert blocked["failures"][0]["version_id"] == version.pk
    assert [(e["decision"], e["rule_versions"]) for e in records[good].rule_evaluations] == [
        ("passed", [version.pk])
    ]
    failure = records[bad].failures.get()
    assert failure.category == "rule" and failure.mapping_object_key == f"amount_matches_quote@v{version.pk}"
    item = ExceptionItem.objects.get(dedup_key__endswith=bad)
    assert item.category.key == "blocked_rule" and item.rule == failure.mapping_object_key
    back = sf.get_records("Opportunity", [bad], ["Concord_Sync_Message__c"])[bad]
    assert back["Concord_Sync_Message__c"].startswith("Blocked: ")
