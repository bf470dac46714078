"""Reads of go-live runs for their pages."""

from __future__ import annotations

from typing import Any

from sync.golive.models import GoLiveOutcome, GoLiveRun

GOLIVE_SHOWN = 200  # rows of each list on a go-live run's page


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
