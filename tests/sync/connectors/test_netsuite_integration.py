"""The NetSuite connector against the seeded simulator over HTTPS (token-based auth, real answers)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from simulators.core.runner import RunningSimulator
from sync.connectors.errors import ConnectorError
from sync.connectors.netsuite import NetSuiteConnector
from sync.connectors.transport import RequestRecord
from sync.models import Connection
from sync.services.connections import netsuite_connector
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


def test_a_retried_order_upsert_replaces_its_lines(ns: NetSuiteConnector) -> None:
    customer_id = ns.upsert("customer", "SF-ACC-2", CUSTOMER)
    order = {
        "entity": {"id": customer_id},
        "item": {
            "items": [
                {"item": {"externalId": "PLAT-CORE"}, "quantity": 10},
                {"item": {"externalId": "SVC-ONB"}, "quantity": 1, "rate": 4000},
            ]
        },
    }
    order_id = ns.upsert("salesOrder", "SF-OPP-1", order, replace="item")
    assert ns.upsert("salesOrder", "SF-OPP-1", order, replace="item") == order_id
    assert _lines(ns, order_id) == [("PLAT-CORE", 10), ("SVC-ONB", 1)]
    # What replace= prevents: without it NetSuite appends the re-sent lines.
    ns.upsert("salesOrder", "SF-OPP-1", order)
    assert len(_lines(ns, order_id)) == 4


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
    assert len(records) == 1  # permanent: not retried


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
    assert [record.status for record in seen] == [int(kind), 204]
    stats: dict[str, Any] = https_session(netsuite.ca_file).get(netsuite.url + "/_control/stats").json()
    assert stats["counters"][f"fault_{kind}"] == 1
