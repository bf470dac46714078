"""The Metadata panel on a connection's page, its Refresh button, and an object's searchable fields."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from sync.connections.metadata.services import metadata_refresh
from sync.connections.models import Connection, ConnectionMetadata
from tests.sync.connections.support import offline_connection_pair


@pytest.fixture
def pair(db: None) -> tuple[Connection, Connection]:
    return offline_connection_pair("view-meta")


def test_the_panel_says_never_read_and_offers_refresh_to_revops_only(
    pair: tuple[Connection, Connection], revops_client: Client, finance_client: Client
) -> None:
    salesforce, _ = pair
    page = revops_client.get(reverse("sync:connection", args=[salesforce.pk])).content.decode()
    assert "never: refresh to read it" in page and "Refresh metadata" in page
    page = finance_client.get(reverse("sync:connection", args=[salesforce.pk])).content.decode()
    assert "Metadata" in page and "Refresh metadata" not in page


def test_refresh_by_htmx_fills_the_panel_and_links_the_objects(
    pair: tuple[Connection, Connection], fake_systems: dict[str, Any], revops_client: Client
) -> None:
    salesforce, _ = pair
    url = reverse("sync:connection-metadata-refresh", args=[salesforce.pk])
    answer = revops_client.post(url, {"objects": "Invoice__c"}, HTTP_HX_REQUEST="true")
    html = answer.content.decode()
    assert answer.status_code == 200 and 'id="connection-metadata"' in html
    assert "refreshed" in html and "10 objects read" in html
    assert reverse("sync:connection-metadata-object", args=[salesforce.pk, "Invoice__c"]) in html
    page = revops_client.get(reverse("sync:connection", args=[salesforce.pk])).content.decode()
    assert "10 cached of 12 the system lists" in page
    assert "single-currency (USD)" in page and "no CurrencyIsoCode in this org" in page


def test_a_failed_refresh_shows_why_and_keeps_the_objects(
    pair: tuple[Connection, Connection], fake_systems: dict[str, Any], admin_client: Client
) -> None:
    salesforce, _ = pair
    metadata_refresh(connection=salesforce)
    fake_systems["salesforce"].describes["Account"] = {"broken": True}
    url = reverse("sync:connection-metadata-refresh", args=[salesforce.pk])
    answer = admin_client.post(url, follow=True)
    html = answer.content.decode()
    assert "not of the documented shape" in html and "failed" in html
    assert ConnectionMetadata.objects.get(connection=salesforce).cached_objects.count() == 9
    assert reverse("sync:connection-metadata-object", args=[salesforce.pk, "Opportunity"]) in html


def test_finance_cannot_refresh(pair: tuple[Connection, Connection], finance_client: Client) -> None:
    salesforce, _ = pair
    url = reverse("sync:connection-metadata-refresh", args=[salesforce.pk])
    assert finance_client.post(url).status_code == 403


def test_the_object_page_lists_fields_and_searches_them(
    pair: tuple[Connection, Connection], fake_systems: dict[str, Any], auditor_client: Client
) -> None:
    salesforce, _ = pair
    metadata_refresh(connection=salesforce)
    url = reverse("sync:connection-metadata-object", args=[salesforce.pk, "Opportunity"])
    page = auditor_client.get(url).content.decode()
    assert "<code>StageName</code>" in page and "Prospecting, Closed Won" in page and "required" in page
    assert "OpportunityContactRoles" in page  # child relationships
    table = auditor_client.get(url, {"q": "seat"}, HTTP_HX_REQUEST="true").content.decode()
    assert table.startswith('<div id="metadata-fields">')
    assert "Seats__c" in table and "StageName" not in table and "custom" in table
    none = auditor_client.get(url, {"q": "zzz"}, HTTP_HX_REQUEST="true").content.decode()
    assert "No field matches" in none
    assert (
        auditor_client.get(
            reverse("sync:connection-metadata-object", args=[salesforce.pk, "Nope"])
        ).status_code
        == 404
    )
