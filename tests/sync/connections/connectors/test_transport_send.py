"""ConnectorSession.send_prepared's lean send gives the answer requests' own Session.send gives: the body,
cookies an answer sets, redirects followed; a patched ``Session.send`` is still the one that sends."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from unittest import mock

import pytest
import requests

from sync.connections.connectors.transport import ConnectorSession


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        if self.path == "/moved":
            self.send_response(302)
            self.send_header("Location", "/cookie")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = f'{{"path": "{self.path}", "cookie": "{self.headers.get("Cookie", "")}"}}'.encode()
        self.send_response(200)
        if self.path == "/cookie":
            self.send_header("Set-Cookie", "route=r7; Path=/")
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        return


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


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
