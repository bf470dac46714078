"""Exceptions carry their subsidiary from a real pipeline run (simulators over HTTPS), and a finance user
granted one subsidiary sees exactly its exceptions in the queue, the API and the trace export.

Transactional: the worker threads take NetSuite request slots through the database limiter.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from core.roles import FINANCE
from governance.personas import Persona
from governance.services import persona_ensure
from simulators.core.runner import RunningSimulator
from sync.connections.connectors.salesforce import SalesforceConnector
from sync.connections.models import Connection
from sync.exceptions.models import ExceptionItem, Subsidiary
from sync.exceptions.permissions import subsidiary_scope_grant
from sync.mappings.engine.defaults import load_default_lookups
from sync.pipeline.gates import GateOutcome, Gates
from sync.pipeline.models import JobStatus
from sync.pipeline.returns import return_flow_run
from sync.pipeline.runner import run_batch
from tests.api_support import token_client
from tests.sync.full_graph import FULL_GRAPH
from tests.sync.pipeline.conftest import THREADED_DB
from tests.sync.pipeline.test_matching import one_per_account, scenario  # noqa: F401
from tests.sync.pipeline.test_returns import control

pytestmark = THREADED_DB

SUBSIDIARY_OF = load_default_lookups()["country_to_subsidiary"]


def _blocking(opportunity_ids: set[str]) -> Gates:
    def gate(graph: dict[str, Any]) -> GateOutcome:
        if graph["Id"] in opportunity_ids:
            return GateOutcome(blocked=True, reason="Needs a finance review", rule="review v1")
        return GateOutcome()

    return Gates(pre_sale=gate)


def _signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _listed(client: Client) -> set[int]:
    page = client.get(reverse("sync:exceptions")).content.decode()
    return {int(found) for found in re.findall(r'id="exception-(\d+)"', page)}


def _api(user: User) -> set[int]:
    return {row["id"] for row in token_client(user).get("/api/v1/exceptions/").json()["results"]}


def _exported(client: Client, opportunity_id: str) -> set[int]:
    response = client.get(reverse("governance:trace-export", args=["json"]), {"q": opportunity_id})
    return {item["id"] for item in response.json()["exceptions"]}


def test_it_places_pipeline_exceptions_in_their_subsidiaries_and_scopes_finance_to_them(
    seeded_connections: tuple[Connection, Connection],
    sf: SalesforceConnector,
    finance: User,
    auditor: User,
) -> None:
    salesforce, netsuite = seeded_connections
    graphs = sf.fetch_opportunity_graphs(one_per_account(sf), FULL_GRAPH)
    by_subsidiary: dict[str, list[str]] = {}
    for graph in graphs.values():
        by_subsidiary.setdefault(SUBSIDIARY_OF[graph["Account"]["BillingCountry"]], []).append(graph["Id"])
    (first_sub, first_ids), (second_sub, second_ids) = sorted(by_subsidiary.items())[:2]
    first, second = first_ids[0], second_ids[0]
    passing = next(i for ids in by_subsidiary.values() for i in ids if i not in (first, second))

    job = run_batch(
        salesforce=salesforce,
        netsuite=netsuite,
        opportunity_ids=[first, second, passing],
        gates=_blocking({first, second}),
    )
    assert job.status == JobStatus.PARTIAL
    items = {item.retry_kwargs["opportunity_id"]: item for item in ExceptionItem.objects.all()}
    assert set(items) == {first, second}
    for opportunity_id, subsidiary_id in ((first, first_sub), (second, second_sub)):
        subsidiary = items[opportunity_id].subsidiary
        assert subsidiary is not None, opportunity_id
        assert (subsidiary.netsuite_connection, subsidiary.netsuite_id) == (netsuite, subsidiary_id)

    # Each finance user is granted one subsidiary: the queue, the API and the export show exactly its own.
    other = persona_ensure(persona=Persona("finance2", "Fay", "Finance", FINANCE), password="pw-finance-2")
    subsidiary_scope_grant(holder=finance, subsidiary=items[first].subsidiary)
    subsidiary_scope_grant(holder=other, subsidiary=items[second].subsidiary)
    for user, mine, theirs in ((finance, first, second), (other, second, first)):
        user = User.objects.get(pk=user.pk)
        client = _signed_in(user)
        assert _listed(client) == {items[mine].pk}
        assert _api(user) == {items[mine].pk}
        assert client.get(reverse("sync:exception", args=[items[theirs].pk])).status_code == 404
        assert _exported(client, mine) == {items[mine].pk}
        assert _exported(client, theirs) == set()
    assert _api(auditor) == {items[first].pk, items[second].pk}

    # The second day: the same failures again count on the same exceptions, in the same subsidiaries.
    run_batch(
        salesforce=salesforce,
        netsuite=netsuite,
        opportunity_ids=[first, second],
        gates=_blocking({first, second}),
    )
    again = {item.retry_kwargs["opportunity_id"]: item for item in ExceptionItem.objects.all()}
    assert {i: (x.pk, x.subsidiary_id, x.occurrence_count) for i, x in again.items()} == {
        i: (x.pk, x.subsidiary_id, 2) for i, x in items.items()
    }
    assert Subsidiary.objects.filter(netsuite_connection=netsuite).count() == 2


def test_it_places_every_exception_of_a_connection_without_oneworld_in_its_single_entity(
    seeded_connections: tuple[Connection, Connection], sf: SalesforceConnector, finance: User
) -> None:
    salesforce, netsuite = seeded_connections
    Connection.objects.filter(pk=netsuite.pk).update(single_entity=True)
    netsuite.refresh_from_db()
    ids = one_per_account(sf)[:3]
    run_batch(salesforce=salesforce, netsuite=netsuite, opportunity_ids=ids, gates=_blocking(set(ids)))
    entity = Subsidiary.objects.get(netsuite_connection=netsuite)
    assert entity.netsuite_id == "" and "single entity" in entity.name
    assert set(ExceptionItem.objects.values_list("subsidiary", flat=True)) == {entity.pk}
    subsidiary_scope_grant(holder=finance, subsidiary=entity)
    assert _listed(_signed_in(User.objects.get(pk=finance.pk))) == set(
        ExceptionItem.objects.values_list("pk", flat=True)
    )


def test_it_places_duplicate_suspects_in_the_subsidiary_of_the_record_to_match(
    seeded_connections: tuple[Connection, Connection],
    scenario: dict[str, Any],  # noqa: F811
) -> None:
    salesforce, netsuite = seeded_connections
    run_batch(salesforce=salesforce, netsuite=netsuite, opportunity_ids=scenario["ids"])
    suspects = ExceptionItem.objects.filter(category__key="duplicate_suspect").select_related("subsidiary")
    assert suspects.count() >= 3
    accounts = scenario["accounts"]
    countries = {account["Id"]: account["BillingCountry"] for account in accounts.values()}
    countries[scenario["contact_twice_id"]] = accounts["contact_twice"]["BillingCountry"]
    for item in suspects:
        expected = SUBSIDIARY_OF[countries[item.details["match"]["salesforce_id"]]]
        assert item.subsidiary is not None, item.title
        assert (item.subsidiary.netsuite_connection_id, item.subsidiary.netsuite_id) == (
            netsuite.pk,
            expected,
        )


def test_it_places_a_return_flow_exception_in_the_subsidiary_of_the_netsuite_record(
    seeded_connections: tuple[Connection, Connection],
    seeded_simulators: tuple[RunningSimulator, RunningSimulator],
    sf: SalesforceConnector,
) -> None:
    salesforce, netsuite = seeded_connections
    deal = one_per_account(sf)[0]
    country = sf.fetch_opportunity_graphs([deal], FULL_GRAPH)[deal]["Account"]["BillingCountry"]
    order = run_batch(salesforce=salesforce, netsuite=netsuite, opportunity_ids=[deal]).records.get()
    invoice = control(
        seeded_simulators[1], "invoice-orders", {"salesOrders": [order.netsuite_ids["sales_order"]]}
    )
    sf.delete("Opportunity", deal)  # Salesforce refuses the invoice: it names a deleted opportunity

    result = return_flow_run(
        salesforce=salesforce, netsuite=netsuite, start=dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    )
    assert result.failed == 1
    item = ExceptionItem.objects.get(dedup_key=f"return:{netsuite.pk}:invoice:{invoice[0]['invoice']}")
    assert item.subsidiary is not None
    assert (item.subsidiary.netsuite_connection, item.subsidiary.netsuite_id) == (
        netsuite,
        SUBSIDIARY_OF[country],
    )
