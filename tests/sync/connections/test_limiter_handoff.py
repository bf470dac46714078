"""The limiter's in-process hand-off (unit tests: an in-memory shared pool stands in for Redis or the
database, so the counts of acquisitions and releases can be checked exactly)."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sync.connections.concurrency import LimiterSettings, _LeasedSlots


class MemorySlots(_LeasedSlots):
    """A shared pool in memory that counts round trips and remembers the most leases ever out; a release
    wakes the leader through a condition, as Redis's wake list or the slot files' FIFO would."""

    def __init__(self, settings: LimiterSettings) -> None:
        super().__init__("memory", settings)
        self.lock = threading.Condition()
        self.out: set[int] = set()
        self.next_token = 0
        self.acquired = 0
        self.released = 0
        self.peak = 0
        self.seen = 0

    def _try_acquire(self, limit: int) -> tuple[Any, float]:
        with self.lock:
            self.seen = self.released  # a release after this attempt must not be slept through
            if len(self.out) >= limit:
                return None, 60.0
            self.next_token += 1
            self.out.add(self.next_token)
            self.acquired += 1
            self.peak = max(self.peak, len(self.out))
            return self.next_token, 0.0

    def _await_release(self, timeout: float) -> None:
        with self.lock:
            if self.released == self.seen:
                self.lock.wait(timeout)

    def _release(self, token: Any) -> None:
        with self.lock:
            self.out.remove(token)
            self.released += 1
            self.lock.notify_all()

    def in_use(self) -> int:
        return len(self.out)


def _hammer(slots: MemorySlots, *, threads: int, requests: int, hold: float) -> int:
    """Run ``requests`` "requests" of ``hold`` seconds from ``threads`` threads; returns the most that
    ran at once."""
    running = 0
    most = 0
    lock = threading.Lock()

    def one(_: int) -> None:
        nonlocal running, most
        with slots.slot():
            with lock:
                running += 1
                most = max(most, running)
            time.sleep(hold)
            with lock:
                running -= 1

    with ThreadPoolExecutor(max_workers=threads) as pool:
        list(pool.map(one, range(requests)))
    return most


def test_waiting_threads_get_leases_handed_on_without_round_trips_and_none_leak() -> None:
    slots = MemorySlots(LimiterSettings(limit=3, handoff_seconds=60))

    most = _hammer(slots, threads=9, requests=90, hold=0.005)

    assert most == 3 and slots.peak == 3  # the limit held, and was reached
    # Nine threads for three slots: most requests took a lease handed on by a finished one.
    assert slots.acquired < 30
    # Every lease went back to the shared pool once nobody waited any more.
    assert slots.out == set() and slots.released == slots.acquired
    assert slots._held == 0 and slots._spare == []
    # Waiting threads never polled: each wait on the pool ended with a release (or a hand-off).
    assert slots.pool_waits <= slots.released


def test_a_lease_goes_back_to_the_shared_pool_after_handoff_seconds() -> None:
    slots = MemorySlots(LimiterSettings(limit=2, handoff_seconds=0.0))

    most = _hammer(slots, threads=6, requests=30, hold=0.002)

    assert most <= 2
    # No hand-off allowed: every request took its lease from the shared pool and returned it.
    assert slots.acquired == 30 and slots.released == 30 and slots.out == set()


def test_after_a_refusal_the_process_hands_on_no_more_than_its_lowered_share() -> None:
    slots = MemorySlots(LimiterSettings(limit=4, handoff_seconds=60))
    slots.overloaded()  # a 429 got through: share halved, short pause

    most = _hammer(slots, threads=8, requests=40, hold=0.003)

    assert most <= 2
    assert slots.out == set() and slots._held == 0
