"""Cluster-wide concurrency limits for NetSuite: every worker process on every machine shares one pool.

NetSuite refuses a request over the account's concurrency limit at once (429). Concord never wants to
see that refusal: each request first takes a *lease* on one of the connection's slots, held for that
request only, and a holder that dies cannot keep its slot: Redis and database leases expire on their own
(``lease_seconds``), and a file lock is released by the kernel when its process ends.

Three backends, chosen by configuration (:func:`slots_for`):

- **Redis** (``REDIS_URL`` set): a sorted set per connection, acquired by an atomic Lua script on Redis's
  own clock. A release pushes a wake token onto ``<key>:wake`` in the same script; a waiting process
  blocks on that list (BLPOP, which Redis serves first come, first served, so processes take turns) for
  at most the time until the earliest lease expires, so a dead holder's slot is found when it expires.
- **Slot files** (SQLite, i.e. one machine): one file per slot beside the database, held by an exclusive
  ``flock`` on an open file; a release writes one byte to a FIFO in the same directory, which a waiting
  process watches with ``select``. No SQL at all, and the kernel frees a crashed holder's slot at once.
- **Database rows** (PostgreSQL without Redis, and SQLite in memory): one row per slot, claimed by one
  conditional ``UPDATE ... RETURNING`` (``FOR UPDATE SKIP LOCKED`` on PostgreSQL). On PostgreSQL the
  release notifies (``pg_notify`` in the same statement) and a waiting process LISTENs on a connection
  of its own; SQLite in memory (tests) re-tries after a short, growing pause.

Within a process only one waiting thread at a time waits on the shared pool (the *leader*); the others
wait on a condition variable. A finished request hands its lease straight to one of those (woken at once,
no round trip), for at most ``handoff_seconds`` after the lease was taken from the shared pool; otherwise
it goes back to the pool, which wakes the leader of whichever process waited longest. When the leader
gets a lease, the lead passes to the next waiting thread. When a 429 arrives anyway (another integration
shares the account's pool), :meth:`overloaded` makes this process back off and lowers its share for a
while. The pipeline builds one connector, hence one limiter, per batch, shared by the batch's threads.
"""

from __future__ import annotations

import datetime as dt
import errno
import fcntl
import hashlib
import os
import random
import select
import stat
import threading
import time
import uuid
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import redis
from django.db import OperationalError, connection
from django.db.models import Q
from django.utils import timezone

from sync.connections.connectors.errors import ConnectorError
from sync.connections.connectors.transport import ConcurrencySlots
from sync.connections.models import ConcurrencyLease

# Returns {1, 0} when the lease was taken, else {0, ms until the earliest lease expires}. A failed
# attempt clears the wake list: every token in it is for a slot that someone has taken since (the pool
# is full now), so it would only wake a waiter for nothing.
_ACQUIRE = """
local now = redis.call('TIME')
local now_ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now_ms)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('ZADD', KEYS[1], now_ms + tonumber(ARGV[3]), ARGV[2])
  redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[3]) * 2)
  return {1, 0}
end
redis.call('DEL', KEYS[2])
local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return {0, tonumber(first[2]) - now_ms}
"""

# ZREM the lease; if it was still held, push one wake token (at most ``limit`` are kept).
_RELEASE = """
if redis.call('ZREM', KEYS[1], ARGV[1]) == 1 then
  redis.call('LPUSH', KEYS[2], '1')
  redis.call('LTRIM', KEYS[2], 0, tonumber(ARGV[2]) - 1)
  redis.call('PEXPIRE', KEYS[2], tonumber(ARGV[3]))
end
return 0
"""


@dataclass
class LimiterSettings:
    limit: int
    lease_seconds: float = 300.0
    # How long a request may wait for a slot before it fails as a transient error.
    wait_seconds: float = 600.0
    # Database rows only (no wake channel): the first and the longest pause between two attempts.
    poll_seconds: float = 0.002
    max_poll_seconds: float = 0.02
    # The longest a waiting process sleeps on a wake channel before it looks at the pool again: covers a
    # slot freed without a wake (a file lock released by a dead process) and this process's own share
    # growing back after a 429.
    recheck_seconds: float = 1.0
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
    """The in-process part every backend shares: the leader, the hand-off, the deadline.

    A backend implements :meth:`_try_acquire` (one attempt on the shared pool: a token, or None and
    how long until a retry is worth it without a wake), :meth:`_await_release` (sleep until a slot may
    have been freed, or the time-out), :meth:`_release` and :meth:`in_use`.
    """

    def __init__(self, key: str, settings: LimiterSettings) -> None:
        if settings.limit < 1:
            raise ValueError("a concurrency limit must be at least 1")
        self.key = key
        self.settings = settings
        self._adaptive = _Adaptive(settings.limit)
        self._local = threading.Condition()
        self._waiting = 0  # threads waiting on the condition (for a hand-off or the lead)
        self._leading = False  # a thread of this process is waiting on the shared pool
        self._spare: list[_Lease] = []
        self._held = 0  # leases this process holds from the shared pool (in use or spare)
        # Attempts on the shared pool, and the leader's sleeps between them (tests count them).
        self.pool_attempts = 0
        self.pool_waits = 0

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
        deadline = time.monotonic() + self.settings.wait_seconds
        with self._local:
            if self._spare:
                return self._spare.pop()
            self._waiting += 1
            try:
                while True:
                    if self._spare:
                        return self._spare.pop()
                    if not self._leading:
                        self._leading = True
                        break
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        raise self._timeout()
                    self._local.wait(remaining)
            finally:
                self._waiting -= 1
                if not self._leading and self._waiting:
                    # This thread leaves without the lead, which may be vacant: the wake-up it may have
                    # taken (for the lead) goes to another waiting thread.
                    self._local.notify()
        try:
            return self._lead(deadline)
        finally:
            with self._local:
                self._leading = False
                self._local.notify()  # a waiting thread takes the lead
                # A lease handed on for the leader while it won one of its own: nobody waits for it.
                leftovers = [self._spare.pop() for _ in range(len(self._spare) - self._waiting)]
                self._held -= len(leftovers)
            for lease in leftovers:
                self._release(lease.token)

    # True for a backend without a wake channel: its leader sleeps on this process's condition, so a lease
    # handed on may go to it too (it cannot be woken by a release to the pool).
    _leader_waits_locally = False

    def _lead(self, deadline: float) -> _Lease:
        """Wait on the shared pool for this process (one thread at a time)."""
        while True:
            if self._leader_waits_locally:
                with self._local:
                    if self._spare:
                        return self._spare.pop()
            limit = self._adaptive.wait_and_limit()
            self.pool_attempts += 1
            token, retry_in = self._try_acquire(limit)
            if token is not None:
                with self._local:
                    self._held += 1
                return _Lease(token, time.monotonic())
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise self._timeout()
            self.pool_waits += 1
            self._await_release(max(0.001, min(remaining, retry_in, self.settings.recheck_seconds)))

    def _timeout(self) -> ConnectorError:
        return ConnectorError(
            "netsuite",
            True,
            f"no free request slot within {self.settings.wait_seconds:.0f}s",
            code="LIMITER_TIMEOUT",
            operation="acquire slot",
        )

    def _give_back(self, lease: _Lease) -> None:
        with self._local:
            hand_on = (
                # A thread waits on the condition with no lease on its way yet (never the leader: it
                # sleeps on the pool's wake channel, which the release below reaches).
                self._waiting + (self._leading and self._leader_waits_locally) > len(self._spare)
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

    def _try_acquire(self, limit: int) -> tuple[Any, float]:
        raise NotImplementedError

    def _await_release(self, timeout: float) -> None:
        raise NotImplementedError

    def _release(self, token: Any) -> None:
        raise NotImplementedError

    def in_use(self) -> int:
        """Slots held right now, by every worker of every machine."""
        raise NotImplementedError


class RedisSlots(_LeasedSlots):
    """Slots in a Redis sorted set: member = lease token, score = expiry on Redis's clock (ms); releases
    wake waiting processes through the list ``<key>:wake``."""

    def __init__(self, client: Any, key: str, settings: LimiterSettings) -> None:
        super().__init__(key, settings)
        self.client = client
        self.wake_key = f"{key}:wake"
        self._acquire_script = client.register_script(_ACQUIRE)
        self._release_script = client.register_script(_RELEASE)
        self._lease_ms = int(self.settings.lease_seconds * 1000)

    def _try_acquire(self, limit: int) -> tuple[Any, float]:
        token = uuid.uuid4().hex
        taken, expires_in_ms = self._acquire_script(
            keys=[self.key, self.wake_key], args=[limit, token, self._lease_ms]
        )
        if taken == 1:
            return token, 0.0
        # The earliest lease's expiry: then its holder is presumed dead and the slot is free again.
        return None, max(0.001, int(expires_in_ms) / 1000 + 0.001)

    def _await_release(self, timeout: float) -> None:
        # BLPOP's time-out is in seconds (fractions allowed since Redis 6); 0 would mean "for ever".
        self.client.blpop([self.wake_key], timeout=max(0.01, round(timeout, 3)))

    def _release(self, token: Any) -> None:
        self._release_script(
            keys=[self.key, self.wake_key], args=[token, self.settings.limit, self._lease_ms * 2]
        )

    def in_use(self) -> int:
        now_ms = int(time.time() * 1000)
        return int(self.client.zcount(self.key, now_ms, "+inf"))


class FileSlots(_LeasedSlots):
    """Slots as files ``slot-<n>`` in a directory, each held by an exclusive ``flock`` on its own open
    file; a release writes a byte to the FIFO ``wake`` there. For one machine (SQLite's case).

    ``flock`` belongs to the open file, so two threads of one process exclude each other as two
    processes do, and the kernel drops the lock when the holder's process ends, however it ends.
    """

    def __init__(self, directory: Path, key: str, settings: LimiterSettings) -> None:
        super().__init__(key, settings)
        self.directory = directory / hashlib.sha256(key.encode()).hexdigest()[:24]
        self._wake_fd: int | None = None

    def _wake_channel(self) -> int:
        if self._wake_fd is None:
            self._wake_fd = _fifo(self.directory)
        return self._wake_fd

    def _try_acquire(self, limit: int) -> tuple[Any, float]:
        wake = self._wake_channel()
        woken = _drain(wake)  # wakes up to now are answered by this attempt
        for slot in range(limit):
            descriptor = os.open(
                self.directory / f"slot-{slot}", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600
            )
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(descriptor)
                continue
            if woken > 1:  # more slots were freed than this attempt took: pass the rest on
                _wake(wake, woken - 1)
            return descriptor, 0.0
        return None, self.settings.recheck_seconds

    def _await_release(self, timeout: float) -> None:
        select.select([self._wake_channel()], [], [], timeout)

    def _release(self, token: Any) -> None:
        os.close(token)  # drops the lock
        _wake(self._wake_channel(), 1)

    def in_use(self) -> int:
        """Slots locked right now (probed with a lock that is dropped at once, then a wake, in case a
        waiter looked at a probed slot meanwhile)."""
        if not self.directory.is_dir():
            return 0
        held = probed = 0
        for slot in range(self.settings.limit):
            path = self.directory / f"slot-{slot}"
            if not path.exists():
                continue
            descriptor = os.open(path, os.O_RDWR | os.O_CLOEXEC)
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
                probed += 1
            except BlockingIOError:
                held += 1
            finally:
                os.close(descriptor)
        if probed:
            _wake(self._wake_channel(), probed)
        return held


# One FIFO descriptor per directory per process (a forked child opens its own).
_FIFOS: dict[tuple[int, Path], int] = {}
_FIFOS_LOCK = threading.Lock()


def _fifo(directory: Path) -> int:
    with _FIFOS_LOCK:
        key = (os.getpid(), directory)
        if key not in _FIFOS:
            directory.mkdir(parents=True, exist_ok=True, mode=0o700)
            path = directory / "wake"
            try:
                os.mkfifo(path, 0o600)
            except FileExistsError:
                if not stat.S_ISFIFO(path.stat().st_mode):
                    raise
            # Read and write on one descriptor: opening never blocks, and writing never fails for want
            # of a reader (the bytes wait in the pipe for the next attempt, which drains them).
            _FIFOS[key] = os.open(path, os.O_RDWR | os.O_NONBLOCK | os.O_CLOEXEC)
        return _FIFOS[key]


def _drain(descriptor: int) -> int:
    count = 0
    while True:
        try:
            chunk = os.read(descriptor, 4096)
        except BlockingIOError:
            return count
        count += len(chunk)
        if not chunk:
            return count


def _wake(descriptor: int, count: int) -> None:
    try:
        os.write(descriptor, b"\x01" * count)
    except BlockingIOError:
        pass  # the pipe is full of wakes already
    except OSError as exc:
        if exc.errno != errno.EAGAIN:
            raise


WAKE_CHANNEL = "concord_ns_slots"  # PostgreSQL: a release notifies it with the limiter's key


class DatabaseSlots(_LeasedSlots):
    """One row per slot; a slot is claimed by one conditional UPDATE, so only one claimant can win it."""

    def __init__(self, key: str, settings: LimiterSettings) -> None:
        super().__init__(key, settings)
        self._ensured = 0
        self._delay = settings.poll_seconds
        self._listener: Any = None  # PostgreSQL: the leader's LISTEN connection
        # Without LISTEN/NOTIFY (SQLite in memory) the leader waits for this process's hand-offs between
        # its attempts: fewer writes to the lease rows, which in a shared-cache database make any other
        # writer of the process fail at once ("database table is locked").
        self._leader_waits_locally = connection.vendor != "postgresql"

    def _listen(self) -> None:
        """Listen before the first attempt, so a release between an attempt and the wait is not missed."""
        if self._listener is None and connection.vendor == "postgresql":
            import psycopg

            listener = psycopg.connect(**connection.get_connection_params(), autocommit=True)
            listener.execute(f"LISTEN {WAKE_CHANNEL}")
            self._listener = listener
            weakref.finalize(self, listener.close)

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

    def _try_acquire(self, limit: int) -> tuple[Any, float]:
        self._listen()
        try:
            token = self._try_claim(limit)
        except Exception as exc:
            # SQLite refuses a write while another connection writes ("database table is locked"):
            # that is contention, not failure, so this attempt simply found no free slot.
            if not _locked(exc):
                raise
            token = None
        if token is not None:
            self._delay = self.settings.poll_seconds
            return token, 0.0
        if self._listener is not None:
            return None, self.settings.recheck_seconds  # a release wakes the wait
        delay = random.uniform(self._delay / 2, self._delay)
        self._delay = min(self.settings.max_poll_seconds, self._delay * 1.5)
        return None, delay

    def _try_claim(self, limit: int) -> Any:
        self._ensure_rows()
        if connection.vendor == "sqlite":
            return self._try_claim_sqlite(limit)
        table = connection.ops.quote_name(ConcurrencyLease._meta.db_table)
        skip_locked = " FOR UPDATE SKIP LOCKED" if connection.vendor == "postgresql" else ""
        now = timezone.now()
        adapt = connection.ops.adapt_datetimefield_value
        holder = uuid.uuid4().hex
        free = "(holder = '' OR expires_at < %s)"
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET holder = %s, expires_at = %s WHERE id = ("  # noqa: S608 (names only)
                f"SELECT id FROM {table} WHERE key = %s AND slot < %s AND {free} "
                f"ORDER BY slot LIMIT 1{skip_locked}) AND {free} RETURNING id",
                [
                    holder,
                    adapt(now + _seconds(self.settings.lease_seconds)),
                    self.key,
                    limit,
                    adapt(now),
                    adapt(now),
                ],
            )
            row = cursor.fetchone()
        return (row[0], holder) if row else None

    def _try_claim_sqlite(self, limit: int) -> Any:
        """SQLite in memory (tests): look first, then claim a row seen free with a conditional UPDATE. An
        UPDATE that finds nothing still takes the write lock, and in a shared-cache database any other
        writer of the process meeting it fails at once ("database table is locked") instead of waiting."""
        now = timezone.now()
        free = Q(holder="") | Q(expires_at__lt=now)
        candidates = list(
            ConcurrencyLease.objects.filter(free, key=self.key, slot__lt=limit).values_list("pk", flat=True)[
                :limit
            ]
        )
        holder = uuid.uuid4().hex
        expires = now + _seconds(self.settings.lease_seconds)
        for pk in candidates:
            if ConcurrencyLease.objects.filter(free, pk=pk).update(holder=holder, expires_at=expires):
                return pk, holder
        return None

    def _await_release(self, timeout: float) -> None:
        if self._listener is None:
            with self._local:
                if not self._spare:
                    self._local.wait(timeout)
            return
        end = time.monotonic() + timeout
        while (left := end - time.monotonic()) > 0:
            for note in self._listener.notifies(timeout=left, stop_after=1):
                if note.payload == self.key:  # other connections' releases share the channel
                    return

    def _release(self, token: Any) -> None:
        pk, holder = token
        if connection.vendor == "postgresql":
            table = connection.ops.quote_name(ConcurrencyLease._meta.db_table)
            with connection.cursor() as cursor:  # one statement: free the row, wake the waiting leaders
                cursor.execute(
                    f"WITH freed AS (UPDATE {table} SET holder = '', expires_at = NULL "  # noqa: S608 (names)
                    "WHERE id = %s AND holder = %s RETURNING key) SELECT pg_notify(%s, key) FROM freed",
                    [pk, holder, WAKE_CHANNEL],
                )
            return
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


def slot_directory() -> Path | None:
    """Where slot files live: beside the SQLite database file; None for any other database (or SQLite in
    memory), whose limiter is the lease rows."""
    if connection.vendor != "sqlite" or getattr(connection, "is_in_memory_db", lambda: True)():
        return None
    database = Path(str(connection.settings_dict["NAME"]))
    return database.with_name(database.name + ".slots")


def slots_for(key: str, settings: LimiterSettings, *, redis_url: str | None) -> _LeasedSlots:
    """The limiter for one connection: Redis when a Redis URL is configured, else slot files beside a
    SQLite database file, else the database's lease rows."""
    if redis_url:
        return RedisSlots(redis.Redis.from_url(redis_url), f"concord:ns-slots:{key}", settings)
    directory = slot_directory()
    if directory is not None:
        return FileSlots(directory, key, settings)
    return DatabaseSlots(key, settings)
