"""Backfills: the Closed Won pipeline over history, in batches, with progress a person can watch.

The console starts one (RevOps or Admin, like a re-run) and a worker runs it; ``manage.py
sync_backfill`` runs the same loop in the terminal. Re-running a backfill is harmless: the pipeline
upserts by external id and skips payloads that have not changed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django_q.tasks import async_task

from sync.models import Backfill, BackfillStatus, Connection, ConnectionKind
from sync.pipeline.polling import closed_won_since
from sync.pipeline.runner import run_batch
from sync.services.connections import salesforce_connector
from sync.services.jobs import can_rerun

Progress = Callable[[Backfill], None]


def backfill_start(*, actor: User, salesforce: Connection, netsuite: Connection, since: dt.date) -> Backfill:
    """Queue a backfill (a worker runs it after commit); audited through the model's registration."""
    if not can_rerun(actor):
        raise PermissionDenied("Starting a backfill needs the RevOps or Admin role.")
    if salesforce.kind != ConnectionKind.SALESFORCE or netsuite.kind != ConnectionKind.NETSUITE:
        raise ValidationError("choose a Salesforce and a NetSuite connection")
    if since > timezone.localdate():
        raise ValidationError("the start date is in the future")
    with transaction.atomic():
        backfill = Backfill.objects.create(
            salesforce_connection=salesforce, netsuite_connection=netsuite, since=since, started_by=actor
        )
        transaction.on_commit(
            lambda: async_task("sync.tasks.backfill_run", backfill.pk, task_name=f"backfill {backfill.pk}")
        )
    return backfill


def backfill_execute(
    backfill: Backfill, *, batch: int = 200, on_progress: Progress | None = None
) -> Backfill:
    """Run ``backfill`` now, saving its progress after every batch (so the console can show it)."""
    claimed = Backfill.objects.filter(pk=backfill.pk, status=BackfillStatus.QUEUED).update(
        status=BackfillStatus.RUNNING
    )
    backfill.refresh_from_db()
    if not claimed:  # already run (a redelivered task): nothing to do
        return backfill
    try:
        since = dt.datetime.combine(backfill.since, dt.time(), tzinfo=dt.UTC)
        connector = salesforce_connector(backfill.salesforce_connection)
        ids = [row["Id"] for row in closed_won_since(connector, since)]
        _save(backfill, total=len(ids))
        if on_progress:
            on_progress(backfill)
        size = max(1, min(200, batch))
        for start in range(0, len(ids), size):
            job = run_batch(
                salesforce=backfill.salesforce_connection,
                netsuite=backfill.netsuite_connection,
                opportunity_ids=ids[start : start + size],
                trigger="backfill",
            )
            _save(
                backfill, done=backfill.done + job.records_total, failed=backfill.failed + job.records_failed
            )
            if on_progress:
                on_progress(backfill)
    except Exception as exc:  # the run stops; the reason is shown where it was started
        _save(backfill, status=BackfillStatus.FAILED, error=str(exc)[:2000], finished_at=timezone.now())
        raise
    _save(backfill, status=BackfillStatus.SUCCEEDED, finished_at=timezone.now())
    return backfill


def _save(backfill: Backfill, **values: object) -> None:
    for name, value in values.items():
        setattr(backfill, name, value)
    # A plain UPDATE in its own short transaction: progress must be visible while the run goes on.
    Backfill.objects.filter(pk=backfill.pk).update(**values)
