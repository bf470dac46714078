"""Reads of integrations for their pages, the API and the commands: who sees which, one integration's
set-up at a glance, and an onboarding scan's plan.

Every read is narrowed by :func:`sync.integrations.access.integration_scope`: a person limited to some
integrations sees only those (another one is a 404, like any object they cannot read).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import AnonymousUser, Group, User
from django.db.models import QuerySet
from django.http import Http404
from django_q.models import Schedule

from reconciliation.models import ReconciliationRun
from reconciliation.schedules import SCHEDULE_NAME as RECONCILIATION_SCHEDULE
from reconciliation.services import runs_of
from sync.golive.models import GoLiveOutcome, GoLiveResult, GoLiveRun
from sync.integrations.access import ACCESS_CODENAME, integration_scope
from sync.integrations.models import Integration, IntegrationGroupPermission, IntegrationUserPermission
from sync.integrations.namespacing import eid_namespace_of
from sync.integrations.selectors import integration_for_pair
from sync.mappings.models import Flow, LookupVersion, MappingVersion
from sync.pipeline.models import Listener
from sync.pipeline.schedules import CATCH_UP_POLL, RETURN_FLOW
from sync.rules.models import RuleVersion

PLAN_SHOWN = 200  # rows of each list of a plan


def integrations_visible(*, user: User | AnonymousUser) -> QuerySet[Integration]:
    """The integrations ``user`` may see (all of them unless limited), primary first."""
    return (
        integration_scope(user)
        .integrations()
        .select_related(
            "salesforce_connection",
            "netsuite_connection",
            "sandbox_salesforce_connection",
            "sandbox_netsuite_connection",
            "based_on",
        )
    )


def integration_get_for_user(*, user: User | AnonymousUser, key: int | str) -> Integration:
    """The integration with id or name ``key`` that ``user`` may see; 404 otherwise."""
    found = integrations_visible(user=user)
    lookup: dict[str, Any] = {"pk": int(key)} if str(key).isdigit() else {"name": str(key)}
    integration = found.filter(**lookup).first()
    if integration is None:
        raise Http404("No such integration.")
    return integration


def integration_listeners(integration: Integration) -> list[Listener]:
    ids = [
        pk
        for pk in (integration.salesforce_connection_id, integration.sandbox_salesforce_connection_id)
        if pk
    ]
    return list(Listener.objects.filter(salesforce_connection_id__in=ids).order_by("name"))


def integration_flows(integration: Integration) -> list[Flow]:
    """The integration's own flows (mappings)."""
    return list(Flow.objects.filter(integration=integration).order_by("key"))


def integration_last_reconciliation(integration: Integration) -> ReconciliationRun | None:
    """The latest reconciliation run of the integration (runs naming none are the primary's)."""
    return runs_of(integration).order_by("-created_at").first()


def integration_schedules() -> list[Schedule]:
    """The recurring work that serves every pair an active listener serves."""
    names = (CATCH_UP_POLL, RETURN_FLOW, RECONCILIATION_SCHEDULE)
    return list(Schedule.objects.filter(name__in=names).order_by("name"))


@dataclass(frozen=True)
class IntegrationGrant:
    kind: str  # "user" or "group"
    name: str


def integration_grants(integration: Integration) -> list[IntegrationGrant]:
    """Who is granted the integration (``access_integration``): those people see only their integrations."""
    users = IntegrationUserPermission.objects.filter(
        content_object=integration, permission__codename=ACCESS_CODENAME
    ).select_related("user")
    groups = IntegrationGroupPermission.objects.filter(
        content_object=integration, permission__codename=ACCESS_CODENAME
    ).select_related("group")
    return [
        *(IntegrationGrant("user", row.user.get_username()) for row in users),
        *(IntegrationGrant("group", row.group.name) for row in groups if isinstance(row.group, Group)),
    ]


def onboarding_runs(integration: Integration) -> QuerySet[GoLiveRun]:
    """The go-live scans of the integration's production pair, newest first."""
    if integration.salesforce_connection_id is None or integration.netsuite_connection_id is None:
        return GoLiveRun.objects.none()
    return GoLiveRun.objects.filter(
        salesforce_connection_id=integration.salesforce_connection_id,
        netsuite_connection_id=integration.netsuite_connection_id,
    ).select_related("started_by", "applied_by")


def integration_detail(integration: Integration) -> dict[str, Any]:
    """One integration's set-up: its connections, flows, listeners, schedules, last reconciliation, grants
    and its latest onboarding scan."""
    return {
        "integration": integration,
        "flows": integration_flows(integration),
        "listeners": integration_listeners(integration),
        "schedules": integration_schedules(),
        "last_reconciliation": integration_last_reconciliation(integration),
        "grants": integration_grants(integration),
        "onboarding_run": onboarding_runs(integration).first(),
        "config_review": integration_config_review(integration),
    }


def integration_config_review(integration: Integration) -> dict[str, int]:
    """How many of the integration's mapping, lookup and rule versions wait: drafts (to submit) and
    submitted ones (to approve and publish)."""
    counts = {"drafts": 0, "submitted": 0}
    for status, key in (("draft", "drafts"), ("submitted", "submitted")):
        counts[key] = (
            MappingVersion.objects.filter(flow__integration=integration, status=status).count()
            + LookupVersion.objects.filter(table__integration=integration, status=status).count()
            + RuleVersion.objects.filter(rule__integration=integration, status=status).count()
        )
    return counts


# -- the onboarding plan -----------------------------------------------------------------------------------

# What apply does with each outcome, in the plan's words.
PLAN_ACTIONS: dict[str, str] = {
    GoLiveOutcome.LINKED: "link",
    GoLiveOutcome.SHARED: "shared_link",
    GoLiveOutcome.SUSPECT: "duplicate_suspect",
    GoLiveOutcome.UNMATCHED: "create",
    GoLiveOutcome.ALREADY_LINKED: "already_linked",
}


@dataclass(frozen=True)
class PlanRow:
    action: str  # one of PLAN_ACTIONS' values
    salesforce_type: str
    salesforce_id: str
    salesforce_name: str
    netsuite_type: str
    netsuite_id: str  # the record linked (link, shared link, already linked); "" otherwise
    external_id: str  # the integration's own external id for the record
    shared_with: str  # shared link: the integration whose external id the NetSuite record carries
    reason: str
    candidates: list[dict[str, Any]]
    applied: bool

    def as_json(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "salesforce_type": self.salesforce_type,
            "salesforce_id": self.salesforce_id,
            "salesforce_name": self.salesforce_name,
            "netsuite_type": self.netsuite_type,
            "netsuite_id": self.netsuite_id,
            "external_id": self.external_id,
            "shared_with": self.shared_with,
            "reason": self.reason,
            "candidates": self.candidates,
            "applied": self.applied,
        }


@dataclass(frozen=True)
class OnboardingPlan:
    """What applying an onboarding scan does: counts per action and the rows (each list capped)."""

    integration: Integration
    run: GoLiveRun
    counts: dict[str, int]
    rows: dict[str, list[PlanRow]] = field(default_factory=dict)
    shown: int = PLAN_SHOWN

    def as_json(self) -> dict[str, Any]:
        return {
            "integration": self.integration.name,
            "run": self.run.pk,
            "status": self.run.status,
            "counts": self.counts,
            "rows": {action: [row.as_json() for row in rows] for action, rows in self.rows.items()},
            "shown": self.shown,
        }


def onboarding_plan(run: GoLiveRun, *, shown: int = PLAN_SHOWN) -> OnboardingPlan:
    """The plan of onboarding scan ``run``: link / shared link / duplicate suspect / create (and already
    linked), with counts and up to ``shown`` rows each."""
    integration = integration_for_pair(run.salesforce_connection_id, run.netsuite_connection_id)
    owners = {ns: name for name, ns in Integration.objects.values_list("name", "namespace")}
    namespaces = [ns for ns in owners if ns]
    results = run.results.order_by("salesforce_type", "salesforce_name", "id")
    counts = {action: 0 for action in PLAN_ACTIONS.values()}
    for outcome, number in _outcome_counts(run).items():
        counts[PLAN_ACTIONS[outcome]] = number
    rows: dict[str, list[PlanRow]] = {}
    for outcome, action in PLAN_ACTIONS.items():
        rows[action] = [
            _plan_row(action, result, owners, namespaces)
            for result in results.filter(outcome=outcome)[:shown]
        ]
    return OnboardingPlan(integration, run, counts, rows, shown)


def _outcome_counts(run: GoLiveRun) -> dict[str, int]:
    found: dict[str, int] = {}
    for outcome in run.results.values_list("outcome", flat=True):
        found[outcome] = found.get(outcome, 0) + 1
    return found


def _plan_row(action: str, result: GoLiveResult, owners: dict[str, str], namespaces: list[str]) -> PlanRow:
    shared_with = ""
    if action == "shared_link":
        chosen: dict[str, Any] = next(
            (c for c in result.candidates if str(c.get("netsuite_id")) == result.chosen_id), {}
        )
        carried = str(chosen.get("external_id") or "")
        shared_with = owners.get(eid_namespace_of(carried, namespaces), "") if carried else ""
    return PlanRow(
        action=action,
        salesforce_type=result.salesforce_type,
        salesforce_id=result.salesforce_id,
        salesforce_name=result.salesforce_name,
        netsuite_type=result.netsuite_type,
        netsuite_id=result.chosen_id,
        external_id=result.external_id,
        shared_with=shared_with,
        reason="; ".join(result.reasons),
        candidates=list(result.candidates),
        applied=result.applied_at is not None or result.exception_id is not None,
    )
