"""The lean OAuth 1.0a signer signs exactly as requests-oauthlib does, and the NetSuite simulator (which
checks signatures for real) accepts it."""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest
import requests
from oauthlib.oauth1 import Client  # type: ignore[import-untyped]

from simulators.core.runner import RunningSimulator
from simulators.netsuite.spec import DEFAULT_ACCOUNT_ID, DEMO_INTEGRATION
from sync.connections.connectors.oauth1 import TokenSigner, base_string_uri, escape
from tests.simulators.conftest import https_session

SECRETS = ("ck-ä 1", "cs/+=&", "tk~id", "ts secret&")


def reference(method: str, url: str, nonce: str, timestamp: str, realm: str) -> str:
    consumer_key, consumer_secret, token_id, token_secret = SECRETS
    client = Client(
        consumer_key,
        client_secret=consumer_secret,
        resource_owner_key=token_id,
        resource_owner_secret=token_secret,
        realm=realm,
        signature_method="HMAC-SHA256",
        nonce=nonce,
        timestamp=timestamp,
    )
    _, headers, _ = client.sign(url, method, None, {"Content-Type": "application/json"})
    header: str = headers["Authorization"]
    return header


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("GET", "https://1234567-sb1.suitetalk.api.netsuite.com/services/rest/record/v1/currency"),
        (
            "put",
            "https://1234567-SB1.suitetalk.api.netsuite.com:443/services/rest/record/v1/customer/eid:001B0",
        ),
        ("POST", "https://127.0.0.1:8443/services/rest/query/v1/suiteql?limit=1000&offset=0"),
        ("GET", "http://Example.com:80/a%20b/c?expandSubResources=true&fields=id,companyName&x=&y=a+b"),
        ("PATCH", "https://example.com:8443/r?q=SELECT%20id%20FROM%20customer%20WHERE%20x%20%3D%20%27a%27"),
        ("GET", "https://example.com?a-b=1&a=2&a_b=3&a=1&%C3%A9=%E2%82%AC"),
        ("DELETE", "https://[::1]:9000/path/with~tilde/"),
    ],
)
@pytest.mark.parametrize("realm", ["1234567_SB1", ""])
def test_the_header_is_byte_for_byte_oauthlibs(method: str, url: str, realm: str) -> None:
    signer = TokenSigner(*SECRETS, realm=realm)
    ours = signer.header(method, url, nonce="8361245378401923742-1765100000", timestamp="1765100000")
    assert ours == reference(method, url, "8361245378401923742-1765100000", "1765100000", realm)


def test_escaping_and_the_base_uri() -> None:
    assert escape("abc-._~XYZ09") == "abc-._~XYZ09"
    assert escape("a b/c+d=é") == "a%20b%2Fc%2Bd%3D%C3%A9"
    ascii_text = "".join(map(chr, range(128)))  # the translate path: every ASCII character as quote does
    assert escape(ascii_text) == quote(ascii_text, safe="~")
    assert escape("q=SELECT 'a%'&x=~1") == "q%3DSELECT%20%27a%25%27%26x%3D~1"
    assert base_string_uri("HTTPS://Host.Example:443") == "https://host.example/"
    assert base_string_uri("https://host:8443/p?q=1") == "https://host:8443/p"


def test_each_request_gets_a_fresh_nonce_and_a_form_body_is_signed_by_oauthlib() -> None:
    signer = TokenSigner(*SECRETS, realm="1")
    first = requests.Request("GET", "https://example.com/x", auth=signer).prepare()
    second = requests.Request("GET", "https://example.com/x", auth=signer).prepare()
    assert first.headers["Authorization"] != second.headers["Authorization"]
    assert first.headers["Authorization"].startswith('OAuth realm="1", oauth_nonce="')

    form = requests.Request("POST", "https://example.com/x", data={"a": "1"}, auth=signer).prepare()
    # oauthlib signs the form's parameters: the header differs from one that leaves them out.
    header = form.headers["Authorization"]
    header = header.decode() if isinstance(header, bytes) else header
    timestamp = header.split('oauth_timestamp="')[1].split('"')[0]
    nonce = header.split('oauth_nonce="')[1].split('"')[0]
    assert header != signer.header("POST", "https://example.com/x", nonce=nonce, timestamp=timestamp)


def test_the_simulator_accepts_signed_requests(netsuite_sim: RunningSimulator) -> None:
    signer = TokenSigner(
        DEMO_INTEGRATION.consumer_key,
        DEMO_INTEGRATION.consumer_secret,
        DEMO_INTEGRATION.token_id,
        DEMO_INTEGRATION.token_secret,
        realm=DEFAULT_ACCOUNT_ID,
    )
    session = https_session(netsuite_sim.ca_file)
    listed = session.get(
        netsuite_sim.url + "/services/rest/record/v1/currency", params={"limit": "2"}, auth=signer
    )
    assert listed.status_code == 200, listed.text
    query = session.post(
        netsuite_sim.url + "/services/rest/query/v1/suiteql",
        params={"limit": "1", "offset": "0"},
        data=json.dumps({"q": "SELECT id FROM subsidiary"}),
        headers={"Content-Type": "application/json", "Prefer": "transient"},
        auth=signer,
    )
    assert query.status_code == 200, query.text
    wrong = TokenSigner(
        DEMO_INTEGRATION.consumer_key,
        "not the secret",
        DEMO_INTEGRATION.token_id,
        DEMO_INTEGRATION.token_secret,
        realm=DEFAULT_ACCOUNT_ID,
    )
    refused = session.get(netsuite_sim.url + "/services/rest/record/v1/currency", auth=wrong)
    assert refused.status_code == 401
