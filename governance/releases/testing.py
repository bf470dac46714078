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
from django.utils import timezone
from django_q.tasks import async_task

from governance.releases.models import Release, ReleaseStatus, ReleaseTestRun, ReleaseTestStatus
from governance.releases.permissions import can_edit_releases
from governance.releases.selectors import items_fingerprint, release_configuration
from governance.releases.services import signoffs_invalidate, status_move
from reconciliation.models import ReconciliationRun, RunStatus, RunTrigger
from reconciliation.reading import Sources
from reconciliation.services import reconciliation_run
from sync.models import (
    Connection,
    ConnectionEnvironment,
    ConnectionKind,
    RecordStatus,
    SyncFailure,
    SyncJob,
)
from sync.pipeline.runner import run_batch
from sync.services.connections import netsuite_connector, salesforce_connector
from sync.services.mapping_lookups import mapping_tables

logger = logging.getLogger(__name__)

TASK = "governance.releases.tasks.release_test_run_task"
MAX_RECORDS = 50
# A run still queued or running after this was lost with its worker: it fails and no longer blocks.
RUN_TIMEOUT = dt.timedelta(hours=1)
SALESFORCE_ID = re.compile(r"^[A-Za-z0-9]{15}([A-Za-z0-9]{3})?$")
# The checks that speak of one opportunity's records: its sales order and its customer.
RECONCILED_CHECKS = ("opportunities", "accounts")


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


def _sandbox(connection: Connection, kind: str) -> None:
    if connection.kind != kind:
        raise ValidationError(f"{connection.name} is not a {ConnectionKind(kind).label} connection.")
    if connection.environment != ConnectionEnvironment.SANDBOX:
        raise ValidationError(
            f"{connection.name} is a production connection: releases are tested in a sandbox."
        )
    if not connection.is_active:
        raise ValidationError(f"{connection.name} is deactivated.")


def release_test_run_start(
    *,
    release: Release,
    user: User,
    salesforce: Connection,
    netsuite: Connection,
    opportunity_ids: Sequence[str],
) -> ReleaseTestRun:
    """Queue a test run of ``release`` on the sandbox pair; it starts once this transaction commits.

    A new run replaces the evidence: standing sign-offs lapse and a tested release is a draft again
    until the new run passes.
    """
    if not can_edit_releases(user):
        raise PermissionDenied("Release test runs are started by RevOps (edit_mappings).")
    _sandbox(salesforce, ConnectionKind.SALESFORCE)
    _sandbox(netsuite, ConnectionKind.NETSUITE)
    ids = opportunity_ids_parse(" ".join(opportunity_ids))
    with transaction.atomic():
        release = Release.objects.select_for_update().get(pk=release.pk)
        if release.status not in (ReleaseStatus.DRAFT, ReleaseStatus.TESTED):
            raise ValidationError(
                f"{release} is {release.get_status_display().lower()}: test runs are for draft or tested "
                "releases (change its items to start over)."
            )
        active = release.test_runs.filter(status__in=[ReleaseTestStatus.QUEUED, ReleaseTestStatus.RUNNING])
        active.filter(created_at__lt=timezone.now() - RUN_TIMEOUT).update(
            status=ReleaseTestStatus.FAILED,
            passed=False,
            error=f"Abandoned: not finished within {RUN_TIMEOUT} (its worker stopped)",
            finished_at=timezone.now(),
        )
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
    claimed = ReleaseTestRun.objects.filter(pk=run_id, status=ReleaseTestStatus.QUEUED).update(
        status=ReleaseTestStatus.RUNNING, started_at=timezone.now()
    )
    if not claimed:
        return None
    run = ReleaseTestRun.objects.select_related(
        "release", "requested_by", "salesforce_connection", "netsuite_connection"
    ).get(pk=run_id)
    evidence: dict[str, Any] = {}
    try:
        evidence = _try(run)
    except Exception as error:  # any fault fails the run, with its reason as evidence
        logger.exception("release test run %s failed", run.pk)
        evidence["error"] = f"{type(error).__name__}: {error}"[:4000]
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
    sources = Sources(
        salesforce=salesforce,
        netsuite=netsuite_connector(run.netsuite_connection),
        lookups=mapping_tables(chosen.lookups),
    )
    scopes = {"opportunities": run.opportunity_ids, "accounts": accounts}
    runs: list[ReconciliationRun] = [
        reconciliation_run(
            check=check,
            actor=run.requested_by,
            trigger=RunTrigger.RELEASE_TEST,
            sources=sources,
            scope=scopes[check],
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
            "message": f.message[:500],
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
