"""Small line charts drawn on the server as inline SVG (no script, no CDN, nothing for the CSP to allow).

A chart is data for ``templates/console/partials/line_chart.html``: each series is an SVG polyline over
a shared vertical scale from zero to the peak. The reconciliation trend and the dashboard both use it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

WIDTH, HEIGHT, PAD = 320, 90, 6
PALETTE = ("#2e86c1", "#c0392b", "#d68910", "#7d3c98", "#229954", "#5d6d7e")


@dataclass(frozen=True)
class Dot:
    """One point drawn as a link to the rows it counts."""

    x: str
    y: str
    href: str
    title: str


@dataclass(frozen=True)
class Series:
    kind: str  # the series' label
    colour: str
    points: str  # the SVG polyline "x,y x,y ..."
    last: float | int
    dots: tuple[Dot, ...] = ()


@dataclass(frozen=True)
class Trend:
    width: int
    height: int
    series: list[Series]
    peak: float | int
    runs: int  # how many points each series has


def line_chart(
    lines: Sequence[tuple[str, Sequence[float | int]]],
    *,
    colours: Sequence[str] = PALETTE,
    peak: float | None = None,
    width: int = WIDTH,
    height: int = HEIGHT,
    links: Sequence[Sequence[tuple[str, str]]] | None = None,
) -> Trend | None:
    """One polyline per ``(label, values)``, all on one scale (``peak``, else the largest value, at least
    1); ``None`` when there is nothing to draw. Every series must have the same number of values.

    ``links`` (per series, per point: ``(href, title)``, an empty href for none) makes each point a dot
    that opens the rows behind it.
    """
    if not lines or not lines[0][1]:
        return None
    count = len(lines[0][1])
    if any(len(values) != count for _, values in lines):
        raise ValueError("every series of a chart needs the same number of values")
    top = peak if peak is not None else max([value for _, values in lines for value in values] + [1])
    step = (width - 2 * PAD) / max(count - 1, 1)
    series = []
    for index, (label, values) in enumerate(lines):
        coordinates = [
            (f"{PAD + position * step:.1f}", f"{height - PAD - (height - 2 * PAD) * value / top:.1f}")
            for position, value in enumerate(values)
        ]
        dots = tuple(
            Dot(x, y, href, title)
            for (x, y), (href, title) in zip(coordinates, links[index] if links else (), strict=False)
            if href
        )
        points = " ".join(f"{x},{y}" for x, y in coordinates)
        series.append(Series(label, colours[index % len(colours)], points, values[-1], dots))
    return Trend(width, height, series, top, count)
