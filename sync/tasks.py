"""django-q2 task entry points: thin, they call the pipeline's services (and can run twice harmlessly)."""

from __future__ import annotations

from sync.pipeline.runner import inbox_drain as _drain


def inbox_drain() -> list[int]:
    """Process every pending inbox message; returns the job ids run."""
    return _drain()
