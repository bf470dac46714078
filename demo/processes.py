"""Run a few long-lived commands side by side and stop all of them together (``manage.py demo``).

Each child starts in its own session, hence its own process group, so stopping it reaches whatever it
forked (the django-q2 cluster's workers, say) and a Ctrl-C in the terminal reaches only the supervisor,
which then stops the children in order.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class ChildCommand:
    name: str
    argv: Sequence[str]


@dataclass
class RunningChild:
    command: ChildCommand
    process: subprocess.Popen[bytes]

    @property
    def pgid(self) -> int:
        return self.process.pid  # start_new_session: the child leads its own group


class ChildProcesses:
    def __init__(self, commands: Sequence[ChildCommand], *, env: Mapping[str, str] | None = None) -> None:
        self.commands = list(commands)
        self.env = dict(env) if env is not None else None
        self.running: list[RunningChild] = []

    def start(self, names: Collection[str] | None = None) -> None:
        """Start the commands called ``names`` (default: all) that have not been started yet."""
        started = {child.command.name for child in self.running}
        for command in self.commands:
            if command.name in started or (names is not None and command.name not in names):
                continue
            process = subprocess.Popen(list(command.argv), env=self.env, start_new_session=True)
            self.running.append(RunningChild(command, process))

    def first_exited(self) -> RunningChild | None:
        """A child that has stopped on its own, if any."""
        return next((child for child in self.running if child.process.poll() is not None), None)

    def stop(self, *, grace_seconds: float = 15.0) -> None:
        """Ask each child to stop, wait up to ``grace_seconds`` for its whole group, then SIGKILL the rest.

        SIGTERM goes to the child itself, not its group: a supervisor such as ``qcluster`` stops its own
        workers in order when it alone is told, and stalls when every worker is signalled at once.
        """
        for child in self.running:
            if child.process.poll() is None:
                child.process.send_signal(signal.SIGTERM)
        self._wait_for_groups(grace_seconds)
        for child in self.running:
            if _group_alive(child.pgid):
                _signal_group(child.pgid, signal.SIGKILL)
        self._wait_for_groups(5.0)

    def _wait_for_groups(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            for child in self.running:
                child.process.poll()  # reap the leader so that its group can empty
            if not self.alive():
                return
            time.sleep(0.1)

    def alive(self) -> list[str]:
        return [child.command.name for child in self.running if _group_alive(child.pgid)]


def _signal_group(pgid: int, signum: int) -> None:
    try:
        os.killpg(pgid, signum)
    except ProcessLookupError:
        pass


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def quiet_environment(base: Mapping[str, str]) -> dict[str, str]:
    """The environment of the demo's processes: warnings and errors only (console.log_format), so a
    terminal shows what needs a look, not a line per request or a traceback per refused page.
    ``LOG_LEVEL`` set by the person running the demo wins."""
    return {**base, "LOG_LEVEL": base.get("LOG_LEVEL") or "WARNING", "LOG_QUIET_REQUESTS": "1"}
