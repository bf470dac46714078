"""django-q2 entry point for release test runs: thin and idempotent (a run is claimed once)."""

from __future__ import annotations

from governance.releases.testing import release_test_run_execute, release_test_sweep


def release_test_run_task(run_id: int) -> str:
    run = release_test_run_execute(run_id=run_id)
    return "already claimed" if run is None else f"test run #{run.pk}: {run.status}"


def release_test_sweep_task() -> int:
    """Every minute: test runs whose worker stopped are marked interrupted (Retry is a person's call)."""
    interrupted, sent = release_test_sweep()
    return len(interrupted) + len(sent)
