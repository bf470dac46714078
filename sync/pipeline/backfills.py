"""Backfills: the Closed Won pipeline over history, in resumable batches a person can watch.

The console starts one (RevOps or Admin, like a re-run) and workers run it one batch per task
(:func:`backfill_step`): a batch claims the backfill, reads the next won opportunities after its cursor,
syncs them as one job, then in one conditional update moves the cursor, adds its counts and queues the
next batch. ``manage.py sync_backfill`` runs the same steps in the terminal.

A batch whose worker stopped (kill -9, the django-q2 time-out, a task the Redis broker lost) moves
nothing: the interrupted-work sweep (:func:`backfills_sweep`) finds its heartbeat older than
``JOB_LEASE_SECONDS``, marks the backfill interrupted, halves its batch size and queues the same batch
again, up to ``BACKFILL_AUTO_RESUMES`` times; then it waits for a person (:func:`backfill_resume`).
A batch run twice duplicates nothing: the pipeline upserts by external id and skips unchanged payloads,
and the counts only move with the cursor.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Callable
from functools import partial

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django_q.tasks import async_task

from core.audit import AuditAction, audit_record
from sync.connections.models import Connection, ConnectionKind
from sync.connections.services import salesforce_connector
from sync.integrations.selectors import integration_for_pair
from sync.pipeline.flow_state import CLOSED_WON_FLOW, closed_won_trigger, flow_paused
from sync.pipeline.heartbeat import Heartbeat, job_lease
from sync.pipeline.jobs import can_rerun
from sync.pipeline.models import Backfill, BackfillStatus
from sync.pipeline.polling import closed_won_after, closed_won_count
from sync.pipeline.runner import run_batch
from sync.pipeline.triggers import trigger_where

logger = logging.getLogger(__name__)

Progress = Callable[[Backfill], None]
MAX_BATCH = 200  # one IN query of Salesforce ids, one job


def backfill_start(
    *, actor: User, salesforce: Connection, netsuite: Connection, since: dt.date, batch_size: int = MAX_BATCH
) -> Backfill:
    """Queue a backfill (its first batch is enqueued after commit); audited through the model's
    registration."""
    if not can_rerun(actor):
        raise PermissionDenied("Starting a backfill needs the RevOps or Admin role.")
    if salesforce.kind != ConnectionKind.SALESFORCE or netsuite.kind != ConnectionKind.NETSUITE:
        raise ValidationError("choose a Salesforce and a NetSuite connection")
    if since > timezone.localdate():
        raise ValidationError("the start date is in the future")
    if flow_paused(CLOSED_WON_FLOW, integration_for_pair(salesforce.pk, netsuite.pk)):
        raise ValidationError("the Closed Won flow is paused: resume it before starting a backfill")
    with transaction.atomic():
        backfill = Backfill.objects.create(
            salesforce_connection=salesforce,
            netsuite_connection=netsuite,
            since=since,
            started_by=actor,
            batch_size=max(1, min(MAX_BATCH, batch_size)),
            heartbeat_at=timezone.now(),
        )
        transaction.on_commit(lambda: backfill_enqueue(backfill_id=backfill.pk, step=0))
    return backfill


def backfill_enqueue(*, backfill_id: int, step: int) -> None:
    """Queue batch ``step`` of a backfill (a task for any other step, or a second one, does nothing)."""
    async_task(
        "sync.tasks.backfill_run",
        backfill_id,
        step,
        task_name=f"backfill {backfill_id} batch {step}",
        group="sync-backfill",
    )


def backfill_step(*, backfill_id: int, step: int | None = None, chain: bool = True) -> Backfill:
    """Run one batch of a queued backfill; with ``chain``, queue the next batch after commit.

    The claim is conditional (status QUEUED and, given ``step``, that batch number): a redelivered or
    duplicate task, or one for a batch already done, finds nothing to claim and does nothing.

    While the Closed Won flow of the pair's integration is paused nothing is claimed: the backfill stays
    queued at its batch, and resuming the flow queues that batch again (sync.pipeline.flows.flow_resume).
    """
    token = uuid.uuid4().hex
    claim = Backfill.objects.filter(pk=backfill_id, status=BackfillStatus.QUEUED)
    pair = claim.values_list("salesforce_connection_id", "netsuite_connection_id").first()
    if pair is not None and flow_paused(CLOSED_WON_FLOW, integration_for_pair(*pair)):
        claim = claim.none()
    if step is not None:
        claim = claim.filter(batches=step)
    claimed = claim.update(status=BackfillStatus.RUNNING, claim_token=token, heartbeat_at=timezone.now())
    backfill = Backfill.objects.select_related("salesforce_connection", "netsuite_connection").get(
        pk=backfill_id
    )
    if not claimed:
        return backfill
    held = Backfill.objects.filter(pk=backfill_id, status=BackfillStatus.RUNNING, claim_token=token)
    with Heartbeat(Backfill, status=BackfillStatus.RUNNING) as heartbeat:
        heartbeat.watch(backfill_id)
        try:
            ids, synced, failed = _run_one_batch(backfill)
        except Exception as exc:  # the run stops; the reason is shown where it was started
            held.update(
                status=BackfillStatus.FAILED,
                claim_token="",
                error=str(exc)[:2000],
                finished_at=timezone.now(),
            )
            raise
    last = len(ids) < backfill.batch_size
    now = timezone.now()
    with transaction.atomic():
        moved = held.update(
            cursor=ids[-1] if ids else F("cursor"),
            done=F("done") + synced + failed,
            failed=F("failed") + failed,
            batches=F("batches") + 1,
            claim_token="",
            heartbeat_at=now,
            status=BackfillStatus.SUCCEEDED if last else BackfillStatus.QUEUED,
            finished_at=now if last else None,
        )
        if moved and not last and chain:
            following = backfill.batches + 1
            transaction.on_commit(lambda: backfill_enqueue(backfill_id=backfill_id, step=following))
    if not moved:
        # The sweep took the batch from us (no heartbeat for a whole lease): it runs again from the
        # cursor, which this batch did not move, so nothing is counted twice.
        logger.warning("backfill %s: batch %s finished after it was declared interrupted", backfill_id, step)
    backfill.refresh_from_db()
    return backfill


def _run_one_batch(backfill: Backfill) -> tuple[list[str], int, int]:
    """Read and sync the batch after the cursor; returns its ids and the records synced and failed."""
    since = dt.datetime.combine(backfill.since, dt.time(), tzinfo=dt.UTC)
    connector = salesforce_connector(backfill.salesforce_connection)
    # The flow's trigger picks the opportunities, as the catch-up poll does: a backfill replays what
    # the trigger would have caught (the pair's integration's trigger).
    trigger = closed_won_trigger(
        integration_for_pair(backfill.salesforce_connection_id, backfill.netsuite_connection_id)
    )
    if backfill.total is None:
        total = closed_won_count(connector, since, where=trigger_where(trigger))
        Backfill.objects.filter(pk=backfill.pk).update(total=total)
        backfill.total = total
    ids = closed_won_after(
        connector, since, after=backfill.cursor, limit=backfill.batch_size, where=trigger_where(trigger)
    )
    if not ids:
        return ids, 0, 0
    job = run_batch(
        salesforce=backfill.salesforce_connection,
        netsuite=backfill.netsuite_connection,
        opportunity_ids=ids,
        trigger="backfill",
    )
    return ids, job.records_total - job.records_failed, job.records_failed


def backfill_execute(
    backfill: Backfill, *, batch: int = MAX_BATCH, on_progress: Progress | None = None
) -> Backfill:
    """Run a queued backfill here and now, batch after batch, reporting progress after each (the
    terminal's loop; workers run the same steps as separate tasks)."""
    Backfill.objects.filter(pk=backfill.pk, status=BackfillStatus.QUEUED, batches=0).update(
        batch_size=max(1, min(MAX_BATCH, batch))
    )
    while True:
        backfill = backfill_step(backfill_id=backfill.pk, chain=False)
        if on_progress:
            on_progress(backfill)
        if backfill.status != BackfillStatus.QUEUED:
            return backfill


def backfill_resume(*, backfill: Backfill, actor: User | None, reason: str = "") -> Backfill:
    """Queue an interrupted or failed backfill again from its cursor (a person's action: audited).

    ``actor`` None is the operator at the terminal (``manage.py sync_sweep --resume-backfill``)."""
    if actor is not None and not can_rerun(actor):
        raise PermissionDenied("Resuming a backfill needs the RevOps or Admin role.")
    with transaction.atomic():
        resumed = Backfill.objects.filter(
            pk=backfill.pk, status__in=[BackfillStatus.INTERRUPTED, BackfillStatus.FAILED]
        ).update(status=BackfillStatus.QUEUED, heartbeat_at=timezone.now(), finished_at=None, claim_token="")
        if not resumed:
            raise ValidationError("only an interrupted or failed backfill can be resumed")
        backfill.refresh_from_db()
        audit_record(
            obj=backfill,
            actor=actor,
            action=AuditAction.ACCESS,
            event="backfill_resume",
            reason=reason,
            cursor=backfill.cursor,
            batches_done=backfill.batches,
        )
        step = backfill.batches
        transaction.on_commit(lambda: backfill_enqueue(backfill_id=backfill.pk, step=step))
    return backfill


def backfills_sweep(*, now: dt.datetime | None = None) -> tuple[list[int], list[int]]:
    """Mark backfills whose batch stopped (no heartbeat for the lease) interrupted and resume those with
    automatic resumes left; queue again the batch of a queued backfill whose task never started. Returns
    the ids interrupted and the ids queued again.

    A batch killed mid-way resumes with half the batch size, so a batch too long for the time-out
    shrinks until it fits. A queued batch whose task has not started within the lease was lost by the
    broker (or waits in a long queue: queuing its step twice is harmless, the second task claims
    nothing): it is queued again as it is, without counting as an interruption.
    """
    now = now or timezone.now()
    cutoff = now - job_lease()
    stale = Backfill.objects.filter(status__in=[BackfillStatus.QUEUED, BackfillStatus.RUNNING]).filter(
        Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True, created_at__lt=cutoff)
    )
    interrupted: list[int] = []
    resumed: list[int] = []
    for backfill in list(stale):
        # Conditional, like a claim: a batch that started, finished or renewed in between is left alone.
        still = Backfill.objects.filter(
            pk=backfill.pk,
            status=backfill.status,
            claim_token=backfill.claim_token,
            heartbeat_at=backfill.heartbeat_at,
        )
        if backfill.status == BackfillStatus.QUEUED:
            if still.update(heartbeat_at=now):
                resumed.append(backfill.pk)
                transaction.on_commit(
                    partial(backfill_enqueue, backfill_id=backfill.pk, step=backfill.batches)
                )
            continue
        auto = backfill.interruptions < settings.BACKFILL_AUTO_RESUMES
        note = (
            f"interrupted at {now:%Y-%m-%d %H:%M:%S} UTC: the worker of batch {backfill.batches + 1} "
            f"stopped (killed, timed out or its task lost); "
            + ("resumed automatically from the cursor" if auto else "resume it when the cause is fixed")
        )
        marked = still.update(
            status=BackfillStatus.QUEUED if auto else BackfillStatus.INTERRUPTED,
            claim_token="",
            heartbeat_at=now,
            interruptions=F("interruptions") + 1,
            interrupted_at=now,
            batch_size=max(1, backfill.batch_size // 2),
            error=note,
        )
        if not marked:
            continue
        interrupted.append(backfill.pk)
        logger.warning(
            "backfill %s %s",
            backfill.pk,
            note,
            extra={"event": "backfill_interrupted", "backfill_id": backfill.pk, "resumed": auto},
        )
        if auto:
            resumed.append(backfill.pk)
            transaction.on_commit(partial(backfill_enqueue, backfill_id=backfill.pk, step=backfill.batches))
    return interrupted, resumed
