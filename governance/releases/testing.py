"""A release's test run: the chosen Salesforce opportunities synced through the sandbox pair with the
release's versions (not the published ones), then reconciled for exactly those records.

``release_test_run_start`` records who asked for what and queues the django-q2 task after commit;
``release_test_run_execute`` (the task's body, also called directly by tests) claims the queued run
once, runs it, and stores the evidence: the sync job, its counts and failures, the reconciliation runs
and their mismatch count. It passes with no failed record and no mismatch, and then the release is
*tested*. Nothing here touches production connections: the service refuses them.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Sequence
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django_q.models import Schedule
from django_q.tasks import async_task

from core.audit import AuditAction, audit_record
from governance.releases.models import Release, ReleaseStatus, ReleaseTestRun, ReleaseTestStatus
from governance.releases.permissions import can_edit_releases
from governance.releases.selectors import items_fingerprint, release_configuration
from governance.releases.services import release_integration_check, signoffs_invalidate, status_move
from reconciliation.models import ReconciliationRun, RunStatus, RunTrigger
from reconciliation.services import pair_sources, reconciliation_run
from sync.connections.models import Connection, ConnectionEnvironment, ConnectionKind
from sync.connections.services import salesforce_connector
from sync.integrations.models import Integration
from sync.integrations.sandboxes import sandbox_connection_ids
from sync.mappings.services.lookups import mapping_tables
from sync.pipeline.heartbeat import Heartbeat, job_lease
from sync.pipeline.models import RecordStatus, SyncFailure, SyncJob
from sync.pipeline.runner import run_batch

logger = logging.getLogger(__name__)

TASK = "governance.releases.tasks.release_test_run_task"
SWEEP_TASK = "governance.releases.tasks.release_test_sweep_task"
# Test runs whose worker stopped (no heartbeat): no broker brings every lost task back
# (docs/operations-tasks.md), so a sweep looks every minute.
SWEEP_SCHEDULE_NAME = "releases: interrupted test-run sweep"
MAX_RECORDS = 50
SALESFORCE_ID = re.compile(r"^[A-Za-z0-9]{15}([A-Za-z0-9]{3})?$")
# The checks that speak of one opportunity's records: its sales order and its customer.
RECONCILED_CHECKS = ("opportunities", "accounts")
# Characters of a fault's text and of a sync failure's message kept in a run's evidence (JSON).
EVIDENCE_ERROR_LIMIT = 4000
EVIDENCE_MESSAGE_LIMIT = 500


def opportunity_ids_parse(text: str) -> list[str]:
    """Salesforce ids separated by commas, spaces or new lines; refuses anything else."""
    ids = list(dict.fromkeys(part for part in re.split(r"[\s,;]+", text) if part))
    if not ids:
        raise ValidationError("Name at least one Salesforce opportunity id.")
    wrong = [i for i in ids if not SALESFORCE_ID.match(i)]
    if wrong:
        raise ValidationError(f"Not Salesforce ids: {', '.join(wrong[:5])}.")
    if len(ids) > MAX_RECORDS:
        raise ValidationError(f"A test run syncs at most {MAX_RECORDS} opportunities.")
    return ids


def _sandbox(connection: Connection, kind: str, integration: Integration) -> None:
    """Refuse anything but an active sandbox connection of ``kind`` that ``integration``'s releases are
    tested on (:func:`sync.integrations.sandboxes.sandbox_connection_ids`): never another integration's."""
    if connection.kind != kind:
        raise ValidationError(f"{connection.name} is not a {ConnectionKind(kind).label} connection.")
    if connection.environment != ConnectionEnvironment.SANDBOX:
        raise ValidationError(
            f"{connection.name} is a production connection: releases are tested in a sandbox."
        )
    if not connection.is_active:
        raise ValidationError(f"{connection.name} is deactivated.")
    if connection.pk not in sandbox_connection_ids(integration, kind):
        raise ValidationError(
            f"{connection.name} is not a sandbox of integration {integration.name}: its releases are tested "
            f"on its own sandbox pair (an admin names it on the integration)."
        )


def release_test_connections(
    release: Release, *, salesforce: Connection | None = None, netsuite: Connection | None = None
) -> tuple[Connection, Connection]:
    """The sandbox pair a test run of ``release`` uses: the connections named, else its integration's
    first active sandbox of each kind (by name); a ValidationError when the integration has none. The
    start checks the ones named (:func:`_sandbox`)."""
    chosen = []
    for kind, named in ((ConnectionKind.SALESFORCE, salesforce), (ConnectionKind.NETSUITE, netsuite)):
        found = named or (
            Connection.objects.filter(
                kind=kind,
                environment=ConnectionEnvironment.SANDBOX,
                is_active=True,
                pk__in=sandbox_connection_ids(release.integration, kind),
            )
            .order_by("name")
            .first()
        )
        if found is None:
            raise ValidationError(
                f"Integration {release.integration.name} has no active sandbox {ConnectionKind(kind).label} "
                "connection to test on: an admin names its sandbox pair on the integration."
            )
        chosen.append(found)
    return chosen[0], chosen[1]


def release_test_run_start(
    *,
    release: Release,
    user: User,
    salesforce: Connection,
    netsuite: Connection,
    opportunity_ids: Sequence[str],
) -> ReleaseTestRun:
    """Queue a test run of ``release`` on its integration's sandbox pair; it starts once this
    transaction commits.

    A new run replaces the evidence: standing sign-offs lapse and a tested release is a draft again
    until the new run passes.
    """
    if not can_edit_releases(user):
        raise PermissionDenied("Release test runs are started by RevOps (edit_mappings).")
    release_integration_check(user, release.integration)
    _sandbox(salesforce, ConnectionKind.SALESFORCE, release.integration)
    _sandbox(netsuite, ConnectionKind.NETSUITE, release.integration)
    ids = opportunity_ids_parse(" ".join(opportunity_ids))
    with transaction.atomic():
        release = Release.objects.select_for_update().get(pk=release.pk)
        if release.status not in (ReleaseStatus.DRAFT, ReleaseStatus.TESTED):
            raise ValidationError(
                f"{release} is {release.get_status_display().lower()}: test runs are for draft or tested "
                "releases (change its items to start over)."
            )
        # A run whose worker stopped no longer blocks: it is marked interrupted now, sweep or no sweep.
        _interrupt(_stale(release.test_runs.all(), timezone.now(), queued_too=True), timezone.now())
        active = release.test_runs.filter(status__in=[ReleaseTestStatus.QUEUED, ReleaseTestStatus.RUNNING])
        if active.exists():
            raise ValidationError("A test run of this release is already under way.")
        run = ReleaseTestRun(
            release=release,
            requested_by=user,
            salesforce_connection=salesforce,
            netsuite_connection=netsuite,
            opportunity_ids=ids,
            items_fingerprint=items_fingerprint(release.items.all()),
        )
        run.full_clean()
        run.save()
        signoffs_invalidate(release=release, reason=f"a new test run (#{run.pk}) replaces the evidence")
        if release.status != ReleaseStatus.DRAFT:
            status_move(
                release,
                user=user,
                status=ReleaseStatus.DRAFT,
                event="release_retest",
                reason=f"test run #{run.pk}",
            )
        transaction.on_commit(
            lambda: async_task(TASK, run.pk, task_name=f"release {release.pk} test run #{run.pk}")
        )
    return run


def release_test_run_execute(*, run_id: int) -> ReleaseTestRun | None:
    """Run a queued test run once: a second delivery of the task finds it claimed and does nothing."""
    now = timezone.now()
    claimed = ReleaseTestRun.objects.filter(pk=run_id, status=ReleaseTestStatus.QUEUED).update(
        status=ReleaseTestStatus.RUNNING, started_at=now, heartbeat_at=now
    )
    if not claimed:
        return None
    run = ReleaseTestRun.objects.select_related(
        "release", "requested_by", "salesforce_connection", "netsuite_connection"
    ).get(pk=run_id)
    evidence: dict[str, Any] = {}
    try:
        # The heartbeat shows the sweep this run still has a worker; it stops with the worker.
        with Heartbeat(ReleaseTestRun, status=ReleaseTestStatus.RUNNING) as heartbeat:
            heartbeat.watch(run.pk)
            evidence = _try(run)
    except Exception as error:  # any fault fails the run, with its reason as evidence
        logger.exception("release test run %s failed", run.pk)
        evidence["error"] = f"{type(error).__name__}: {error}"[:EVIDENCE_ERROR_LIMIT]
    passed = (
        not evidence.get("error")
        and not evidence.get("records_failed")
        and evidence.get("mismatch_count") == 0
    )
    ReleaseTestRun.objects.filter(pk=run.pk).update(
        **evidence,
        passed=bool(passed),
        status=ReleaseTestStatus.PASSED if passed else ReleaseTestStatus.FAILED,
        finished_at=timezone.now(),
    )
    run.refresh_from_db()
    if run.passed:
        _mark_tested(run)
    return run


def _try(run: ReleaseTestRun) -> dict[str, Any]:
    release = run.release
    if items_fingerprint(release.items.all()) != run.items_fingerprint:
        return {"error": "The release's items changed while the run waited: start a new run."}
    chosen, configuration = release_configuration(release)
    evidence: dict[str, Any] = {"configuration": configuration}
    job = run_batch(
        salesforce=run.salesforce_connection,
        netsuite=run.netsuite_connection,
        opportunity_ids=run.opportunity_ids,
        trigger="release_test",
        versions=chosen,
    )
    evidence.update(_sync_evidence(job))
    salesforce = salesforce_connector(run.salesforce_connection)
    quoted = ",".join(f"'{i}'" for i in run.opportunity_ids)  # ids were checked to be alphanumeric
    accounts = sorted(
        {
            str(row["AccountId"])
            for row in salesforce.query(f"SELECT AccountId FROM Opportunity WHERE Id IN ({quoted})")  # noqa: S608
            if row.get("AccountId")
        }
    )
    # Expected values from the lookup tables the release would put live, as the sync just used.
    integration = release.integration
    sources = pair_sources(
        salesforce=run.salesforce_connection,
        netsuite=run.netsuite_connection,
        integration=integration,
        lookups=mapping_tables(chosen.lookups, integration),
    )
    scopes = {"opportunities": run.opportunity_ids, "accounts": accounts}
    runs: list[ReconciliationRun] = [
        reconciliation_run(
            check=check,
            actor=run.requested_by,
            trigger=RunTrigger.RELEASE_TEST,
            sources=sources,
            scope=scopes[check],
            integration=integration,
        )
        for check in RECONCILED_CHECKS
    ]
    evidence["reconciliation_run_ids"] = [r.pk for r in runs]
    evidence["mismatch_count"] = sum(r.mismatch_total for r in runs)
    failed = [f"{r.check_name}: {r.error}" for r in runs if r.status != RunStatus.SUCCEEDED]
    if failed:
        evidence["error"] = "Reconciliation failed: " + "; ".join(failed)
    return evidence


def _sync_evidence(job: SyncJob) -> dict[str, Any]:
    failures = [
        {
            "opportunity": f.record.opportunity_id,
            "category": f.category,
            "system": f.system,
            "message": f.message[:EVIDENCE_MESSAGE_LIMIT],
        }
        for f in SyncFailure.objects.filter(record__job=job).select_related("record").order_by("id")
    ]
    not_synced = job.records.exclude(status=RecordStatus.SYNCED)
    for record in not_synced.exclude(failures__isnull=False):
        failures.append(
            {"opportunity": record.opportunity_id, "category": record.status, "message": record.message}
        )
    return {
        "sync_job_ids": [job.pk],
        "records_total": job.records_total,
        "records_synced": job.records_synced,
        "records_failed": job.records_total - job.records_synced,
        "failures": failures,
    }


def _mark_tested(run: ReleaseTestRun) -> None:
    with transaction.atomic():
        release = Release.objects.select_for_update().get(pk=run.release_id)
        latest = release.test_runs.first()
        current = items_fingerprint(release.items.all())
        if release.status == ReleaseStatus.DRAFT and latest == run and current == run.items_fingerprint:
            status_move(
                release,
                user=run.requested_by,
                status=ReleaseStatus.TESTED,
                event="release_tested",
                reason=f"test run #{run.pk} passed",
                test_run=run.pk,
            )


# -- interrupted runs ------------------------------------------------------------------------------


def _stale(
    runs: QuerySet[ReleaseTestRun], now: dt.datetime, *, queued_too: bool = False
) -> QuerySet[ReleaseTestRun]:
    """Running runs with no heartbeat for the lease (``JOB_LEASE_SECONDS``): their worker stopped. With
    ``queued_too``, also queued runs whose task has not started within the lease (lost by the broker)."""
    cutoff = now - job_lease()
    stale = Q(status=ReleaseTestStatus.RUNNING) & (
        Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True, started_at__lt=cutoff)
    )
    if queued_too:
        stale |= Q(status=ReleaseTestStatus.QUEUED, created_at__lt=cutoff) & (
            Q(heartbeat_at__isnull=True) | Q(heartbeat_at__lt=cutoff)
        )
    return runs.filter(stale)


def _interrupt(runs: QuerySet[ReleaseTestRun], now: dt.datetime) -> list[int]:
    interrupted = []
    for run in list(runs):
        since = run.heartbeat_at or run.started_at or run.created_at
        # Conditional: a run that renewed its heartbeat or finished meanwhile is left alone.
        taken = ReleaseTestRun.objects.filter(
            pk=run.pk, status=run.status, heartbeat_at=run.heartbeat_at
        ).update(
            status=ReleaseTestStatus.INTERRUPTED,
            passed=False,
            error=(
                f"Interrupted: no heartbeat since {since:%Y-%m-%d %H:%M:%S} UTC (its worker was killed, "
                "timed out or lost its task). Retry starts it again with the same records."
            ),
            finished_at=now,
        )
        if taken:
            interrupted.append(run.pk)
            logger.warning(
                "release test run %s: its worker stopped; marked interrupted",
                run.pk,
                extra={"event": "release_test_run_interrupted", "release_test_run": run.pk},
            )
    return interrupted


def release_test_sweep(*, now: dt.datetime | None = None) -> tuple[list[int], list[int]]:
    """Mark test runs whose worker stopped interrupted; send again the task of a run still queued after
    the lease (lost by the broker: a second delivery claims nothing). Returns (interrupted, sent again).

    An interrupted run is not started again by itself: a new run withdraws sign-offs and moves the
    release back to draft, a decision for the person testing the release (**Retry**). Scheduled every
    minute (:func:`release_test_sweep_schedule_ensure`).
    """
    now = now or timezone.now()
    interrupted = _interrupt(_stale(ReleaseTestRun.objects.all(), now), now)
    cutoff = now - job_lease()
    lost = ReleaseTestRun.objects.filter(status=ReleaseTestStatus.QUEUED, created_at__lt=cutoff).filter(
        Q(heartbeat_at__isnull=True) | Q(heartbeat_at__lt=cutoff)
    )
    sent = []
    for run in list(lost):
        # The fresh mark keeps the next sweep from sending it again before this task had its chance.
        if ReleaseTestRun.objects.filter(pk=run.pk, status=ReleaseTestStatus.QUEUED).update(heartbeat_at=now):
            sent.append(run.pk)
            async_task(TASK, run.pk, task_name=f"release {run.release_id} test run #{run.pk}")
    return interrupted, sent


def release_test_run_retry(*, run: ReleaseTestRun, user: User, reason: str = "") -> ReleaseTestRun:
    """Start an interrupted or failed test run again: the same sandbox pair and records, as a new run
    (audited on the old run, beside the new run's own start)."""
    if run.status not in (ReleaseTestStatus.INTERRUPTED, ReleaseTestStatus.FAILED):
        raise ValidationError("Only an interrupted or failed test run can be retried.")
    with transaction.atomic():
        new = release_test_run_start(
            release=run.release,
            user=user,
            salesforce=run.salesforce_connection,
            netsuite=run.netsuite_connection,
            opportunity_ids=run.opportunity_ids,
        )
        audit_record(
            obj=run,
            actor=user,
            action=AuditAction.ACCESS,
            event="release_test_retry",
            reason=reason,
            release=run.release_id,
            status=run.status,
            new_run=new.pk,
        )
    return new


def release_test_sweep_schedule_ensure() -> Schedule:
    """The every-minute sweep of interrupted test runs, created or put right by name (idempotent)."""
    schedule, _ = Schedule.objects.update_or_create(
        name=SWEEP_SCHEDULE_NAME,
        defaults={"func": SWEEP_TASK, "schedule_type": Schedule.MINUTES, "minutes": 1, "repeats": -1},
    )
    return schedule
