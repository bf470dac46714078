"""docs/operations-tasks.md answers, for every django-q2 task the product enqueues or schedules, what
happens when its worker dies: a new task type cannot be added without saying so."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "operations-tasks.md"
# A task is named by its dotted path in async_task(...) and in schedules: "<app>...tasks.<function>".
TASK_PATH = re.compile(r"[\"']((?:sync|reconciliation|governance|console)(?:\.\w+)*\.tasks\.\w+)[\"']")


def _task_paths() -> set[str]:
    found: set[str] = set()
    for app in ("sync", "reconciliation", "governance", "console"):
        for source in (ROOT / app).rglob("*.py"):
            found.update(TASK_PATH.findall(source.read_text()))
    return found


def test_it_finds_the_tasks_it_should() -> None:
    tasks = _task_paths()
    assert {
        "sync.tasks.inbox_drain",
        "sync.tasks.backfill_run",
        "reconciliation.tasks.reconciliation_run_task",
    } <= tasks


def test_it_says_what_becomes_of_every_task_when_its_worker_dies() -> None:
    documented = set(re.findall(r"`([\w.]+\.tasks\.\w+)`", DOC.read_text()))
    assert sorted(_task_paths() - documented) == []
    assert sorted(documented - _task_paths()) == []  # nor tasks that no longer exist
