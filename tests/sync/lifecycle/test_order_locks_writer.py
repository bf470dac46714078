"""The writer's lock check (unit, no database): an order NetSuite has moved on is read, not written; a
deal whose order is open is written as before; an unchanged deal reads nothing."""

from __future__ import annotations

from typing import Any

from sync.lifecycle.locks import order_lock_checker
from sync.lifecycle.models import LockFrom
from sync.pipeline.models import FailureCategory, RecordStatus
from sync.pipeline.writer import Known
from tests.sync.pipeline.test_writer import GRAPHS, FakeNetSuite, writer


def first_sync(netsuite: FakeNetSuite, graph: dict[str, Any]) -> dict[tuple[str, str], Known]:
    outcome = writer(netsuite).sync(graph)
    assert outcome.status == RecordStatus.SYNCED
    return {(w.netsuite_type, w.external_id): Known(w.netsuite_id, w.payload_hash) for w in outcome.written}


def test_a_billed_order_is_not_updated_and_the_failure_names_it() -> None:
    netsuite = FakeNetSuite()
    graph = GRAPHS[0]
    known = first_sync(netsuite, graph)
    netsuite.calls.clear()
    reads: list[tuple[str, str]] = []

    def read(kind: str, pk: str) -> dict[str, Any]:
        reads.append((kind, pk))
        return {"id": pk, "orderStatus": {"id": "G", "refName": "Billed"}}

    changed = {**graph, "Name": graph["Name"] + " (more seats)"}
    outcome = writer(
        netsuite, known=known, order_lock=order_lock_checker(read, lock_from=LockFrom.FULFILLED)
    ).sync(changed)
    assert outcome.status == RecordStatus.BLOCKED
    assert ("salesOrder", changed["Id"]) not in netsuite.calls  # no update sent
    order_id = known[("salesOrder", graph["Id"])].netsuite_id
    assert reads == [("salesOrder", order_id)]
    failure = outcome.failures[0]
    assert failure.category == FailureCategory.LOCKED and failure.vendor_code == "G"
    assert f"Sales order {order_id} is Billed in NetSuite" in failure.message
    assert failure.sent_value["salesOrder"] == order_id


def test_an_open_order_is_updated_and_an_unchanged_deal_reads_nothing() -> None:
    netsuite = FakeNetSuite()
    graph = GRAPHS[0]
    known = first_sync(netsuite, graph)
    netsuite.calls.clear()
    reads: list[str] = []

    def read(kind: str, pk: str) -> dict[str, Any]:
        reads.append(pk)
        return {"id": pk, "orderStatus": {"id": "B"}}

    check = order_lock_checker(read, lock_from=LockFrom.FULFILLED)
    assert writer(netsuite, known=known, order_lock=check).sync(graph).status == RecordStatus.SYNCED
    assert reads == [] and netsuite.calls == []
    changed = {**graph, "Name": graph["Name"] + " (more seats)"}
    assert writer(netsuite, known=known, order_lock=check).sync(changed).status == RecordStatus.SYNCED
    assert ("salesOrder", graph["Id"]) in netsuite.calls and len(reads) == 1
