"""Running reconciliations: a run reads both sides, stores what differs, and keeps exceptions current.

``reconciliation_run`` is the one entry point the command, the django-q2 task and the tests share; the
console queues runs with ``reconciliation_enqueue`` (the task starts after the request's transaction
commits). Mismatches are stored in batches of :data:`BATCH`; progress is written every
:data:`PROGRESS_EVERY` records in its own short update, so the console sees it while the run goes.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django_q.tasks import async_task

from core.audit import AuditAction, audit_record
from reconciliation import exceptions
from reconciliation.checks import CHECKS, Check, check_get
from reconciliation.engine import Comparison, FieldSpec, compare
from reconciliation.engine import Mismatch as Difference
from reconciliation.engine.sorting import Pair
from reconciliation.models import Mismatch, ReconciliationRun, RunStatus, RunTrigger, Tolerance
from reconciliation.permissions import can_run_reconciliation
from reconciliation.reading import Sources
from sync.connections.metadata.selectors import connection_listed_names, connection_metadata
from sync.connections.metadata.services import metadata_first_read
from sync.connections.models import Connection, ConnectionEnvironment, ConnectionKind
from sync.connections.services import netsuite_connector, salesforce_connector
from sync.exceptions.scope import ExceptionScope
from sync.integrations.models import Integration
from sync.integrations.selectors import integration_namespaces, primary_integration
from sync.mappings.services.lookups import mapping_tables
from sync.pipeline.heartbeat import Heartbeat, job_lease
from sync.pipeline.models import CrossReference

logger = logging.getLogger(__name__)

BATCH = 1_000
PROGRESS_EVERY = 1_000
RUN_TASK = "reconciliation.tasks.reconciliation_run_task"
# Reading a million records a side takes far longer than the cluster's default task timeout, so runs get
# their own. A run whose worker stops before (killed, lost by the broker) is found by its heartbeat.
RUN_TIMEOUT = dt.timedelta(hours=4)
# Interrupted runs of one check queued again by the sweep before it waits for a person ("Run again"): a
# run killed by its time-out each time would otherwise be started for ever.
AUTO_RERUNS = 2


class NoConnection(RuntimeError):
    """There is no active connection of a kind a reconciliation needs."""


def _active_connection(kind: str) -> Connection:
    # Production first: a sandbox connection next to a production one is for trying things out.
    active = Connection.objects.filter(kind=kind, is_active=True).order_by("name")
    connection = active.filter(environment=ConnectionEnvironment.PRODUCTION).first() or active.first()
    if connection is None:
        raise NoConnection(f"no active {kind} connection: add one under Connections")
    return connection


def _integration_pair(integration: Integration) -> tuple[Connection, Connection]:
    """The integration's production pair. The primary integration of an install that never named its
    pair (connections added after the upgrade) reads the active connections, production preferred."""
    salesforce, netsuite = integration.salesforce_connection, integration.netsuite_connection
    if integration.is_primary:
        salesforce = salesforce or _active_connection(ConnectionKind.SALESFORCE)
        netsuite = netsuite or _active_connection(ConnectionKind.NETSUITE)
    if salesforce is None or netsuite is None:
        raise NoConnection(
            f"integration {integration.name} has no Salesforce or NetSuite connection: set its pair under "
            "Integrations"
        )
    for connection in (salesforce, netsuite):
        if not connection.is_active:
            raise NoConnection(f"connection {connection.name} of integration {integration.name} is inactive")
    return salesforce, netsuite


def integration_or_primary(integration: Integration | None) -> Integration:
    return integration if integration is not None else primary_integration()


def reconciliation_sources(integration: Integration | None = None) -> Sources:
    """What a run of ``integration`` (the primary one by default) reads: connectors to its Salesforce org
    and NetSuite account, its namespace (only its own NetSuite records are compared), the lookup tables
    the sync maps with (the published versions), which say what NetSuite should hold, and what each
    system lists per its metadata cache (read once if never read, as a sync's first batch does)."""
    integration = integration_or_primary(integration)
    salesforce, netsuite = _integration_pair(integration)
    return pair_sources(
        salesforce=salesforce,
        netsuite=netsuite,
        integration=integration,
        lookups=mapping_tables(None, integration),
    )


def pair_sources(
    *,
    salesforce: Connection,
    netsuite: Connection,
    integration: Integration,
    lookups: dict[str, dict[str, Any]],
) -> Sources:
    """What a run of ``integration`` reads through the pair ``salesforce``/``netsuite`` (its production
    pair, or a sandbox pair for a release test) with the lookup tables ``lookups``: what each system lists
    and whether the org keeps several currencies (per the metadata cache, read once if never read), and
    only the integration's own NetSuite records."""
    metadata_first_read(salesforce)
    metadata_first_read(netsuite)
    return Sources(
        salesforce=salesforce_connector(salesforce),
        netsuite=netsuite_connector(netsuite),
        netsuite_connection_id=netsuite.pk,
        lookups=lookups,
        salesforce_objects=connection_listed_names(salesforce),
        netsuite_record_types=connection_listed_names(netsuite),
        salesforce_multi_currency=_multi_currency(salesforce),
        **integration_reading(integration, netsuite.pk),
    )


def integration_reading(
    integration: Integration, netsuite_connection_id: int | None = None
) -> dict[str, Any]:
    """The :class:`Sources` arguments that keep a run to ``integration``'s own NetSuite records: its
    namespace and the others' (for a run whose connectors are made elsewhere, a release test's), its id
    (the exceptions it opens name it), and the customers it shares with another integration (linked,
    carrying the other's external id) in that NetSuite account."""
    others = frozenset(
        namespace for pk, namespace in integration_namespaces().items() if pk != integration.pk and namespace
    )
    shared: dict[str, str] = {}
    if netsuite_connection_id is not None:
        xrefs = CrossReference.objects.filter(
            netsuite_connection_id=netsuite_connection_id, netsuite_type="customer", shared=True
        )
        xrefs = (
            xrefs.filter(Q(integration=integration) | Q(integration__isnull=True))
            if integration.is_primary
            else xrefs.filter(integration=integration)
        )
        shared = {
            str(netsuite_id): str(salesforce_id)
            for netsuite_id, salesforce_id in xrefs.values_list("netsuite_id", "salesforce_id")
        }
    return {
        "namespace": integration.namespace,
        "other_namespaces": others,
        "integration_id": integration.pk,
        "shared_customers": shared,
    }


def _multi_currency(salesforce: Connection) -> bool:
    """Whether the org's records carry ``CurrencyIsoCode`` (multiple currencies enabled), per its cached
    metadata; assumed when the metadata says nothing of Account."""
    metadata = connection_metadata(salesforce)
    account = metadata.object("Account") if metadata is not None else None
    return account is None or account.field("CurrencyIsoCode") is not None


def check_fields(check: Check) -> list[FieldSpec]:
    """The check's fields with the tolerances RevOps configured in place of the defaults."""
    configured = {row.field: float(row.tolerance) for row in Tolerance.objects.filter(check_name=check.name)}
    return [
        FieldSpec(spec.name, spec.kind, configured.get(spec.name, spec.tolerance)) for spec in check.fields
    ]


def tolerance_set(*, check: str, field: str, tolerance: Decimal, actor: User | None) -> Tolerance:
    """Set one numeric field's tolerance (audited through auditlog's registration of Tolerance)."""
    spec = next((s for s in check_get(check).fields if s.name == field), None)
    if spec is None or spec.kind != "number":
        raise ValueError(f"{check}.{field} is not a numeric field of that check")
    with transaction.atomic():
        row = Tolerance.objects.select_for_update().filter(check_name=check, field=field).first()
        row = row or Tolerance(check_name=check, field=field)
        row.tolerance = tolerance
        row.updated_by = actor
        row.full_clean()
        row.save()
    return row


# -- starting runs ---------------------------------------------------------------------------------


def runs_of(integration: Integration) -> QuerySet[ReconciliationRun]:
    """``integration``'s runs (runs naming none are the primary integration's)."""
    runs = ReconciliationRun.objects.all()
    if integration.is_primary:
        return runs.filter(Q(integration=integration) | Q(integration__isnull=True))
    return runs.filter(integration=integration)


def reconciliation_enqueue(
    *,
    check: str,
    actor: User | None,
    trigger: str = RunTrigger.CONSOLE,
    integration: Integration | None = None,
) -> ReconciliationRun:
    """Queue a run of ``check`` of ``integration`` (the primary one by default) for a worker; a run of it
    already queued or running is returned instead."""
    check_get(check)
    integration = integration_or_primary(integration)
    runs = runs_of(integration).filter(check_name=check)
    _interrupt(_stale(runs, timezone.now()), timezone.now())
    with transaction.atomic():
        active = runs.select_for_update().filter(status__in=[RunStatus.QUEUED, RunStatus.RUNNING]).first()
        if active is not None:
            return active
        run = ReconciliationRun.objects.create(
            check_name=check, trigger=trigger, triggered_by=actor, integration=integration
        )
        transaction.on_commit(
            lambda: async_task(
                RUN_TASK,
                run.pk,
                task_name=f"reconcile {check} #{run.pk}",
                timeout=int(RUN_TIMEOUT.total_seconds()),
            )
        )
    return run


def reconciliation_run_queued(*, run_id: int, sources: Sources | None = None) -> ReconciliationRun | None:
    """Run a queued run once: a second delivery of the same task finds it claimed and does nothing."""
    now = timezone.now()
    claimed = ReconciliationRun.objects.filter(pk=run_id, status=RunStatus.QUEUED).update(
        status=RunStatus.RUNNING, started_at=now, heartbeat_at=now
    )
    if not claimed:
        return None
    run = ReconciliationRun.objects.get(pk=run_id)
    return _execute(run, sources)


def reconciliation_run(
    *,
    check: str,
    actor: User | None = None,
    trigger: str = RunTrigger.COMMAND,
    sources: Sources | None = None,
    scope: Collection[str] = (),
    integration: Integration | None = None,
) -> ReconciliationRun:
    """Run ``check`` of ``integration`` (the primary one by default) now, in this process; the returned
    run says whether it succeeded and what it found.

    A failure (a connector error, say) is recorded on the run as ``failed`` with its error, not raised.
    ``scope`` compares only those keys (a release's test records in a sandbox): such a run stores its
    mismatches as evidence but opens and resolves no exceptions.
    """
    check_get(check)
    run = ReconciliationRun.objects.create(
        check_name=check,
        integration=integration_or_primary(integration),
        trigger=trigger,
        triggered_by=actor,
        status=RunStatus.RUNNING,
        started_at=timezone.now(),
        heartbeat_at=timezone.now(),
        scope=sorted(set(scope)),
    )
    return _execute(run, sources)


# -- the run itself --------------------------------------------------------------------------------


class _Progress:
    """Counts the records read per side and writes them to the run row now and then."""

    def __init__(self, run: ReconciliationRun) -> None:
        self.run_id = run.pk
        self.state: dict[str, Any] = {"phase": "starting", "salesforce": 0, "netsuite": 0}

    def save(self, phase: str | None = None) -> None:
        if phase:
            self.state["phase"] = phase
        # A bare UPDATE in autocommit: the console reads it at once, and a failure later rolls nothing back.
        ReconciliationRun.objects.filter(pk=self.run_id).update(progress=dict(self.state))

    def counted(self, side: str, pairs: Iterable[Pair]) -> Iterator[Pair]:
        self.save(f"reading_{side}")
        for pair in pairs:
            self.state[side] += 1
            if self.state[side] % PROGRESS_EVERY == 0:
                self.save()
            yield pair
        self.save("comparing" if side == "netsuite" else None)


def _execute(run: ReconciliationRun, sources: Sources | None) -> ReconciliationRun:
    # The heartbeat shows the sweep this run still has a worker; it stops with the worker.
    with Heartbeat(ReconciliationRun, status=RunStatus.RUNNING) as heartbeat:
        heartbeat.watch(run.pk)
        return _execute_watched(run, sources)


def _execute_watched(run: ReconciliationRun, sources: Sources | None) -> ReconciliationRun:
    check = check_get(run.check_name)
    progress = _Progress(run)
    result = Comparison([])
    try:
        sources = sources or _sources_of(run)
        skipped = check.skip_reason(sources) if check.skip_reason else ""
        if skipped:
            return _skip(run, progress, skipped)
        fields = check_fields(check)
        result = Comparison(fields)
        differences = compare(
            progress.counted("salesforce", _scoped(check.read_salesforce(sources), run.scope)),
            progress.counted("netsuite", _scoped(check.read_netsuite(sources), run.scope)),
            fields,
            result=result,
        )
        _store(run, differences, check, sources)
        if sources.totals:
            ReconciliationRun.objects.filter(pk=run.pk).update(totals=sources.totals)
        progress.save("resolving")
        if not run.is_scoped:
            _resolve_gone(run)
    except Exception as error:  # any failure ends the run as failed, with the reason shown in the console
        logger.exception("reconciliation run %s of %s failed", run.pk, run.check_name)
        progress.save("failed")
        ReconciliationRun.objects.filter(pk=run.pk).update(
            status=RunStatus.FAILED,
            error=f"{type(error).__name__}: {error}",
            counts=result.as_dict(),
            finished_at=timezone.now(),
        )
    else:
        progress.save("done")
        ReconciliationRun.objects.filter(pk=run.pk).update(
            status=RunStatus.SUCCEEDED, counts=result.as_dict(), finished_at=timezone.now()
        )
    run.refresh_from_db()
    return run


def _sources_of(run: ReconciliationRun) -> Sources:
    integration = run.integration
    if integration is None or integration.is_primary:
        return reconciliation_sources()  # the default: the primary integration
    return reconciliation_sources(integration)


def _skip(run: ReconciliationRun, progress: _Progress, note: str) -> ReconciliationRun:
    """Nothing to compare in these systems (an org without CPQ): recorded as skipped, with why. A skipped
    run proves nothing about earlier findings, so it resolves no exception."""
    progress.save("skipped")
    ReconciliationRun.objects.filter(pk=run.pk).update(
        status=RunStatus.SKIPPED, note=note, finished_at=timezone.now()
    )
    run.refresh_from_db()
    return run


def _scoped(pairs: Iterable[Pair], scope: list[str]) -> Iterator[Pair]:
    if not scope:
        yield from pairs
        return
    keys = frozenset(scope)
    yield from (pair for pair in pairs if pair[0] in keys)


def _store(run: ReconciliationRun, differences: Iterable[Difference], check: Check, sources: Sources) -> None:
    batch: list[Mismatch] = []
    for difference in differences:
        dedup_key = exceptions.mismatch_dedup_key(
            check=run.check_name, key=difference.key, field=difference.field, namespace=sources.namespace
        )
        batch.append(
            Mismatch(
                run=run,
                check_name=run.check_name,
                kind=difference.kind.value,
                key=difference.key,
                field=difference.field,
                salesforce_value=difference.salesforce,
                netsuite_value=difference.netsuite,
                details=sources.details.get(difference.key, {}),
                dedup_key=dedup_key,
            )
        )
        if len(batch) >= BATCH:
            _flush(batch, check, sources, open_exceptions=not run.is_scoped)
            batch = []
    if batch:
        _flush(batch, check, sources, open_exceptions=not run.is_scoped)


def _flush(batch: list[Mismatch], check: Check, sources: Sources, *, open_exceptions: bool = True) -> None:
    if not open_exceptions:
        Mismatch.objects.bulk_create(batch)
        return
    # Where each mismatched record lives (one read per side for the batch): its exception's subsidiary.
    places = check.places(sources, sorted({row.key for row in batch})) if check.places else {}
    for row in batch:
        subsidiary_id, country = places.get(row.key, ("", ""))
        row.exception_ref = exceptions.mismatch_exception_open(
            check=row.check_name,
            dedup_key=row.dedup_key,
            kind=row.kind,
            key=row.key,
            field=row.field,
            salesforce=row.salesforce_value,
            netsuite=row.netsuite_value,
            details=row.details,
            run_id=row.run_id,
            scope=ExceptionScope(
                netsuite_connection_id=sources.netsuite_connection_id,
                subsidiary_id=subsidiary_id,
                billing_country=country,
                integration_id=sources.integration_id,
            ),
        )
    Mismatch.objects.bulk_create(batch)


def _resolve_gone(run: ReconciliationRun) -> int:
    """Resolve the exceptions of mismatches the previous successful run found and this one did not."""
    runs = runs_of(run.integration) if run.integration is not None else ReconciliationRun.objects.all()
    previous = (
        runs.filter(check_name=run.check_name, status=RunStatus.SUCCEEDED, pk__lt=run.pk)
        .exclude(trigger=RunTrigger.RELEASE_TEST)
        .order_by("-id")
        .first()
    )
    if previous is None:
        return 0
    still_there = Mismatch.objects.filter(run=run).values("dedup_key")
    gone = (
        Mismatch.objects.filter(run=previous)
        .exclude(dedup_key__in=still_there)
        .values_list("dedup_key", flat=True)
        .distinct()
        .order_by("dedup_key")
    )
    note = f"No longer found by run #{run.pk} of {run.check_name} on {timezone.now():%Y-%m-%d %H:%M} UTC."
    resolved = 0
    for dedup_key in gone.iterator(chunk_size=BATCH):
        exceptions.mismatch_exception_resolve(dedup_key=dedup_key, note=note)
        resolved += 1
    return resolved


# -- interrupted runs ------------------------------------------------------------------------------


def _stale(runs: QuerySet[ReconciliationRun], now: dt.datetime) -> QuerySet[ReconciliationRun]:
    """Running runs with no heartbeat for the lease (``JOB_LEASE_SECONDS``): their worker stopped."""
    cutoff = now - job_lease()
    return runs.filter(status=RunStatus.RUNNING).filter(
        Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True, started_at__lt=cutoff)
    )


def _interrupt(runs: QuerySet[ReconciliationRun], now: dt.datetime) -> list[ReconciliationRun]:
    interrupted = []
    for run in list(runs):
        since = run.heartbeat_at or run.started_at or now
        # Conditional: a run that renewed its heartbeat or finished meanwhile is left alone.
        taken = ReconciliationRun.objects.filter(
            pk=run.pk, status=RunStatus.RUNNING, heartbeat_at=run.heartbeat_at
        ).update(
            status=RunStatus.INTERRUPTED,
            error=(
                f"Interrupted: no heartbeat since {since:%Y-%m-%d %H:%M:%S} "
                "UTC (its worker was killed, timed out or lost its task). Nothing was lost but time: run it "
                "again."
            ),
            progress={**run.progress, "phase": "interrupted"},
            finished_at=now,
        )
        if taken:
            run.refresh_from_db()
            interrupted.append(run)
            logger.warning(
                "reconciliation run %s of %s: its worker stopped; marked interrupted",
                run.pk,
                run.check_name,
                extra={"event": "reconciliation_run_interrupted", "reconciliation_run": run.pk},
            )
    return interrupted


def _interrupted_since_last_finish(check: str, integration: Integration) -> int:
    runs_of_integration = runs_of(integration)
    last = (
        runs_of_integration.filter(
            check_name=check,
            scope=[],
            status__in=[RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.SKIPPED],
        )
        .order_by("-created_at", "-id")
        .first()
    )
    runs = runs_of_integration.filter(check_name=check, scope=[], status=RunStatus.INTERRUPTED)
    return (runs.filter(created_at__gt=last.created_at) if last else runs).count()


@dataclass
class RunSweep:
    interrupted: list[int] = field(default_factory=list)
    rerun: list[int] = field(default_factory=list)  # the new runs queued for interrupted ones
    redelivered: list[int] = field(default_factory=list)  # queued runs whose task was sent again


def _send(run: ReconciliationRun) -> None:
    async_task(
        RUN_TASK,
        run.pk,
        task_name=f"reconcile {run.check_name} #{run.pk}",
        timeout=int(RUN_TIMEOUT.total_seconds()),
    )


def reconciliation_sweep(*, now: dt.datetime | None = None) -> RunSweep:
    """Find runs whose worker stopped, mark them interrupted and queue the check again.

    A run only reads both systems and compares (exceptions are opened and resolved by dedup key), so a
    fresh run of the check does the interrupted one's work again and harms nothing; after
    :data:`AUTO_RERUNS` interruptions in a row it waits for a person (**Run again**). A scoped run (a
    release test's evidence) is marked interrupted only: its release test run is retried instead. A run
    still queued after the lease whose task never started (lost by the broker) has its task sent again
    (a second delivery claims nothing). Scheduled every minute (``reconciliation.schedules``).
    """
    now = now or timezone.now()
    result = RunSweep()
    for run in _interrupt(_stale(ReconciliationRun.objects.all(), now), now):
        result.interrupted.append(run.pk)
        if run.is_scoped or run.check_name not in CHECKS:  # a check since removed is not run again
            continue
        integration = integration_or_primary(run.integration)
        if _interrupted_since_last_finish(run.check_name, integration) > AUTO_RERUNS:
            continue
        result.rerun.append(
            reconciliation_enqueue(
                check=run.check_name, actor=None, trigger=run.trigger, integration=integration
            ).pk
        )
    cutoff = now - job_lease()
    lost = ReconciliationRun.objects.filter(status=RunStatus.QUEUED, created_at__lt=cutoff).filter(
        Q(heartbeat_at__isnull=True) | Q(heartbeat_at__lt=cutoff)
    )
    for run in list(lost):
        # The fresh heartbeat keeps the next sweep from sending it again before this task had its chance.
        if ReconciliationRun.objects.filter(pk=run.pk, status=RunStatus.QUEUED).update(heartbeat_at=now):
            result.redelivered.append(run.pk)
            _send(run)
    return result


def reconciliation_rerun(
    *, run: ReconciliationRun, actor: User | None, reason: str = ""
) -> ReconciliationRun:
    """Queue an interrupted or failed run's check again (a person's action: audited on the old run).

    ``actor`` None is the operator at the terminal (``manage.py reconcile --rerun ID``). Returns the new
    run (or the check's run already queued or running)."""
    if actor is not None and not can_run_reconciliation(actor):
        raise PermissionDenied("Running a reconciliation on demand is for RevOps, Finance and Admin.")
    if run.status not in (RunStatus.INTERRUPTED, RunStatus.FAILED):
        raise ValidationError("Only an interrupted or failed run can be run again.")
    if run.is_scoped:
        raise ValidationError("This run is a release test's evidence: retry the release's test run instead.")
    trigger = RunTrigger.COMMAND if actor is None else RunTrigger.CONSOLE
    with transaction.atomic():
        new = reconciliation_enqueue(
            check=run.check_name, actor=actor, trigger=trigger, integration=run.integration
        )
        audit_record(
            obj=run,
            actor=actor,
            action=AuditAction.ACCESS,
            event="reconciliation_rerun",
            reason=reason,
            check=run.check_name,
            integration=new.integration_name,
            status=run.status,
            new_run=new.pk,
        )
    return new
