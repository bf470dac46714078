"""ConnectorSession.prepare's direct path gives the request requests' own prepare_request gives."""

from __future__ import annotations

from typing import Any

import requests

from sync.connections.connectors.transport import ConnectorSession


class FixedAuth(requests.auth.AuthBase):
    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"Fixed {request.method} {request.url}"
        return request


def _session() -> ConnectorSession:
    session = ConnectorSession(ca_bundle=None, timeout=(1, 1), system="netsuite")
    session.auth = FixedAuth()
    return session


def _reference(
    session: ConnectorSession, method: str, url: str, **kwargs: object
) -> requests.PreparedRequest:
    request = requests.Request(method=method, url=url, **kwargs)
    return session.prepare_request(request)


def _same(a: requests.PreparedRequest, b: requests.PreparedRequest) -> None:
    assert (a.method, a.url, a.body) == (b.method, b.url, b.body)
    assert dict(a.headers) == dict(b.headers)
    assert list(a.headers) == list(b.headers)


def test_the_direct_path_prepares_the_same_request() -> None:
    session = _session()
    cases = [
        (
            "put",
            "https://ns.example/services/rest/record/v1/customer/eid:001B 0",
            {"replace": "item"},
            b'{"a": 1}',
        ),
        ("GET", "https://ns.example/services/rest/record/v1/currency?limit=2", {"offset": "0"}, None),
        ("POST", "https://NS.example:8443/services/rest/query/v1/suiteql", {}, b'{"q": "SELECT 1"}'),
    ]
    for method, url, params, data in cases:
        headers = {"Accept": "application/json", "Content-Type": "application/json", "Prefer": "transient"}
        ours = session.prepare(method, url, params=params, data=data, headers=headers)
        _same(ours, _reference(session, method.upper(), url, params=params, data=data, headers=headers))
        assert ours.headers["Authorization"].startswith(f"Fixed {method.upper()} https://")


def test_parameters_and_headers_are_encoded_and_merged_as_requests_does() -> None:
    session = _session()
    session.headers["X-Dropped"] = "session"
    params: Any = {"q": "SELECT é, 'x' & y", "n": None, "l": ["1", "2"], b"k": b"v"}
    headers: Any = {"accept": "application/json", "X-Dropped": None}
    ours = session.prepare("GET", "https://ns.example/q?a=1", params=params, headers=headers)
    _same(ours, _reference(session, "GET", "https://ns.example/q?a=1", params=params, headers=headers))
    assert "X-Dropped" not in ours.headers
    assert ours.url == "https://ns.example/q?a=1&q=SELECT+%C3%A9%2C+%27x%27+%26+y&l=1&l=2&k=v"


def test_a_session_with_cookies_goes_through_prepare_request() -> None:
    session = _session()
    session.cookies.set("NS_ROUTING", "abc", domain="ns.example", path="/")
    ours = session.prepare("GET", "https://ns.example/x", headers={"Accept": "application/json"})
    assert ours.headers["Cookie"] == "NS_ROUTING=abc"
    _same(ours, _reference(session, "GET", "https://ns.example/x", headers={"Accept": "application/json"}))
