"""Heartbeats: how a running job or backfill batch shows it still has a worker.

The same idea as the inbox's lease (sync.services.inbox.inbox_lease_kept): a thread renews the row's
``heartbeat_at`` every third of ``JOB_LEASE_SECONDS`` while the work runs. A worker killed by SIGKILL,
by the django-q2 time-out or lost with its task stops renewing; the interrupted-work sweep
(sync.services.sweeps) then finds the heartbeat older than the lease and marks the row interrupted.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from types import TracebackType

from django.conf import settings
from django.db import DatabaseError, connection
from django.db.models import Model
from django.utils import timezone

logger = logging.getLogger(__name__)


def job_lease() -> dt.timedelta:
    """How long a running job or batch may go without a heartbeat before it counts as interrupted."""
    return dt.timedelta(seconds=settings.JOB_LEASE_SECONDS)


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
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

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

    def _keep(self) -> None:
        try:
            while not self._stop.wait(self.every):
                try:
                    self.beat()
                except DatabaseError:
                    # A busy database (SQLite's lock) now is no reason to stop: the next turn renews.
                    logger.warning("could not renew a %s heartbeat", self.model.__name__, exc_info=True)
                    connection.close()
        finally:
            connection.close()  # this thread's own connection

    def __enter__(self) -> Heartbeat:
        self._thread = threading.Thread(
            target=self._keep, name=f"heartbeat-{self.model.__name__}", daemon=True
        )
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
