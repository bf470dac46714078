"""The metadata API: every role reads the cache and an object's fields; admins and RevOps refresh."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User

from sync.connections.metadata.services import metadata_refresh
from sync.connections.models import Connection, ConnectionMetadata
from tests.api_support import token_client
from tests.sync.connections.support import offline_connection_pair


@pytest.fixture
def pair(db: None) -> tuple[Connection, Connection]:
    return offline_connection_pair("api-meta")


def test_every_role_reads_the_summary_and_an_objects_fields(
    pair: tuple[Connection, Connection], fake_systems: dict[str, Any], auditor: User
) -> None:
    salesforce, _ = pair
    client = token_client(auditor)
    empty = client.get(f"/api/v1/connections/{salesforce.pk}/metadata/").json()
    assert empty["fetched_at"] is None and empty["objects"] == []
    metadata_refresh(connection=salesforce)
    summary = client.get(f"/api/v1/connections/{salesforce.pk}/metadata/").json()
    assert summary["system"] == "salesforce" and summary["last_error"] == ""
    assert {"name": "Opportunity", "label": "Opportunity", "field_count": 19} in summary["objects"]
    answer = client.get(f"/api/v1/connections/{salesforce.pk}/metadata/opportunity/")
    assert answer.status_code == 200
    body = answer.json()
    assert body["name"] == "Opportunity" and body["child_relationships"]["OpportunityContactRoles"]
    stage = next(f for f in body["fields"] if f["name"] == "StageName")
    assert (
        stage["type"] == "picklist"
        and stage["picklist"] == ["Prospecting", "Closed Won"]
        and stage["required"]
    )
    missing = client.get(f"/api/v1/connections/{salesforce.pk}/metadata/Nope__c/")
    assert missing.status_code == 404


def test_netsuite_sublists_come_with_their_line_fields(
    pair: tuple[Connection, Connection], fake_systems: dict[str, Any], revops: User
) -> None:
    _, netsuite = pair
    metadata_refresh(connection=netsuite)
    body = token_client(revops).get(f"/api/v1/connections/{netsuite.pk}/metadata/customer/").json()
    book = next(f for f in body["fields"] if f["name"] == "addressBook")
    assert book["type"] == "sublist" and [line["name"] for line in book["sublist_fields"]][:2] == [
        "internalId",
        "label",
    ]
    tier = next(f for f in body["fields"] if f["name"] == "custentity_tier")
    assert tier["custom"] and tier["picklist"] == ["gold", "silver"]


def test_revops_refreshes_and_sees_what_happened(
    pair: tuple[Connection, Connection], fake_systems: dict[str, Any], revops: User
) -> None:
    salesforce, _ = pair
    client = token_client(revops)
    url = f"/api/v1/connections/{salesforce.pk}/metadata/refresh/"
    answer = client.post(url, {"objects": ["Invoice__c"]}, content_type="application/json")
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["ok"] and "Invoice__c" in body["objects"] and body["fetched_at"]
    summary = client.get(f"/api/v1/connections/{salesforce.pk}/metadata/").json()
    assert summary["currency_shape"] == "single-currency (USD)"
    refused = client.post(url, {"objects": ["Nope__c"]}, content_type="application/json")
    assert refused.status_code == 400 and "Nope__c not found" in refused.json()["objects"][0]


def test_a_refresh_that_cannot_read_says_so_and_keeps_the_cache(
    pair: tuple[Connection, Connection], admin: User
) -> None:
    salesforce, _ = pair  # no secrets: it cannot sign in
    url = f"/api/v1/connections/{salesforce.pk}/metadata/refresh/"
    answer = token_client(admin).post(url, {}, content_type="application/json")
    assert answer.status_code == 200
    body = answer.json()
    assert body["ok"] is False and "the cached metadata is kept" in body["message"]
    assert ConnectionMetadata.objects.get(connection=salesforce).fetched_at is None


@pytest.mark.parametrize("persona", ["finance", "auditor"])
def test_other_roles_may_not_refresh(
    pair: tuple[Connection, Connection],
    fake_systems: dict[str, Any],
    request: pytest.FixtureRequest,
    persona: str,
) -> None:
    salesforce, _ = pair
    client = token_client(request.getfixturevalue(persona))
    url = f"/api/v1/connections/{salesforce.pk}/metadata/refresh/"
    assert client.post(url, {}, content_type="application/json").status_code == 403
    assert not ConnectionMetadata.objects.filter(connection=salesforce).exists()
