"""django-q2's ORM broker, woken when a task is queued instead of only polling.

With the ORM broker (no ``REDIS_URL``) a cluster's pusher asks the database for tasks and, finding none,
sleeps ``Q_CLUSTER["poll"]`` before asking again: on average half of that was added to the start of every
task, and a Closed Won waited for it before its sync began (bench/latency.py: ~45 ms of pickup at the
50 ms poll). :class:`WakingORM` keeps the poll as the longest wait, but an idle pusher waits on a local
datagram socket instead of sleeping, and every enqueue (the listener's drain request, a worker's follow-up)
sends one byte to each pusher waiting on this host: the task is picked up at once.

Only a wake-up is sent; the task itself is in the database as before, so a lost or late datagram costs at
most one poll interval, never a task. Pushers on other hosts (PostgreSQL with workers elsewhere) are not
reached and keep polling. Redis needs none of this: its pushers block on the list.

Sockets live in ``VAR_DIR/q-wake/`` (one per pusher process, named by pid); one whose process is gone is
removed by the next sender that finds it refusing.

:func:`broker_shared`: the broker an enqueue on the hot path passes to ``async_task``. Without one,
django-q2 builds a broker per call, and with Redis that is a new client: a connection opened (and left to
close) per enqueue, ~1.2 ms of the Closed Won path's pickup against ~0.3 ms on a kept connection.
"""

from __future__ import annotations

import os
import select
import socket
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django_q.brokers import Broker, get_broker
from django_q.brokers.orm import ORM
from django_q.conf import Conf

WAKE_DIR = "q-wake"
# AF_UNIX paths are limited to 108 bytes on Linux; a longer VAR_DIR falls back to polling.
MAX_SOCKET_PATH = 100


def wake_dir() -> Path:
    return Path(settings.VAR_DIR) / WAKE_DIR


class Waker:
    """This process's wake-up socket (bound on first use) and the sender to every other one."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._socket: socket.socket | None = None
        self._path: Path | None = None
        self._pid = 0

    def _bound(self) -> socket.socket | None:
        if self._socket is not None and self._pid == os.getpid():
            return self._socket
        path = self.folder / f"{os.getpid()}.sock"
        if len(str(path)) > MAX_SOCKET_PATH or not hasattr(socket, "AF_UNIX"):
            return None
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            path.unlink(missing_ok=True)
            bound = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            bound.bind(str(path))
            bound.setblocking(False)
        except OSError:
            return None
        self._socket, self._path, self._pid = bound, path, os.getpid()
        return bound

    def prepare(self) -> None:
        """Bind now: a wake-up sent from here on is kept until :meth:`wait` reads it."""
        self._bound()

    def wait(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for a wake-up; True when one came (all pending ones are read)."""
        bound = self._bound()
        if bound is None:
            time.sleep(timeout)
            return False
        readable, _, _ = select.select([bound], [], [], timeout)
        if not readable:
            return False
        try:
            while bound.recv(64):
                pass
        except (BlockingIOError, OSError):
            pass
        return True

    def wake_all(self) -> int:
        """One byte to every waiting socket of this host but this process's own; returns how many."""
        try:
            paths = [path for path in self.folder.iterdir() if path.suffix == ".sock"]
        except OSError:
            return 0
        sent = 0
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sender:
            sender.setblocking(False)
            for path in paths:
                if path == self._path and self._pid == os.getpid():
                    continue
                try:
                    sender.sendto(b"1", str(path))
                    sent += 1
                except (ConnectionRefusedError, FileNotFoundError):
                    path.unlink(missing_ok=True)  # its process is gone
                except OSError:
                    pass  # a full buffer: that pusher has wake-ups pending already
        return sent


_WAKER: Waker | None = None
_BROKERS: dict[tuple[int, str], Broker] = {}


def broker_shared() -> Broker:
    """This process's broker for the configured queue, made on first use and kept (one per process: a
    forked child makes its own, it never shares its parent's connection)."""
    key = (os.getpid(), Conf.CLUSTER_NAME)
    broker = _BROKERS.get(key)
    if broker is None:
        _BROKERS.clear()  # a parent's, inherited through fork: not ours to use
        broker = _BROKERS[key] = get_broker()
    return broker


def waker() -> Waker:
    global _WAKER
    if _WAKER is None or _WAKER.folder != wake_dir():
        _WAKER = Waker(wake_dir())
    return _WAKER


class WakingORM(ORM):
    """The ORM broker whose idle pusher is woken by an enqueue on this host (see the module docstring)."""

    def enqueue(self, task: Any) -> Any:
        pk = super().enqueue(task)
        # Once the task row is visible: at once outside a transaction, else when it commits.
        transaction.on_commit(waker().wake_all, using=Conf.ORM)
        return pk

    def dequeue(self) -> list[tuple[Any, Any]] | None:
        wake = waker()
        wake.prepare()  # before looking: a task queued after the look still wakes this wait
        tasks = self.get_connection().filter(key=self.list_key, lock__lt=self._now())[0 : Conf.BULK]
        if tasks:
            taken = []
            for task in tasks:
                claimed = (
                    self.get_connection().filter(id=task.id, lock=task.lock).update(lock=self.timeout(task))
                )
                if claimed:  # else another cluster was faster
                    taken.append((task.pk, task.payload))
            return taken
        wake.wait(Conf.POLL)  # the empty queue's pause, cut short by an enqueue
        return None

    @staticmethod
    def _now() -> Any:
        from django.utils import timezone

        return timezone.now()
