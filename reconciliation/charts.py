"""The trend chart of past runs: one line per mismatch class (named in words), drawn by :mod:`core.charts`."""

from __future__ import annotations

from collections.abc import Sequence

from core import labels
from core.charts import Series, Trend, line_chart
from reconciliation.engine import MismatchKind
from reconciliation.models import ReconciliationRun

COLOURS = {
    MismatchKind.MISSING_IN_NETSUITE.value: "#c0392b",
    MismatchKind.MISSING_IN_SALESFORCE.value: "#d68910",
    MismatchKind.FIELD_DIFFERS.value: "#2e86c1",
    MismatchKind.DUPLICATE.value: "#7d3c98",
}

__all__ = ["COLOURS", "Series", "Trend", "trend"]


def trend(runs: Sequence[ReconciliationRun]) -> Trend | None:
    """One line per mismatch class over ``runs`` (oldest first, successful runs only); ``None`` if empty."""
    counted = [run.counts.get("counts") or {} for run in runs]
    if not counted:
        return None
    return line_chart(
        [(labels.mismatch_label(kind), [int(counts.get(kind, 0)) for counts in counted]) for kind in COLOURS],
        colours=list(COLOURS.values()),
    )
