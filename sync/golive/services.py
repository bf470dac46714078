"""The go-live assistant: match every Salesforce account and contact against NetSuite, then link.

Going live on years of data, most accounts already exist in NetSuite without a Salesforce id. A run
first *scans* (:mod:`sync.golive.scan`: both systems read, nothing written) and stops at "ready
for review" with its linked / suspects / unmatched counts. Only when a person confirms does it *apply*:

- each confident match gets the Salesforce id as its NetSuite ``externalId`` (a PATCH: the id Concord's
  upserts use for that object) and a :class:`sync.pipeline.models.CrossReference`, one audit entry per link;
- each duplicate suspect becomes an exception in the queue, listing the candidates, for a person to
  choose one or create a new record;
- each shared link (a confident match with a record carrying another integration's external id: a
  customer both companies sell to) gets only its cross-reference, marked ``shared``: its externalId is
  never re-keyed, the integration's syncs update it by internal id;
- unmatched records are left alone: the normal sync creates them.

Cross-references are written for the integration of the run's pair.

Who may: scanning reads both systems and writes nothing, so RevOps and Admins may start one (like a
backfill); applying writes to NetSuite, so it needs ``manage_connections`` (Admins). Every role sees the
runs. Applying is idempotent and survives a worker restart: each link is claimed on its result row after
the (idempotent) PATCH, so a redelivered or re-run apply continues where it stopped and links nothing
twice, and it works in slices that each fit well within the worker's timeout.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from contextlib import AbstractContextManager, nullcontext

from auditlog.context import set_actor
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connections, transaction
from django.utils import timezone
from django_q.tasks import async_task

from core.audit import AuditAction, audit_record
from sync.connections.connectors.errors import ConnectorError
from sync.connections.connectors.netsuite import NetSuiteConnector
from sync.connections.models import Connection, ConnectionKind
from sync.connections.services import netsuite_connector
from sync.exceptions.models import ExceptionItem, Severity
from sync.exceptions.scope import ExceptionScope
from sync.exceptions.services import RecordRef, exception_auto_resolve, exception_raise
from sync.golive.models import ERROR_TEXT_LIMIT, GoLiveOutcome, GoLiveResult, GoLiveRun, GoLiveStatus
from sync.golive.permissions import can_apply, can_scan
from sync.golive.scan import stale_after
from sync.integrations.selectors import integration_for_pair
from sync.mappings.models import ObjectMapping
from sync.matching.models import MatchResolution
from sync.pipeline.models import CrossReference
from sync.pipeline.prematch import CATEGORY as MATCH_CATEGORY
from sync.pipeline.prematch import match_dedup_key

APPLY_SLICE = 1000  # links per task: a slice stays well within Q_TIMEOUT, then the next one is queued
PROGRESS_EVERY = 25

Progress = Callable[[GoLiveRun], None]


def golive_start(
    *, actor: User | None, salesforce: Connection, netsuite: Connection, run_now: bool = False
) -> GoLiveRun:
    """Create a go-live run and queue its scan (after commit); audited through the model's registration.

    ``actor`` None is the terminal (``manage.py golive_match``), which runs the scan itself
    (``run_now``) instead of queueing it.
    """
    if actor is not None and not can_scan(actor):
        raise PermissionDenied("Starting a go-live match needs the RevOps or Admin role.")
    if salesforce.kind != ConnectionKind.SALESFORCE or netsuite.kind != ConnectionKind.NETSUITE:
        raise ValidationError("choose a Salesforce and a NetSuite connection")
    if not (salesforce.is_active and netsuite.is_active):
        raise ValidationError("both connections must be active")
    busy = next(
        (
            run
            for run in GoLiveRun.objects.filter(
                salesforce_connection=salesforce,
                netsuite_connection=netsuite,
                status__in=(GoLiveStatus.QUEUED, GoLiveStatus.SCANNING, GoLiveStatus.APPLYING),
            )
            if not run_is_stale(run)
        ),
        None,
    )
    if busy is not None:
        raise ValidationError(f"go-live match #{busy.pk} is still {busy.get_status_display().lower()}")
    with transaction.atomic(), _acting(actor):
        run = GoLiveRun.objects.create(
            salesforce_connection=salesforce, netsuite_connection=netsuite, started_by=actor
        )
        if not run_now:
            transaction.on_commit(
                lambda: async_task("sync.tasks.golive_scan_run", run.pk, task_name=f"golive scan {run.pk}")
            )
    return run


def run_is_stale(run: GoLiveRun) -> bool:
    """A working run with no sign of life for longer than Q_RETRY: its worker is gone."""
    last = run.heartbeat_at or run.created_at
    return run.working and last < timezone.now() - stale_after()


def golive_apply_confirm(*, run: GoLiveRun, actor: User | None, run_now: bool = False) -> GoLiveRun:
    """Confirm a reviewed run's links: it moves to "applying" and a worker applies them (after commit).

    Only a run ready for review can be confirmed, once; who confirmed is audited (``applied_by``). An
    apply whose worker is gone (:func:`run_is_stale`) may be confirmed again: it is queued once more and
    continues where it stopped.
    """
    if actor is not None and not can_apply(actor):
        raise PermissionDenied("Applying go-live links writes to NetSuite: it needs the Admin role.")
    with transaction.atomic(), _acting(actor):
        locked = GoLiveRun.objects.select_for_update().get(pk=run.pk)
        if locked.status == GoLiveStatus.APPLYING and run_is_stale(locked):
            locked.heartbeat_at = timezone.now()
            locked.save(update_fields=["heartbeat_at"])
            audit_record(
                obj=locked, actor=actor, action=AuditAction.UPDATE, changes={}, event="golive_apply_resumed"
            )
            if not run_now:
                transaction.on_commit(lambda: _queue_apply(locked.pk))
            return locked
        if locked.status != GoLiveStatus.READY:
            raise ValidationError(f"go-live match #{locked.pk} is {locked.get_status_display().lower()}")
        locked.status = GoLiveStatus.APPLYING
        locked.applied_by = actor
        locked.apply_requested_at = locked.heartbeat_at = timezone.now()
        locked.total = locked.linked + locked.shared + locked.suspects
        locked.done = 0
        locked.save()
        if not run_now:
            transaction.on_commit(lambda: _queue_apply(locked.pk))
    return locked


def _acting(actor: User | None) -> AbstractContextManager[object]:
    """The run's audit entry names the person also when no request set the actor (a task, the shell)."""
    return set_actor(actor) if actor is not None else nullcontext()


def _queue_apply(run_id: int) -> None:
    async_task("sync.tasks.golive_apply_run", run_id, task_name=f"golive apply {run_id}")


def golive_apply_execute(
    run: GoLiveRun, *, slice_size: int | None = APPLY_SLICE, on_progress: Progress | None = None
) -> bool:
    """Apply a confirmed run's links and raise its suspects; returns whether work remains.

    Re-entrant: it does only what is not done yet, so a second delivery, a re-run after a crash or the
    next slice simply continue. With ``slice_size`` None it runs to the end.
    """
    run.refresh_from_db()
    if run.status != GoLiveStatus.APPLYING:
        return False
    object_keys = _object_keys(run)
    pending = run.results.filter(outcome=GoLiveOutcome.LINKED, applied_at__isnull=True, message="")
    batch = list(pending.order_by("id")[:slice_size] if slice_size else pending.order_by("id"))
    handled = 0
    if batch:  # shared links and suspects alone write nothing to NetSuite
        netsuite = netsuite_connector(run.netsuite_connection)
        # As many PATCHes at once as the account allows (the connector's slots keep all workers within it).
        with ThreadPoolExecutor(max_workers=max(1, run.netsuite_connection.concurrency_limit)) as pool:
            futures = {
                pool.submit(contextvars.copy_context().run, _patch_in_thread, netsuite, result): result
                for result in batch
            }
            for future in as_completed(futures):
                _link_record(run, futures[future], future.result(), object_keys)
                handled += 1
                if handled % PROGRESS_EVERY == 0:
                    _progress(run, on_progress)
    if slice_size and handled >= slice_size and pending.exists():
        _progress(run, on_progress)
        return True
    # Shared links write nothing to NetSuite: the record keeps the other integration's external id.
    for result in run.results.filter(outcome=GoLiveOutcome.SHARED, applied_at__isnull=True).order_by("id"):
        _link_record(run, result, "", object_keys)
    for result in run.results.filter(outcome=GoLiveOutcome.SUSPECT, exception_id__isnull=True).order_by("id"):
        _suspect_raise(run, result, object_keys)
    _progress(run, on_progress, status=GoLiveStatus.APPLIED, finished_at=timezone.now())
    return False


def _patch_in_thread(netsuite: NetSuiteConnector, result: GoLiveResult) -> str:
    """Set the external id in NetSuite (only HTTP here: the database is written by the calling thread);
    "" when done, NetSuite's reason when it refused. A transient fault raises: the task fails and is
    delivered again, the link still pending."""
    try:
        # Idempotent: the same value again is no change, so a repeated PATCH after a crash is harmless.
        netsuite.patch(result.netsuite_type, result.chosen_id, {"externalId": result.external_id})
    except ConnectorError as error:
        if error.transient:
            raise
        return str(error)[:ERROR_TEXT_LIMIT]
    finally:
        connections.close_all()  # the concurrency limiter opened a connection in this pool thread
    return ""


def _link_record(run: GoLiveRun, result: GoLiveResult, refusal: str, object_keys: dict[str, str]) -> None:
    """Record what the PATCH did: the refusal, or the link (claimed once, cross-reference, audit entry)."""
    if refusal:
        GoLiveResult.objects.filter(pk=result.pk, applied_at__isnull=True).update(message=refusal)
        return
    now = timezone.now()
    shared = result.outcome == GoLiveOutcome.SHARED
    integration = integration_for_pair(run.salesforce_connection_id, run.netsuite_connection_id)
    with transaction.atomic():
        claimed = GoLiveResult.objects.filter(pk=result.pk, applied_at__isnull=True).update(applied_at=now)
        if not claimed:
            return  # another delivery linked it meanwhile
        reference, _ = CrossReference.objects.update_or_create(
            netsuite_connection=run.netsuite_connection,
            integration=integration,
            netsuite_type=result.netsuite_type,
            external_id=result.external_id,
            defaults={
                "shared": shared,
                "netsuite_id": result.chosen_id,
                "salesforce_id": result.salesforce_id,
                "object_key": object_keys.get(result.netsuite_type, result.netsuite_type),
                # No payload sent yet: the next sync writes the record in full.
                "payload_hash": "",
                "synced_at": now,
            },
        )
        audit_record(
            obj=reference,
            actor=run.applied_by,
            action=AuditAction.UPDATE,
            changes={"shared_link": ["", result.external_id]}
            if shared
            else {"externalId": ["", result.external_id]},
            event="golive_shared_link" if shared else "golive_link",
            integration=integration.name,
            run=run.pk,
            salesforce_type=result.salesforce_type,
            salesforce_id=result.salesforce_id,
            netsuite_type=result.netsuite_type,
            netsuite_id=result.chosen_id,
            reasons=result.reasons,
        )
        MatchResolution.objects.filter(
            netsuite_connection=run.netsuite_connection,
            netsuite_type=result.netsuite_type,
            external_id=result.external_id,
            applied_at__isnull=True,
        ).update(applied_at=now)
        exception_auto_resolve(
            dedup_key=match_dedup_key(
                netsuite_connection_id=run.netsuite_connection_id,
                record_type=result.netsuite_type,
                external_id=result.external_id,
            ),
            note=f"linked to {result.netsuite_type} {result.chosen_id} by go-live match #{run.pk}",
        )


def _suspect_raise(run: GoLiveRun, result: GoLiveResult, object_keys: dict[str, str]) -> None:
    """Open the duplicate-suspect exception the pipeline's pre-match would (same key, same details), so
    it is answered the same way (link a candidate, or create new: :mod:`sync.exceptions.matching`)
    and the answer is honoured by every later sync. Opportunities the pipeline held back stay listed."""
    dedup_key = match_dedup_key(
        netsuite_connection_id=run.netsuite_connection_id,
        record_type=result.netsuite_type,
        external_id=result.external_id,
    )
    earlier = ExceptionItem.objects.filter(dedup_key=dedup_key).order_by("-last_seen").first()
    held = sorted(earlier.retry_kwargs.get("opportunity_ids") or []) if earlier is not None else []
    reason = "; ".join(result.reasons)
    # The account's billing country, as its match key reads it (the NetSuite address ``country`` path):
    # the subsidiary the mapping would give it. A contact's keys name no country.
    country = next(
        (
            str(value)
            for path, value in (result.salesforce_fields or {}).items()
            if path.rsplit(".", 1)[-1] == "country" and value
        ),
        "",
    )
    item = exception_raise(
        category=MATCH_CATEGORY,
        dedup_key=dedup_key,
        title=(  # exception_raise fits it to the title column
            f"Duplicate suspect: {result.salesforce_type} {result.salesforce_name or result.salesforce_id} "
            f"matches {len(result.candidates)} NetSuite {result.netsuite_type} record(s)"
        ),
        severity=Severity.MEDIUM,
        records=[
            RecordRef("salesforce", result.salesforce_type, result.salesforce_id),
            *(
                RecordRef("netsuite", result.netsuite_type, str(c.get("netsuite_id")))
                for c in result.candidates
            ),
        ],
        scope=ExceptionScope(
            netsuite_connection_id=run.netsuite_connection_id,
            integration_id=integration_for_pair(run.salesforce_connection_id, run.netsuite_connection_id).pk,
            billing_country=country,
        ),
        vendor_message=reason,
        mapping_row=f"{object_keys.get(result.netsuite_type, result.netsuite_type)}/match",
        details={
            "match": {
                "object_key": object_keys.get(result.netsuite_type, result.netsuite_type),
                "record_type": result.netsuite_type,
                "external_id": result.external_id,
                "salesforce_id": result.salesforce_id,
                "label": result.salesforce_name,
                "key": result.match_key,
                "reason": reason,
                "salesforce": result.salesforce_fields,
                "candidates": result.candidates,
            },
            "golive_run": run.pk,
        },
        retry_task="sync.pipeline.prematch.match_resync",
        retry_kwargs={
            "opportunity_ids": held,
            "salesforce_connection_id": run.salesforce_connection_id,
            "netsuite_connection_id": run.netsuite_connection_id,
        },
    )
    GoLiveResult.objects.filter(pk=result.pk).update(exception_id=item.pk)


def _object_keys(run: GoLiveRun) -> dict[str, str]:
    rows = ObjectMapping.objects.filter(version_id=run.mapping_version_id).values_list("target", "key")
    return {target: key for target, key in rows}


def _progress(run: GoLiveRun, on_progress: Progress | None, **values: object) -> None:
    """Counts from the result rows themselves, so a continued or repeated apply reports the truth."""
    results = run.results
    applied = results.filter(
        outcome__in=(GoLiveOutcome.LINKED, GoLiveOutcome.SHARED), applied_at__isnull=False
    ).count()
    failed = results.filter(outcome=GoLiveOutcome.LINKED, applied_at__isnull=True).exclude(message="").count()
    raised = results.filter(outcome=GoLiveOutcome.SUSPECT, exception_id__isnull=False).count()
    values = {
        "links_applied": applied,
        "links_failed": failed,
        "exceptions_raised": raised,
        "done": applied + failed + raised,
        "heartbeat_at": timezone.now(),
        **values,
    }
    for name, value in values.items():
        setattr(run, name, value)
    GoLiveRun.objects.filter(pk=run.pk).update(**values)
    if on_progress:
        on_progress(run)
