"""Failure classification and the shared retry policy (pure: no network)."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest
import requests
from simple_salesforce.exceptions import (
    SalesforceError,
    SalesforceExpiredSession,
    SalesforceGeneralError,
    SalesforceMalformedRequest,
    SalesforceMoreThanOneRecord,
    SalesforceRefusedRequest,
)

from sync.connections.connectors.errors import ConfigurationError, ConnectorError
from sync.connections.connectors.netsuite import account_slug, error_from_response
from sync.connections.connectors.salesforce import error_from_exception, soql_literal
from sync.connections.connectors.transport import (
    ConnectorSession,
    RetryPolicy,
    call_with_retry,
    transport_error,
)


def netsuite_answer(status: int, details: list[dict[str, str]]) -> requests.Response:
    answer = requests.Response()
    answer.status_code = status
    answer._content = json.dumps(
        {"type": "x", "title": "t", "status": status, "o:errorDetails": details}
    ).encode()
    return answer


def test_it_keeps_netsuite_code_detail_and_error_path() -> None:
    error = error_from_response(
        netsuite_answer(
            400,
            [
                {
                    "detail": "Invalid Field Value 999 for the following field: entity",
                    "o:errorCode": "INVALID_KEY_OR_REF",
                    "o:errorPath": "entity",
                }
            ],
        ),
        "upsert salesOrder",
    )
    assert (error.transient, error.code, error.path, error.status) == (
        False,
        "INVALID_KEY_OR_REF",
        "entity",
        400,
    )
    assert "entity" in error.message
    assert error.as_dict()["classification"] == "permanent"


def test_it_treats_the_concurrency_refusal_as_transient_and_not_ambiguous() -> None:
    error = error_from_response(
        netsuite_answer(
            429,
            [
                {
                    "detail": "Concurrent request limit exceeded. Request blocked.",
                    "o:errorCode": "CONCURRENCY_LIMIT_EXCEEDED",
                }
            ],
        ),
        "get customer",
    )
    assert error.transient and error.rate_limited and not error.ambiguous


def test_it_reads_the_concurrency_code_even_under_a_bad_request_title() -> None:
    # API-FACTS (unsure): some accounts report it with title "Bad Request".
    error = error_from_response(
        netsuite_answer(
            400,
            [
                {
                    "detail": "Concurrent request limit exceeded. Request blocked.",
                    "o:errorCode": "CONCURRENCY_LIMIT_EXCEEDED",
                }
            ],
        ),
        "get customer",
    )
    assert error.transient and error.rate_limited


@pytest.mark.parametrize("status", [500, 502, 503])
def test_it_treats_server_errors_as_transient_and_ambiguous(status: int) -> None:
    error = error_from_response(netsuite_answer(status, []), "upsert customer")
    assert error.transient and error.ambiguous


def sf_error(cls: type[SalesforceError], url: str, status: int, name: str, content: Any) -> SalesforceError:
    """simple-salesforce raises with the parsed JSON body as ``content`` (its stubs say bytes)."""
    return cls(url, status, name, content)


def test_it_classifies_salesforce_exceptions() -> None:
    bad = sf_error(
        SalesforceMalformedRequest,
        "u",
        400,
        "create",
        [
            {
                "message": "Required fields are missing: [Name]",
                "errorCode": "REQUIRED_FIELD_MISSING",
                "fields": ["Name"],
            }
        ],
    )
    limited = sf_error(
        SalesforceRefusedRequest,
        "u",
        403,
        "query",
        [{"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}],
    )
    down = sf_error(
        SalesforceGeneralError, "u", 503, "query", [{"message": "down", "errorCode": "SERVER_UNAVAILABLE"}]
    )
    expired = sf_error(
        SalesforceExpiredSession,
        "u",
        401,
        "query",
        [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}],
    )
    several = sf_error(SalesforceMoreThanOneRecord, "u", 300, "upsert", ["/a", "/b"])
    assert error_from_exception(bad, "create").transient is False
    assert error_from_exception(bad, "create").path == "Name"
    assert error_from_exception(limited, "query").rate_limited is True
    assert error_from_exception(down, "query").transient is True
    assert error_from_exception(expired, "query").code == "INVALID_SESSION_ID"
    assert error_from_exception(several, "upsert").code == "MULTIPLE_RECORDS"


def test_it_classifies_transport_failures() -> None:
    assert transport_error("netsuite", "x", requests.exceptions.ReadTimeout()).ambiguous is True
    assert transport_error("netsuite", "x", requests.exceptions.ConnectTimeout()).transient is True
    assert transport_error("netsuite", "x", requests.exceptions.SSLError("bad cert")).transient is False


def test_retry_is_bounded_and_stops_on_permanent_errors() -> None:
    calls: list[int] = []
    sleeps: list[float] = []

    def flaky() -> str:
        calls.append(1)
        raise ConnectorError("netsuite", True, "busy", status=503)

    with pytest.raises(ConnectorError):
        call_with_retry(
            flaky, policy=RetryPolicy(max_attempts=3, base_delay=0.1), idempotent=True, sleep=sleeps.append
        )
    assert len(calls) == 3 and len(sleeps) == 2
    calls.clear()

    def broken() -> str:
        calls.append(1)
        raise ConnectorError("netsuite", False, "bad")

    with pytest.raises(ConnectorError):
        call_with_retry(broken, policy=RetryPolicy(max_attempts=5), idempotent=True, sleep=sleeps.append)
    assert len(calls) == 1


def test_a_create_is_not_retried_after_an_ambiguous_failure() -> None:
    calls: list[int] = []

    def create() -> str:
        calls.append(1)
        raise ConnectorError("netsuite", True, "timeout", ambiguous=True)

    with pytest.raises(ConnectorError):
        call_with_retry(create, policy=RetryPolicy(max_attempts=4), idempotent=False, sleep=lambda s: None)
    assert len(calls) == 1


def test_backoff_grows_and_is_capped() -> None:
    policy = RetryPolicy(base_delay=1, max_delay=5)
    rng = random.Random(3)
    assert all(0 <= policy.delay(1, rng=rng) <= 1 for _ in range(50))
    assert max(policy.delay(10, rng=rng) for _ in range(200)) <= 5
    assert max(policy.delay(3, rng=rng) for _ in range(200)) > 2


def test_account_slug_follows_netsuite_host_names() -> None:
    assert account_slug("1234567_SB1") == "1234567-sb1"
    with pytest.raises(ConfigurationError):
        account_slug("123/../evil")


def test_soql_literals_are_escaped() -> None:
    assert soql_literal("O'Brien \\ Co") == "'O\\'Brien \\\\ Co'"


def test_the_connection_ca_wins_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/certs/ca-certificates.crt")
    session = ConnectorSession(ca_bundle="/tmp/our-ca.pem", timeout=(1, 2))
    settings = session.merge_environment_settings("https://x.example/", {}, False, None, None)
    assert settings["verify"] == "/tmp/our-ca.pem"
    plain = ConnectorSession(ca_bundle=None, timeout=(1, 2))
    assert plain.merge_environment_settings("https://x.example/", {}, False, None, None)["verify"] == (
        "/etc/ssl/certs/ca-certificates.crt"
    )
