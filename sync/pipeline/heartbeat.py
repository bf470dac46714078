"""Heartbeats: how a running job or backfill batch shows it still has a worker.

The same idea as the inbox's lease, on the same thread (:func:`renewed_while`, which also keeps
sync.pipeline.inbox.inbox_lease_kept): the row's ``heartbeat_at`` is renewed every third of
``JOB_LEASE_SECONDS`` while the work runs. A worker killed by SIGKILL,
by the django-q2 time-out or lost with its task stops renewing; the interrupted-work sweep
(sync.pipeline.sweeps) then finds the heartbeat older than the lease and marks the row interrupted.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from types import TracebackType

from django.conf import settings
from django.db import DatabaseError, connection
from django.db.models import Model
from django.utils import timezone

logger = logging.getLogger(__name__)


def job_lease() -> dt.timedelta:
    """How long a running job or batch may go without a heartbeat before it counts as interrupted."""
    return dt.timedelta(seconds=settings.JOB_LEASE_SECONDS)


@contextmanager
def renewed_while(renew: Callable[[], object], *, every: float, name: str) -> Iterator[None]:
    """Call ``renew`` every ``every`` seconds in a thread of its own while the block runs.

    What keeps a lease or a heartbeat alive: the lease can then be short (a killed worker's work comes
    back soon) without long work losing it half-way, since only a worker that stopped stops renewing.
    """
    stop = threading.Event()

    def keep() -> None:
        try:
            while not stop.wait(every):
                try:
                    renew()
                except DatabaseError:
                    # A busy database (SQLite's lock) now is no reason to stop: the next turn renews.
                    logger.warning("%s: could not renew", name, exc_info=True)
                    connection.close()
        finally:
            connection.close()  # this thread's own connection

    keeper = threading.Thread(target=keep, name=name, daemon=True)
    keeper.start()
    try:
        yield
    finally:
        stop.set()
        keeper.join()


class Heartbeat:
    """Renews ``heartbeat_at`` of the watched rows of ``model`` while the ``with`` block runs.

    Rows are added with :meth:`watch` once they exist (a job is created inside the block). Renewal only
    touches rows still in ``status`` (a row the sweep or the worker itself moved on is left alone).
    """

    def __init__(self, model: type[Model], *, status: str, every: float | None = None) -> None:
        self.model = model
        self.status = status
        self.every = every if every is not None else job_lease().total_seconds() / 3
        self._ids: set[int] = set()
        self._lock = threading.Lock()
        self._stack = ExitStack()

    def watch(self, pk: int) -> None:
        with self._lock:
            self._ids.add(pk)

    def beat(self) -> int:
        """Renew now; returns how many rows were renewed."""
        with self._lock:
            ids = sorted(self._ids)
        if not ids:
            return 0
        return self.model._default_manager.filter(pk__in=ids, status=self.status).update(
            heartbeat_at=timezone.now()
        )

    def __enter__(self) -> Heartbeat:
        self._stack.enter_context(
            renewed_while(self.beat, every=self.every, name=f"heartbeat-{self.model.__name__}")
        )
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._stack.close()
