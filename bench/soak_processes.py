"""The soak's processes: each a long-lived command in its own process group, with its output in a log
file, that can be killed with SIGKILL (the whole group, as a crash or the OOM killer would) and started
again with the same command line."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from console.processes import ChildCommand


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, *, timeout: float = 60.0, process: Component | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and not process.running():
            raise RuntimeError(f"{process.name} exited; see {process.log}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"nothing answers on port {port} after {timeout:.0f} s")


class Component:
    """One command of the stack (a simulator, the web server, a django-q2 cluster)."""

    def __init__(self, command: ChildCommand, *, env: Mapping[str, str], log_dir: Path, cwd: Path) -> None:
        self.command = command
        self.env = dict(env)
        self.cwd = cwd
        self.log = log_dir / f"{command.name}.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0
        self.kills = 0

    @property
    def name(self) -> str:
        return self.command.name

    def start(self) -> None:
        with self.log.open("ab") as handle:
            handle.write(f"\n--- start {self.starts + 1} at {time.strftime('%H:%M:%S')}\n".encode())
            handle.flush()
            self.process = subprocess.Popen(
                list(self.command.argv),
                cwd=self.cwd,
                env=self.env,
                stdout=handle,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own group: a kill reaches whatever it forked
            )
        self.starts += 1

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill9(self) -> None:
        """SIGKILL the whole group at once: nothing gets to clean up, as in a crash."""
        if self.process is None:
            return
        _signal_group(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)
        _wait_group_gone(self.process.pid, 10.0)
        self.kills += 1

    def threads(self) -> int:
        """Threads across the process group: a django-q2 worker running a batch has its pool's too."""
        if self.process is None:
            return 0
        total = 0
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            # After the command: state, ppid, pgrp (index 2) ... num_threads (index 17).
            if int(fields[2]) == self.process.pid:
                total += int(fields[17])
        return total

    def stop(self, *, grace_seconds: float = 10.0) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        if not _wait_group_gone(self.process.pid, grace_seconds):
            _signal_group(self.process.pid, signal.SIGKILL)
            _wait_group_gone(self.process.pid, 5.0)


def components_stop(components: Sequence[Component]) -> None:
    for component in reversed(components):
        component.stop()


def _signal_group(pgid: int, signum: int) -> None:
    try:
        os.killpg(pgid, signum)
    except ProcessLookupError:
        pass


def _wait_group_gone(pgid: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            os.waitpid(-pgid, os.WNOHANG)  # reap what we can; the leader is ours
        except ChildProcessError:
            pass
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.1)
    return False
