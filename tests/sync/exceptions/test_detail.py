"""The exception page's reading helpers: record links, details in words, the failing exchange."""

from __future__ import annotations

import pytest

from sync.connections.models import Connection
from sync.exceptions.detail import (
    details_in_words,
    failing_exchanges,
    netsuite_record_url,
    record_links,
    salesforce_record_url,
    value_words,
)
from sync.exceptions.models import ExceptionItem
from sync.pipeline.models import SyncRecord
from tests.sync.exceptions.support import raise_sample


def connection(kind: str, base_url: str, account_id: str = "") -> Connection:
    return Connection(kind=kind, base_url=base_url, account_id=account_id)


def test_it_links_salesforce_records_under_the_orgs_instance_only() -> None:
    org = connection("salesforce", "https://acme.my.salesforce.com/")
    assert salesforce_record_url(org, "Opportunity", "006A") == (
        "https://acme.my.salesforce.com/lightning/r/Opportunity/006A/view"
    )
    # A generic login host names no org; plain HTTP or a strange type is no link either.
    assert (
        salesforce_record_url(connection("salesforce", "https://login.salesforce.com"), "Account", "1") == ""
    )
    assert salesforce_record_url(connection("salesforce", "http://acme.example"), "Account", "1") == ""
    assert (
        salesforce_record_url(org, "../admin", "1") == ""
        and salesforce_record_url(None, "Account", "1") == ""
    )


def test_it_links_netsuite_records_in_the_accounts_ui() -> None:
    account = connection("netsuite", "https://x", account_id="1234567_SB1")
    host = "https://1234567-sb1.app.netsuite.com"
    assert (
        netsuite_record_url(account, "salesOrder", "77")
        == f"{host}/app/accounting/transactions/transaction.nl?id=77"
    )
    assert (
        netsuite_record_url(account, "customer[SF-001]", "5") == f"{host}/app/common/entity/custjob.nl?id=5"
    )
    assert netsuite_record_url(account, "sales_order", "8").endswith("transaction.nl?id=8")
    assert netsuite_record_url(account, "mysteryRecord", "5") == ""  # no guessed page
    assert netsuite_record_url(account, "salesOrder", "5 OR 1") == ""
    assert (
        netsuite_record_url(connection("netsuite", "https://x", account_id="bad id!"), "salesOrder", "5")
        == ""
    )


@pytest.mark.django_db
def test_it_builds_links_from_the_retrys_connections_keeping_a_given_url() -> None:
    salesforce = Connection.objects.create(
        name="sf",
        kind="salesforce",
        environment="sandbox",
        base_url="https://acme.my.salesforce.com",
        auth_method="sf_password",
    )
    netsuite = Connection.objects.create(
        name="ns",
        kind="netsuite",
        environment="sandbox",
        base_url="https://1-sb1.suitetalk.api.netsuite.com",
        auth_method="ns_token",
        account_id="1_SB1",
    )
    item = raise_sample(
        records=[],
        retry_kwargs={
            "opportunity_id": "006A",
            "salesforce_connection_id": salesforce.pk,
            "netsuite_connection_id": netsuite.pk,
        },
    )
    item.records = [
        {"system": "salesforce", "object_type": "Opportunity", "id": "006A"},
        {"system": "netsuite", "object_type": "salesOrder", "id": "77"},
        {"system": "netsuite", "object_type": "item", "id": "9", "url": "https://given.example/9"},
    ]
    links = record_links(item=item)
    assert [(link.system, link.url) for link in links] == [
        ("Salesforce", "https://acme.my.salesforce.com/lightning/r/Opportunity/006A/view"),
        ("NetSuite", "https://1-sb1.app.netsuite.com/app/accounting/transactions/transaction.nl?id=77"),
        ("NetSuite", "https://given.example/9"),
    ]


def test_it_puts_details_in_words() -> None:
    exception = ExceptionItem(
        details={
            "job": 12,
            "failures": 1,
            "sent": {"customer.currency": {"id": "99", "refName": "Yen?"}},
            "values": {"Amount": {"salesforce": 1200, "netsuite": 1000}},
            "check_run": {"run_id": 4, "late": True},
        }
    )
    lines = [(line.label, line.text) for line in details_in_words(item=exception)]
    assert lines == [
        ("Raised by", "sync job #12"),
        ("Failures in that run", "1 problem"),
        ("Sent as customer.currency", "Yen? (id 99)"),
        ("Values of Amount", "Salesforce has 1200; NetSuite has 1000"),
        ("Check run", "run id: 4; late: yes"),
    ]
    assert "{" not in " ".join(text for _, text in lines)  # no Python dict on the page
    assert value_words([]) == "(none)" and value_words(None) == "(empty)"


def test_it_puts_the_failing_exchange_first() -> None:
    record = SyncRecord(
        exchanges=[
            {"method": "GET", "url": "https://ns/customer", "status": 200},
            {"method": "POST", "url": "https://ns/salesOrder", "status": 400, "response_excerpt": "INVALID"},
            {"method": "POST", "url": "https://ns/x", "status": None},
        ]
    )
    rows = failing_exchanges(record)
    assert [(row["status"], row["failed"]) for row in rows] == [(400, True), (None, True), (200, False)]
    assert failing_exchanges(None) == []


def test_it_reads_details_of_an_unexpected_shape_without_failing() -> None:
    exception = ExceptionItem(details={"sent": ["not", "a", "mapping"], "values": "x", "note": "kept"})
    assert [(line.label, line.text) for line in details_in_words(item=exception)] == [("Note", "kept")]
