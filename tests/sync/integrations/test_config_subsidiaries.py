"""Subsidiaries per integration: each routes by its own published country_to_subsidiary table; a country
its table lacks is a mapping problem naming the row and the value, never another table's (or the shipped
table's) guess."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User

from sync.connections.models import Connection
from sync.connections.services import netsuite_connector, salesforce_connector
from sync.exceptions.models import ExceptionItem, ExceptionStatus
from sync.integrations.models import Integration
from sync.integrations.selectors import primary_integration
from sync.mappings.engine import StaticLookups
from sync.mappings.engine.defaults import compile_default
from sync.mappings.models import LookupTable
from sync.mappings.services.lookup_versions import (
    lookup_version_approve,
    lookup_version_create_draft,
    lookup_version_publish,
    lookup_version_submit,
)
from sync.mappings.services.lookups import lookup_tables_seed_defaults, mapping_tables
from sync.pipeline.failures import sync_dedup_key
from sync.pipeline.models import RecordStatus
from sync.pipeline.runner import run_batch
from tests.sync.full_graph import FULL_GRAPH
from tests.sync.pipeline.conftest import THREADED_DB

COUNTRY_TABLE = "country_to_subsidiary"


def _country_table_publish(
    integration: Integration, entries: dict[str, str], revops: User, finance: User
) -> None:
    table = LookupTable.objects.get(integration=integration, name=COUNTRY_TABLE)
    draft = lookup_version_create_draft(
        table=table, user=revops, notes="its own subsidiaries", entries=entries
    )
    lookup_version_submit(version=draft, user=revops)
    lookup_version_approve(version=draft, user=finance)
    lookup_version_publish(version=draft, user=finance)


def _customer(integration: Integration, country: str) -> Any:
    account = {"Id": "001A", "Name": "Globex", "BillingCountry": country, "CurrencyIsoCode": "EUR"}
    lookups = StaticLookups(mapping_tables(None, integration), {})
    return compile_default("opportunity_to_netsuite").apply_object(
        "customer", {"Id": "006A", "Account": account}, lookups=lookups
    )


@pytest.mark.django_db
def test_two_integrations_route_the_same_country_by_their_own_tables(revops: User, finance: User) -> None:
    primary = primary_integration()
    acme = Integration.objects.create(name="acme", namespace="ACQ")
    lookup_tables_seed_defaults()
    lookup_tables_seed_defaults(acme)
    _country_table_publish(acme, {"DE": "7", "AT": "7"}, revops, finance)

    (primary_customer,) = _customer(primary, "DE").payloads
    (acme_customer,) = _customer(acme, "DE").payloads
    assert primary_customer.body["subsidiary"] == {"id": "3"}
    assert acme_customer.body["subsidiary"] == {"id": "7"}

    # The US is the primary's (subsidiary 1) but not acme's: a problem naming the row and the value.
    assert _customer(primary, "US").payloads[0].body["subsidiary"] == {"id": "1"}
    result = _customer(acme, "US")
    assert not result.payloads
    (problem,) = [p for p in result.problems if p.field_id == "subsidiary"]
    assert problem.object_key == "customer" and problem.value == "US"
    assert COUNTRY_TABLE in problem.message


@pytest.mark.django_db
def test_an_integration_without_tables_never_falls_back_to_the_shipped_ones() -> None:
    acme = Integration.objects.create(name="acme", namespace="ACQ")
    assert mapping_tables(None, acme) == {}
    assert mapping_tables(None, primary_integration())[COUNTRY_TABLE]["DE"] == "3"  # shipped, not stored
    result = _customer(acme, "DE")
    assert any(p.field_id == "subsidiary" and p.value == "DE" for p in result.problems)


@THREADED_DB
def test_the_pipeline_raises_an_exception_for_a_country_the_integrations_table_lacks(
    seeded_connections: tuple[Connection, Connection], revops: User, finance: User
) -> None:
    salesforce, netsuite = seeded_connections
    sf = salesforce_connector(salesforce)
    rows = list(sf.query("SELECT Id, AccountId FROM Opportunity WHERE IsWon = true ORDER BY Id"))
    graphs = sf.fetch_opportunity_graphs([row["Id"] for row in rows], FULL_GRAPH)
    by_country: dict[str, str] = {}
    for opportunity_id, graph in graphs.items():
        by_country.setdefault(str(graph["Account"]["BillingCountry"]), opportunity_id)
    assert len(by_country) >= 2, by_country
    missing, kept = sorted(by_country)[:2]
    acme = Integration.objects.create(
        name="acme", namespace="ACQ", salesforce_connection=salesforce, netsuite_connection=netsuite
    )
    lookup_tables_seed_defaults(acme)
    shipped = mapping_tables(None, primary_integration())[COUNTRY_TABLE]
    _country_table_publish(acme, {kept: shipped[kept]}, revops, finance)

    job = run_batch(
        salesforce=salesforce, netsuite=netsuite, opportunity_ids=[by_country[missing], by_country[kept]]
    )
    records = {record.opportunity_id: record for record in job.records.all()}
    bad, good = records[by_country[missing]], records[by_country[kept]]
    assert good.status == RecordStatus.SYNCED, good.message
    assert bad.status == RecordStatus.FAILED and "subsidiary" in bad.message and missing in bad.message
    orders = netsuite_connector(netsuite).suiteql(
        f"SELECT id FROM transaction WHERE externalid = 'ACQ-{by_country[missing]}'"  # noqa: S608 - an id we read
    )
    assert not list(orders)
    key = sync_dedup_key(
        netsuite_connection_id=netsuite.pk, opportunity_id=by_country[missing], namespace="ACQ"
    )
    item = ExceptionItem.objects.get(dedup_key=key)
    assert item.status == ExceptionStatus.OPEN and item.category.key == "mapping_problem"
    assert "subsidiary" in item.mapping_row
