"""The connection watch as a django-q2 task (scheduled as ``sync.tasks.connection_watch``)."""

from __future__ import annotations

from sync.connections.watch import connection_watch as connection_watch_run


def connection_watch() -> dict[str, int]:
    """Check every active connection; returns how many are OK and failing (shown as the task's result)."""
    found = connection_watch_run()
    failing = sum(1 for health in found if health.failing)
    return {"ok": len(found) - failing, "failing": failing}
