""" "Test connection": sign in, read one small thing, and say plainly what is wrong when that fails.

The console button, ``manage.py connection_test NAME`` and any health check call :func:`connection_test`.
Every failure is turned into one sentence an admin can act on (wrong URL, untrusted certificate, refused
credentials, a clock that differs from NetSuite's), with the steps and their timings for the details.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from django.contrib.auth.models import User
from django.utils import timezone

from core.secrets import SecretUnreadable
from sync.connections.connectors.errors import ConfigurationError, ConnectorError
from sync.connections.connectors.transport import RetryPolicy
from sync.connections.models import Connection, ConnectionEnvironment, ConnectionKind
from sync.connections.services import ConnectionMisconfigured, netsuite_connector, salesforce_connector

logger = logging.getLogger(__name__)

# A test should answer in seconds: one attempt, no back-off (a flaky network shows as a failure to retry).
TEST_RETRY = RetryPolicy(max_attempts=1)
# NetSuite refuses an OAuth 1.0a timestamp a few minutes off; below this we do not blame the clock.
CLOCK_SKEW_SUSPECT_SECONDS = 60.0


@dataclass
class ConnectionTestStep:
    name: str
    ok: bool
    detail: str
    elapsed_ms: float


@dataclass
class ConnectionTestResult:
    ok: bool
    # One line: what works, or what is wrong and what to do about it.
    message: str
    # A stable name for the diagnosis: OK, MISCONFIGURED, UNREACHABLE, NOT_FOUND, TLS_UNTRUSTED,
    # TLS_HOSTNAME, TLS_ERROR, BAD_CREDENTIALS, CLOCK_SKEW, FORBIDDEN, TIMEOUT, WRONG_ENVIRONMENT, ERROR.
    diagnosis: str
    steps: list[ConnectionTestStep] = field(default_factory=list)

    @property
    def elapsed_ms(self) -> float:
        return sum(step.elapsed_ms for step in self.steps)


class _Failed(Exception):
    def __init__(self, diagnosis: str, message: str) -> None:
        super().__init__(message)
        self.diagnosis = diagnosis
        self.message = message


def connection_test(*, connection: Connection, actor: User | None = None) -> ConnectionTestResult:
    """Authenticate, read a small thing, and store the outcome on the connection (``last_test_*``).

    ``actor`` is who asked (for the record; anyone who may see the console may test a connection
    through the command, the console offers the button to admins only).
    """
    steps: list[ConnectionTestStep] = []
    try:
        if connection.kind == ConnectionKind.SALESFORCE:
            summary = _test_salesforce(connection, steps)
        else:
            summary = _test_netsuite(connection, steps)
        result = ConnectionTestResult(True, summary, "OK", steps)
    except _Failed as failure:
        result = ConnectionTestResult(False, failure.message, failure.diagnosis, steps)
    total = f" ({result.elapsed_ms:.0f} ms)"
    Connection.objects.filter(pk=connection.pk).update(
        last_tested_at=timezone.now(), last_test_ok=result.ok, last_test_message=result.message + total
    )
    connection.refresh_from_db(fields=["last_tested_at", "last_test_ok", "last_test_message"])
    logger.info(
        "connection test of %s by %s: %s %s",
        connection.name,
        actor.get_username() if actor is not None else "a command",
        result.diagnosis,
        result.message,
    )
    return result


def _step(steps: list[ConnectionTestStep], name: str, connection: Connection, run: Callable[[], Any]) -> Any:
    started = time.perf_counter()
    try:
        value = run()
    except (ConnectionMisconfigured, ConfigurationError) as exc:
        steps.append(ConnectionTestStep(name, False, str(exc), _ms(started)))
        raise _Failed("MISCONFIGURED", f"The connection is incomplete: {exc}.") from exc
    except SecretUnreadable as exc:
        steps.append(ConnectionTestStep(name, False, str(exc), _ms(started)))
        raise _Failed(
            "MISCONFIGURED",
            "The stored secrets cannot be decrypted with FIELD_ENCRYPTION_KEYS: add the key they were "
            "saved with, or enter the secrets again.",
        ) from exc
    except ConnectorError as error:
        steps.append(ConnectionTestStep(name, False, str(error), _ms(started)))
        diagnosis, message = diagnose(error, connection)
        raise _Failed(diagnosis, message) from error
    steps.append(ConnectionTestStep(name, True, "ok", _ms(started)))
    return value


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000


def _test_salesforce(connection: Connection, steps: list[ConnectionTestStep]) -> str:
    connector = _step(
        steps, "configuration", connection, lambda: salesforce_connector(connection, retry=TEST_RETRY)
    )
    client = _step(steps, "sign in", connection, connector.authenticate)
    steps[-1].detail = f"signed in to {client.sf_instance}"
    limits = _step(steps, "read API limits", connection, connector.limits)
    daily = limits.get("DailyApiRequests") or {}
    steps[-1].detail = f"{daily.get('Remaining', '?')} of {daily.get('Max', '?')} daily API requests left"
    left = steps[-1].detail
    # The object the shipped flow reads: its metadata proves the integration user may see it (and is the
    # setup checklist's evidence that the org's metadata is readable, console/setup/checklist.py).
    described = _step(steps, "describe Opportunity", connection, lambda: connector.describe("Opportunity"))
    steps[-1].detail = f"Opportunity described ({len(described.get('fields') or [])} fields)"
    return f"Signed in to {client.sf_instance}; {left}; {steps[-1].detail}."


def _test_netsuite(connection: Connection, steps: list[ConnectionTestStep]) -> str:
    # Not through the shared limiter: one request must not queue behind a busy sync to say "it works".
    connector = _step(
        steps,
        "configuration",
        connection,
        lambda: netsuite_connector(connection, limited=False, retry=TEST_RETRY),
    )
    row = _step(steps, "sign in and run a 1-row SuiteQL query", connection, connector.ping)
    name = row.get("name") or row.get("id") or "no subsidiary"
    steps[-1].detail = f"first subsidiary: {name}"
    return f"Signed in to NetSuite account {connection.account_id}; SuiteQL works (first subsidiary: {name})."


def diagnose(error: ConnectorError, connection: Connection) -> tuple[str, str]:
    """(diagnosis, sentence) for a failed request of a connection test: the first step that recognises
    the failure (the network's, then the HTTP status's, then the sign-in's) tells what to do."""
    host = urlsplit(connection.base_url).netloc or connection.base_url
    if error.code == "WRONG_ENVIRONMENT":
        return "WRONG_ENVIRONMENT", _wrong_environment(error, connection)
    if error.code == "TLS_ERROR":
        return _diagnose_tls(error.message, host)
    if error.code == "CONNECTION_ERROR":
        return _diagnose_connection(error.message, host, connection.base_url)
    if error.code in ("CONNECT_TIMEOUT", "READ_TIMEOUT"):
        return "TIMEOUT", (
            f"{host} did not answer in time ({error.message}); "
            "a firewall or proxy may be dropping the traffic."
        )
    if error.status == 404:
        return "NOT_FOUND", (
            f"{connection.base_url} answered 404 Not Found on the API path: the base URL is probably wrong."
        )
    if connection.kind == ConnectionKind.SALESFORCE and error.operation == "authenticate":
        if error.status in (400, 401):
            return _diagnose_salesforce_sign_in(error)
    if error.status == 401:
        return _diagnose_refused(error, connection)
    if error.status == 403:
        return "FORBIDDEN", (
            f"Signed in, but the integration user may not do this ({error.code}: {error.message}): "
            "check its role."
        )
    return "ERROR", f"The request failed: {error}."


def _wrong_environment(error: ConnectorError, connection: Connection) -> str:
    sandbox = connection.environment == ConnectionEnvironment.SANDBOX
    if connection.kind == ConnectionKind.SALESFORCE:
        reached = "a production org (IsSandbox = false)" if sandbox else "a sandbox org (IsSandbox = true)"
    else:
        reached = "a production account" if sandbox else "a sandbox account"
    if sandbox:
        advice = (
            "after a sandbox refresh the sandbox carries production's settings, so a login URL, user or "
            "account id copied from production signs in there. Point this connection at the sandbox "
            "(test.salesforce.com or the sandbox's My Domain; a NetSuite account id like 1234567_SB1)"
        )
    else:
        advice = (
            "the settings name a sandbox (a sandbox login URL or user, a NetSuite account id ending _SB1). "
            "Point this connection at production, or mark it as a sandbox connection"
        )
    return (
        f"Refused: this {connection.environment} connection reached {reached} ({error.message}): {advice}. "
        "Nothing is read or written through it until this is put right."
    )


def _diagnose_tls(text: str, host: str) -> tuple[str, str]:
    lowered = text.lower()
    if "hostname mismatch" in lowered or "ip address mismatch" in lowered or "doesn't match" in lowered:
        return "TLS_HOSTNAME", (
            f"The certificate {host} presents is not issued for that name ({_short(text)}): use the host "
            "name the certificate names, or ask for a certificate that covers this one."
        )
    if "certificate verify failed" in lowered:
        return "TLS_UNTRUSTED", (
            f"The certificate of {host} is not trusted ({_short(text)}): add the CA bundle (the PEM of "
            "the CA that issued it, e.g. your proxy's) to this connection."
        )
    return "TLS_ERROR", f"The TLS handshake with {host} failed: {_short(text)}."


# How the resolver says a host name does not resolve, across platforms.
_DNS_FAILURES = (
    "name or service not known",
    "nodename nor servname",
    "getaddrinfo",
    "name resolution",
    "no address associated",
)


def _diagnose_connection(text: str, host: str, base_url: str) -> tuple[str, str]:
    lowered = text.lower()
    if any(sign in lowered for sign in _DNS_FAILURES):
        return "UNREACHABLE", f"The host name in {base_url} does not resolve (DNS): check the URL."
    if "refused" in lowered:
        return "UNREACHABLE", (
            f"Nothing accepts connections at {host} (connection refused): check the URL and port."
        )
    return "UNREACHABLE", f"Could not connect to {host}: {_short(text)}."


def _diagnose_salesforce_sign_in(error: ConnectorError) -> tuple[str, str]:
    what = (
        "client id and secret"
        if error.code.startswith("INVALID_CLIENT")
        else "user name, password with security token, client id and secret, or certificate"
    )
    return "BAD_CREDENTIALS", f"Salesforce refused the sign-in ({error.message}): check the {what}."


def _diagnose_refused(error: ConnectorError, connection: Connection) -> tuple[str, str]:
    """A 401 on a request: a skewed clock (NetSuite's signatures), else the credentials."""
    if error.clock_skew is not None and abs(error.clock_skew) >= CLOCK_SKEW_SUSPECT_SECONDS:
        direction = "behind" if error.clock_skew > 0 else "ahead of"
        return "CLOCK_SKEW", (
            "NetSuite refused the signed request: the clock of this machine is "
            f"{_duration(error.clock_skew)} {direction} NetSuite's, and token-based authentication "
            "only accepts a few minutes of difference. Synchronise the clock (NTP)."
        )
    if connection.kind == ConnectionKind.NETSUITE:
        return "BAD_CREDENTIALS", (
            f"NetSuite refused the login ({error.code}): check the account id, consumer key and secret, "
            "token id and secret (or certificate id and key); NetSuite's Login Audit Trail says why."
        )
    return "BAD_CREDENTIALS", f"Salesforce refused the session ({error.code}): {error.message}."


def _short(text: str) -> str:
    # ssl's messages end with "(_ssl.c:1006)", which helps nobody.
    return text.split(" (_ssl.c")[0].strip()


def _duration(seconds: float) -> str:
    seconds = abs(seconds)
    if seconds >= 3600:
        return f"{seconds / 3600:.1f} hours"
    if seconds >= 120:
        return f"{seconds / 60:.0f} minutes"
    return f"{seconds:.0f} seconds"
