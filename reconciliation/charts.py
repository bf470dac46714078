"""The trend chart of past runs, drawn on the server as inline SVG (no script, no CDN)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from reconciliation.engine import MismatchKind
from reconciliation.models import ReconciliationRun

WIDTH, HEIGHT, PAD = 320, 90, 6
COLOURS = {
    MismatchKind.MISSING_IN_NETSUITE.value: "#c0392b",
    MismatchKind.MISSING_IN_SALESFORCE.value: "#d68910",
    MismatchKind.FIELD_DIFFERS.value: "#2e86c1",
    MismatchKind.DUPLICATE.value: "#7d3c98",
}


@dataclass(frozen=True)
class Series:
    kind: str
    colour: str
    points: str  # the SVG polyline "x,y x,y ..."
    last: int


@dataclass(frozen=True)
class Trend:
    width: int
    height: int
    series: list[Series]
    peak: int
    runs: int


def trend(runs: Sequence[ReconciliationRun]) -> Trend | None:
    """One line per mismatch class over ``runs`` (oldest first, successful runs only); ``None`` if empty."""
    counted = [run.counts.get("counts") or {} for run in runs]
    if not counted:
        return None
    peak = max([int(n) for counts in counted for n in counts.values()] + [1])
    step = (WIDTH - 2 * PAD) / max(len(counted) - 1, 1)
    series = []
    for kind, colour in COLOURS.items():
        values = [int(counts.get(kind, 0)) for counts in counted]
        points = " ".join(
            f"{PAD + index * step:.1f},{HEIGHT - PAD - (HEIGHT - 2 * PAD) * value / peak:.1f}"
            for index, value in enumerate(values)
        )
        series.append(Series(kind, colour, points, values[-1]))
    return Trend(WIDTH, HEIGHT, series, peak, len(counted))
