"""Cluster-wide concurrency limits for NetSuite: every worker process on every machine shares one pool.

NetSuite refuses a request over the account's concurrency limit at once (429). Concord never wants to
see that refusal: each request first takes a *lease* on one of the connection's slots, held for that
request only. Leases expire on their own (``lease_seconds``), so a worker killed mid-request cannot
shrink the pool for longer than that.

Two backends, chosen by configuration: Redis (a sorted set per connection, acquired by an atomic Lua
script on Redis's own clock) when ``REDIS_URL`` is set, and the database (one row per slot, claimed with
a conditional UPDATE) for the embedded default. When a 429 arrives anyway (another integration shares
the account's pool), :meth:`overloaded` makes this process back off and lowers its share for a while.

Within a process, a finished request hands its lease straight to a thread of the same process waiting
for one (woken at once, no polling, no round trip to Redis or the database), for at most
``handoff_seconds`` after the lease was taken from the shared pool; then it goes back, so the other
processes get their turn. Without this, every request paid for a release and an acquire, and a freed
slot sat idle until a waiting thread's next poll (bench/throughput.py). The pipeline builds one
connector, hence one limiter, per batch, shared by the batch's threads.
"""

from __future__ import annotations

import datetime as dt
import random
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import redis
from django.db import OperationalError
from django.db.models import Q
from django.utils import timezone

from sync.connections.connectors.errors import ConnectorError
from sync.connections.connectors.transport import ConcurrencySlots
from sync.connections.models import ConcurrencyLease

_ACQUIRE = """
local now = redis.call('TIME')
local now_ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now_ms)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('ZADD', KEYS[1], now_ms + tonumber(ARGV[3]), ARGV[2])
  redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[3]) * 2)
  return 1
end
return 0
"""


@dataclass
class LimiterSettings:
    limit: int
    lease_seconds: float = 300.0
    # How long a request may wait for a slot before it fails as a transient error.
    wait_seconds: float = 600.0
    poll_seconds: float = 0.002
    max_poll_seconds: float = 0.02
    # How long a lease may pass from one request of this process to the next before it returns to the
    # shared pool (kept well below lease_seconds, so a handed-on lease never expires while in use).
    handoff_seconds: float = 1.0


class _Adaptive:
    """Per-process reaction to 429s that got through: pause, and use fewer slots for a while."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.effective = limit
        self._lock = threading.Lock()
        self._pause_until = 0.0
        self._strikes = 0
        self._recovered_at = time.monotonic()

    def overloaded(self) -> None:
        with self._lock:
            self._strikes += 1
            self.effective = max(1, self.effective // 2)
            pause = min(5.0, 0.05 * (2 ** min(self._strikes, 7)))
            self._pause_until = time.monotonic() + random.uniform(pause / 2, pause)
            self._recovered_at = time.monotonic()

    def paused(self) -> bool:
        return self._pause_until > time.monotonic()

    def wait_and_limit(self) -> int:
        pause = self._pause_until - time.monotonic()
        if pause > 0:
            time.sleep(pause)
        with self._lock:
            # Additive increase: one slot back per quiet second.
            if self.effective < self.limit and time.monotonic() - self._recovered_at > 1.0:
                self.effective += 1
                self._recovered_at = time.monotonic()
                if self.effective == self.limit:
                    self._strikes = 0
            return self.effective


@dataclass
class _Lease:
    token: Any
    taken: float  # time.monotonic() when it came from the shared pool


class _LeasedSlots(ConcurrencySlots):
    def __init__(self, key: str, settings: LimiterSettings) -> None:
        if settings.limit < 1:
            raise ValueError("a concurrency limit must be at least 1")
        self.key = key
        self.settings = settings
        self._adaptive = _Adaptive(settings.limit)
        # Hand-off between this process's threads: leases given back while a thread waits.
        self._local = threading.Condition()
        self._waiting = 0
        self._spare: list[_Lease] = []
        self._held = 0  # leases this process holds from the shared pool (in use or spare)

    @contextmanager
    def slot(self) -> Iterator[None]:
        lease = self._acquire()
        try:
            yield
        finally:
            self._give_back(lease)

    def overloaded(self) -> None:
        self._adaptive.overloaded()

    def _acquire(self) -> _Lease:
        with self._local:
            if self._spare:
                return self._spare.pop()
            self._waiting += 1
        try:
            return self._wait_for_lease()
        finally:
            with self._local:
                self._waiting -= 1
                leftovers = self._spare if not self._waiting else []
                if leftovers:  # handed on while this thread got one of its own: nobody else wants them
                    self._spare = []
                    self._held -= len(leftovers)
            for lease in leftovers:
                self._release(lease.token)

    def _wait_for_lease(self) -> _Lease:
        deadline = time.monotonic() + self.settings.wait_seconds
        delay = self.settings.poll_seconds
        while True:
            limit = self._adaptive.wait_and_limit()
            token = self._try_acquire(limit)
            if token is not None:
                with self._local:
                    self._held += 1
                return _Lease(token, time.monotonic())
            if time.monotonic() > deadline:
                raise ConnectorError(
                    "netsuite",
                    True,
                    f"no free request slot within {self.settings.wait_seconds:.0f}s",
                    code="LIMITER_TIMEOUT",
                    operation="acquire slot",
                )
            with self._local:
                if not self._spare:
                    # Woken at once by a hand-off; otherwise poll the shared pool again.
                    self._local.wait(random.uniform(delay / 2, delay))
                if self._spare:
                    return self._spare.pop()
            delay = min(self.settings.max_poll_seconds, delay * 1.5)

    def _give_back(self, lease: _Lease) -> None:
        with self._local:
            hand_on = (
                self._waiting > 0
                and time.monotonic() - lease.taken < self.settings.handoff_seconds
                and self._held <= self._adaptive.effective
                and not self._adaptive.paused()
            )
            if hand_on:
                self._spare.append(lease)
                self._local.notify()
                return
            self._held -= 1
        self._release(lease.token)

    def _try_acquire(self, limit: int) -> Any:
        raise NotImplementedError

    def _release(self, token: Any) -> None:
        raise NotImplementedError

    def in_use(self) -> int:
        """Slots held right now, by every worker of every machine."""
        raise NotImplementedError


class RedisSlots(_LeasedSlots):
    """Slots in a Redis sorted set: member = lease token, score = expiry on Redis's clock (ms)."""

    def __init__(self, client: Any, key: str, settings: LimiterSettings) -> None:
        super().__init__(key, settings)
        self.client = client
        self._script = client.register_script(_ACQUIRE)

    def _try_acquire(self, limit: int) -> Any:
        token = uuid.uuid4().hex
        lease_ms = int(self.settings.lease_seconds * 1000)
        return token if self._script(keys=[self.key], args=[limit, token, lease_ms]) == 1 else None

    def _release(self, token: Any) -> None:
        self.client.zrem(self.key, token)

    def in_use(self) -> int:
        now_ms = int(time.time() * 1000)
        return int(self.client.zcount(self.key, now_ms, "+inf"))


class DatabaseSlots(_LeasedSlots):
    """One row per slot; a slot is claimed by a conditional UPDATE, so only one claimant can win it."""

    def __init__(self, key: str, settings: LimiterSettings) -> None:
        super().__init__(key, settings)
        self._ensured = 0

    def _ensure_rows(self) -> None:
        if self._ensured >= self.settings.limit:
            return
        existing = set(ConcurrencyLease.objects.filter(key=self.key).values_list("slot", flat=True))
        missing = [
            ConcurrencyLease(key=self.key, slot=n) for n in range(self.settings.limit) if n not in existing
        ]
        if missing:
            ConcurrencyLease.objects.bulk_create(missing, ignore_conflicts=True)
        self._ensured = self.settings.limit

    def _try_acquire(self, limit: int) -> Any:
        try:
            return self._try_claim(limit)
        except Exception as exc:
            # SQLite refuses a write while another connection writes ("database table is locked"):
            # that is contention, not failure, so this attempt simply found no free slot.
            if _locked(exc):
                return None
            raise

    def _try_claim(self, limit: int) -> Any:
        self._ensure_rows()
        now = timezone.now()
        free = Q(holder="") | Q(expires_at__lt=now)
        candidates = list(
            ConcurrencyLease.objects.filter(free, key=self.key, slot__lt=limit).values_list("pk", flat=True)[
                :limit
            ]
        )
        random.shuffle(candidates)  # spread contention across rows
        token = uuid.uuid4().hex
        expires = now + _seconds(self.settings.lease_seconds)
        for pk in candidates:
            if ConcurrencyLease.objects.filter(free, pk=pk).update(holder=token, expires_at=expires):
                return pk, token
        return None

    def _release(self, token: Any) -> None:
        pk, holder = token
        for attempt in range(200):
            try:
                ConcurrencyLease.objects.filter(pk=pk, holder=holder).update(holder="", expires_at=None)
                return
            except Exception as exc:
                if not _locked(exc) or attempt == 199:
                    raise  # the lease expires on its own even if this release never lands
                time.sleep(random.uniform(0.001, 0.01))

    def in_use(self) -> int:
        return (
            ConcurrencyLease.objects.filter(key=self.key, expires_at__gte=timezone.now())
            .exclude(holder="")
            .count()
        )


def _locked(exc: Exception) -> bool:
    return isinstance(exc, OperationalError) and "locked" in str(exc)


def _seconds(value: float) -> Any:
    return dt.timedelta(seconds=value)


def slots_for(key: str, settings: LimiterSettings, *, redis_url: str | None) -> _LeasedSlots:
    """The limiter for one connection: Redis-backed when a Redis URL is configured, else the database."""
    if redis_url:
        return RedisSlots(redis.Redis.from_url(redis_url), f"concord:ns-slots:{key}", settings)
    return DatabaseSlots(key, settings)
