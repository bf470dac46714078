"""External ids per integration, unit by unit: the one place payloads get theirs, the writer (upsert by
namespaced eid, a shared record by internal id), change orders, matching's shared candidates, and the
cross-references each integration reads."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

import pytest
from django.utils import timezone

from sync.catalogue.services import catalogue_dedup_key
from sync.connections.models import Connection
from sync.integrations.models import Integration
from sync.integrations.selectors import primary_integration
from sync.lifecycle.cancellations import cancellation_request, change_order_external_id
from sync.lifecycle.planning import Subscription, change_order_eid, plan_activation
from sync.mappings.engine import CachedDynamicLookup, ObjectPayload
from sync.mappings.engine.defaults import compile_default, default_lookups
from sync.matching.engine import Candidate, MatchStatus, classify, parse_match, subject_from_body
from sync.pipeline.cancellation_flow import cancellation_dedup_key, cancellation_key_of, netsuite_targets
from sync.pipeline.eids import EidScope, eid_scope, eid_scope_of, payload_namespaced
from sync.pipeline.failures import sync_dedup_key
from sync.pipeline.gates import GateOutcome, Gates
from sync.pipeline.inbox import inbox_add
from sync.pipeline.models import CrossReference, InboxMessage, InboxSource, RecordStatus
from sync.pipeline.return_graphs import ReturnOwnership
from sync.pipeline.returns import return_dedup_key
from sync.pipeline.writer import BatchWriter, Known, RetrySettings
from tests.sync.mappings.engine.graphs import dataset_graphs, item_fetch

GRAPHS = [graph for _, opportunity, graph in dataset_graphs(accounts=4) if graph.get("IsWon")]
MAPPING = compile_default("opportunity_to_netsuite")
ACQ = EidScope(integration_id=2, namespace="ACQ", others=(), is_primary=False)
PRIMARY = EidScope(integration_id=1, namespace="", others=("ACQ",), is_primary=True)


def payload(mode: str = "upsert", *, field: str | None = None) -> ObjectPayload:
    body: dict[str, Any] = {"companyName": "Acme"}
    if field:
        body[field] = "001A"
    return ObjectPayload("customer", "customer", mode, "001A", field, "customer", "001A", body)


def test_a_payload_gets_the_integrations_namespace_and_the_primary_leaves_it_alone() -> None:
    assert payload_namespaced(payload(), "ACQ").external_id == "ACQ-001A"
    assert payload_namespaced(payload(), "").external_id == "001A"
    carried = payload_namespaced(payload(field="externalId"), "ACQ")
    assert (carried.external_id, carried.body["externalId"]) == ("ACQ-001A", "ACQ-001A")
    # The account's catalogue (create-only plans keyed by product code) is every integration's.
    assert payload_namespaced(payload("create_only"), "ACQ").external_id == "001A"


def test_whose_external_id_it_is() -> None:
    assert ACQ.owns("ACQ-006X") and not ACQ.owns("006X") and not ACQ.owns("")
    assert ACQ.foreign("006X") and not ACQ.foreign("ACQ-006X") and not ACQ.foreign("")
    assert PRIMARY.owns("006X") and not PRIMARY.owns("ACQ-006X")
    assert PRIMARY.foreign("ACQ-006X") and not PRIMARY.foreign("006X")
    assert ACQ.eid("BA-001-USD") == "ACQ-BA-001-USD" and PRIMARY.eid("BA-001-USD") == "BA-001-USD"
    assert ACQ.suiteql_owned() == "externalid LIKE 'ACQ-%'"
    assert PRIMARY.suiteql_owned("s.externalid") == "s.externalid NOT LIKE 'ACQ-%'"


def test_change_orders_and_cancellations_carry_the_namespace() -> None:
    assert change_order_eid("006X", "77", "ACTIVATE", 0) == "CO-006X-77-ACTIVATE-0"
    assert change_order_eid("006X", "77", "ACTIVATE", 0, namespace="ACQ") == "ACQ-CO-006X-77-ACTIVATE-0"
    assert change_order_external_id("006X", "77", namespace="ACQ") == "ACQ-CO-006X-77-TERMINATE-0"
    order = plan_activation("006X", Subscription("77", "DRAFT", "2026-01-01", "2026-12-31"), namespace="ACQ")
    assert order is not None and order.external_id == "ACQ-CO-006X-77-ACTIVATE-0"
    assert order.body()["externalId"] == "ACQ-CO-006X-77-ACTIVATE-0"


def test_matching_keeps_another_integrations_record_as_a_candidate_to_share() -> None:
    config = parse_match({"keys": [{"kind": "company_name", "name": "companyName"}]}, target="customer")
    subject = subject_from_body(
        config=config, salesforce_id="001A", external_id="ACQ-001A", body={"companyName": "Acme Corp"}
    )
    theirs = Candidate("customer", "501", external_id="001A", name="Acme Corp")
    alone = classify(subject=subject, config=config, candidates=[theirs])
    assert alone.status == MatchStatus.UNMATCHED  # another Salesforce record's, as before
    shared = classify(subject=subject, config=config, candidates=[theirs], shareable=ACQ.foreign)
    assert shared.status == MatchStatus.LINKED and shared.candidate == theirs
    # The integration's own other record stays another Salesforce record's.
    mine = Candidate("customer", "502", external_id="ACQ-001B", name="Acme Corp")
    own = classify(subject=subject, config=config, candidates=[mine], shareable=ACQ.foreign)
    assert own.status == MatchStatus.UNMATCHED


class FakeNetSuite:
    def __init__(self) -> None:
        self.upserts: list[tuple[str, str]] = []
        self.patches: list[tuple[str, str, dict[str, Any]]] = []
        self.records: dict[tuple[str, str], str] = {}
        self.lock = threading.Lock()

    def upsert(
        self, record_type: str, external_id: str, body: dict[str, Any], *, replace: list[str] | None = None
    ) -> str:
        with self.lock:
            self.upserts.append((record_type, external_id))
            return self.records.setdefault((record_type, external_id), str(len(self.records) + 100))

    def patch(
        self, record_type: str, record_id: str, body: dict[str, Any], *, replace: list[str] | None = None
    ) -> None:
        with self.lock:
            self.patches.append((record_type, record_id, body))

    def get_by_external_id(self, record_type: str, external_id: str) -> dict[str, Any] | None:
        found = self.records.get((record_type, external_id))
        return {"id": found} if found else None


def passing(_: Any) -> GateOutcome:
    return GateOutcome()


def writer(netsuite: FakeNetSuite, **kwargs: Any) -> BatchWriter:
    lookups = default_lookups(netsuite_item_by_sku=CachedDynamicLookup(item_fetch))
    return BatchWriter(
        mapping=MAPPING,
        lookups=lookups,
        netsuite=netsuite,
        retry=RetrySettings(attempts=1),
        sleep=lambda s: None,
        gates=Gates(pre_sale=passing, post_sale=passing),
        **kwargs,
    )


def test_the_writer_upserts_every_record_by_the_integrations_external_id() -> None:
    graph = next(g for g in GRAPHS if g["primary_quote"])
    netsuite = FakeNetSuite()
    outcome = writer(netsuite, known={}, namespace="ACQ").sync(graph)
    assert outcome.status == RecordStatus.SYNCED, outcome.failures
    by_type = {record_type: eid for record_type, eid in netsuite.upserts}
    assert by_type["customer"] == f"ACQ-{graph['AccountId']}"
    assert by_type["salesOrder"] == f"ACQ-{graph['Id']}"
    assert by_type["billingAccount"].startswith(f"ACQ-BA-{graph['AccountId']}-")
    assert by_type["subscription"].startswith("ACQ-SUB-")
    assert not by_type["subscriptionPlan"].startswith("ACQ-")  # the account's catalogue
    assert {w.external_id for w in outcome.written if w.netsuite_type == "salesOrder"} == {
        f"ACQ-{graph['Id']}"
    }
    # The primary integration's ids are as they always were.
    primary = FakeNetSuite()
    writer(primary, known={}).sync(graph)
    assert ("salesOrder", graph["Id"]) in primary.upserts


def test_a_shared_record_is_updated_by_internal_id_and_never_re_keyed() -> None:
    graph = next(g for g in GRAPHS if g["primary_quote"])
    netsuite = FakeNetSuite()
    known = {("customer", f"ACQ-{graph['AccountId']}"): Known("501", "", shared=True)}
    outcome = writer(netsuite, known=known, namespace="ACQ").sync(graph)
    assert outcome.status == RecordStatus.SYNCED, outcome.failures
    assert not [call for call in netsuite.upserts if call[0] == "customer"]
    [(record_type, record_id, body)] = [call for call in netsuite.patches if call[0] == "customer"]
    assert (record_type, record_id) == ("customer", "501")
    assert "externalId" not in body and "subsidiary" not in body  # the update body: create-only left out
    [written] = [w for w in outcome.written if w.netsuite_type == "customer"]
    assert (written.netsuite_id, written.shared, written.external_id) == (
        "501",
        True,
        f"ACQ-{graph['AccountId']}",
    )
    # Later records refer to the shared customer by its internal id.
    assert outcome.netsuite_ids["customer"] == "501"


def connection(name: str, kind: str) -> Connection:
    return Connection.objects.create(
        name=name,
        kind=kind,
        environment="production",
        base_url=f"https://{name}.example.com",
        auth_method="sf_password" if kind == "salesforce" else "ns_token",
    )


@pytest.mark.django_db
def test_each_integration_reads_its_own_cross_references() -> None:
    ns, sf_b = connection("ns", "netsuite"), connection("sf-b", "salesforce")
    primary = primary_integration()
    acme = Integration.objects.create(
        name="acme", label="Acme", namespace="ACQ", salesforce_connection=sf_b, netsuite_connection=ns
    )
    now = timezone.now()

    def xref(integration: Integration | None, external_id: str, netsuite_id: str) -> CrossReference:
        return CrossReference.objects.create(
            netsuite_connection=ns,
            integration=integration,
            netsuite_type="salesOrder",
            external_id=external_id,
            netsuite_id=netsuite_id,
            salesforce_id="006X",
            object_key="sales_order",
            payload_hash="",
            synced_at=now - dt.timedelta(minutes=1),
        )

    old = xref(None, "006X", "1")  # written before integrations existed: the primary's
    mine = xref(primary, "006Y", "2")
    theirs = xref(acme, "ACQ-006X", "3")
    assert set(eid_scope_of(primary).xrefs()) == {old, mine}
    assert set(eid_scope(sf_b.pk, ns.pk).xrefs()) == {theirs}
    assert eid_scope(sf_b.pk, ns.pk).others == ()
    assert eid_scope(None, ns.pk).others == ("ACQ",)


def test_exception_keys_of_another_integrations_opportunity_carry_its_namespace() -> None:
    assert sync_dedup_key(netsuite_connection_id=3, opportunity_id="006X") == "sync:3:006X"
    assert (
        sync_dedup_key(netsuite_connection_id=3, opportunity_id="006X", namespace="ACQ") == "sync:3:ACQ-006X"
    )
    assert cancellation_dedup_key(netsuite_connection_id=3, opportunity_id="006X") == "cancel:3:006X"
    assert (
        cancellation_dedup_key(netsuite_connection_id=3, opportunity_id="006X", namespace="ACQ")
        == "cancel:3:ACQ-006X"
    )


def test_exception_keys_of_a_netsuite_record_brought_back_are_per_integration() -> None:
    # A record two integrations share (a customer, the account's items) fails for each on its own; the
    # primary's keys keep their shape, so its open exceptions still dedupe.
    source = ("customer", "41")
    assert return_dedup_key(netsuite_connection_id=3, source=source) == "return:3:customer:41"
    assert (
        return_dedup_key(netsuite_connection_id=3, source=source, namespace="ACQ")
        == "return:3:ACQ:customer:41"
    )
    assert catalogue_dedup_key(3, "7") == "catalogue:3:item:7"
    assert catalogue_dedup_key(3, "7", "ACQ") == "catalogue:3:ACQ:item:7"


class FakeReader:
    """CachedReader's call: NetSuite records by (type, id)."""

    def __init__(self, records: dict[tuple[str, str], dict[str, Any]]) -> None:
        self.records = records
        self.reads: list[tuple[str, str]] = []

    def __call__(self, record_type: str, record_id: str, expand: bool | None = None) -> dict[str, Any]:
        self.reads.append((record_type, record_id))
        return self.records[(record_type, record_id)]


@pytest.mark.django_db
def test_the_return_flow_owns_records_by_their_own_their_orders_or_their_customers_external_id() -> None:
    records = {
        ("salesOrder", "10"): {"id": "10", "externalId": "006X"},
        ("salesOrder", "11"): {"id": "11", "externalId": "ACQ-006X"},
        ("customer", "20"): {"id": "20", "externalId": "001A"},
        ("customer", "21"): {"id": "21", "externalId": "ACQ-001A"},
        ("customer", "22"): {"id": "22"},  # made by hand: the primary's, as before integrations
    }
    reader = FakeReader(records)

    def owns(scope: EidScope, record_type: str, graph: dict[str, Any]) -> bool:
        return ReturnOwnership(scope, reader, 1).owns(record_type, graph)  # type: ignore[arg-type]

    invoice_a = {"id": "30", "createdFrom": {"id": "10"}, "entity": {"id": "21"}}
    invoice_b = {"id": "31", "createdFrom": {"id": "11"}, "entity": {"id": "20"}}
    assert owns(PRIMARY, "invoice", invoice_a) and not owns(ACQ, "invoice", invoice_a)
    assert owns(ACQ, "invoice", invoice_b) and not owns(PRIMARY, "invoice", invoice_b)
    payment_b = {"id": "40", "entity": {"id": "20"}, "apply": {"items": [{"invoice": invoice_b}]}}
    assert owns(ACQ, "customerPayment", payment_b) and not owns(PRIMARY, "customerPayment", payment_b)
    memo_a = {"id": "50", "entity": {"id": "21"}, "invoice": invoice_a}
    assert owns(PRIMARY, "creditMemo", memo_a) and not owns(ACQ, "creditMemo", memo_a)
    # No order to go by: the customer decides.
    refund = {"id": "60", "customer": {"id": "21"}}
    assert owns(ACQ, "customerRefund", refund) and not owns(PRIMARY, "customerRefund", refund)
    assert owns(PRIMARY, "customer", records[("customer", "22")])
    assert not owns(ACQ, "customer", records[("customer", "22")])
    assert owns(ACQ, "subscription", {"id": "70", "externalId": "ACQ-SUB-0QL1"})
    assert not owns(PRIMARY, "subscription", {"id": "70", "externalId": "ACQ-SUB-0QL1"})


@pytest.mark.django_db
def test_the_same_event_id_from_two_orgs_is_two_inbox_messages_and_a_redelivery_stays_one() -> None:
    ns, sf_a, sf_b = (
        connection("ns", "netsuite"),
        connection("sf-a", "salesforce"),
        connection("sf-b", "salesforce"),
    )
    Integration.objects.create(
        name="acme", label="Acme", namespace="ACQ", salesforce_connection=sf_b, netsuite_connection=ns
    )

    def event(org: Connection) -> InboxMessage:
        return InboxMessage(
            notification_id="poll:006X:2026-12-07T01:00:00Z",
            source=InboxSource.POLL,
            salesforce_connection=org,
            netsuite_connection=ns,
            record_id="006X",
        )

    assert inbox_add([event(sf_a), event(sf_b)]) == 2
    assert inbox_add([event(sf_a), event(sf_b)]) == 0  # redelivered: nothing new
    assert set(InboxMessage.objects.values_list("salesforce_connection_id", "notification_id")) == {
        (sf_a.pk, "poll:006X:2026-12-07T01:00:00Z"),
        (sf_b.pk, "ACQ-poll:006X:2026-12-07T01:00:00Z"),
    }


@pytest.mark.django_db
def test_a_cancellation_finds_and_is_recorded_for_its_own_orgs_deal_only() -> None:
    ns, sf_a, sf_b = (
        connection("ns", "netsuite"),
        connection("sf-a", "salesforce"),
        connection("sf-b", "salesforce"),
    )
    acme = Integration.objects.create(
        name="acme", label="Acme", namespace="ACQ", salesforce_connection=sf_b, netsuite_connection=ns
    )
    for integration, external_id, order in ((primary_integration(), "006X", "10"), (acme, "ACQ-006X", "11")):
        CrossReference.objects.create(
            netsuite_connection=ns,
            integration=integration,
            netsuite_type="salesOrder",
            external_id=external_id,
            netsuite_id=order,
            salesforce_id="006X",
            object_key="sales_order",
            payload_hash="",
            synced_at=timezone.now(),
        )
    graphs = {"006X": {"Id": "006X"}}
    assert netsuite_targets(sf_a, ns, graphs) == {"006X": ("10", [])}
    assert netsuite_targets(sf_b, ns, graphs) == {"006X": ("11", [])}
    # One cancellation per org of the same opportunity id, each with its own order and exception key.
    rows = [
        cancellation_request(
            netsuite_connection_id=ns.pk,
            salesforce_connection_id=org.pk,
            opportunity_id="006X",
            reason="lost",
            sales_order_id=order,
            subscription_ids=[],
            effective=dt.date(2026, 12, 7),
        )[0]
        for org, order in ((sf_a, "10"), (sf_b, "11"))
    ]
    assert [(row.salesforce_connection_id, row.sales_order_id) for row in rows] == [
        (sf_a.pk, "10"),
        (sf_b.pk, "11"),
    ]
    assert [cancellation_key_of(row) for row in rows] == [f"cancel:{ns.pk}:006X", f"cancel:{ns.pk}:ACQ-006X"]
