"""Every task type the code enqueues or schedules is in core/tasks_inventory.py with a recovery that is
itself scheduled: a new task type without a way back from a lost task fails here.

The code is walked with ``ast``: every ``async_task(...)``'s first argument (a string, a module constant
or an imported one, or an f-string matched as a pattern), and every ``func`` given to a schedule
(``ScheduleSpec(func=...)``, ``{"func": ...}``). The schedules are also created for real, by every
``*_schedules_ensure`` command and the registry, so a function chosen at run time is seen too."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from django.core.management import call_command, get_commands
from django.utils.module_loading import import_string
from django_q.models import Schedule

from core.schedules import schedules_ensure_all
from core.tasks_inventory import TASK_TYPES, Recovery, task_type

ROOT = Path(__file__).resolve().parents[2]
PRODUCT = ("core", "sync", "reconciliation", "governance", "console", "demo")


def _modules() -> dict[str, ast.Module]:
    trees = {}
    for package in PRODUCT:
        for source in (ROOT / package).rglob("*.py"):
            if "migrations" in source.parts:
                continue
            name = ".".join(source.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
            trees[name] = ast.parse(source.read_text(), filename=str(source))
    return trees


def _constants(trees: dict[str, ast.Module]) -> dict[str, dict[str, str]]:
    """Module -> its module-level string constants, then its imported ones resolved."""
    consts: dict[str, dict[str, str]] = {name: {} for name in trees}
    for name, tree in trees.items():
        for node in tree.body:
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant):
                if isinstance(node.value.value, str):
                    for target in node.targets:
                        if isinstance(target, ast.Name):
                            consts[name][target.id] = node.value.value
    for name, tree in trees.items():
        for node in tree.body:
            if isinstance(node, ast.ImportFrom) and node.module in consts:
                for alias in node.names:
                    if alias.name in consts[node.module]:
                        consts[name][alias.asname or alias.name] = consts[node.module][alias.name]
    return consts


def _target(node: ast.expr, consts: dict[str, str]) -> str | re.Pattern[str] | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.Name) and node.id in consts:
        return consts[node.id]
    if isinstance(node, ast.JoinedStr):
        parts = [
            re.escape(str(v.value)) if isinstance(v, ast.Constant) else r"\w+"
            for v in node.values
            if isinstance(v, ast.Constant | ast.FormattedValue)
        ]
        return re.compile("".join(parts))
    return None


def _enqueued_in_code() -> tuple[set[str], list[re.Pattern[str]], list[str]]:
    """(task paths, f-string patterns, call sites whose target could not be read)."""
    trees = _modules()
    consts = _constants(trees)
    paths: set[str] = set()
    patterns: list[re.Pattern[str]] = []
    unread: list[str] = []

    def add(node: ast.expr, module: str, line: int, *, must: bool) -> None:
        found = _target(node, consts[module])
        if isinstance(found, str):
            paths.add(found)
        elif found is not None:
            patterns.append(found)
        elif must:
            unread.append(f"{module}:{line}")

    for module, tree in trees.items():
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                callee = node.func
                name = callee.id if isinstance(callee, ast.Name) else getattr(callee, "attr", "")
                if name == "async_task" and node.args:
                    add(node.args[0], module, node.lineno, must=True)
                for keyword in node.keywords:
                    if keyword.arg == "func":
                        add(keyword.value, module, node.lineno, must=False)
            if isinstance(node, ast.Dict):
                for key, value in zip(node.keys, node.values, strict=True):
                    if isinstance(key, ast.Constant) and key.value == "func":
                        add(value, module, node.lineno, must=False)
    return paths, patterns, unread


@pytest.fixture
def scheduled(db: None) -> set[str]:
    """The functions of every schedule the installation creates (each ensure command, the registry)."""
    for command in sorted(get_commands()):
        if command.endswith("_schedules_ensure"):
            call_command(command, verbosity=0)
    call_command("release_test_sweep", "--ensure-schedule")
    schedules_ensure_all()
    return set(Schedule.objects.values_list("func", flat=True))


def test_the_walk_finds_what_it_should() -> None:
    paths, patterns, unread = _enqueued_in_code()
    assert unread == [], "async_task targets the walk cannot read: name them with a constant"
    assert {
        "sync.tasks.inbox_drain",
        "sync.tasks.exception_retry_run",  # a module constant
        "sync.tasks.notification_deliver_task",  # a constant imported from another module
        "reconciliation.tasks.reconciliation_run_task",
        "governance.tasks.audit_checkpoint_task",  # a schedule's {"func": ...}
        "sync.tasks.catch_up_poll",  # ScheduleSpec(func=...)
    } <= paths
    assert any(p.fullmatch("sync.tasks.golive_scan_run") for p in patterns)  # the go-live f-string


def test_every_task_type_enqueued_or_scheduled_is_in_the_inventory_with_a_recovery(
    scheduled: set[str],
) -> None:
    paths, patterns, _ = _enqueued_in_code()
    tasks = {p for p in paths | scheduled if re.fullmatch(r"[\w.]+\.tasks\.\w+", p)}
    assert len(scheduled) >= 15, scheduled
    missing = sorted(p for p in tasks if task_type(p) is None)
    assert missing == [], f"add these to core/tasks_inventory.py with their recovery: {missing}"
    known = [t.func for t in TASK_TYPES]
    for pattern in patterns:
        assert any(pattern.fullmatch(func) for func in known), pattern.pattern
    # Nothing listed that the code no longer enqueues or schedules (a stale line would reassure wrongly).
    listed = {t.func for t in TASK_TYPES}
    enqueued = tasks | {f for f in listed for p in patterns if p.fullmatch(f)}
    assert sorted(listed - enqueued) == []


def test_every_recovery_is_a_scheduled_task_and_every_task_is_importable(scheduled: set[str]) -> None:
    assert len({t.func for t in TASK_TYPES}) == len(TASK_TYPES)
    for entry in TASK_TYPES:
        assert callable(import_string(entry.func)), entry.func
        # What finds or redoes the work runs by itself: a schedule the installation creates.
        assert entry.recovered_by in scheduled, f"{entry.func}: {entry.recovered_by} is not scheduled"
        assert entry.work and entry.started_by
        if entry.recovery is Recovery.SCHEDULED:
            assert entry.func in scheduled or entry.recovered_by == entry.func
