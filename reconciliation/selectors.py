"""Reads for the reconciliation console. Every role may read runs and mismatches (see permissions.py)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet

from reconciliation.charts import Trend, trend
from reconciliation.checks import CHECKS, Check
from reconciliation.models import Mismatch, ReconciliationRun, RunStatus, RunTrigger, Tolerance
from reconciliation.services import check_fields

TREND_RUNS = 30


@dataclass(frozen=True)
class CheckOverview:
    check: Check
    last_run: ReconciliationRun | None
    recent_runs: list[ReconciliationRun]
    trend: Trend | None
    tolerances: list[tuple[str, float, bool]]  # field, tolerance, configured (not the default)


def check_overviews() -> list[CheckOverview]:
    overviews = []
    configured = set(Tolerance.objects.values_list("check_name", "field"))
    for check in CHECKS.values():
        # A release's sandbox test runs are evidence of that release, not this check's history.
        runs = (
            ReconciliationRun.objects.filter(check_name=check.name)
            .exclude(trigger=RunTrigger.RELEASE_TEST)
            .select_related("triggered_by")
        )
        recent = list(runs[:5])
        succeeded = list(runs.filter(status=RunStatus.SUCCEEDED)[:TREND_RUNS])[::-1]
        tolerances = [
            (spec.name, spec.tolerance, (check.name, spec.name) in configured)
            for spec in check_fields(check)
            if spec.kind == "number"
        ]
        overviews.append(
            CheckOverview(check, recent[0] if recent else None, recent, trend(succeeded), tolerances)
        )
    return overviews


def run_get(*, run_id: int) -> ReconciliationRun | None:
    return ReconciliationRun.objects.select_related("triggered_by").filter(pk=run_id).first()


def run_mismatches(*, run: ReconciliationRun, kind: str = "", field: str = "") -> QuerySet[Mismatch]:
    mismatches = Mismatch.objects.filter(run=run).order_by("id")
    if kind:
        mismatches = mismatches.filter(kind=kind)
    if field:
        mismatches = mismatches.filter(field=field)
    return mismatches


def run_mismatch_fields(*, run: ReconciliationRun) -> list[str]:
    """The fields that differ in this run, for the filter (from the run's counts: no table scan)."""
    return sorted((run.counts.get("field_counts") or {}).keys())
