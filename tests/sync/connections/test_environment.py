"""A sandbox connection that reaches production is refused, and the reverse, in "Test connection" and before
any sync call (once per connector, checked against the simulators over HTTPS)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError

from simulators.core.runner import RunningSimulator, start_in_thread
from simulators.netsuite.spec import SPEC as NETSUITE_SPEC
from sync.connections.checks import connection_test
from sync.connections.connectors.errors import ConnectorError
from sync.connections.connectors.netsuite import account_is_sandbox, answering_account
from sync.connections.models import Connection
from sync.connections.services import connection_create, netsuite_connector, salesforce_connector
from tests.simulators.conftest import https_session
from tests.sync.conftest import netsuite_connection_for


def _org_is_sandbox(running: RunningSimulator, value: bool) -> None:
    https_session(running.ca_file).patch(
        running.url + "/_control/salesforce/organization", json={"IsSandbox": value}
    ).raise_for_status()


def test_the_demos_sandbox_connections_pass(
    salesforce_connection: Connection, netsuite_connection: Connection
) -> None:
    for connection in (salesforce_connection, netsuite_connection):
        assert connection.environment == "sandbox"
        assert connection_test(connection=connection).ok


def test_a_sandbox_salesforce_connection_that_reaches_production_is_refused(
    salesforce_connection: Connection, salesforce_sim: RunningSimulator
) -> None:
    _org_is_sandbox(salesforce_sim, False)  # a refresh gone wrong: the settings now sign in to production
    result = connection_test(connection=salesforce_connection)
    assert (result.ok, result.diagnosis) == (False, "WRONG_ENVIRONMENT")
    assert "this sandbox connection reached a production org (IsSandbox = false)" in result.message
    assert "after a sandbox refresh" in result.message
    # A sync's connector refuses before any write is sent, and keeps refusing (no client is kept).
    connector = salesforce_connector(salesforce_connection)
    for _ in range(2):
        with pytest.raises(ConnectorError) as refused:
            connector.upsert("Account", "NetSuite_Id__c", "1", {"Name": "must not land"})
        assert refused.value.code == "WRONG_ENVIRONMENT" and not refused.value.transient
    _org_is_sandbox(salesforce_sim, True)
    assert not list(
        salesforce_connector(salesforce_connection).query(
            "SELECT Id FROM Account WHERE Name = 'must not land'"
        )
    )


def test_a_production_salesforce_connection_that_reaches_a_sandbox_is_refused(
    salesforce_connection: Connection,
) -> None:
    Connection.objects.filter(pk=salesforce_connection.pk).update(environment="production")
    salesforce_connection.refresh_from_db()
    result = connection_test(connection=salesforce_connection)
    assert (result.ok, result.diagnosis) == (False, "WRONG_ENVIRONMENT")
    assert "this production connection reached a sandbox org (IsSandbox = true)" in result.message


def test_a_sandbox_netsuite_connection_that_reaches_a_production_account_is_refused(
    db: None, tmp_path: Path
) -> None:
    production = start_in_thread(NETSUITE_SPEC, tmp_path / "ns", account_id="1234567")
    try:
        connection = netsuite_connection_for(production, name="ns-copied")
        Connection.objects.filter(pk=connection.pk).update(account_id="1234567")  # production's settings
        connection.refresh_from_db()
        result = connection_test(connection=connection)
        assert (result.ok, result.diagnosis) == (False, "WRONG_ENVIRONMENT"), result.message
        assert "this sandbox connection reached a production account" in result.message
        assert "1234567_SB1" in result.message  # what a sandbox account id looks like
        connector = netsuite_connector(connection, limited=False)
        with pytest.raises(ConnectorError) as refused:
            connector.upsert("customer", "eid-1", {"companyName": "must not land"})
        assert refused.value.code == "WRONG_ENVIRONMENT"
        # Put right as production, it passes.
        Connection.objects.filter(pk=connection.pk).update(environment="production")
        connection.refresh_from_db()
        assert connection_test(connection=connection).ok
    finally:
        production.stop()


def test_a_production_netsuite_connection_that_reaches_a_sandbox_is_refused(
    netsuite_connection: Connection,
) -> None:
    Connection.objects.filter(pk=netsuite_connection.pk).update(environment="production")
    netsuite_connection.refresh_from_db()
    result = connection_test(connection=netsuite_connection)
    assert (result.ok, result.diagnosis) == (False, "WRONG_ENVIRONMENT")
    assert "this production connection reached a sandbox account" in result.message


def test_netsuite_says_its_kind_in_its_account_id_and_host() -> None:
    assert account_is_sandbox("1234567_SB1") and account_is_sandbox("1234567-sb2")
    assert account_is_sandbox("1234567_RP") and not account_is_sandbox("1234567")
    body = {
        "links": [{"rel": "self", "href": "https://1234567.suitetalk.api.netsuite.com/services/rest/query"}]
    }
    assert answering_account(body) == "1234567"
    assert answering_account({"links": [{"href": "https://127.0.0.1:8444/services/rest"}]}) == ""
    assert answering_account(None) == ""


@pytest.mark.parametrize(
    ("environment", "account_id", "says"),
    [
        ("sandbox", "1234567", "is a production account"),
        ("production", "1234567_SB1", "is a sandbox account"),
    ],
)
def test_a_netsuite_account_id_of_the_other_kind_is_refused_when_saved(
    admin: User, environment: str, account_id: str, says: str
) -> None:
    fields: dict[str, Any] = {
        "name": "ns-new",
        "kind": "netsuite",
        "environment": environment,
        "base_url": "https://example.suitetalk.api.netsuite.com",
        "auth_method": "ns_token",
        "account_id": account_id,
        "client_id": "consumer-key",
    }
    with pytest.raises(ValidationError, match=says):
        connection_create(actor=admin, **fields)
    assert not Connection.objects.filter(name="ns-new").exists()
    fixed = "1234567_SB1" if environment == "sandbox" else "1234567"
    assert connection_create(actor=admin, **{**fields, "account_id": fixed}).account_id == fixed
