"""BatchWriter: the payloads of one mapping object (an opportunity's contacts) go side by side, and the
outcome reads as if they had gone one by one (unit, NetSuite double)."""

from __future__ import annotations

import copy
import threading
from typing import Any

from sync.connections.connectors.errors import ConnectorError
from sync.pipeline.models import RecordStatus
from tests.sync.pipeline.test_writer import GRAPHS, FakeNetSuite, writer


def with_contacts(count: int) -> dict[str, Any]:
    """A won opportunity of the data set with ``count`` contact roles (its own, copied as other people)."""
    graph = copy.deepcopy(next(g for g in GRAPHS if g["primary_quote"]))
    first = graph["OpportunityContactRoles"]["records"][0]
    roles = []
    for n in range(count):
        role = copy.deepcopy(first)
        role["ContactId"] = f"003S0000000000{n:04d}"
        role["IsPrimary"] = n == 0
        role["Contact"]["LastName"] += f" {n}"
        role["Contact"]["Email"] = f"person{n}@" + first["Contact"]["Email"].split("@")[1]
        roles.append(role)
    graph["OpportunityContactRoles"] = {"totalSize": count, "done": True, "records": roles}
    return graph


class OverlapNetSuite(FakeNetSuite):
    """Holds each contact write until ``expected`` of them are in flight at once (or a timeout), and
    observes each write as the connector would (in the calling thread)."""

    def __init__(self, expected: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.expected = expected
        self.in_flight = 0
        self.most = 0
        self.together = threading.Condition()
        self.threads: set[str] = set()
        self.observer: Any = None

    def upsert(
        self, record_type: str, external_id: str, body: dict[str, Any], *, replace: list[str] | None = None
    ) -> str:
        if record_type != "contact":
            return super().upsert(record_type, external_id, body, replace=replace)
        with self.together:
            self.in_flight += 1
            self.most = max(self.most, self.in_flight)
            self.threads.add(threading.current_thread().name)
            self.together.notify_all()
            self.together.wait_for(lambda: self.in_flight >= self.expected, timeout=5)
        try:
            if self.observer is not None:
                self.observer({"method": "PUT", "url": f"record/v1/contact/eid:{external_id}"})
            return super().upsert(record_type, external_id, body, replace=replace)
        finally:
            with self.together:
                self.in_flight -= 1


def contact_ids(graph: dict[str, Any]) -> list[str]:
    return [str(role["ContactId"]) for role in graph["OpportunityContactRoles"]["records"]]


def test_an_opportunitys_contacts_are_written_side_by_side_in_order_on_the_record() -> None:
    graph = with_contacts(3)
    contacts = len(contact_ids(graph))
    netsuite = OverlapNetSuite(contacts)
    batch = writer(netsuite)
    netsuite.observer = batch.observe
    outcome = batch.sync(graph)
    assert outcome.status == RecordStatus.SYNCED
    assert netsuite.most == contacts  # all in flight at once, not one after the other
    assert len(netsuite.threads) == contacts
    written = [w for w in outcome.written if w.netsuite_type == "contact"]
    assert [w.external_id for w in written] == [
        w.external_id for w in sorted(written, key=lambda w: contact_ids(graph).index(w.salesforce_id))
    ]
    assert len(written) == contacts and outcome.writes == len(netsuite.calls)
    # The exchanges are the record's, in payload order, whichever thread made them.
    urls = [e["url"] for e in outcome.exchanges]
    assert urls == [f"record/v1/contact/eid:{w.external_id}" for w in written]
    # The contacts' ids are the refs of what follows (the billing account and the order were written).
    assert {t for t, _ in netsuite.calls} >= {"customer", "contact", "billingAccount", "salesOrder"}


def test_a_failed_contact_fails_the_record_after_the_others_are_written_and_recorded() -> None:
    graph = with_contacts(3)
    contacts = len(contact_ids(graph))
    refused = ConnectorError(
        "netsuite", False, "Invalid field value", code="INVALID_CONTENT", path="email", status=400
    )
    netsuite = OverlapNetSuite(contacts, fail={"contact": [refused]})
    outcome = writer(netsuite).sync(graph)
    assert outcome.status == RecordStatus.FAILED
    failure = outcome.failures[0]
    assert failure.object_key == "contact" and failure.vendor_code == "INVALID_CONTENT"
    assert failure.error_path == "email"
    # The writes that went through are on the record (their cross-references get stored); nothing after
    # the contacts was written.
    assert len([w for w in outcome.written if w.netsuite_type == "contact"]) == contacts - 1
    assert [t for t, _ in netsuite.calls if t != "contact"] == ["customer"]


def test_a_transient_fault_of_one_contact_retries_the_record_and_ends_synced() -> None:
    graph = with_contacts(3)
    busy = ConnectorError(
        "netsuite", True, "Concurrent request limit exceeded", code="CONCURRENCY_LIMIT_EXCEEDED"
    )
    netsuite = OverlapNetSuite(1, fail={"contact": [busy]})
    outcome = writer(netsuite).sync(graph)
    assert outcome.status == RecordStatus.SYNCED and outcome.attempts == 2
    assert {w.external_id for w in outcome.written if w.netsuite_type == "contact"} == {
        eid for t, eid in netsuite.records if t == "contact"
    }
