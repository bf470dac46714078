"""NetSuite sessions handed from thread to thread (SessionPool): a thread done with a connector gives its
session back, and the next thread of a connector of the same connection version sends on the connection
that session keeps open, instead of opening (and, over TLS, handshaking) a new one."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest

from sync.connections.connectors.netsuite import HTTP_SESSIONS, NetSuiteConfig, NetSuiteConnector, TokenAuth
from sync.connections.connectors.transport import ConnectorSession, SessionPool
from tests.sync.connections.connectors.local_server import QuietHandler, serving

AUTH = TokenAuth(consumer_key="ck", consumer_secret="cs", token_id="ti", token_secret="ts")


class Handler(QuietHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: one TCP connection serves a session's requests
    peers: list[tuple[str, int]] = []

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        self.peers.append(self.client_address)
        self.answer_json(b'{"id": "1"}')


@pytest.fixture
def server() -> Iterator[tuple[str, list[tuple[str, int]]]]:
    peers: list[tuple[str, int]] = []
    with serving(type("Counting", (Handler,), {"peers": peers})) as base_url:
        yield base_url, peers


def _connector(base_url: str, cache_key: str) -> NetSuiteConnector:
    return NetSuiteConnector(
        NetSuiteConfig(account_id="1234567", auth=AUTH, base_url=base_url, cache_key=cache_key)
    )


def _in_thread(work: Any) -> Any:
    """Run ``work`` in a thread of its own (as a pool's or a side-by-side helper's) and return its result."""
    result: list[Any] = []
    thread = threading.Thread(target=lambda: result.append(work()))
    thread.start()
    thread.join()
    return result[0]


def _get_and_release(connector: NetSuiteConnector) -> ConnectorSession:
    connector.get("customer", "1")
    session = connector._session()
    connector.session_release()
    return session


def test_a_released_session_serves_the_next_thread_of_a_connector_of_the_same_version(
    server: tuple[str, list[tuple[str, int]]],
) -> None:
    base_url, peers = server
    first = _in_thread(lambda: _get_and_release(_connector(base_url, "7@v1")))
    assert HTTP_SESSIONS.idle(_connector(base_url, "7@v1")._pool_key) == 1
    # Another connector (the next job's), another thread: the same session, on the same TCP connection.
    second = _in_thread(lambda: _get_and_release(_connector(base_url, "7@v1")))
    assert second is first
    assert len(peers) == 2 and len(set(peers)) == 1

    # Another version of the connection (edited: other secrets, time-outs, CA) gets a session of its own.
    other = _in_thread(lambda: _get_and_release(_connector(base_url, "7@v2")))
    assert other is not first
    assert len(set(peers)) == 2


def test_a_thread_that_has_not_released_keeps_its_session_and_no_other_thread_gets_it(
    server: tuple[str, list[tuple[str, int]]],
) -> None:
    base_url, _ = server
    connector = _connector(base_url, "7@v1")
    connector.get("customer", "1")
    mine = connector._session()
    theirs = _in_thread(lambda: (connector.get("customer", "1"), connector._session())[1])
    assert theirs is not mine
    assert connector._session() is mine  # still this thread's


def test_a_connector_without_a_version_keeps_nothing(server: tuple[str, list[tuple[str, int]]]) -> None:
    base_url, peers = server
    connector = _connector(base_url, "")
    first = _in_thread(lambda: _get_and_release(connector))
    second = _in_thread(lambda: _get_and_release(connector))
    assert second is not first
    assert len(set(peers)) == 2  # a connection each: the first was closed with its session


class Closing(ConnectorSession):
    closed = 0

    def close(self) -> None:
        type(self).closed += 1
        super().close()


def _session() -> Closing:
    return Closing(ca_bundle=None, timeout=(1, 1))


def test_the_pool_keeps_a_bounded_number_of_sessions_per_version_and_of_versions() -> None:
    pool = SessionPool()
    pool.KEPT_PER_KEY, pool.KEYS_KEPT = 2, 2
    Closing.closed = 0
    assert pool.take("a") is None
    kept = [_session(), _session()]
    for session in [*kept, _session()]:
        pool.give("a", session)
    assert pool.idle("a") == 2 and Closing.closed == 1  # the third is closed, not kept
    assert {id(pool.take("a")), id(pool.take("a"))} == {id(s) for s in kept}
    assert pool.take("a") is None

    pool.give("a", _session())
    pool.give("b", _session())
    pool.give("c", _session())  # a third version: the least recently used one's sessions are closed
    assert pool.idle("a") == 0 and pool.idle("b") == 1 and pool.idle("c") == 1
    assert Closing.closed == 2
    pool.clear()
    assert pool.idle("b") == pool.idle("c") == 0 and Closing.closed == 4


def test_a_session_idle_too_long_is_closed_instead_of_handed_on() -> None:
    now = [1000.0]
    pool = SessionPool(clock=lambda: now[0])
    Closing.closed = 0
    old, fresh = _session(), _session()
    pool.give("a", old)
    now[0] += pool.IDLE_SECONDS - 1
    pool.give("a", fresh)
    now[0] += 2  # ``old`` has now been idle longer than IDLE_SECONDS, ``fresh`` has not
    assert pool.take("a") is fresh
    assert Closing.closed == 1 and pool.idle("a") == 0
    pool.give("a", fresh)
    now[0] += pool.IDLE_SECONDS + 1
    assert pool.take("a") is None and Closing.closed == 2
