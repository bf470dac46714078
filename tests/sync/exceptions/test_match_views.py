"""A duplicate suspect on the exception page: the candidates side by side, and the link / create new
decision (RevOps and Finance act, the auditor reads, the outsider sees nothing)."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from governance.models import AuditEntry
from sync.exceptions.models import ExceptionItem, ExceptionStatus
from sync.matching.models import MatchChoice, MatchResolution
from tests.api_support import token_client
from tests.sync.connections.support import offline_connection_pair
from tests.sync.exceptions.support import raise_sample

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}


@pytest.fixture
def suspect() -> ExceptionItem:
    _, netsuite = offline_connection_pair("match")
    return raise_sample(
        key=f"match:{netsuite.pk}:customer:001A",
        category="duplicate_suspect",
        title="Duplicate suspect: Account Acme matches 2 NetSuite customer record(s)",
        details={
            "match": {
                "object_key": "customer",
                "record_type": "customer",
                "external_id": "001A",
                "salesforce_id": "001A",
                "label": "Acme",
                "key": "company_name(name, country)",
                "reason": "2 NetSuite customer records have the company name and country 'acme'",
                "salesforce": {
                    "companyName": "Acme",
                    "addressBook.items[0].addressBookAddress.country": "US",
                },
                "candidates": [
                    {"record_type": "customer", "netsuite_id": "41", "name": "ACME Inc", "country": "US"},
                    {
                        "record_type": "customer",
                        "netsuite_id": "42",
                        "name": "Acme Ltd",
                        "email": "ap@acme.io",
                    },
                ],
            }
        },
        retry_kwargs={
            "opportunity_ids": ["006A"],
            "salesforce_connection_id": 0,
            "netsuite_connection_id": netsuite.pk,
        },
    )


def test_it_shows_the_candidates_side_by_side(auditor_client: Client, suspect: ExceptionItem) -> None:
    html = auditor_client.get(f"/exceptions/{suspect.pk}/").content.decode()
    for text in (
        "Duplicate suspect",
        "Salesforce 001A",
        "NetSuite customer 41",
        "NetSuite customer 42",
        "ACME Inc",
        "Acme Ltd",
        "ap@acme.io",
        "company name and country",
    ):
        assert text in html, text
    assert "Link this one" not in html  # the auditor reads only


def test_revops_links_a_candidate(
    revops_client: Client,
    suspect: ExceptionItem,
    retry_calls: list[dict[str, Any]],
    django_capture_on_commit_callbacks: Any,
) -> None:
    html = revops_client.get(f"/exceptions/{suspect.pk}/").content.decode()
    assert html.count("Link this one") == 2 and "Create new" in html
    with django_capture_on_commit_callbacks(execute=True):
        response = revops_client.post(
            f"/exceptions/{suspect.pk}/match/",
            {"choice": "link", "netsuite_id": "42", "reason": "same VAT"},
            headers=HTMX,
        )
    html = response.content.decode()
    assert response.status_code == 200 and "In progress" in html and "link to NetSuite customer 42" in html
    resolution = MatchResolution.objects.get()
    assert (resolution.choice, resolution.netsuite_id, resolution.external_id) == (
        MatchChoice.LINK,
        "42",
        "001A",
    )
    assert resolution.decided_by.get_username() == "revops"
    assert retry_calls and retry_calls[0]["opportunity_ids"] == ["006A"]
    entry = AuditEntry.objects.get(additional_data__event="exception_match_decided")
    assert entry.actor is not None and entry.actor.get_username() == "revops"
    assert entry.additional_data["reason"] == "same VAT"


def test_a_decision_must_name_a_listed_candidate(revops_client: Client, suspect: ExceptionItem) -> None:
    response = revops_client.post(
        f"/exceptions/{suspect.pk}/match/", {"choice": "link", "netsuite_id": "7"}, headers=HTMX
    )
    assert 'role="alert"' in response.content.decode()
    assert not MatchResolution.objects.exists()
    suspect.refresh_from_db()
    assert suspect.status == ExceptionStatus.OPEN


def test_create_new_is_recorded(revops_client: Client, suspect: ExceptionItem) -> None:
    revops_client.post(f"/exceptions/{suspect.pk}/match/", {"choice": "create_new", "netsuite_id": "41"})
    assert MatchResolution.objects.get().choice == MatchChoice.CREATE_NEW
    assert MatchResolution.objects.get().netsuite_id == ""


def test_only_people_who_act_decide(
    auditor_client: Client, outsider_client: Client, suspect: ExceptionItem
) -> None:
    assert (
        auditor_client.post(f"/exceptions/{suspect.pk}/match/", {"choice": "create_new"}).status_code == 403
    )
    assert (
        outsider_client.post(f"/exceptions/{suspect.pk}/match/", {"choice": "create_new"}).status_code == 403
    )
    assert not MatchResolution.objects.exists()


def test_other_exceptions_refuse_the_decision(revops_client: Client) -> None:
    item = raise_sample()
    response = revops_client.post(f"/exceptions/{item.pk}/match/", {"choice": "create_new"}, headers=HTMX)
    assert "not a duplicate suspect" in response.content.decode()


def test_the_api_takes_the_same_decision(revops: User, suspect: ExceptionItem) -> None:
    client = token_client(revops)
    refused = client.post(
        f"/api/v1/exceptions/{suspect.pk}/match/",
        {"choice": "link", "netsuite_id": "7"},
        content_type="application/json",
    )
    assert refused.status_code == 400 and "listed NetSuite records" in str(refused.json())
    response = client.post(
        f"/api/v1/exceptions/{suspect.pk}/match/",
        {"choice": "link", "netsuite_id": "41", "reason": "same address"},
        content_type="application/json",
    )
    assert response.status_code == 200 and response.json()["status"] == ExceptionStatus.IN_PROGRESS
    assert MatchResolution.objects.get().netsuite_id == "41"
