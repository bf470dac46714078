"""Is this installation working? The database, the task broker and the workers, each checked on its own.

Read by ``/healthz`` (a load balancer's or orchestrator's probe). Each part says only ok or not and a
short reason in fixed words: no host names, versions or error texts, since the endpoint has no login.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import connection
from django.utils import timezone
from django_q.brokers import get_broker
from django_q.status import Stat

from sync.pipeline.models import WorkerHeartbeat

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class HealthPart:
    name: str
    ok: bool
    detail: str


@dataclass(frozen=True)
class Health:
    parts: list[HealthPart]

    @property
    def ok(self) -> bool:
        return all(part.ok for part in self.parts)

    def as_dict(self) -> dict[str, object]:
        return {
            "status": "ok" if self.ok else "failing",
            "checks": {part.name: {"ok": part.ok, "detail": part.detail} for part in self.parts},
        }


def database_health() -> HealthPart:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:
        logger.warning("health: the database did not answer", exc_info=True)
        return HealthPart("database", False, "unreachable")
    return HealthPart("database", True, "ok")


def broker_health() -> HealthPart:
    """The django-q2 broker answers (Redis ping, or the ORM queue table for the embedded setup)."""
    try:
        broker = get_broker()
        if not broker.ping():
            return HealthPart("broker", False, "unreachable")
        broker.queue_size()
    except Exception:
        logger.warning("health: the task broker did not answer", exc_info=True)
        return HealthPart("broker", False, "unreachable")
    return HealthPart("broker", True, "ok")


def workers_health(*, now: dt.datetime | None = None, max_age: int | None = None) -> HealthPart:
    """At least one worker is alive: a cluster reports its status to the broker (Redis), or a worker ran
    the heartbeat task within ``max_age`` seconds (any broker; the ORM broker's stats live in a cache a
    web process cannot see)."""
    limit = max_age if max_age is not None else settings.HEALTH_WORKER_MAX_AGE
    try:
        clusters = len(Stat.get_all())
    except Exception:
        clusters = 0
    last = WorkerHeartbeat.objects.order_by("-seen_at").values_list("seen_at", flat=True).first()
    age = None if last is None else ((now or timezone.now()) - last).total_seconds()
    if clusters:
        return HealthPart("workers", True, f"{clusters} cluster(s) reporting")
    if age is not None and age <= limit:
        return HealthPart("workers", True, f"heartbeat {int(age)}s ago")
    if age is None:
        return HealthPart("workers", False, "no worker heartbeat yet")
    return HealthPart("workers", False, f"no worker heartbeat for {int(age)}s (limit {limit}s)")


def health_check(*, now: dt.datetime | None = None) -> Health:
    database = database_health()
    if not database.ok:  # the other checks read the database too
        return Health(
            [
                database,
                HealthPart("broker", False, "not checked"),
                HealthPart("workers", False, "not checked"),
            ]
        )
    return Health([database, broker_health(), workers_health(now=now)])
