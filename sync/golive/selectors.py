"""Reads of go-live runs for their pages."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from sync.golive.models import GoLiveOutcome, GoLiveRun
from sync.integrations.access import integration_scope

GOLIVE_SHOWN = 200  # rows of each list on a go-live run's page


def golive_runs_visible(*, user: User | AnonymousUser) -> QuerySet[GoLiveRun]:
    """The go-live runs of ``user``'s integrations (through the run's Salesforce org)."""
    runs = GoLiveRun.objects.select_related("started_by", "applied_by")
    return integration_scope(user).filter(runs, salesforce="salesforce_connection")


def golive_run_get(*, user: User | AnonymousUser, run_id: int | str) -> GoLiveRun:
    """The run ``run_id`` if it is of ``user``'s integrations, else 404."""
    return get_object_or_404(golive_runs_visible(user=user), pk=run_id)


def golive_results_to_review(*, run: GoLiveRun) -> dict[str, Any]:
    """What a person reviews before confirming: suspects with their candidates, the links to be written,
    and links NetSuite refused (each list capped at :data:`GOLIVE_SHOWN`)."""
    results = run.results.order_by("salesforce_type", "salesforce_name", "id")
    return {
        "suspects": list(results.filter(outcome=GoLiveOutcome.SUSPECT)[:GOLIVE_SHOWN]),
        "links": list(
            results.filter(outcome__in=(GoLiveOutcome.LINKED, GoLiveOutcome.SHARED))[:GOLIVE_SHOWN]
        ),
        "refused": list(
            results.filter(outcome=GoLiveOutcome.LINKED, applied_at__isnull=True).exclude(message="")[
                :GOLIVE_SHOWN
            ]
        ),
        "shown": GOLIVE_SHOWN,
    }
