"""The Salesforce connector against the seeded simulator over HTTPS (simple-salesforce, real answers)."""

from __future__ import annotations

import pytest

from simulators.core.runner import RunningSimulator
from sync.connections.connectors.errors import ConnectorError
from sync.connections.connectors.salesforce import SalesforceConnector
from sync.connections.connectors.transport import RequestRecord
from sync.connections.models import Connection
from sync.connections.services import salesforce_connector
from tests.simulators.conftest import https_session
from tests.sync.full_graph import FULL_GRAPH


@pytest.fixture
def salesforce(seeded_simulators: tuple[RunningSimulator, RunningSimulator]) -> RunningSimulator:
    return seeded_simulators[0]


@pytest.fixture
def records(seeded_connections: tuple[Connection, Connection]) -> list[RequestRecord]:
    return []


@pytest.fixture
def sf(
    seeded_connections: tuple[Connection, Connection], records: list[RequestRecord]
) -> SalesforceConnector:
    connector = salesforce_connector(seeded_connections[0], observer=records.append)
    connector.authenticate()
    return connector


def _calls(sf: SalesforceConnector, run: object) -> int:
    before = sf.api_calls
    if callable(run):
        run()
    return sf.api_calls - before


def test_it_pages_through_more_than_one_soql_page_and_chunks_in_lists(sf: SalesforceConnector) -> None:
    invoices = [{"NetSuite_Invoice_Id__c": f"INV-{n:05d}", "Name": f"INV-{n:05d}"} for n in range(2_050)]
    calls_before = sf.api_calls
    results = sf.collections_upsert("Invoice__c", "NetSuite_Invoice_Id__c", invoices)
    assert sf.api_calls - calls_before == 11  # batches of 200
    assert len(results) == 2_050 and all(result.success and result.created for result in results)

    rows: list[dict[str, object]] = []
    calls = _calls(sf, lambda: rows.extend(sf.query("SELECT Id, Name FROM Invoice__c")))
    assert len(rows) == 2_050 and len({row["Id"] for row in rows}) == 2_050
    assert calls == 2  # 2,000 + 50, following nextRecordsUrl

    ids = [str(row["Id"]) for row in rows[:450]]
    found: dict[str, object] = {}
    calls = _calls(sf, lambda: found.update(sf.get_records("Invoice__c", ids + ids[:10], ["Name"])))
    assert set(found) == set(ids) and calls == 3  # 450 unique ids in IN-lists of 200


def test_it_fetches_opportunity_graphs_in_two_queries(sf: SalesforceConnector) -> None:
    ids = [str(row["Id"]) for row in sf.query("SELECT Id FROM Opportunity")]
    assert len(ids) == 24
    graphs: dict[str, dict[str, object]] = {}
    calls = _calls(sf, lambda: graphs.update(sf.fetch_opportunity_graphs(ids, FULL_GRAPH)))
    assert calls == 2 and set(graphs) == set(ids)
    with_quote = [graph for graph in graphs.values() if graph["primary_quote"]]
    assert with_quote, "the seeded opportunities carry CPQ quotes"
    for graph in with_quote:
        account = graph["Account"]
        assert isinstance(account, dict) and account["Name"]
        quote = graph["primary_quote"]
        assert isinstance(quote, dict) and quote["SBQQ__Primary__c"] is True
        lines = quote["lines"]
        assert isinstance(lines, list) and lines
        assert all(line["SBQQ__Quote__c"] == quote["Id"] for line in lines)
    roles = [
        graph["OpportunityContactRoles"] for graph in graphs.values() if graph["OpportunityContactRoles"]
    ]
    assert roles and all(isinstance(role, dict) and role["records"] for role in roles)


def test_an_external_id_upsert_creates_once_then_updates(sf: SalesforceConnector) -> None:
    first = sf.upsert("Account", "NetSuite_Id__c", "NS-4242", {"Name": "Upsert Co"})
    second = sf.upsert("Account", "NetSuite_Id__c", "NS-4242", {"Name": "Upsert Co (renamed)"})
    assert (first.created, second.created) == (True, False) and first.id == second.id
    rows = list(sf.query("SELECT Id, Name FROM Account WHERE NetSuite_Id__c = 'NS-4242'"))
    assert [(row["Id"], row["Name"]) for row in rows] == [(first.id, "Upsert Co (renamed)")]


def test_a_collections_update_reports_each_failure_by_record(sf: SalesforceConnector) -> None:
    accounts = [str(row["Id"]) for row in sf.query("SELECT Id FROM Account ORDER BY Name LIMIT 3")]
    results = sf.collections_update(
        "Account",
        [
            {"Id": accounts[0], "Phone": "+1 555 0101"},
            {"Id": accounts[1], "Name": None},  # a required field cannot be cleared
            {"Id": accounts[2], "Phone": "+1 555 0103"},
        ],
    )
    assert [result.success for result in results] == [True, False, True]
    failure = results[1].error("collections update")
    assert failure.code and not failure.transient and failure.message
    assert results[1].errors[0]["statusCode"] == failure.code
    phones = {
        row["Id"]: row["Phone"]
        for row in sf.query_in("SELECT Id, Phone FROM Account WHERE Id IN ({ids})", accounts)
    }
    assert phones[accounts[0]] == "+1 555 0101" and phones[accounts[2]] == "+1 555 0103"


def test_it_describes_an_object(sf: SalesforceConnector) -> None:
    describe = sf.describe("Account")
    fields = {field["name"]: field for field in describe["fields"]}
    assert describe["name"] == "Account" and fields["NetSuite_Id__c"]["externalId"] is True
    with pytest.raises(ConnectorError) as caught:
        sf.describe("NoSuchObject__c")
    assert (caught.value.status, caught.value.transient) == (404, False)


def test_an_expired_session_is_renewed_once(
    sf: SalesforceConnector, records: list[RequestRecord], salesforce: RunningSimulator
) -> None:
    assert list(sf.query("SELECT Id FROM Account LIMIT 1"))
    control = https_session(salesforce.ca_file)
    control.post(salesforce.url + "/_control/salesforce/expire-sessions").raise_for_status()
    records.clear()
    assert list(sf.query("SELECT Id FROM Account LIMIT 1"))
    statuses = [(record.url.rsplit("/services/", 1)[-1].split("/")[0], record.status) for record in records]
    # Refused, signed in again (which asks Organization.IsSandbox once more), then the query.
    assert statuses == [("data", 401), ("oauth2", 200), ("data", 200), ("data", 200)]
    counters = control.get(salesforce.url + "/_control/salesforce/stats").json()["counters"]
    assert counters["invalid_session"] == 1 and counters["token_issued"] == 2


def test_it_reports_the_api_usage_of_the_last_answer(
    sf: SalesforceConnector, salesforce: RunningSimulator
) -> None:
    assert list(sf.query("SELECT Id FROM Account LIMIT 1"))
    stats = https_session(salesforce.ca_file).get(f"{salesforce.url}/_control/salesforce/stats").json()
    assert stats["api_usage"]["used"] > 0
    assert sf.api_usage() == (stats["api_usage"]["used"], stats["api_usage"]["max"])


def test_a_limit_in_front_of_the_token_endpoint_is_transient_and_retried(
    salesforce: RunningSimulator, seeded_connections: tuple[Connection, Connection]
) -> None:
    control = https_session(salesforce.ca_file)
    governance = f"{salesforce.url}/_control/governance"
    # Every request refused as over the limit (403 REQUEST_LIMIT_EXCEEDED), the token request included.
    control.patch(governance, json={"fault_rate": 1.0, "fault_kinds": "429"}).raise_for_status()
    connector = salesforce_connector(seeded_connections[0])
    with pytest.raises(ConnectorError) as refused:
        connector.authenticate()
    assert (refused.value.transient, refused.value.rate_limited, refused.value.code) == (
        True,
        True,
        "REQUEST_LIMIT_EXCEEDED",
    )
    # Transient, so a read that has to sign in first rides out a passing limit through the retries.
    control.patch(governance, json={"fault_rate": 0.0}).raise_for_status()
    assert list(connector.query("SELECT Id FROM Account LIMIT 1"))
