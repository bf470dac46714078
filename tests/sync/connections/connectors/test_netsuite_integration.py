"""The NetSuite connector against the seeded simulator over HTTPS (token-based auth, real answers)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from simulators.core.runner import RunningSimulator
from sync.connections.connectors.errors import ConnectorError
from sync.connections.connectors.netsuite import NetSuiteConnector, sublists_in
from sync.connections.connectors.transport import RequestRecord
from sync.connections.models import Connection
from sync.connections.services import netsuite_connector
from tests.simulators.conftest import https_session

CUSTOMER = {"companyName": "Integration Test Ltd", "subsidiary": {"externalId": "US"}}


@pytest.fixture
def netsuite(seeded_simulators: tuple[RunningSimulator, RunningSimulator]) -> RunningSimulator:
    return seeded_simulators[1]


@pytest.fixture
def records(seeded_connections: tuple[Connection, Connection]) -> list[RequestRecord]:
    return []


@pytest.fixture
def ns(seeded_connections: tuple[Connection, Connection], records: list[RequestRecord]) -> NetSuiteConnector:
    return netsuite_connector(seeded_connections[1], observer=records.append)


def _lines(ns: NetSuiteConnector, order_id: str) -> list[tuple[str, float]]:
    items = ns.get("salesOrder", order_id, expand=True)["item"]["items"]
    return [(line["item"]["refName"], line["quantity"]) for line in items]


def test_it_creates_reads_patches_and_deletes_a_record(ns: NetSuiteConnector) -> None:
    customer_id = ns.create("customer", {**CUSTOMER, "email": "ap@example.com"})
    record = ns.get("customer", customer_id)
    assert record["companyName"] == "Integration Test Ltd" and record["subsidiary"]["id"] == "1"
    ns.patch("customer", customer_id, {"email": None, "phone": "+1 555 0100"})
    record = ns.get("customer", customer_id)
    assert "email" not in record or record["email"] in (None, "")
    assert record["phone"] == "+1 555 0100"
    ns.delete("customer", customer_id)
    with pytest.raises(ConnectorError) as gone:
        ns.get("customer", customer_id)
    assert (gone.value.status, gone.value.code, gone.value.transient) == (404, "NONEXISTENT_ID", False)


def test_an_external_id_upsert_is_idempotent(ns: NetSuiteConnector) -> None:
    first = ns.upsert("customer", "SF-ACC-1", CUSTOMER)
    second = ns.upsert("customer", "SF-ACC-1", {**CUSTOMER, "companyName": "Renamed Ltd"})
    assert first == second
    assert ns.get_by_external_id("customer", "SF-ACC-1") == {**ns.get("customer", first)}
    assert ns.get("customer", first)["companyName"] == "Renamed Ltd"
    assert len(list(ns.suiteql("SELECT id FROM customer WHERE externalid = 'SF-ACC-1'"))) == 1
    assert ns.get_by_external_id("customer", "SF-NOBODY") is None


ORDER_LINES = [
    {"item": {"externalId": "PLAT-CORE"}, "quantity": 10},
    {"item": {"externalId": "SVC-ONB"}, "quantity": 1, "rate": 4000},
]


def test_a_resent_order_upsert_replaces_its_lines_even_when_the_caller_names_none(
    ns: NetSuiteConnector,
) -> None:
    customer_id = ns.upsert("customer", "SF-ACC-2", CUSTOMER)
    order = {"entity": {"id": customer_id}, "item": {"items": ORDER_LINES}}
    order_id = ns.upsert("salesOrder", "SF-OPP-1", order, replace="item")
    assert ns.upsert("salesOrder", "SF-OPP-1", order, replace="item") == order_id
    assert _lines(ns, order_id) == [("PLAT-CORE", 10), ("SVC-ONB", 1)]
    # The simulator appends without replace= (tests/simulators), as NetSuite does; the connector names
    # every sublist a body carries, so no caller can forget it, on PUT, PATCH or POST alike.
    ns.upsert("salesOrder", "SF-OPP-1", order)
    ns.patch("salesOrder", order_id, {"item": {"items": ORDER_LINES[:1]}})
    assert _lines(ns, order_id) == [("PLAT-CORE", 10)]
    ns.patch("salesOrder", order_id, {"memo": "no lines sent"})
    assert _lines(ns, order_id) == [("PLAT-CORE", 10)]


def test_sublists_in_finds_the_sublists_a_body_carries() -> None:
    body = {"entity": {"id": "7"}, "item": {"items": []}, "member": {"items": None}, "memo": "x"}
    assert sublists_in(body) == ["item", "member"]
    assert sublists_in({"entity": {"id": "7"}, "subsidiary": {"externalId": "US"}}) == []


@pytest.mark.parametrize("kind", ["drop_after", "timeout_after"])
def test_an_order_upsert_retried_after_its_answer_was_lost_holds_its_lines_once(
    kind: str,
    seeded_connections: tuple[Connection, Connection],
    netsuite: RunningSimulator,
    ns: NetSuiteConnector,
) -> None:
    """The PUT lands, its answer never comes; the connector retries the same PUT, and the order still
    holds its lines once (without replace= the retry would append them a second time)."""
    connection = seeded_connections[1]
    connection.read_timeout = 2.0
    connection.save(update_fields=["read_timeout"])
    control = https_session(netsuite.ca_file)
    control.patch(netsuite.url + "/_control/governance", json={"timeout_seconds": 4.0}).raise_for_status()
    customer_id = ns.upsert("customer", "SF-ACC-3", CUSTOMER)
    order = {"entity": {"id": customer_id}, "item": {"items": ORDER_LINES}}
    order_id = ns.upsert("salesOrder", "SF-OPP-3", order)
    rule = {"kind": kind, "method": "PUT", "path_contains": "/salesOrder/eid:SF-OPP-3"}
    control.post(netsuite.url + "/_control/faults", json=rule).raise_for_status()
    seen: list[RequestRecord] = []
    connector = netsuite_connector(connection, observer=seen.append, limited=False)
    assert connector.upsert("salesOrder", "SF-OPP-3", order) == order_id
    # The connector's first request asks which account answers (a sandbox, as the connection says), then
    # the PUT: lost, then retried.
    assert [(record.operation, record.status) for record in seen[:1]] == [("environment check", 200)]
    assert [record.status for record in seen[1:]] == [None, 204]
    assert _lines(ns, order_id) == [("PLAT-CORE", 10), ("SVC-ONB", 1)]
    stats: dict[str, Any] = control.get(netsuite.url + "/_control/stats").json()
    assert stats["counters"][f"fault_{kind}"] == 1


def test_suiteql_follows_pages(ns: NetSuiteConnector, records: list[RequestRecord]) -> None:
    total = len(list(ns.suiteql("SELECT id FROM item")))
    assert total >= 10
    records.clear()
    rows = list(ns.suiteql("SELECT id, itemid FROM item ORDER BY id", page_size=3))
    assert len(rows) == total and len({row["id"] for row in rows}) == total
    assert len(records) == -(-total // 3) >= 4  # one request per page of 3
    assert all(record.operation == "suiteql" and record.status == 200 for record in records)


def test_a_bad_reference_is_permanent_with_its_error_path(
    ns: NetSuiteConnector, records: list[RequestRecord]
) -> None:
    with pytest.raises(ConnectorError) as caught:
        ns.upsert("salesOrder", "SF-OPP-BAD", {"entity": {"id": "999999"}, "item": {"items": []}})
    error = caught.value
    assert (error.status, error.code, error.path, error.transient) == (
        400,
        "INVALID_KEY_OR_REF",
        "entity",
        False,
    )
    # permanent: not retried (the first request was the connector's environment check)
    assert [record.operation for record in records][:1] == ["environment check"] and len(records) == 2


def _faults_once(netsuite: RunningSimulator, kind: str) -> Callable[[RequestRecord], None]:
    """Inject ``kind`` into every request, and switch it off once the first faulted answer arrived."""
    control = https_session(netsuite.ca_file)
    control.patch(
        netsuite.url + "/_control/governance", json={"fault_rate": 1.0, "fault_kinds": [kind]}
    ).raise_for_status()

    def heal(record: RequestRecord) -> None:
        if record.status == int(kind):
            control.patch(netsuite.url + "/_control/governance", json={"fault_rate": 0.0}).raise_for_status()

    return heal


@pytest.mark.parametrize("kind", ["503", "429"])
def test_injected_faults_are_retried_and_succeed(
    kind: str, seeded_connections: tuple[Connection, Connection], netsuite: RunningSimulator
) -> None:
    seen: list[RequestRecord] = []
    heal = _faults_once(netsuite, kind)

    def observe(record: RequestRecord) -> None:
        seen.append(record)
        heal(record)

    connector = netsuite_connector(seeded_connections[1], observer=observe)
    assert connector.upsert("customer", f"SF-FAULT-{kind}", CUSTOMER)
    # The fault hits the connector's first request, its environment check, which is retried like any read.
    assert [record.status for record in seen] == [int(kind), 200, 204]
    assert {record.operation for record in seen[:2]} == {"environment check"}
    stats: dict[str, Any] = https_session(netsuite.ca_file).get(netsuite.url + "/_control/stats").json()
    assert stats["counters"][f"fault_{kind}"] == 1
