"""BatchWriter with a NetSuite double: order, hash skips, gates, retries and vendor failures (unit)."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from sync.connections.connectors.errors import ConnectorError
from sync.mappings.engine import CachedDynamicLookup, ObjectPayload
from sync.mappings.engine.defaults import compile_default, default_lookups
from sync.pipeline.gates import GateOutcome, Gates
from sync.pipeline.models import RecordStatus
from sync.pipeline.writer import BatchWriter, Known, RetrySettings, payload_hash, write_order
from tests.sync.mappings.engine.graphs import dataset_graphs, item_fetch

GRAPHS = [graph for _, opportunity, graph in dataset_graphs(accounts=6) if graph.get("IsWon")]
MAPPING = compile_default("opportunity_to_netsuite")


class FakeNetSuite:
    def __init__(self, *, fail: dict[str, list[ConnectorError]] | None = None) -> None:
        self.calls: list[tuple[str, str]] = []
        self.replaced: list[tuple[str, list[str]]] = []  # (record type, the sublists named in replace)
        self.records: dict[tuple[str, str], str] = {}
        self.fail = fail or {}
        self.lock = threading.Lock()

    def upsert(
        self, record_type: str, external_id: str, body: dict[str, Any], *, replace: list[str] | None = None
    ) -> str:
        with self.lock:
            self.calls.append((record_type, external_id))
            self.replaced.append((record_type, list(replace or [])))
            queued = self.fail.get(record_type)
            if queued:
                raise queued.pop(0)
            return self.records.setdefault((record_type, external_id), str(len(self.records) + 100))

    def get_by_external_id(self, record_type: str, external_id: str) -> dict[str, Any] | None:
        found = self.records.get((record_type, external_id))
        return {"id": found} if found else None

    def patch(
        self, record_type: str, record_id: str, body: dict[str, Any], *, replace: list[str] | None = None
    ) -> None:
        raise AssertionError("only records another integration owns are updated by internal id")


def passing(_: Any) -> GateOutcome:
    return GateOutcome()


# Unit tests judge the writer, not the published rules (those need the database): gates pass unless a
# test gives its own.
NO_RULES = Gates(pre_sale=passing, post_sale=passing)


def writer(netsuite: FakeNetSuite, **kwargs: Any) -> BatchWriter:
    lookups = default_lookups(netsuite_item_by_sku=CachedDynamicLookup(item_fetch))
    options: dict[str, Any] = {
        "known": {},
        "retry": RetrySettings(attempts=3),
        "sleep": lambda s: None,
        "gates": NO_RULES,
    }
    options.update(kwargs)
    return BatchWriter(mapping=MAPPING, lookups=lookups, netsuite=netsuite, **options)


def transient() -> ConnectorError:
    return ConnectorError(
        "netsuite", True, "Concurrent request limit exceeded", code="CONCURRENCY_LIMIT_EXCEEDED"
    )


def test_it_writes_in_dependency_order_the_issue_asks_for() -> None:
    assert write_order(MAPPING) == [
        "customer",
        "contact",
        "billing_account",
        "sales_order",
        "subscription_plan",
        "subscription",
    ]
    netsuite = FakeNetSuite()
    graph = next(g for g in GRAPHS if g["primary_quote"])
    outcome = writer(netsuite).sync(graph)
    assert outcome.status == RecordStatus.SYNCED
    types = list(dict.fromkeys(t for t, _ in netsuite.calls))
    assert types == [
        "customer",
        "contact",
        "billingAccount",
        "salesOrder",
        "subscriptionPlan",
        "subscription",
    ]
    assert outcome.netsuite_ids["sales_order"] == netsuite.records[("salesOrder", graph["Id"])]


def test_it_skips_payloads_whose_hash_is_unchanged() -> None:
    netsuite = FakeNetSuite()
    graph = GRAPHS[0]
    first = writer(netsuite).sync(graph)
    known = {(w.netsuite_type, w.external_id): Known(w.netsuite_id, w.payload_hash) for w in first.written}
    netsuite.calls.clear()
    again = writer(netsuite, known=known).sync(graph)
    assert again.status == RecordStatus.SYNCED and netsuite.calls == []
    assert again.writes == 0 and again.skipped == first.writes
    # A changed field changes the hash: only that record is written again.
    changed = {**graph, "Name": graph["Name"] + " (renewed)"}
    third = writer(netsuite, known=known).sync(changed)
    assert [t for t, _ in netsuite.calls] == ["salesOrder", *(["subscription"] * (len(netsuite.calls) - 1))]
    assert third.writes == len(netsuite.calls)


def test_it_retries_transient_faults_and_counts_attempts() -> None:
    netsuite = FakeNetSuite(fail={"salesOrder": [transient()]})
    outcome = writer(netsuite).sync(GRAPHS[0])
    assert outcome.status == RecordStatus.SYNCED and outcome.attempts == 2
    # The customer written in attempt 1 is not written again in attempt 2.
    assert [c for c in netsuite.calls if c[0] == "customer"] == [("customer", GRAPHS[0]["Account"]["Id"])]


def test_it_fails_a_record_whose_transient_faults_run_out() -> None:
    netsuite = FakeNetSuite(fail={"contact": [transient(), transient(), transient()]})
    outcome = writer(netsuite).sync(GRAPHS[0])
    assert outcome.status == RecordStatus.FAILED and outcome.attempts == 3
    (failure,) = outcome.failures
    assert (failure.category, failure.vendor_code, failure.object_key) == (
        "transient",
        "CONCURRENCY_LIMIT_EXCEEDED",
        "contact",
    )


def test_it_fails_at_once_on_a_permanent_fault_with_path_and_object() -> None:
    error = ConnectorError(
        "netsuite",
        False,
        "Invalid value for 'currency'",
        code="INVALID_KEY_OR_REF",
        path="currency",
        status=400,
    )
    netsuite = FakeNetSuite(fail={"billingAccount": [error]})
    outcome = writer(netsuite).sync(next(g for g in GRAPHS if g["primary_quote"]))
    assert outcome.status == RecordStatus.FAILED and outcome.attempts == 1
    (failure,) = outcome.failures
    assert (failure.vendor_code, failure.error_path, failure.object_key) == (
        "INVALID_KEY_OR_REF",
        "currency",
        "billing_account",
    )
    assert not any(t == "salesOrder" for t, _ in netsuite.calls)


def test_it_stops_at_a_blocking_pre_sale_gate_before_any_write() -> None:
    netsuite = FakeNetSuite()
    gates = Gates(
        pre_sale=lambda graph: GateOutcome(blocked=True, reason="Discount needs approval", rule="R-7")
    )
    outcome = writer(netsuite, gates=gates).sync(GRAPHS[0])
    assert outcome.status == RecordStatus.BLOCKED and netsuite.calls == []
    (failure,) = outcome.failures
    assert (failure.category, failure.message, failure.object_key) == (
        "rule",
        "Discount needs approval",
        "R-7",
    )


def test_it_stops_at_a_blocking_post_sale_check_on_one_payload() -> None:
    def no_orders(payload: ObjectPayload) -> GateOutcome:
        return GateOutcome(blocked=payload.target_type == "salesOrder", reason="order total off")

    netsuite = FakeNetSuite()
    outcome = writer(netsuite, gates=Gates(pre_sale=passing, post_sale=no_orders)).sync(GRAPHS[0])
    assert outcome.status == RecordStatus.BLOCKED
    assert ("salesOrder", GRAPHS[0]["Id"]) not in netsuite.calls
    assert outcome.failures[0].object_key == "sales_order"


def test_it_reports_a_mapping_problem_with_the_object_and_field() -> None:
    graph = {**GRAPHS[0], "Account": {**GRAPHS[0]["Account"], "Name": ""}}
    outcome = writer(FakeNetSuite()).sync(graph)
    assert outcome.status == RecordStatus.FAILED
    (failure,) = outcome.failures
    assert (failure.category, failure.object_key, failure.field_id) == ("mapping", "customer", "company_name")


def test_it_does_not_overwrite_an_existing_create_only_record() -> None:
    graph = next(g for g in GRAPHS if g["primary_quote"] and len(g["primary_quote"]["lines"]) > 1)
    netsuite = FakeNetSuite()
    outcome = writer(netsuite).sync(graph)
    plans = [c for c in netsuite.calls if c[0] == "subscriptionPlan"]
    netsuite.calls.clear()
    again = writer(netsuite).sync(graph)  # no cross-references known: NetSuite is asked
    assert plans and not any(c[0] == "subscriptionPlan" for c in netsuite.calls)
    assert again.netsuite_ids == outcome.netsuite_ids


def test_payload_hash_ignores_key_order() -> None:
    assert payload_hash("customer", {"a": 1, "b": 2}) == payload_hash("customer", {"b": 2, "a": 1})
    assert payload_hash("customer", {"a": 1}) != payload_hash("contact", {"a": 1})


@pytest.mark.parametrize("attempt", [1, 2, 3, 10])
def test_retry_delay_is_bounded_and_jittered(attempt: int) -> None:
    retry = RetrySettings(base_seconds=2, max_seconds=30)
    ceiling = min(30, 2 * 2 ** (attempt - 1))
    assert ceiling / 2 <= retry.delay(attempt) <= ceiling


def test_it_does_not_write_for_a_change_in_create_only_fields_alone() -> None:
    netsuite = FakeNetSuite()
    graph = GRAPHS[0]
    first = writer(netsuite).sync(graph)
    known = {(w.netsuite_type, w.external_id): Known(w.netsuite_id, w.payload_hash) for w in first.written}
    netsuite.calls.clear()
    moved = {**graph, "Account": {**graph["Account"], "BillingStreet": "1 New Street"}}
    again = writer(netsuite, known=known).sync(moved)
    assert again.status == RecordStatus.SYNCED and netsuite.calls == []


def test_every_upsert_names_the_sublists_its_body_carries_in_replace() -> None:
    netsuite = FakeNetSuite()
    graph = next(g for g in GRAPHS if g["primary_quote"])
    first = writer(netsuite).sync(graph)
    assert first.status == RecordStatus.SYNCED
    named = dict(netsuite.replaced)
    # A new customer carries its billing address line; plans carry members; the order carries its lines.
    assert named["customer"] == ["addressBook"] and named["salesOrder"] == ["item"]
    assert named["subscriptionPlan"] == ["member"]
    assert named["contact"] == named["billingAccount"] == []
    assert named["subscription"] == ["subscriptionLine"]  # a new subscription carries its lines
    # The deal changes after it synced: the order's update body carries its lines, named again; the
    # known customer's update body carries no address line, so names none.
    known = {(w.netsuite_type, w.external_id): Known(w.netsuite_id, w.payload_hash) for w in first.written}
    first_line, *other_lines = graph["primary_quote"]["lines"]
    changed_lines = [{**first_line, "SBQQ__Quantity__c": first_line["SBQQ__Quantity__c"] + 1}, *other_lines]
    changed = {
        **graph,
        "Name": graph["Name"] + " (changed)",
        "Account": {**graph["Account"], "Phone": "+1 555 0199"},
        "primary_quote": {**graph["primary_quote"], "lines": changed_lines},
    }
    netsuite.replaced.clear()
    again = writer(netsuite, known=known).sync(changed)
    assert again.status == RecordStatus.SYNCED
    assert ("salesOrder", ["item"]) in netsuite.replaced and ("customer", []) in netsuite.replaced
