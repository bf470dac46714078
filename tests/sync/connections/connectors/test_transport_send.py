"""ConnectorSession.send_prepared's lean send gives the answer requests' own Session.send gives: the body,
cookies an answer sets, redirects followed; a patched ``Session.send`` is still the one that sends."""

from __future__ import annotations

from collections.abc import Iterator
from unittest import mock

import pytest
import requests
from requests.adapters import HTTPAdapter

from sync.connections.connectors.transport import ConnectorAdapter, ConnectorSession
from tests.sync.connections.connectors.local_server import QuietHandler, serving


class Handler(QuietHandler):
    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        if self.path == "/moved":
            self.send_response(302)
            self.send_header("Location", "/cookie")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = f'{{"path": "{self.path}", "cookie": "{self.headers.get("Cookie", "")}"}}'.encode()
        cookie = {"Set-Cookie": "route=r7; Path=/"} if self.path == "/cookie" else {}
        self.answer_json(body, headers=cookie)


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    with serving(Handler) as url:
        yield url


class NoAuth(requests.auth.AuthBase):
    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        return request


def _session() -> ConnectorSession:
    session = ConnectorSession(ca_bundle=None, timeout=(2, 2), system="netsuite")
    session.auth = NoAuth()
    return session


def _answer(session: ConnectorSession, url: str, *, lean: bool) -> requests.Response:
    prepared = session.prepare("GET", url, headers={"Accept": "application/json"})
    if lean:
        return session.send_prepared(prepared)
    return session.send(prepared, timeout=(2, 2), allow_redirects=True)


@pytest.mark.parametrize("path", ["/plain", "/cookie", "/moved"])
def test_the_lean_send_answers_as_session_send(base_url: str, path: str) -> None:
    answers = {}
    for lean in (True, False):
        session = _session()
        first = _answer(session, base_url + path, lean=lean)
        second = _answer(session, base_url + "/plain", lean=lean)  # sends a cookie the first one set
        answers[lean] = (
            first.status_code,
            first.url,
            first.json(),
            [(r.status_code, r.url) for r in first.history],
            dict(session.cookies),
            second.json(),
        )
        assert first.elapsed.total_seconds() > 0
    assert answers[True] == answers[False]
    if path != "/plain":
        assert answers[True][4] == {"route": "r7"}
        assert answers[True][5]["cookie"] == "route=r7"
    if path == "/moved":
        assert answers[True][3] == [(302, base_url + "/moved")]
        assert answers[True][1] == base_url + "/cookie"


def test_a_patched_session_send_still_sends(base_url: str) -> None:
    def refuse(*args: object, **kwargs: object) -> requests.Response:
        raise AssertionError("no HTTP request expected")

    session = _session()
    with mock.patch.object(requests.Session, "send", refuse), pytest.raises(AssertionError):
        _answer(session, base_url + "/plain", lean=True)


def test_the_connector_adapter_answers_as_requests_own_adapter(base_url: str) -> None:
    """Status, headers, body, encoding, reason, URL and cookies as a plain ``requests.Session`` has them."""
    for path in ("/plain", "/cookie"):
        ours = _answer(_session(), base_url + path, lean=True)
        plain = requests.Session()
        theirs = plain.get(base_url + path, headers={"Accept": "application/json"}, timeout=(2, 2))
        assert isinstance(ours.connection, ConnectorAdapter)
        assert not isinstance(theirs.connection, ConnectorAdapter)
        assert (ours.status_code, ours.reason, ours.url, ours.encoding, ours.content) == (
            theirs.status_code,
            theirs.reason,
            theirs.url,
            theirs.encoding,
            theirs.content,
        )
        assert {k: v for k, v in ours.headers.items() if k != "Date"} == {
            k: v for k, v in theirs.headers.items() if k != "Date"
        }
        assert dict(ours.cookies) == dict(theirs.cookies) == ({"route": "r7"} if path == "/cookie" else {})


def test_the_connector_adapter_picks_the_pool_requests_picks_once(base_url: str) -> None:
    session = _session()
    adapter = session.get_adapter(base_url)
    assert isinstance(adapter, ConnectorAdapter)
    request = session.prepare("GET", base_url + "/x")
    for verify in (True, False):
        ours = adapter.get_connection_with_tls_context(request, verify)
        assert ours is HTTPAdapter.get_connection_with_tls_context(adapter, request, verify)
        with mock.patch.object(HTTPAdapter, "get_connection_with_tls_context", side_effect=AssertionError):
            assert (
                adapter.get_connection_with_tls_context(session.prepare("GET", base_url + "/y"), verify)
                is ours
            )
    assert adapter.get_connection_with_tls_context(
        request, False
    ) is not adapter.get_connection_with_tls_context(request, True)
    # Closed (requests' own choice fails then too) or many origins: asked again, the cache stays small.
    ours.close()
    fresh = mock.Mock(pool=object())
    with mock.patch.object(HTTPAdapter, "get_connection_with_tls_context", return_value=fresh):
        assert adapter.get_connection_with_tls_context(request, False) is fresh
        for port in range(20):
            adapter.get_connection_with_tls_context(session.prepare("GET", f"http://127.0.0.1:{port}/"), True)
    assert len(adapter._pools) <= adapter.POOLS_KEPT


def test_a_proxy_goes_through_requests_own_pool_choice(base_url: str) -> None:
    session = _session()
    adapter = session.get_adapter(base_url)
    assert isinstance(adapter, ConnectorAdapter)
    request = session.prepare("GET", base_url + "/x")
    proxied = adapter.get_connection_with_tls_context(
        request, True, proxies={"http": "http://proxy.invalid:3128"}
    )
    assert proxied.host == "proxy.invalid"
    assert adapter.get_connection_with_tls_context(request, True).host == "127.0.0.1"
