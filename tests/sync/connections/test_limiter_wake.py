"""The limiter wakes a waiter when a slot frees (no polling), within a process and across processes,
for the slot files (SQLite) and Redis; a dead holder's slot comes back; the deadline holds.

Processes are forked (multiprocessing), so they share nothing but the backend: the slot directory or
Redis db 11. The figures asserted (latency after a release, attempts on the pool while waiting) are far
below what a polling limiter shows: it tries every few milliseconds, and wakes up to its poll interval
late.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from sync.connections.concurrency import (
    DatabaseSlots,
    FileSlots,
    LimiterSettings,
    RedisSlots,
    _LeasedSlots,
)
from sync.connections.connectors.errors import ConnectorError

pytestmark = pytest.mark.database  # Redis variants (and PostgreSQL's wake-up) follow the stage
REDIS_URL = "redis://127.0.0.1:6379/11"
FORK = multiprocessing.get_context("fork")


def _redis() -> Any:
    import redis

    try:
        client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=0.5)
        client.ping()
        return client
    except Exception:
        return None


BACKENDS = ["files", pytest.param("redis", marks=pytest.mark.skipif(_redis() is None, reason="no Redis"))]


@pytest.fixture
def make_slots(tmp_path: Path) -> Iterator[Callable[..., _LeasedSlots]]:
    """``make_slots(backend, **settings)``: limiters of one fresh pool (every call shares it)."""
    key = f"test-wake-{uuid.uuid4().hex[:10]}"

    def make(backend: str, **settings: Any) -> _LeasedSlots:
        limiter = LimiterSettings(**{"limit": 1, "wait_seconds": 10.0, **settings})
        if backend == "redis":
            import redis

            return RedisSlots(redis.Redis.from_url(REDIS_URL), key, limiter)
        return FileSlots(tmp_path / "slots", key, limiter)

    yield make
    client = _redis()
    if client is not None:
        client.delete(key, f"{key}:wake")


def _hold_in_child(
    slots: _LeasedSlots, seconds: float, released_at: Any, ready: Any
) -> multiprocessing.process.BaseProcess:
    """A forked process that takes a slot, says so, holds it ``seconds`` and notes when it lets go."""

    def run() -> None:
        with slots.slot():
            ready.set()
            time.sleep(seconds)
            released_at.value = time.time()  # the release follows at once

    child = FORK.Process(target=run, daemon=True)
    child.start()
    assert ready.wait(10)
    return child


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_process_waiting_for_a_slot_is_woken_when_another_process_frees_it(
    backend: str, make_slots: Callable[..., _LeasedSlots]
) -> None:
    # A long re-check interval: only a wake can explain a prompt acquisition.
    slots = make_slots(backend, recheck_seconds=30.0, lease_seconds=60.0)
    released_at, ready = FORK.Value("d", 0.0), FORK.Event()
    child = _hold_in_child(slots, 0.4, released_at, ready)

    with slots.slot():
        latency = time.time() - released_at.value
        assert slots.in_use() == 1
    child.join(10)

    assert released_at.value > 0 and latency < 0.1
    # It tried once, slept once on the wake channel, tried again: no polling.
    assert slots.pool_attempts == 2 and slots.pool_waits == 1


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_limit_holds_across_processes_and_threads(
    backend: str, make_slots: Callable[..., _LeasedSlots]
) -> None:
    limit, processes, threads, requests = 3, 3, 4, 20
    running, peak, lock = FORK.Value("i", 0), FORK.Value("i", 0), FORK.Lock()
    attempts = FORK.Value("i", 0)

    def worker() -> None:
        slots = make_slots(backend, limit=limit)

        def one(_: int) -> None:
            with slots.slot():
                with lock:
                    running.value += 1
                    peak.value = max(peak.value, running.value)
                time.sleep(0.01)
                with lock:
                    running.value -= 1

        with ThreadPoolExecutor(max_workers=threads) as pool:
            list(pool.map(one, range(requests)))
        with lock:
            attempts.value += slots.pool_attempts

    children = [FORK.Process(target=worker) for _ in range(processes)]
    for child in children:
        child.start()
    for child in children:
        child.join(30)
    assert [child.exitcode for child in children] == [0] * processes
    assert peak.value == limit  # reached, never passed
    assert make_slots(backend, limit=limit).in_use() == 0
    # 60 requests, 12 threads for 3 slots; a poller would make hundreds of attempts.
    assert attempts.value <= 3 * processes * requests


def test_a_killed_holders_slot_file_is_free_at_once(make_slots: Callable[..., _LeasedSlots]) -> None:
    slots = make_slots("files", recheck_seconds=0.2)
    child = _hold_in_child(slots, 60, FORK.Value("d", 0.0), FORK.Event())
    assert slots.in_use() == 1
    assert child.pid is not None
    os.kill(child.pid, signal.SIGKILL)
    child.join(10)

    started = time.monotonic()
    with slots.slot():
        assert time.monotonic() - started < 0.05  # the kernel dropped the lock with the process


@pytest.mark.skipif(_redis() is None, reason="no Redis")
def test_a_killed_holders_redis_lease_comes_back_when_it_expires(
    make_slots: Callable[..., _LeasedSlots],
) -> None:
    slots = make_slots("redis", lease_seconds=0.6, recheck_seconds=30.0)
    child = _hold_in_child(slots, 60, FORK.Value("d", 0.0), FORK.Event())
    taken = time.monotonic()
    assert child.pid is not None
    os.kill(child.pid, signal.SIGKILL)
    child.join(10)

    with slots.slot():
        waited = time.monotonic() - taken
    # Woken by the wait's time-out at the lease's expiry (no release ever came), not by polling.
    assert 0.5 < waited < 1.0
    assert slots.pool_attempts <= 3


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_waiter_gives_up_at_its_deadline(backend: str, make_slots: Callable[..., _LeasedSlots]) -> None:
    holder = make_slots(backend)
    waiter = make_slots(backend, wait_seconds=0.3)
    with holder.slot():
        started = time.monotonic()
        with pytest.raises(ConnectorError) as error:
            with waiter.slot():
                pass
        assert 0.3 <= time.monotonic() - started < 1.0
    assert error.value.code == "LIMITER_TIMEOUT" and error.value.transient
    with waiter.slot():  # the slot is free again
        pass


@pytest.mark.parametrize("backend", BACKENDS)
def test_threads_of_one_process_wait_on_the_pool_one_at_a_time(
    backend: str, make_slots: Callable[..., _LeasedSlots]
) -> None:
    """Eight threads wait for the one slot another limiter holds: one attempt on the pool while it is
    held (not one per thread, nor one per poll), then the lease passes from thread to thread."""
    slots = make_slots(backend, recheck_seconds=30.0, handoff_seconds=60.0)
    holder = make_slots(backend)
    lock = threading.Lock()
    running = most = 0

    def one(_: int) -> None:
        nonlocal running, most
        with slots.slot():
            with lock:
                running += 1
                most = max(most, running)
            time.sleep(0.01)
            with lock:
                running -= 1

    with ThreadPoolExecutor(max_workers=8) as pool:
        with holder.slot():
            futures = [pool.submit(one, n) for n in range(8)]
            time.sleep(0.3)
            assert slots.pool_attempts == 1 and slots.pool_waits == 1
        started = time.monotonic()
        for future in futures:
            future.result(timeout=10)
    assert most == 1
    # The second attempt, woken by the release, got the slot. The lead passed to another thread, which
    # tried once and slept on the wake channel while the lease was handed from thread to thread; the
    # last hand-back to the pool woke it. A poller would have tried every few milliseconds.
    assert slots.pool_attempts <= 4
    assert time.monotonic() - started < 8 * 0.01 + 0.5
    assert slots.in_use() == 0


def test_the_database_limiter_claims_a_slot_in_one_statement(db: None) -> None:
    slots = DatabaseSlots(f"test-{uuid.uuid4().hex[:10]}", LimiterSettings(limit=2))
    with slots.slot():
        pass  # creates the rows
    with CaptureQueriesContext(connection) as queries:
        with slots.slot():
            assert slots.in_use() == 1
    statements = [q["sql"] for q in queries.captured_queries]
    if connection.vendor == "sqlite":
        # SQLite in memory looks first (an UPDATE finding nothing would still take the write lock): the
        # look, the claim, the in_use() count, the release.
        assert len(statements) == 4 and statements[0].startswith("SELECT"), statements
        statements = statements[1:]
    # claim, the in_use() count, release
    assert len(statements) == 3 and statements[0].startswith("UPDATE"), statements


@pytest.mark.django_db(transaction=True)
def test_the_database_limiter_on_postgresql_wakes_a_waiter_with_a_notification() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("LISTEN/NOTIFY: PostgreSQL only (SQLite in memory re-tries)")
    key = f"test-{uuid.uuid4().hex[:10]}"
    waiter = DatabaseSlots(key, LimiterSettings(limit=1, recheck_seconds=30.0))
    holder = DatabaseSlots(key, LimiterSettings(limit=1))
    held, released_at = threading.Event(), [0.0]

    def hold() -> None:
        with holder.slot():
            held.set()
            time.sleep(0.4)
            released_at[0] = time.time()
        connection.close()

    thread = threading.Thread(target=hold)
    thread.start()
    assert held.wait(10)
    with waiter.slot():
        latency = time.time() - released_at[0]
    thread.join(10)
    assert released_at[0] > 0 and latency < 0.1
    assert waiter.pool_attempts == 2 and waiter.pool_waits == 1
