"""The dry run against the seeded simulators, over HTTPS through the real connectors: nothing is written."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from sync.models import Connection, DynamicLookupEntry, Flow, MappingVersion
from sync.services.connections import netsuite_connector, salesforce_connector
from sync.services.mapping_lookups import dynamic_lookup_refresh
from sync.services.mapping_preview import mapping_dry_run


@pytest.fixture
def won(seeded_connections: tuple[Connection, Connection]) -> dict[str, Any]:
    salesforce, _ = seeded_connections
    connector = salesforce_connector(salesforce)
    rows = connector.query("SELECT Id FROM Opportunity WHERE StageName = 'Closed Won' ORDER BY Id")
    ids = [row["Id"] for row in rows]
    graphs = connector.fetch_opportunity_graphs(ids)
    return next(graph for graph in graphs.values() if graph.get("primary_quote"))


def _count(connection: Connection, record_type: str) -> int:
    rows = list(netsuite_connector(connection).suiteql(f"SELECT COUNT(*) AS n FROM {record_type}"))  # noqa: S608
    return int(rows[0]["n"])


def test_it_maps_a_real_opportunity_and_compares_with_netsuite(
    seeded_connections: tuple[Connection, Connection],
    opportunity_flow: Flow,
    won: dict[str, Any],
    revops: User,
) -> None:
    _, netsuite = seeded_connections
    version = opportunity_flow.versions.get(number=1)
    customers_before = _count(netsuite, "customer")
    preview = mapping_dry_run(version=version, opportunity_id=won["Id"])
    by_key = {record.object_key: record for record in preview.records}
    assert preview.problems == [], (preview.problems, won["Account"])
    order = by_key["sales_order"]
    assert not order.exists and order.external_id == won["Id"]
    assert len(order.body["item"]["items"]) >= 1 and order.body["item"]["items"][0]["item"]["id"].isdigit()
    assert order.body["entity"] == {"id": "(new customer)"}
    assert _count(netsuite, "customer") == customers_before  # a dry run writes nothing
    assert DynamicLookupEntry.objects.filter(source="netsuite_item_by_sku").exclude(value="").exists()

    # Once NetSuite holds the customer (with another name), the dry run shows its id and the difference.
    customer = by_key["customer"]
    held = dict(customer.body, companyName="Old Name Ltd")
    new_id = netsuite_connector(netsuite).upsert("customer", str(customer.external_id), held)
    preview = mapping_dry_run(version=version, opportunity_id=won["Id"])
    by_key = {record.object_key: record for record in preview.records}
    assert by_key["customer"].exists
    assert [(d.path, d.netsuite, d.mapped) for d in by_key["customer"].differences] == [
        ("companyName", "Old Name Ltd", customer.body["companyName"])
    ]
    assert by_key["sales_order"].body["entity"] == {"id": new_id}
    assert dynamic_lookup_refresh(connection=netsuite, user=revops) >= 1


def test_it_shows_the_dry_run_in_the_editor(
    seeded_connections: tuple[Connection, Connection],
    opportunity_flow: Flow,
    won: dict[str, Any],
    revops_client: Client,
) -> None:
    version = MappingVersion.objects.get(flow=opportunity_flow, number=1)
    html = revops_client.get(
        f"/sync/mappings/versions/{version.pk}/preview/",
        {"opportunity_id": won["Id"]},
        HTTP_HX_REQUEST="true",
    ).content.decode()
    assert "not in NetSuite yet" in html and "sales_order &rarr; salesOrder" in html
    missing = revops_client.get(
        f"/sync/mappings/versions/{version.pk}/preview/", {"opportunity_id": "006XXXXXXXXXXXXXXX"}
    )
    assert "Salesforce has no opportunity" in missing.content.decode()
