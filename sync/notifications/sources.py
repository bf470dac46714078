"""Where events come from, and whether one is still worth telling when its delay has passed.

* Connections going down or coming back: the connection watch's port (``connection_alerts_connect``,
  filled by ``SyncConfig.ready``). Down is delayed; back within the delay cancels it and nobody hears of
  either; back after it had gone out is told at once.
* Escalations: the exception queue's port (``escalation_notices_connect``): told at once, to the new
  owners and the subscribed channels; an exception closed before the dispatch is not told.
* Failure rates: :func:`failure_rates_check` (each dispatch tick) per integration, over the policy's
  window: records failed / records tried. Over the threshold opens an incident (delayed); back under it
  before the delay cancels it.
* Reconciliation mismatches: :func:`reconciliation_runs_check` finds finished, unscoped runs with
  mismatches (each raised once, by run); a clean run of the same check before the delay cancels it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from django.contrib.auth.models import User
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone

from reconciliation.models import ReconciliationRun, RunStatus
from sync.connections.watch import ConnectionAlert
from sync.exceptions.models import ExceptionItem
from sync.integrations.models import Integration
from sync.notifications.events import (
    notification_clear,
    notification_policy,
    notification_raise,
    open_incident,
)
from sync.notifications.models import EventKind, NotificationEvent
from sync.pipeline.models import SyncJob

RECONCILIATION_LOOKBACK = timedelta(days=1)
WATCH_HINT = (
    "The connection watch checks every active connection on its schedule (Schedules page). Open the "
    "connection in the console and use Test connection for the details."
)


def _integrations_of_connection(connection_id: int) -> list[int]:
    fields = ("salesforce_connection", "netsuite_connection")
    found: set[int] = set()
    for field in fields:
        found |= set(Integration.objects.filter(**{field: connection_id}).values_list("pk", flat=True))
    return sorted(found)


class ConnectionNotices:
    """The connection watch's sink: delayed "down", and "back" only when "down" was told."""

    def connection_alert(self, alert: ConnectionAlert) -> None:
        subject = f"connection:{alert.connection_id}"
        link = reverse("sync:connection", args=[alert.connection_id])
        integration_ids = _integrations_of_connection(alert.connection_id)
        if not alert.recovered:
            if open_incident(kind=EventKind.CONNECTION_DOWN, subject=subject) is None:
                notification_raise(
                    kind=EventKind.CONNECTION_DOWN,
                    key=f"{subject}:down:{alert.since.isoformat()}",
                    subject=subject,
                    title=alert.text,
                    body=WATCH_HINT,
                    link=link,
                    integration_ids=integration_ids,
                    payload={"connection_id": alert.connection_id, "state": alert.state},
                    now=alert.since,
                )
            return
        down = open_incident(kind=EventKind.CONNECTION_DOWN, subject=subject)
        if down is None:
            return
        if notification_clear(event=down, reason="The connection worked again before the delay passed"):
            return
        notification_raise(
            kind=EventKind.CONNECTION_BACK,
            key=f"{subject}:back:{alert.since.isoformat()}",
            subject=subject,
            title=alert.text,
            body="The connection watch signed in and read from it again.",
            link=link,
            integration_ids=integration_ids,
            payload={"connection_id": alert.connection_id},
            delayed=False,
        )


class EscalationNotices:
    """The exception queue's escalation sink: the new owners and the subscribed channels, at once."""

    def escalated(
        self, *, item: ExceptionItem, users: list[User], level: int, owner: str, now: datetime
    ) -> None:
        notification_raise(
            kind=EventKind.ESCALATED,
            key=f"exception:{item.pk}:escalated:{level}:{now.isoformat()}",
            subject=f"exception:{item.pk}",
            title=f"Escalated to {owner} (level {level}): {item.title}",
            body=(
                f"Exception #{item.pk} ({item.category.name}, {item.get_severity_display()}) is overdue "
                f"and now belongs to {owner}."
            ),
            link=reverse("sync:exception", args=[item.pk]),
            integration_ids=[item.integration_id] if item.integration_id else [],
            payload={"item_id": item.pk, "level": level},
            recipient_ids=[user.pk for user in users],
            delayed=False,
            now=now,
        )


def failure_rates_check(*, now: datetime | None = None) -> list[NotificationEvent]:
    """Open (or clear) each integration's failure-rate incident; returns the events raised."""
    now = now or timezone.now()
    policy = notification_policy()
    since = now - timedelta(minutes=policy.failure_rate_window_minutes)
    raised = []
    for integration in Integration.objects.exclude(salesforce_connection__isnull=True).order_by("pk"):
        totals = SyncJob.objects.filter(
            salesforce_connection_id=integration.salesforce_connection_id,
            finished_at__gte=since,
            finished_at__lte=now,
        ).aggregate(tried=Sum("records_total"), failed=Sum("records_failed"))
        tried, failed = totals["tried"] or 0, totals["failed"] or 0
        over = (
            tried >= policy.failure_rate_min_records and failed * 100 >= policy.failure_rate_percent * tried
        )
        subject = f"failure-rate:{integration.pk}"
        incident = open_incident(kind=EventKind.FAILURE_RATE, subject=subject)
        if over and incident is None:
            percent = round(failed * 100 / tried)
            result = notification_raise(
                kind=EventKind.FAILURE_RATE,
                key=f"{subject}:{now.isoformat()}",
                subject=subject,
                title=f"{integration.label or integration.name}: {percent}% of records failed",
                body=(
                    f"{failed} of {tried} records failed in the last {policy.failure_rate_window_minutes} "
                    f"minutes (threshold {policy.failure_rate_percent}%)."
                ),
                link=reverse("sync:jobs"),
                integration_ids=[integration.pk],
                payload={"tried": tried, "failed": failed},
                now=now,
            )
            raised.append(result.event)
        elif not over and incident is not None:
            notification_clear(event=incident, reason="The failure rate fell under the threshold", now=now)
    return raised


def _mismatches(run: ReconciliationRun) -> int:
    counts = run.counts.get("counts", {}) if isinstance(run.counts, dict) else {}
    return sum(int(value) for value in counts.values() if isinstance(value, int))


def _primary_id() -> int | None:
    return Integration.objects.filter(is_primary=True).values_list("pk", flat=True).first()


def reconciliation_runs_check(*, now: datetime | None = None) -> list[NotificationEvent]:
    """Raise one event per recent finished run with mismatches (once per run)."""
    now = now or timezone.now()
    raised = []
    runs = ReconciliationRun.objects.filter(
        status=RunStatus.SUCCEEDED, finished_at__gte=now - RECONCILIATION_LOOKBACK, scope=[]
    ).select_related("integration")
    recent = list(runs.order_by("finished_at"))
    known = set(
        NotificationEvent.objects.filter(
            key__in=[f"reconciliation-run:{run.pk}" for run in recent]
        ).values_list("key", flat=True)
    )
    primary = _primary_id()
    for run in recent:
        key = f"reconciliation-run:{run.pk}"
        found = _mismatches(run)
        if key in known or not found or run.finished_at is None:
            continue
        integration_id = run.integration_id or primary
        result = notification_raise(
            kind=EventKind.RECONCILIATION_MISMATCHES,
            key=key,
            subject=f"reconciliation:{run.check_name}:{integration_id}",
            title=f"Reconciliation {run.check_name} ({run.integration_name}): {found} mismatches",
            body=f"Run #{run.pk} finished at {run.finished_at:%Y-%m-%d %H:%M} UTC with {found} mismatches.",
            link=reverse("reconciliation:run", args=[run.pk]),
            integration_ids=[integration_id] if integration_id else [],
            payload={"run_id": run.pk, "mismatches": found},
            now=run.finished_at,
        )
        raised.append(result.event)
    return raised


def _escalation_stale(event: NotificationEvent) -> str:
    item = ExceptionItem.objects.filter(pk=event.payload.get("item_id")).first()
    return "" if item is not None and item.is_active else "The exception was closed before anyone was told"


def _reconciliation_stale(event: NotificationEvent) -> str:
    run = ReconciliationRun.objects.filter(pk=event.payload.get("run_id")).first()
    if run is None:
        return "The run was deleted"
    later = ReconciliationRun.objects.filter(
        check_name=run.check_name,
        integration=run.integration,
        status=RunStatus.SUCCEEDED,
        scope=[],
        finished_at__gt=run.finished_at,
    )
    if any(_mismatches(other) == 0 for other in later):
        return "A later run of the same check found no mismatches"
    return ""


# Asked when an event's delay has passed: a non-empty answer cancels it with that reason.
STALE_CHECKS: dict[str, Callable[[NotificationEvent], str]] = {
    EventKind.ESCALATED: _escalation_stale,
    EventKind.RECONCILIATION_MISMATCHES: _reconciliation_stale,
}


def event_stale(event: NotificationEvent) -> str:
    check = STALE_CHECKS.get(event.kind)
    return check(event) if check else ""
