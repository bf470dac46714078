"""The connectors' metadata calls on the wire (stubbed HTTP): paths, the JSON Schema Accept header,
the catalog list, a non-JSON answer, retries of a transient refusal."""

from __future__ import annotations

import pytest

from sync.connections.connectors.errors import ConnectorError
from sync.connections.connectors.netsuite import NetSuiteConfig, NetSuiteConnector, TokenAuth
from sync.connections.connectors.salesforce import (
    ClientCredentialsAuth,
    SalesforceConfig,
    SalesforceConnector,
)
from sync.connections.connectors.transport import RetryPolicy
from tests.sync.connections.metadata.samples import (
    CUSTOMER_SCHEMA,
    OPPORTUNITY_DESCRIBE,
    ns_catalog,
    sf_describe_global,
)
from tests.sync.connections.metadata.stub_http import StubAdapter

NS = "https://ns.test"
CATALOG = "/services/rest/record/v1/metadata-catalog"
SF = "https://sf.test"


def _netsuite(adapter: StubAdapter) -> NetSuiteConnector:
    config = NetSuiteConfig(
        account_id="1234567_SB1",
        auth=TokenAuth("ck", "cs", "tid", "ts"),
        base_url=NS,
        retry=RetryPolicy(max_attempts=3, base_delay=0.0, max_delay=0.0),
    )
    connector = NetSuiteConnector(config)
    connector._session().mount(NS, adapter)
    return connector


def _header(value: str | bytes) -> str:
    """A header as text (requests-oauthlib hands signed requests' headers over as bytes)."""
    return value.decode() if isinstance(value, bytes) else value


def test_netsuite_lists_the_catalog_and_asks_for_a_json_schema() -> None:
    adapter = StubAdapter(
        {
            ("GET", CATALOG): (200, ns_catalog("customer", "salesOrder", "customrecord_region")),
            ("GET", f"{CATALOG}/customer"): (
                200,
                CUSTOMER_SCHEMA,
                {"Content-Type": "application/schema+json"},
            ),
        }
    )
    connector = _netsuite(adapter)
    assert connector.metadata_catalog() == ["customer", "salesOrder", "customrecord_region"]
    assert connector.record_schema("customer") == CUSTOMER_SCHEMA
    schema_request = adapter.sent[-1]
    assert _header(schema_request.headers["Accept"]) == "application/schema+json"
    assert _header(schema_request.headers["Authorization"]).startswith('OAuth realm="1234567_SB1"')


def test_netsuite_refuses_a_metadata_answer_that_is_not_json() -> None:
    adapter = StubAdapter(
        {("GET", f"{CATALOG}/customer"): (200, b"<html>login</html>", {"Content-Type": "text/html"})}
    )
    with pytest.raises(ConnectorError) as caught:
        _netsuite(adapter).record_schema("customer")
    assert caught.value.code == "BAD_METADATA" and "customer" in caught.value.message
    assert not caught.value.transient


def test_netsuite_metadata_is_retried_on_a_concurrency_refusal_and_names_an_unknown_type() -> None:
    answers = iter(
        [
            (429, {"o:errorDetails": [{"detail": "busy", "o:errorCode": "CONCURRENCY_LIMIT_EXCEEDED"}]}),
            (200, CUSTOMER_SCHEMA),
        ]
    )
    adapter = StubAdapter(
        {
            ("GET", f"{CATALOG}/customer"): lambda request: next(answers),
            ("GET", f"{CATALOG}/nope"): (
                400,
                {
                    "o:errorDetails": [
                        {"detail": "Record type 'nope' does not exist.", "o:errorCode": "INVALID_PARAMETER"}
                    ]
                },
            ),
        }
    )
    connector = _netsuite(adapter)
    assert connector.record_schema("customer")["title"] == "Customer"
    with pytest.raises(ConnectorError, match="does not exist") as caught:
        connector.record_schema("nope")
    assert caught.value.status == 400 and caught.value.operation == "metadata nope"


def test_salesforce_reads_describe_global_and_describe() -> None:
    version = "/services/data/v60.0"
    adapter = StubAdapter(
        {
            ("POST", "/services/oauth2/token"): (200, {"access_token": "t0k", "instance_url": SF}),
            ("GET", f"{version}/sobjects/"): (200, sf_describe_global("Account", "Opportunity")),
            ("GET", f"{version}/sobjects/Opportunity/describe/"): (200, OPPORTUNITY_DESCRIBE),
        }
    )
    connector = SalesforceConnector(
        SalesforceConfig(login_url=SF, auth=ClientCredentialsAuth("id", "secret"))
    )
    connector._session.mount(SF, adapter)
    assert [s["name"] for s in connector.describe_global()["sobjects"]] == ["Account", "Opportunity"]
    assert connector.describe("Opportunity")["name"] == "Opportunity"
    assert adapter.sent[-1].headers["Authorization"] == "Bearer t0k"
