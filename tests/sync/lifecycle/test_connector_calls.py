"""The NetSuite connector's SuiteBilling calls on the wire (stubbed HTTP): the subscription lines and
change orders by SuiteQL, a change order saved by ``eid:`` upsert."""

from __future__ import annotations

import json

import pytest

from sync.connections.connectors.errors import ConfigurationError
from sync.connections.connectors.netsuite import NetSuiteConfig, NetSuiteConnector, TokenAuth
from sync.connections.connectors.transport import RetryPolicy
from tests.sync.connections.metadata.stub_http import StubAdapter

NS = "https://ns.test"
SUITEQL = "/services/rest/query/v1/suiteql"


def _netsuite(adapter: StubAdapter) -> NetSuiteConnector:
    config = NetSuiteConfig(
        account_id="1234567_SB1",
        auth=TokenAuth("ck", "cs", "tid", "ts"),
        base_url=NS,
        retry=RetryPolicy(max_attempts=2, base_delay=0.0, max_delay=0.0),
    )
    connector = NetSuiteConnector(config)
    connector._session().mount(NS, adapter)
    return connector


def _query(request: object) -> str:
    return str(json.loads(request.body)["q"])  # type: ignore[attr-defined]


def test_subscription_lines_by_suiteql_in_line_order() -> None:
    rows = [{"id": 7, "linenumber": 1, "item": 11, "quantity": 10, "isincluded": "T", "status": "ACTIVE"}]
    adapter = StubAdapter({("POST", SUITEQL): (200, {"items": rows, "hasMore": False})})
    assert _netsuite(adapter).subscription_lines("208") == rows
    query = _query(adapter.sent[0])
    assert "FROM subscriptionline WHERE subscription = 208 ORDER BY linenumber" in query


def test_subscription_lines_refuse_an_id_that_is_not_numeric() -> None:
    with pytest.raises(ConfigurationError):
        _netsuite(StubAdapter({})).subscription_lines("208 OR 1=1")


def test_change_orders_by_external_id_quotes_each_id() -> None:
    rows = [{"id": 41, "externalid": "CO-006-208-ACTIVATE-0"}]
    adapter = StubAdapter({("POST", SUITEQL): (200, {"items": rows, "hasMore": False})})
    found = _netsuite(adapter).change_orders_by_external_id(["CO-006-208-ACTIVATE-0", "CO-o'k"])
    assert found == {"CO-006-208-ACTIVATE-0": "41"}
    query = _query(adapter.sent[0])
    assert "FROM subscriptionchangeorder WHERE externalid IN ('CO-006-208-ACTIVATE-0', 'CO-o''k')" in query


def test_a_change_order_is_saved_by_eid_upsert() -> None:
    eid = "CO-006-208-MODIFY_PRICING-1"
    path = f"/services/rest/record/v1/subscriptionChangeOrder/eid:{eid}"
    adapter = StubAdapter(
        {("PUT", path): (204, b"", {"Location": f"{NS}/services/rest/record/v1/subscriptionChangeOrder/41"})}
    )
    body = {"action": "MODIFY_PRICING", "subscription": {"id": "208"}, "effectiveDate": "2026-06-01"}
    assert _netsuite(adapter).change_order_upsert(eid, body) == "41"
    sent = adapter.sent[0]
    assert json.loads(sent.body or b"") == body
