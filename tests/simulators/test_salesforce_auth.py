"""Salesforce simulator OAuth: password, client credentials and JWT bearer grants; sessions and expiry."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import time
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceExpiredSession

from simulators.core.runner import RunningSimulator, start_in_thread
from simulators.salesforce import login
from simulators.salesforce.auth import JWT_GRANT
from simulators.salesforce.spec import SPEC
from tests.simulators.conftest import https_session

# simple-salesforce resolves sObject attributes (sf.Account) dynamically: its type stubs cannot follow.
Client = Any


def _body(raised: pytest.ExceptionInfo[Any]) -> Any:
    """The decoded JSON error body (simple-salesforce types ``content`` as bytes)."""
    return raised.value.content


TOKEN_PATH = "/services/oauth2/token"


def _client(sim: RunningSimulator, token: dict[str, str]) -> Client:
    return Salesforce(
        instance_url=token["instance_url"],
        session_id=token["access_token"],
        session=https_session(sim.ca_file),
        version="62.0",
    )


def _key_and_certificate() -> tuple[str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "concord-connected-app")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    return key_pem, certificate.public_bytes(serialization.Encoding.PEM).decode()


def test_it_issues_a_token_for_the_password_flow(salesforce_sim: RunningSimulator) -> None:
    token = login.password_token(https_session(salesforce_sim.ca_file), salesforce_sim.url)
    assert token["token_type"] == "Bearer"
    assert token["instance_url"] == salesforce_sim.url
    assert token["access_token"].startswith(token["id"].split("/")[-2][:15] + "!")
    expected = hmac.new(
        login.DEMO_CLIENT_SECRET.encode(), (token["id"] + token["issued_at"]).encode(), hashlib.sha256
    ).digest()
    assert base64.b64decode(token["signature"]) == expected
    assert _client(salesforce_sim, token).query("SELECT COUNT() FROM Account")["totalSize"] == 0


@pytest.mark.parametrize(
    ("overrides", "error", "description"),
    [
        ({"password": "wrong"}, "invalid_grant", "authentication failure"),
        ({"username": "someone@else.example"}, "invalid_grant", "authentication failure"),
        ({"password": login.DEMO_PASSWORD}, "invalid_grant", "authentication failure"),  # token missing
        ({"client_id": "nope"}, "invalid_client_id", "client identifier invalid"),
        ({"client_secret": "nope"}, "invalid_client", "invalid client credentials"),
        ({"grant_type": "refresh_token"}, "unsupported_grant_type", "grant type not supported"),
    ],
)
def test_it_refuses_bad_credentials_like_salesforce(
    salesforce_sim: RunningSimulator, overrides: dict[str, str], error: str, description: str
) -> None:
    form = {
        "grant_type": "password",
        "client_id": login.DEMO_CLIENT_ID,
        "client_secret": login.DEMO_CLIENT_SECRET,
        "username": login.DEMO_USERNAME,
        "password": login.DEMO_PASSWORD + login.DEMO_SECURITY_TOKEN,
        **overrides,
    }
    answer = https_session(salesforce_sim.ca_file).post(salesforce_sim.url + TOKEN_PATH, data=form)
    assert answer.status_code == 400
    assert answer.json() == {"error": error, "error_description": description}


def test_it_issues_tokens_for_client_credentials_in_basic_auth_or_the_body(
    salesforce_sim: RunningSimulator,
) -> None:
    session = https_session(salesforce_sim.ca_file)
    basic = base64.b64encode(f"{login.DEMO_CLIENT_ID}:{login.DEMO_CLIENT_SECRET}".encode()).decode()
    answer = session.post(
        salesforce_sim.url + TOKEN_PATH,
        data={"grant_type": "client_credentials"},
        headers={"Authorization": f"Basic {basic}"},
    )
    assert answer.status_code == 200
    assert _client(salesforce_sim, answer.json()).limits()["DailyApiRequests"]["Max"] == 100_000
    in_body = session.post(
        salesforce_sim.url + TOKEN_PATH,
        data={
            "grant_type": "client_credentials",
            "client_id": login.DEMO_CLIENT_ID,
            "client_secret": "wrong",
        },
    )
    assert in_body.status_code == 400
    assert in_body.json()["error"] == "invalid_client"


def test_it_accepts_a_jwt_signed_by_the_registered_certificate(salesforce_sim: RunningSimulator) -> None:
    session = https_session(salesforce_sim.ca_file)
    key_pem, certificate_pem = _key_and_certificate()
    registered = session.post(
        salesforce_sim.url + "/_control/salesforce/connected-app", json={"certificate_pem": certificate_pem}
    )
    assert registered.json()["jwt_certificate"] is True

    def exchange(key: str = key_pem, **claims: object) -> dict[str, str]:
        payload = {
            "iss": login.DEMO_CLIENT_ID,
            "sub": login.DEMO_USERNAME,
            "aud": "https://login.salesforce.com",
            "exp": f"{time.time() + 180:.0f}",
            **claims,
        }
        signing_key = key
        assertion = jwt.encode(payload, signing_key, algorithm="RS256")
        answer = session.post(
            salesforce_sim.url + TOKEN_PATH, data={"grant_type": JWT_GRANT, "assertion": assertion}
        )
        return {"status": str(answer.status_code), **answer.json()}

    good = exchange()
    assert good["status"] == "200"
    assert _client(salesforce_sim, good).query("SELECT Id FROM User")["totalSize"] == 1
    assert exchange(aud=salesforce_sim.url)["status"] == "200"  # the connector's default audience
    other_key, _ = _key_and_certificate()
    assert exchange(key=other_key)["error_description"] == "invalid assertion"
    assert exchange(aud="https://example.com")["error_description"] == "audience is invalid"
    assert exchange(iss="someone-else")["error"] == "invalid_client_id"
    assert exchange(exp=int(time.time()) - 10)["error_description"] == "expired authorization code"
    assert exchange(sub="nobody@example.com")["error_description"] == "invalid assertion"


def test_it_refuses_a_non_rsa_or_garbage_certificate(salesforce_sim: RunningSimulator) -> None:
    answer = https_session(salesforce_sim.ca_file).post(
        salesforce_sim.url + "/_control/salesforce/connected-app", json={"certificate_pem": "not a pem"}
    )
    assert answer.status_code == 400


def test_it_answers_401_invalid_session_for_unknown_and_expired_tokens(
    salesforce_sim: RunningSimulator,
) -> None:
    session = https_session(salesforce_sim.ca_file)
    unknown = session.get(
        salesforce_sim.url + "/services/data/v62.0/limits/",
        headers={"Authorization": "Bearer 00Dxx!nonsense"},
    )
    assert unknown.status_code == 401
    assert unknown.json() == [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]
    sf = _client(salesforce_sim, login.password_token(session, salesforce_sim.url))
    sf.limits()
    expired = session.post(salesforce_sim.url + "/_control/salesforce/expire-sessions").json()
    assert expired["expired"] >= 1
    with pytest.raises(SalesforceExpiredSession) as raised:
        sf.limits()
    assert _body(raised)[0]["errorCode"] == "INVALID_SESSION_ID"


def test_it_expires_a_session_after_its_lifetime(simulator_dir: Path) -> None:
    sim = start_in_thread(SPEC, simulator_dir, session_seconds=0.5)
    try:
        sf = _client(sim, login.password_token(https_session(sim.ca_file), sim.url))
        sf.limits()
        time.sleep(0.6)
        with pytest.raises(SalesforceExpiredSession):
            sf.limits()
    finally:
        sim.stop()


def test_it_keeps_sessions_across_a_restart(simulator_dir: Path) -> None:
    first = start_in_thread(SPEC, simulator_dir)
    token = login.password_token(https_session(first.ca_file), first.url)
    first.stop()
    second = start_in_thread(SPEC, simulator_dir)
    try:
        answer = https_session(second.ca_file).get(
            second.url + "/services/data/v62.0/limits/",
            headers={"Authorization": "Bearer " + token["access_token"]},
        )
        assert answer.status_code == 200
    finally:
        second.stop()
