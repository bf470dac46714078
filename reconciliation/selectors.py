"""Reads for the reconciliation console. Every role may read runs and mismatches (see permissions.py),
of the integrations they may see (:func:`sync.integrations.access.integration_scope`)."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import QuerySet

from reconciliation.charts import Trend, trend
from reconciliation.checks import CHECKS, Check
from reconciliation.models import Mismatch, ReconciliationRun, RunStatus, RunTrigger, Tolerance
from reconciliation.services import check_fields, runs_of
from sync.integrations.access import integration_scope
from sync.integrations.models import Integration
from sync.integrations.selectors import primary_integration

TREND_RUNS = 30


@dataclass(frozen=True)
class CheckOverview:
    check: Check
    last_run: ReconciliationRun | None
    recent_runs: list[ReconciliationRun]
    trend: Trend | None
    tolerances: list[tuple[str, float, bool]]  # field, tolerance, configured (not the default)


class NotVisible(LookupError):
    """No such integration, or not one the person may see."""


def runs_visible_to(user: User | AnonymousUser) -> QuerySet[ReconciliationRun]:
    """The runs of the integrations ``user`` may see (a limited person never sees runs naming none)."""
    return integration_scope(user).filter(ReconciliationRun.objects.all(), integration="integration")


def integrations_visible_to(user: User | AnonymousUser) -> list[Integration]:
    """The integrations whose reconciliation ``user`` may see, the primary one first."""
    primary_integration()  # exists even in a database flushed since the migration made it
    return list(integration_scope(user).integrations().filter(is_active=True))


def integration_visible(user: User | AnonymousUser, name: str = "") -> Integration:
    """The integration called ``name`` if ``user`` may see it; by default the primary one, or the first
    they may see. :class:`NotVisible` otherwise."""
    visible = integrations_visible_to(user)
    if name:
        found = next((each for each in visible if each.name == name), None)
    else:
        found = next((each for each in visible if each.is_primary), None) or next(iter(visible), None)
    if found is None:
        raise NotVisible(f"no integration {name!r} you may see" if name else "no integration you may see")
    return found


def check_overviews(*, integration: Integration | None = None) -> list[CheckOverview]:
    """Each check's latest runs, trend and tolerances, for ``integration`` (the primary one by default)."""
    integration = integration or primary_integration()
    overviews = []
    configured = set(Tolerance.objects.values_list("check_name", "field"))
    for check in CHECKS.values():
        # A release's sandbox test runs are evidence of that release, not this check's history.
        runs = (
            runs_of(integration)
            .filter(check_name=check.name)
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


def run_get(*, run_id: int, user: User | AnonymousUser | None = None) -> ReconciliationRun | None:
    """The run, if ``user`` (when given) may see its integration; None otherwise."""
    runs = ReconciliationRun.objects.all() if user is None else runs_visible_to(user)
    return runs.select_related("triggered_by", "integration").filter(pk=run_id).first()


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


# -- money per currency, for the dashboard ---------------------------------------------------------

PERIOD_TOTALS = "period_totals"


@dataclass(frozen=True)
class CurrencyRow:
    currency: str
    booked: float  # won in Salesforce
    ordered: float  # synced: the integration's sales orders in NetSuite
    invoiced: float
    paid: float  # invoiced less what the invoices still have open


@dataclass(frozen=True)
class IntegrationMoney:
    integration: Integration
    run: ReconciliationRun | None  # the period totals run the figures come from
    rows: list[CurrencyRow]


def money_per_currency(*, user: User | AnonymousUser) -> list[IntegrationMoney]:
    """Per integration ``user`` may see, each currency's amounts as its latest successful period totals
    run read them from both systems (never converted: one row per currency)."""
    result = []
    for integration in integrations_visible_to(user):
        run = (
            runs_of(integration)
            .filter(check_name=PERIOD_TOTALS, status=RunStatus.SUCCEEDED, scope=[])
            .exclude(trigger=RunTrigger.RELEASE_TEST)
            .order_by("-created_at", "-id")
            .first()
        )
        totals = run.totals if run is not None else {}
        rows = [
            CurrencyRow(
                currency,
                float(amounts.get("booked") or 0),
                float(amounts.get("ordered") or 0),
                float(amounts.get("invoiced") or 0),
                float(amounts.get("paid") or 0),
            )
            for currency, amounts in sorted(totals.items())
        ]
        result.append(IntegrationMoney(integration, run, rows))
    return result
