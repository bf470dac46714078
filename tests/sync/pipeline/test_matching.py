"""Matching before create, end to end: NetSuite already holds some of the accounts and contacts (exact
matches, near duplicates, ambiguous ones) without Salesforce ids; the real pipeline runs over HTTPS.

Transactional: the worker threads take NetSuite request slots through the database limiter.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError

from governance.models import AuditEntry
from sync import tasks
from sync.connections.connectors.netsuite import NetSuiteConnector
from sync.connections.connectors.salesforce import SalesforceConnector
from sync.connections.models import Connection
from sync.exceptions.matching import exception_match_decide, match_comparison
from sync.exceptions.models import ExceptionItem, ExceptionStatus
from sync.matching.models import MatchResolution
from sync.pipeline.failures import sync_dedup_key
from sync.pipeline.models import CrossReference, FailureCategory, RecordStatus, SyncRecord
from sync.pipeline.prematch import match_dedup_key
from sync.pipeline.runner import run_batch
from tests.sync.full_graph import FULL_GRAPH
from tests.sync.pipeline.conftest import THREADED_DB

pytestmark = THREADED_DB

SUBSIDIARY_OF = {"US": "1", "CA": "1", "GB": "2", "IE": "2", "DE": "3", "AU": "4", "JP": "5"}


def one_per_account(sf: SalesforceConnector) -> list[str]:
    rows = sf.query("SELECT Id, AccountId FROM Opportunity WHERE IsWon = true ORDER BY Id")
    return list({row["AccountId"]: row["Id"] for row in reversed(list(rows))}.values())


def existing_customer(ns: NetSuiteConnector, name: str, country: str, email: str = "") -> str:
    """A customer that predates Concord: no external id, no Salesforce id."""
    body: dict[str, Any] = {
        "companyName": name,
        "subsidiary": {"id": SUBSIDIARY_OF.get(country, "1")},
        "addressBook": {
            "items": [
                {"label": "Billing", "defaultBilling": True, "addressBookAddress": {"country": country}}
            ]
        },
    }
    if email:
        body["email"] = email
    return ns.create("customer", body)


def customers_named(ns: NetSuiteConnector, word: str) -> list[dict[str, Any]]:
    query = f"SELECT id, externalid, companyname FROM customer WHERE LOWER(companyname) LIKE '%{word}%'"  # noqa: S608
    return list(ns.suiteql(query))


@pytest.fixture
def scenario(
    seeded_connections: tuple[Connection, Connection], sf: SalesforceConnector, ns: NetSuiteConnector
) -> dict[str, Any]:
    """Four won opportunities of four accounts, and what NetSuite already holds of them:

    - exact: the account as "<Name>, Inc." with the same billing country, and its first contact by e-mail;
    - near: "<Name> Holdings" (similar, not equal): a suspect;
    - ambiguous: "<Name>" and "<Name> Ltd" (both equal once normalised): a suspect;
    - fresh: nothing; created as before;
    - contact_twice: two contacts with the e-mail of the opportunity's first contact: a suspect.
    """
    ids = one_per_account(sf)[:5]
    graphs = sf.fetch_opportunity_graphs(ids, FULL_GRAPH)
    exact, near, ambiguous, fresh, contact_twice = (graphs[i] for i in ids)
    made: dict[str, Any] = {"ids": ids, "graphs": graphs}
    made["exact_customer"] = existing_customer(
        ns, f"{exact['Account']['Name']}, Inc.", exact["Account"]["BillingCountry"]
    )
    role = exact["OpportunityContactRoles"]["records"][0]
    made["exact_contact"] = ns.create(
        "contact",
        {
            "firstName": role["Contact"]["FirstName"],
            "lastName": role["Contact"]["LastName"],
            "email": role["Contact"]["Email"].upper(),
            "company": {"id": made["exact_customer"]},
        },
    )
    made["exact_contact_id"] = role["ContactId"]
    made["near_customer"] = existing_customer(
        ns, f"{near['Account']['Name']} Holdings", near["Account"]["BillingCountry"]
    )
    made["ambiguous_customers"] = [
        existing_customer(ns, ambiguous["Account"]["Name"], ambiguous["Account"]["BillingCountry"]),
        existing_customer(ns, f"{ambiguous['Account']['Name']} Ltd", ambiguous["Account"]["BillingCountry"]),
    ]
    # Two NetSuite contacts share the e-mail of the last opportunity's first contact: ambiguous.
    twice = contact_twice["OpportunityContactRoles"]["records"][0]
    made["contact_twice_id"] = twice["ContactId"]
    made["contact_twice"] = [
        ns.create(
            "contact",
            {
                "firstName": first,
                "lastName": twice["Contact"]["LastName"],
                "email": twice["Contact"]["Email"],
            },
        )
        for first in ("A.", "B.")
    ]
    made["accounts"] = {
        "exact": exact["Account"],
        "near": near["Account"],
        "ambiguous": ambiguous["Account"],
        "fresh": fresh["Account"],
        "contact_twice": contact_twice["Account"],
    }
    made["opportunity"] = dict(
        zip(("exact", "near", "ambiguous", "fresh", "contact_twice"), ids, strict=True)
    )
    return made


def suspects() -> list[ExceptionItem]:
    return list(ExceptionItem.objects.filter(category__key="duplicate_suspect").order_by("id"))


def test_it_links_exact_matches_holds_suspects_back_and_never_duplicates(
    seeded_connections: tuple[Connection, Connection],
    sf: SalesforceConnector,
    ns: NetSuiteConnector,
    netsuite_count: Callable[[str, str], int],
    scenario: dict[str, Any],
) -> None:
    salesforce, netsuite = seeded_connections
    opportunity, accounts = scenario["opportunity"], scenario["accounts"]
    job = run_batch(salesforce=salesforce, netsuite=netsuite, opportunity_ids=scenario["ids"])
    records = {r.opportunity_id: r for r in job.records.all()}

    # Exact: the existing customer and contact carry the Salesforce ids now; nothing new was created.
    exact = records[opportunity["exact"]]
    assert exact.status == RecordStatus.SYNCED, exact.message
    assert exact.netsuite_ids["customer"] == scenario["exact_customer"]
    assert ns.get("customer", scenario["exact_customer"])["externalId"] == accounts["exact"]["Id"]
    assert ns.get("contact", scenario["exact_contact"])["externalId"] == scenario["exact_contact_id"]
    assert netsuite_count("customer", accounts["exact"]["Id"]) == 1
    assert netsuite_count("contact", scenario["exact_contact_id"]) == 1
    xref = CrossReference.objects.get(netsuite_type="customer", external_id=accounts["exact"]["Id"])
    assert xref.netsuite_id == scenario["exact_customer"] and xref.payload_hash  # linked, then upserted
    linked = AuditEntry.objects.filter(additional_data__event="match_linked").order_by("id")
    assert {(e.additional_data["netsuite_type"], e.additional_data["netsuite_id"]) for e in linked} == {
        ("customer", scenario["exact_customer"]),
        ("contact", scenario["exact_contact"]),
    }
    customer_entry = next(e for e in linked if e.additional_data["netsuite_type"] == "customer")
    assert customer_entry.additional_data["salesforce_id"] == accounts["exact"]["Id"]
    assert "company_name" in customer_entry.additional_data["how"]

    # Fresh: created as before.
    assert records[opportunity["fresh"]].status == RecordStatus.SYNCED
    assert netsuite_count("customer", accounts["fresh"]["Id"]) == 1

    # Near and ambiguous: no write at all for their opportunities, one exception each.
    for case in ("near", "ambiguous"):
        record = records[opportunity[case]]
        assert record.status == RecordStatus.BLOCKED and record.writes == 0
        assert record.failures.get().category == FailureCategory.DUPLICATE
        assert netsuite_count("customer", accounts[case]["Id"]) == 0
        assert netsuite_count("transaction", opportunity[case]) == 0
        assert not ExceptionItem.objects.filter(
            dedup_key=sync_dedup_key(netsuite_connection_id=netsuite.pk, opportunity_id=opportunity[case])
        ).exists()
    back = sf.get_records(
        "Opportunity",
        [opportunity["near"], opportunity["ambiguous"]],
        ["Concord_Sync_Status__c", "Concord_Sync_Message__c"],
    )
    for row in back.values():
        assert row["Concord_Sync_Status__c"] == "Error"
        assert row["Concord_Sync_Message__c"].startswith("Blocked: duplicate suspect (exception #")
    # A contact suspect holds its whole opportunity back too: not even its customer is written.
    held = records[opportunity["contact_twice"]]
    assert held.status == RecordStatus.BLOCKED and held.writes == 0
    assert netsuite_count("customer", accounts["contact_twice"]["Id"]) == 0
    items = suspects()
    expected = [("customer", accounts[c]["Id"]) for c in ("near", "ambiguous")]
    expected.append(("contact", scenario["contact_twice_id"]))
    assert sorted(item.dedup_key for item in items) == sorted(
        match_dedup_key(netsuite_connection_id=netsuite.pk, record_type=kind, external_id=eid)
        for kind, eid in expected
    )
    contact_item = next(item for item in items if item.details["match"]["record_type"] == "contact")
    assert [c["netsuite_id"] for c in contact_item.details["match"]["candidates"]] == scenario[
        "contact_twice"
    ]
    assert contact_item.title.startswith("Duplicate suspect: Contact ")
    by_account = {item.details["match"]["salesforce_id"]: item for item in items}
    near = by_account[accounts["near"]["Id"]]
    assert [c["netsuite_id"] for c in near.details["match"]["candidates"]] == [scenario["near_customer"]]
    assert "similar but not equal" in near.details["match"]["reason"]
    ambiguous = by_account[accounts["ambiguous"]["Id"]]
    assert [c["netsuite_id"] for c in ambiguous.details["match"]["candidates"]] == scenario[
        "ambiguous_customers"
    ]
    assert ambiguous.retry_kwargs["opportunity_ids"] == [opportunity["ambiguous"]]
    comparison = match_comparison(item=ambiguous)
    assert comparison is not None
    assert comparison["rows"][0] == (
        "Name",
        accounts["ambiguous"]["Name"],
        [accounts["ambiguous"]["Name"], f"{accounts['ambiguous']['Name']} Ltd"],
    )

    # A second run asks nothing new: the same two exceptions, counted again; still no duplicate.
    again = run_batch(salesforce=salesforce, netsuite=netsuite, opportunity_ids=scenario["ids"])
    assert {r.opportunity_id: r.status for r in again.records.all()} == {
        opportunity["exact"]: RecordStatus.SYNCED,
        opportunity["fresh"]: RecordStatus.SYNCED,
        opportunity["near"]: RecordStatus.BLOCKED,
        opportunity["ambiguous"]: RecordStatus.BLOCKED,
        opportunity["contact_twice"]: RecordStatus.BLOCKED,
    }
    assert sorted((item.pk, item.occurrence_count) for item in suspects()) == sorted(
        (item.pk, 2) for item in items
    )
    assert netsuite_count("customer", accounts["exact"]["Id"]) == 1
    assert linked.count() == 2  # nothing linked twice


def test_resolving_a_suspect_links_or_creates_and_then_syncs(
    seeded_connections: tuple[Connection, Connection],
    ns: NetSuiteConnector,
    netsuite_count: Callable[[str, str], int],
    scenario: dict[str, Any],
    finance_everywhere: User,
    outsider: User,
) -> None:
    salesforce, netsuite = seeded_connections
    opportunity, accounts = scenario["opportunity"], scenario["accounts"]
    held = [opportunity["near"], opportunity["ambiguous"]]
    run_batch(salesforce=salesforce, netsuite=netsuite, opportunity_ids=held)
    by_account = {item.details["match"]["salesforce_id"]: item for item in suspects()}
    ambiguous, near = by_account[accounts["ambiguous"]["Id"]], by_account[accounts["near"]["Id"]]

    with pytest.raises(PermissionDenied):
        exception_match_decide(item=ambiguous, user=outsider, choice="link", netsuite_id="1")
    with pytest.raises(ValidationError, match="listed NetSuite records"):
        exception_match_decide(item=ambiguous, user=finance_everywhere, choice="link", netsuite_id="999999")
    chosen = scenario["ambiguous_customers"][1]
    exception_match_decide(
        item=ambiguous, user=finance_everywhere, choice="link", netsuite_id=chosen, reason="the Ltd is ours"
    )
    exception_match_decide(item=near, user=finance_everywhere, choice="create_new", reason="another company")
    decided = AuditEntry.objects.filter(additional_data__event="exception_match_decided")
    assert decided.count() == 2 and {e.actor for e in decided} == {finance_everywhere}
    assert MatchResolution.objects.get(external_id=accounts["ambiguous"]["Id"]).netsuite_id == chosen

    # Each decision queued the exception's retry after commit (run inline here, Q_SYNC): it re-queued the
    # held opportunities and the inbox drain synced them. Draining again finds nothing left.
    assert tasks.inbox_drain() == []
    for opportunity_id in held:
        latest = SyncRecord.objects.filter(opportunity_id=opportunity_id).order_by("-id").first()
        assert latest is not None and latest.status == RecordStatus.SYNCED, latest and latest.message
        assert netsuite_count("transaction", opportunity_id) == 1
    assert ns.get("customer", chosen)["externalId"] == accounts["ambiguous"]["Id"]
    assert netsuite_count("customer", accounts["ambiguous"]["Id"]) == 1
    assert ns.get("customer", scenario["ambiguous_customers"][0]).get("externalId") in (None, "")
    created = CrossReference.objects.get(netsuite_type="customer", external_id=accounts["near"]["Id"])
    assert created.netsuite_id != scenario["near_customer"]  # a new customer, as decided
    assert ns.get("customer", scenario["near_customer"]).get("externalId") in (None, "")
    for item in (ambiguous, near):
        item.refresh_from_db()
        assert item.status == ExceptionStatus.RESOLVED
    assert all(r.applied_at is not None for r in MatchResolution.objects.all())

    # Never asked again: a later run syncs them without a new exception.
    again = run_batch(salesforce=salesforce, netsuite=netsuite, opportunity_ids=held)
    assert {r.status for r in again.records.all()} == {RecordStatus.SYNCED}
    assert len(suspects()) == 2 and all(item.status == ExceptionStatus.RESOLVED for item in suspects())
