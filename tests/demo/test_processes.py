"""The demo's supervisor: every child, and whatever each child started, is gone after stop()."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest
from django.contrib.auth.models import User

from demo.management.commands.demo import demo_commands
from demo.processes import ChildCommand, ChildProcesses

# A child that starts a grandchild, reports its pid, and ignores SIGTERM like a stuck program would.
STUBBORN = """
import signal, subprocess, sys, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
grandchild = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
open(sys.argv[1], "w").write(str(grandchild.pid))
time.sleep(120)
"""
POLITE = "import time; time.sleep(120)"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _wait_for_file(path: Path) -> int:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if path.exists() and path.read_text():
            return int(path.read_text())
        time.sleep(0.05)
    raise AssertionError("the child never wrote its grandchild's pid")


def test_it_stops_children_and_their_children(tmp_path: Path) -> None:
    pid_file = tmp_path / "grandchild.pid"
    children = ChildProcesses(
        [
            ChildCommand("polite", [sys.executable, "-c", POLITE]),
            ChildCommand("stubborn", [sys.executable, "-c", STUBBORN, str(pid_file)]),
        ]
    )
    children.start()
    grandchild = _wait_for_file(pid_file)
    assert children.first_exited() is None

    started = time.monotonic()
    children.stop(grace_seconds=1.0)

    assert children.alive() == []
    assert not _alive(grandchild)
    assert all(child.process.returncode is not None for child in children.running)
    assert time.monotonic() - started < 10


def test_it_notices_a_child_that_stopped_on_its_own() -> None:
    children = ChildProcesses([ChildCommand("quick", [sys.executable, "-c", "pass"])])
    children.start()
    deadline = time.monotonic() + 20
    while children.first_exited() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    exited = children.first_exited()
    assert exited is not None and exited.process.returncode == 0
    children.stop()


def test_it_runs_the_console_and_a_worker_in_the_demo() -> None:
    commands = {command.name: list(command.argv) for command in demo_commands(host="127.0.0.1", port=8000)}
    assert commands["web"][-3:] == ["runserver", "127.0.0.1:8000", "--noreload"]
    assert commands["worker"][-1] == "qcluster"
    assert commands["salesforce-simulator"][1:4] == ["-m", "simulators", "salesforce"]
    assert commands["netsuite-simulator"][1:4] == ["-m", "simulators", "netsuite"]
    assert "--concurrency-limit" in commands["netsuite-simulator"]


@pytest.mark.django_db
def test_it_installs_the_shipped_rules_once_as_revops_drafts(revops: User) -> None:
    from demo.launcher import demo_rules_ensure
    from sync.rules.models import RuleVersion

    created = demo_rules_ensure()
    assert created == RuleVersion.objects.filter(status="draft", created_by=revops).count() > 0
    assert demo_rules_ensure() == 0  # idempotent: the demo runs it on every start


def test_it_serves_the_demo_simulators_on_the_ports_given() -> None:
    # The browser tests run a throwaway demo on free ports beside a developer's own (8443 and 8444).
    from demo.management.commands.demo import Command

    options = Command().create_parser("manage.py", "demo").parse_args([])
    assert (options.salesforce_port, options.netsuite_port) == (8443, 8444)
    options = (
        Command()
        .create_parser("manage.py", "demo")
        .parse_args(["--salesforce-port", "18443", "--netsuite-port", "18444"])
    )
    assert (options.salesforce_port, options.netsuite_port) == (18443, 18444)


def test_it_starts_the_simulators_first_and_the_rest_later_each_once() -> None:
    # manage.py demo: the simulators, then the story, then the console and its worker.
    children = ChildProcesses(
        [ChildCommand(name, [sys.executable, "-c", POLITE]) for name in ("simulator", "web", "worker")],
        env={**os.environ, "LOG_LEVEL": "WARNING"},
    )
    try:
        children.start(["simulator"])
        assert [child.command.name for child in children.running] == ["simulator"]
        children.start()
        children.start()
        assert [child.command.name for child in children.running] == ["simulator", "web", "worker"]
    finally:
        children.stop(grace_seconds=5)
    assert children.alive() == []
