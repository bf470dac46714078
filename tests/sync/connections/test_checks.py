""" "Test connection" against the simulators over HTTPS: each way of being wrong gets its own diagnosis."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import certifi
import pytest
from django.core.management import CommandError, call_command

from simulators.core.runner import RunningSimulator, start_in_thread
from simulators.netsuite.spec import SPEC as NETSUITE_SPEC
from sync.connections.checks import connection_test
from sync.connections.models import Connection
from sync.connections.services import connection_secrets_store
from tests.sync.conftest import netsuite_connection_for


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _set(connection: Connection, *, secrets: dict[str, str] | None = None, **fields: object) -> None:
    for name, value in fields.items():
        setattr(connection, name, value)
    if secrets:
        connection_secrets_store(connection, secrets)
    connection.save()


def test_it_passes_and_records_the_result(
    salesforce_connection: Connection, netsuite_connection: Connection
) -> None:
    for connection in (salesforce_connection, netsuite_connection):
        result = connection_test(connection=connection)
        assert result.ok and result.diagnosis == "OK", result.message
        assert all(step.ok for step in result.steps) and len(result.steps) >= 2
        stored = Connection.objects.get(pk=connection.pk)
        assert stored.last_test_ok is True and stored.last_tested_at is not None
        assert stored.last_test_message.startswith("Signed in") and " ms)" in stored.last_test_message
    assert "daily API requests left" in connection_test(connection=salesforce_connection).message


@pytest.mark.parametrize("side", ["salesforce", "netsuite"])
def test_it_reports_nothing_listening_on_a_wrong_port(
    side: str, salesforce_connection: Connection, netsuite_connection: Connection
) -> None:
    connection = salesforce_connection if side == "salesforce" else netsuite_connection
    _set(connection, base_url=f"https://127.0.0.1:{_free_port()}")
    started = time.monotonic()
    result = connection_test(connection=connection)
    assert not result.ok and result.diagnosis == "UNREACHABLE"
    assert "connection refused" in result.message and "check the URL and port" in result.message
    assert time.monotonic() - started < 5  # one attempt, no back-off loop
    assert Connection.objects.get(pk=connection.pk).last_test_ok is False


def test_it_reports_a_host_name_that_does_not_resolve(netsuite_connection: Connection) -> None:
    _set(netsuite_connection, base_url="https://concord-test.invalid")  # .invalid never resolves (RFC 6761)
    result = connection_test(connection=netsuite_connection)
    assert (result.ok, result.diagnosis) == (False, "UNREACHABLE")
    assert "does not resolve (DNS)" in result.message


@pytest.mark.parametrize("side", ["salesforce", "netsuite"])
def test_it_reports_a_wrong_api_path(
    side: str, salesforce_connection: Connection, netsuite_connection: Connection
) -> None:
    connection = salesforce_connection if side == "salesforce" else netsuite_connection
    _set(connection, base_url=connection.base_url + "/not-the-api")
    result = connection_test(connection=connection)
    assert (result.ok, result.diagnosis) == (False, "NOT_FOUND")
    assert "404" in result.message and "base URL" in result.message


@pytest.mark.parametrize("side", ["salesforce", "netsuite"])
def test_it_says_to_add_the_ca_bundle_when_the_certificate_is_not_trusted(
    side: str, salesforce_connection: Connection, netsuite_connection: Connection
) -> None:
    connection = salesforce_connection if side == "salesforce" else netsuite_connection
    # Public CAs only: none of them issued the simulators' certificate.
    _set(connection, ca_bundle=Path(certifi.where()).read_text())
    result = connection_test(connection=connection)
    assert (result.ok, result.diagnosis) == (False, "TLS_UNTRUSTED")
    assert "not trusted" in result.message and "add the CA bundle" in result.message


@pytest.fixture
def netsuite_on_other_address(simulator_dir: Path) -> Iterator[RunningSimulator]:
    # The simulators' certificate names localhost and 127.0.0.1, not 127.0.0.2.
    running = start_in_thread(NETSUITE_SPEC, simulator_dir / "other", host="127.0.0.2")
    yield running
    running.stop()


def test_it_reports_a_certificate_for_another_host(
    db: None, netsuite_on_other_address: RunningSimulator
) -> None:
    connection = netsuite_connection_for(netsuite_on_other_address, name="ns-other-host")
    result = connection_test(connection=connection)
    assert (result.ok, result.diagnosis) == (False, "TLS_HOSTNAME"), result.message
    assert "not issued for that name" in result.message and "127.0.0.2" in result.message


def test_it_reports_refused_salesforce_credentials(salesforce_connection: Connection) -> None:
    _set(salesforce_connection, secrets={"password": "not-the-password"})
    result = connection_test(connection=salesforce_connection)
    assert (result.ok, result.diagnosis) == (False, "BAD_CREDENTIALS")
    assert "invalid_grant" in result.message and "password" in result.message
    assert "not-the-password" not in result.message + str(result.steps)


def test_it_reports_refused_netsuite_credentials(netsuite_connection: Connection) -> None:
    _set(netsuite_connection, secrets={"token_secret": "not-the-token-secret"})
    result = connection_test(connection=netsuite_connection)
    assert (result.ok, result.diagnosis) == (False, "BAD_CREDENTIALS")
    assert "INVALID_LOGIN" in result.message and "token id and secret" in result.message


def test_it_blames_the_clock_when_the_oauth_timestamp_is_far_off(
    netsuite_connection: Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The signer's clock runs an hour late; the credentials themselves are right.
    monkeypatch.setattr(
        "sync.connections.connectors.oauth1.oauth_timestamp", lambda: str(int(time.time()) - 3600)
    )
    result = connection_test(connection=netsuite_connection)
    assert (result.ok, result.diagnosis) == (False, "CLOCK_SKEW"), result.message
    assert "the clock of this machine is 1.0 hours behind NetSuite's" in result.message


def test_it_does_not_blame_the_clock_for_a_small_difference(
    netsuite_connection: Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        "sync.connections.connectors.oauth1.oauth_timestamp", lambda: str(int(time.time()) - 20)
    )
    assert connection_test(connection=netsuite_connection).ok


def test_it_reports_a_connection_missing_a_secret(netsuite_connection: Connection) -> None:
    netsuite_connection.auth_method = "ns_m2m"
    netsuite_connection.secrets = ""
    netsuite_connection.save()
    result = connection_test(connection=netsuite_connection)
    assert (result.ok, result.diagnosis) == (False, "MISCONFIGURED")
    assert "needs" in result.message


def test_the_command_prints_the_steps(
    salesforce_connection: Connection, capsys: pytest.CaptureFixture[str]
) -> None:
    call_command("connection_test", salesforce_connection.name)
    out = capsys.readouterr().out
    assert "sign in" in out and "read API limits" in out and "Signed in to" in out
    assert "describe Opportunity" in out and "Opportunity described (" in out


def test_the_command_fails_with_the_diagnosis(
    netsuite_connection: Connection, capsys: pytest.CaptureFixture[str]
) -> None:
    _set(netsuite_connection, base_url=f"https://127.0.0.1:{_free_port()}")
    with pytest.raises(CommandError, match="UNREACHABLE: Nothing accepts connections"):
        call_command("connection_test", netsuite_connection.name)
    assert "FAIL" in capsys.readouterr().out
    with pytest.raises(CommandError, match="no connection named 'nope'"):
        call_command("connection_test", "nope")
