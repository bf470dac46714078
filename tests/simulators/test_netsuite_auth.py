"""NetSuite simulator authentication: OAuth 1.0a TBA checked for real, OAuth 2.0 M2M, governance answers.

Every client here is plain requests + requests-oauthlib, configured the way API-FACTS.md shows.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import jwt
import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from requests_oauthlib import OAuth1

from simulators.core.runner import RunningSimulator
from simulators.netsuite.auth import NonceCache
from simulators.netsuite.client import signed_session
from simulators.netsuite.spec import DEFAULT_ACCOUNT_ID, DEMO_INTEGRATION
from tests.simulators.conftest import https_session

LIST = "/services/rest/record/v1/currency"
SUITEQL = "/services/rest/query/v1/suiteql"


def oauth(**overrides: Any) -> OAuth1:
    options: dict[str, Any] = {
        "client_secret": DEMO_INTEGRATION.consumer_secret,
        "resource_owner_key": DEMO_INTEGRATION.token_id,
        "resource_owner_secret": DEMO_INTEGRATION.token_secret,
        "realm": DEFAULT_ACCOUNT_ID,
        "signature_method": "HMAC-SHA256",
    }
    options.update(overrides)
    return OAuth1(options.pop("client_key", DEMO_INTEGRATION.consumer_key), **options)


def call(sim: RunningSimulator, auth: Any, path: str = LIST, **kwargs: Any) -> requests.Response:
    session = https_session(sim.ca_file)
    return session.get(sim.url + path, auth=auth, **kwargs)


def assert_invalid_login(answer: requests.Response, reason: str) -> None:
    assert answer.status_code == 401, answer.text
    body = answer.json()
    assert body["title"] == "Unauthorized"
    assert body["status"] == 401
    assert body["type"] == "https://www.rfc-editor.org/rfc/rfc9110.html#section-15.5.2"
    detail = body["o:errorDetails"][0]
    assert detail["o:errorCode"] == "INVALID_LOGIN"
    assert detail["detail"].startswith("Invalid login attempt.")
    assert reason in detail["detail"]


def test_it_accepts_a_correctly_signed_request(netsuite_sim: RunningSimulator) -> None:
    answer = call(netsuite_sim, oauth())
    assert answer.status_code == 200, answer.text
    assert answer.json()["totalResults"] == 0


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"client_secret": "not-the-secret"}, "signature does not match"),
        ({"resource_owner_secret": "not-the-token-secret"}, "signature does not match"),
        ({"realm": "1234567"}, "realm must be the account id"),
        ({"realm": "1234567_sb1"}, "realm must be the account id"),
        ({"signature_method": "HMAC-SHA1"}, "HMAC-SHA256"),
        ({"client_key": "someone-else"}, "unknown consumer key or token"),
        ({"resource_owner_key": "unknown-token"}, "unknown consumer key or token"),
        ({"timestamp": str(int(time.time()) - 3600)}, "seconds from the server's clock"),
        ({"timestamp": str(int(time.time()) + 3600)}, "seconds from the server's clock"),
    ],
)
def test_it_refuses_bad_credentials_with_invalid_login(
    netsuite_sim: RunningSimulator, overrides: dict[str, Any], reason: str
) -> None:
    assert_invalid_login(call(netsuite_sim, oauth(**overrides)), reason)


def test_it_refuses_a_missing_or_foreign_authorization_header(netsuite_sim: RunningSimulator) -> None:
    assert_invalid_login(call(netsuite_sim, None), "no Authorization header")
    session = https_session(netsuite_sim.ca_file)
    answer = session.get(netsuite_sim.url + LIST, headers={"Authorization": "Basic dXNlcjpwYXNz"})
    assert_invalid_login(answer, "not an OAuth header")


def test_it_refuses_a_reused_nonce(netsuite_sim: RunningSimulator) -> None:
    auth = oauth(nonce="the-same-nonce-twice")
    assert call(netsuite_sim, auth).status_code == 200
    assert_invalid_login(call(netsuite_sim, auth), "nonce was already used")


def test_query_parameters_are_part_of_the_signature(netsuite_sim: RunningSimulator) -> None:
    session = https_session(netsuite_sim.ca_file)
    signed = session.get(
        netsuite_sim.url + LIST, params={"limit": "5", "q": 'name START_WITH "US D"'}, auth=oauth()
    )
    assert signed.status_code == 200, signed.text
    prepared = session.prepare_request(
        requests.Request("GET", netsuite_sim.url + LIST + "?limit=5", auth=oauth())
    )
    prepared.url = netsuite_sim.url + LIST + "?limit=6"  # changed after signing
    assert_invalid_login(session.send(prepared), "signature does not match")


def test_json_bodies_are_not_part_of_the_signature(netsuite_sim: RunningSimulator) -> None:
    session = https_session(netsuite_sim.ca_file)
    request = requests.Request(
        "POST",
        netsuite_sim.url + SUITEQL,
        json={"q": "SELECT id FROM currency"},
        headers={"Prefer": "transient"},
        auth=oauth(),
    )
    prepared = session.prepare_request(request)
    prepared.prepare_body(data=None, files=None, json={"q": "SELECT id, name FROM subsidiary"})
    answer = session.send(prepared)
    assert answer.status_code == 200, answer.text


def test_tokens_registered_at_run_time_work_until_revoked(netsuite_sim: RunningSimulator) -> None:
    control = https_session(netsuite_sim.ca_file)
    token = {
        "consumer_key": "ck2",
        "consumer_secret": "cs2",
        "token_id": "t2",
        "token_secret": "ts2",
        "name": "BI",
    }
    assert control.post(netsuite_sim.url + "/_control/netsuite/tokens", json=token).status_code == 201
    auth = oauth(client_key="ck2", client_secret="cs2", resource_owner_key="t2", resource_owner_secret="ts2")
    assert call(netsuite_sim, auth).status_code == 200
    listed = control.get(netsuite_sim.url + "/_control/netsuite/tokens").json()["tokens"]
    assert {"name": "BI", "consumer_key": "ck2", "token_id": "t2"} in listed
    assert all("secret" not in key for entry in listed for key in entry)
    assert control.delete(netsuite_sim.url + "/_control/netsuite/tokens/t2").status_code == 204
    assert_invalid_login(call(netsuite_sim, auth), "unknown consumer key or token")
    assert call(netsuite_sim, oauth()).status_code == 200  # the demo token is untouched


# -- OAuth 2.0 machine to machine -------------------------------------------------------------------


def _register(sim: RunningSimulator, key: Any, certificate_id: str, client_id: str = "m2m-client") -> None:
    pem = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    answer = https_session(sim.ca_file).post(
        sim.url + "/_control/netsuite/certificates",
        json={"certificate_id": certificate_id, "client_id": client_id, "public_key_pem": pem},
    )
    assert answer.status_code == 201, answer.text


def _assertion(sim: RunningSimulator, key: Any, algorithm: str, kid: str, **claims: Any) -> str:
    now = int(time.time())
    payload = {
        "iss": "m2m-client",
        "scope": ["restlets", "rest_webservices"],
        "aud": sim.url + "/services/rest/auth/oauth2/v1/token",
        "iat": now,
        "exp": now + 3600,
        **claims,
    }
    return jwt.encode(payload, key, algorithm=algorithm, headers={"kid": kid, "typ": "JWT"})


def _token(sim: RunningSimulator, assertion: str) -> requests.Response:
    return https_session(sim.ca_file).post(
        sim.url + "/services/rest/auth/oauth2/v1/token",
        data={
            "grant_type": "client_credentials",
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": assertion,
        },
    )


@pytest.mark.parametrize("algorithm", ["PS256", "ES256"])
def test_m2m_exchanges_a_signed_assertion_for_a_bearer_token(
    netsuite_sim: RunningSimulator, algorithm: str
) -> None:
    key: Any = (
        rsa.generate_private_key(65537, 2048)
        if algorithm == "PS256"
        else ec.generate_private_key(ec.SECP256R1())
    )
    _register(netsuite_sim, key, "cert-" + algorithm)
    answer = _token(netsuite_sim, _assertion(netsuite_sim, key, algorithm, "cert-" + algorithm))
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["token_type"] == "bearer" and body["expires_in"] == 3600
    session = https_session(netsuite_sim.ca_file)
    session.headers["Authorization"] = "Bearer " + body["access_token"]
    assert session.get(netsuite_sim.url + LIST).status_code == 200
    session.headers["Authorization"] = "Bearer not-a-token"
    assert_invalid_login(session.get(netsuite_sim.url + LIST), "access token is invalid")


def test_m2m_refuses_bad_assertions(netsuite_sim: RunningSimulator) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    other = ec.generate_private_key(ec.SECP256R1())
    _register(netsuite_sim, key, "cert-1")
    cases = [
        (_assertion(netsuite_sim, key, "ES256", "unknown-kid"), 401, "invalid_client"),
        (_assertion(netsuite_sim, other, "ES256", "cert-1"), 400, "invalid_grant"),
        (
            _assertion(netsuite_sim, key, "ES256", "cert-1", aud="https://elsewhere.example/token"),
            400,
            "invalid_request",
        ),
        (_assertion(netsuite_sim, key, "ES256", "cert-1", iss="another-client"), 401, "invalid_client"),
        (_assertion(netsuite_sim, key, "ES256", "cert-1", exp=int(time.time()) - 10), 400, "invalid_grant"),
        (_assertion(netsuite_sim, key, "ES256", "cert-1", scope="restlets"), 400, "invalid_scope"),
        ("not.a.jwt", 400, "invalid_request"),
    ]
    for assertion, status, error in cases:
        answer = _token(netsuite_sim, assertion)
        assert (answer.status_code, answer.json()["error"]) == (status, error), answer.text


# -- governance in NetSuite's words --------------------------------------------------------------------

CONCURRENCY_BODY = {
    "type": "https://www.rfc-editor.org/rfc/rfc6585.html#section-4",
    "title": "Too Many Requests",
    "status": 429,
    "o:errorDetails": [
        {
            "detail": "Concurrent request limit exceeded. Request blocked.",
            "o:errorCode": "CONCURRENCY_LIMIT_EXCEEDED",
        }
    ],
}


def test_requests_over_the_concurrency_limit_get_429_concurrency_limit_exceeded(
    netsuite_sim: RunningSimulator,
) -> None:
    control = https_session(netsuite_sim.ca_file)
    control.patch(netsuite_sim.url + "/_control/governance", json={"concurrency_limit": 2, "latency_ms": 400})
    answers: list[requests.Response] = []

    def one() -> None:
        answers.append(signed_session(netsuite_sim.ca_file).get(netsuite_sim.url + LIST))

    threads = [threading.Thread(target=one) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    refused = [answer for answer in answers if answer.status_code == 429]
    assert refused and len(answers) - len(refused) >= 2
    assert all(answer.json() == CONCURRENCY_BODY for answer in refused)
    stats = control.get(netsuite_sim.url + "/_control/stats").json()
    assert stats["counters"]["refused_concurrency"] == len(refused)
    assert stats["peak_in_flight"] <= 2


@pytest.mark.parametrize(
    ("kind", "status", "code"),
    [
        ("429", 429, "CONCURRENCY_LIMIT_EXCEEDED"),
        ("500", 500, "UNEXPECTED_ERROR"),
        ("503", 503, "SERVICE_UNAVAILABLE"),
    ],
)
def test_injected_faults_answer_in_netsuite_error_shape(
    netsuite_sim: RunningSimulator, kind: str, status: int, code: str
) -> None:
    control = https_session(netsuite_sim.ca_file)
    control.patch(netsuite_sim.url + "/_control/governance", json={"fault_rate": 1, "fault_kinds": [kind]})
    answer = signed_session(netsuite_sim.ca_file).get(netsuite_sim.url + LIST)
    assert answer.status_code == status
    body = answer.json()
    assert body["status"] == status and body["o:errorDetails"][0]["o:errorCode"] == code


def test_the_nonce_cache_forgets_only_what_can_no_longer_be_replayed() -> None:
    cache = NonceCache(window=300)
    assert cache.first_use(("ck", "token", "n1"), timestamp=1000, now=1000)
    assert not cache.first_use(("ck", "token", "n1"), timestamp=1000, now=1299)
    assert cache.first_use(("ck", "other-token", "n1"), timestamp=1000, now=1000)
    # its timestamp has left the window: it can no longer be replayed, so it is forgotten
    assert cache.first_use(("ck", "token", "n1"), timestamp=1000, now=1302)
    bounded = NonceCache(window=300, max_entries=100)
    for n in range(1000):
        bounded.first_use(("ck", "token", str(n)), timestamp=1000 + n, now=1000 + n)
    assert len(bounded) <= 302
