"""The pre-match phase with a stubbed NetSuite (unit level): query count, claims, failures.

The end-to-end behaviour over HTTPS is in test_matching.py.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User

from sync.connections.connectors.errors import ConnectorError
from sync.connections.models import Connection
from sync.exceptions.models import ExceptionItem
from sync.mappings.engine import ObjectPayload
from sync.mappings.engine.defaults import load_default
from sync.matching.domains import generic_domain_add
from sync.pipeline.models import CrossReference, FailureCategory
from sync.pipeline.prematch import prematch_batch
from sync.pipeline.writer import Known
from tests.sync.connections.support import offline_connection_pair

pytestmark = pytest.mark.django_db


class StubNetSuite:
    """Answers the pre-match's SuiteQL from a list of customer rows and records the calls."""

    def __init__(self, customers: list[dict[str, Any]], *, fail: bool = False) -> None:
        self.customers = customers
        self.fail = fail
        self.queries: list[str] = []
        self.patches: list[tuple[str, str, dict[str, Any]]] = []

    def suiteql(self, query: str) -> list[dict[str, Any]]:
        self.queries.append(query)
        if self.fail:
            raise ConnectorError(
                "netsuite", True, "Concurrent request limit exceeded", code="CONCURRENCY_LIMIT_EXCEEDED"
            )
        if "FROM contact" in query:
            return []
        if " AS candidate " in query:  # both searches in one query: the name search's rows are flagged
            return [{**row, "candidate": "T"} for row in self.customers if "companyname) LIKE" in query]
        if "externalid IN" in query:
            return []
        return [row for row in self.customers if "companyname" in query.lower()]

    def patch(self, record_type: str, record_id: str, body: dict[str, Any]) -> None:
        self.patches.append((record_type, record_id, body))


def customer_payload(account_id: str, name: str, country: str = "US") -> ObjectPayload:
    body = {"companyName": name, "addressBook": {"items": [{"addressBookAddress": {"country": country}}]}}
    return ObjectPayload(
        "customer", "customer", "upsert", account_id, "externalId", "customer", account_id, body
    )


def test_one_query_per_key_for_the_whole_batch_and_links_once() -> None:
    salesforce, netsuite = offline_connection_pair("pm")
    ns = StubNetSuite(
        [{"id": 7, "externalid": None, "companyname": "Acme Inc", "email": None, "country": "US"}]
    )
    payloads = {f"006{n}": [customer_payload("001A", "Acme")] for n in range(5)}
    payloads["006X"] = [customer_payload("001K", "Known Co")]
    known = {("customer", "001K"): Known("3", "abc")}
    held = prematch_batch(
        salesforce=salesforce,
        netsuite=netsuite,
        ns=ns,
        spec=load_default("opportunity_to_netsuite"),
        payloads=payloads,
        known=known,
    )
    assert held == {}
    # primary (external ids) + company name in one query; the e-mail domain key has nothing to search
    assert len(ns.queries) == 1
    assert "c.externalid IN ('001A')" in ns.queries[0] and "LIKE '%acme%'" in ns.queries[0]
    assert ns.patches == [("customer", "7", {"externalId": "001A"})]
    assert known[("customer", "001A")] == Known("7", "")
    assert CrossReference.objects.get(external_id="001A").netsuite_id == "7"


def test_two_salesforce_records_claiming_one_customer_are_both_suspects() -> None:
    salesforce, netsuite = offline_connection_pair("pm")
    ns = StubNetSuite([{"id": 7, "externalid": None, "companyname": "Acme Inc", "country": "US"}])
    payloads = {"006A": [customer_payload("001A", "Acme")], "006B": [customer_payload("001B", "ACME Corp.")]}
    held = prematch_batch(
        salesforce=salesforce,
        netsuite=netsuite,
        ns=ns,
        spec=load_default("opportunity_to_netsuite"),
        payloads=payloads,
        known={},
    )
    assert set(held) == {"006A", "006B"}
    assert {failure.category for failure in held.values()} == {FailureCategory.DUPLICATE}
    assert ns.patches == []
    reasons = list(ExceptionItem.objects.values_list("details__match__reason", flat=True))
    assert len(reasons) == 2 and all("also matches other Salesforce records" in r for r in reasons)


def test_a_failed_search_holds_the_records_back_without_an_exception() -> None:
    salesforce, netsuite = offline_connection_pair("pm")
    ns = StubNetSuite([], fail=True)
    held = prematch_batch(
        salesforce=salesforce,
        netsuite=netsuite,
        ns=ns,
        spec=load_default("opportunity_to_netsuite"),
        payloads={"006A": [customer_payload("001A", "Acme")]},
        known={},
    )
    assert held["006A"].category == FailureCategory.TRANSIENT
    assert "matching before create failed" in held["006A"].message
    assert not ExceptionItem.objects.exists() and not CrossReference.objects.exists()


def _email_payload(account_id: str, name: str, email: str) -> ObjectPayload:
    payload = customer_payload(account_id, name)
    return ObjectPayload(
        "customer",
        "customer",
        "upsert",
        account_id,
        "externalId",
        "customer",
        account_id,
        {**payload.body, "email": email},
    )


def _match(ns: StubNetSuite, email: str) -> dict[str, Any]:
    salesforce, netsuite = offline_connection_pair(f"pm{len(Connection.objects.all())}")
    known: dict[tuple[str, str], Known] = {}
    held = prematch_batch(
        salesforce=salesforce,
        netsuite=netsuite,
        ns=ns,
        spec=load_default("opportunity_to_netsuite"),
        payloads={"006W": [_email_payload("001W", "Wayne Enterprises", email)]},
        known=known,
    )
    return {"held": held, "known": known}


def test_a_shared_company_domain_alone_holds_the_record_as_a_duplicate_suspect() -> None:
    other = {"id": 7, "externalid": None, "companyname": "Unrelated Trading", "email": "ap@wayne.example"}
    found = _match(StubNetSuite([other]), "bruce@wayne.example")
    assert found["held"]["006W"].category == FailureCategory.DUPLICATE  # neither linked nor duplicated
    assert found["known"] == {}
    item = ExceptionItem.objects.get(category__key="duplicate_suspect")
    assert "same e-mail domain only" in item.details["match"]["reason"]


def test_a_generic_domain_is_no_evidence_built_in_or_the_operators(revops: User) -> None:
    other = {"id": 7, "externalid": None, "companyname": "Unrelated Trading", "email": "someone@gmail.com"}
    assert _match(StubNetSuite([other]), "bruce@gmail.com") == {"held": {}, "known": {}}  # created
    generic_domain_add(user=revops, domain="wayne.example", reason="our resellers' shared mailbox host")
    shared = {"id": 8, "externalid": None, "companyname": "Unrelated Trading", "email": "ap@wayne.example"}
    assert _match(StubNetSuite([shared]), "bruce@wayne.example") == {"held": {}, "known": {}}
    assert not ExceptionItem.objects.exists()
