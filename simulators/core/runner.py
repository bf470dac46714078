"""Starting a simulator: from the command line, as a child process, or in a thread inside a test.

A simulator package provides a :class:`SimulatorSpec`; everything about sockets, TLS, governance flags
and the "ready" handshake lives here once.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from simulators.core.governance import FAULT_KINDS, GovernanceSettings, GovernedApplication, Governor
from simulators.core.http import SimulatorServer
from simulators.core.tls import CertificatePaths, ensure_certificates

DEFAULT_DATA_DIR = Path(os.environ.get("CONCORD_SIMULATOR_DIR", "var/simulators"))
READY_PREFIX = "SIMULATOR READY "


class SimulatorSpec(Protocol):
    name: str
    default_port: int

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        """Flags of this simulator only (the shared ones are added by the runner)."""
        ...

    def create(self, options: dict[str, Any], data_dir: Path) -> GovernedApplication:
        """Build the application; ``options`` holds the parsed flags as a dict."""
        ...


def add_common_arguments(parser: argparse.ArgumentParser, default_port: int) -> None:
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=default_port, help="0 picks a free port")
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=DEFAULT_DATA_DIR,
        help="state (SQLite) and TLS files live here (default: %(default)s)",
    )
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--jitter-ms", type=float, default=0.0)
    parser.add_argument("--concurrency-limit", type=int, default=0, help="0 = unlimited")
    parser.add_argument("--fault-rate", type=float, default=0.0, help="probability 0..1 of an injected fault")
    parser.add_argument(
        "--fault-kinds", default="500", help=f"comma-separated subset of {','.join(FAULT_KINDS)}"
    )
    parser.add_argument("--timeout-seconds", type=float, default=30.0)
    parser.add_argument("--slow-ms", type=float, default=2000.0)
    parser.add_argument("--random-seed", type=int, default=None, help="makes latency and faults repeatable")
    parser.add_argument("--access-log", action="store_true")


def governance_from(options: dict[str, Any]) -> GovernanceSettings:
    settings = GovernanceSettings()
    settings.update(
        {
            "latency_ms": options["latency_ms"],
            "jitter_ms": options["jitter_ms"],
            "concurrency_limit": options["concurrency_limit"],
            "fault_rate": options["fault_rate"],
            "fault_kinds": options["fault_kinds"],
            "timeout_seconds": options["timeout_seconds"],
            "slow_ms": options["slow_ms"],
        }
    )
    return settings


@dataclass
class RunningSimulator:
    name: str
    server: SimulatorServer
    governor: Governor
    application: GovernedApplication
    certificates: CertificatePaths

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def ca_file(self) -> str:
        return str(self.certificates.ca)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        close = getattr(self.application, "close", None)
        if callable(close):
            close()


def build(spec: SimulatorSpec, options: dict[str, Any]) -> RunningSimulator:
    data_dir = Path(options["data_dir"]).resolve()
    certificates = ensure_certificates(data_dir / "tls")
    application = spec.create(options, data_dir)
    governor = Governor(application, governance_from(options), seed=options.get("random_seed"))
    server = SimulatorServer(
        (options["host"], options["port"]),
        application,
        certificates=certificates,
        gate=governor,
        access_log=bool(options.get("access_log")),
    )
    bind = getattr(application, "bind", None)
    if callable(bind):  # lets an application learn its own public URL (Location headers, outbound messages)
        bind(server.url)
    return RunningSimulator(spec.name, server, governor, application, certificates)


def start_in_thread(spec: SimulatorSpec, data_dir: Path, **overrides: Any) -> RunningSimulator:
    """Start a simulator on a free port in this process (tests); call ``.stop()`` when done."""
    parser = argparse.ArgumentParser()
    add_common_arguments(parser, 0)
    spec.add_arguments(parser)
    options = vars(parser.parse_args([]))
    options.update({"port": 0, "data_dir": data_dir})
    options.update(overrides)
    running = build(spec, options)
    running.server.start_in_thread()
    return running


def serve_forever(spec: SimulatorSpec, options: dict[str, Any]) -> None:
    running = build(spec, options)
    info = {"name": spec.name, "url": running.url, "ca_file": running.ca_file, "pid": os.getpid()}
    data_dir = Path(options["data_dir"]).resolve()
    (data_dir / f"{spec.name}.json").write_text(json.dumps(info, indent=2))
    print(f"{spec.name} simulator serving {running.url} (CA certificate: {running.ca_file})", flush=True)
    print(READY_PREFIX + json.dumps(info), flush=True)

    def stop(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    try:
        running.server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        running.server.server_close()
        close = getattr(running.application, "close", None)
        if callable(close):
            close()
        print(f"{spec.name} simulator stopped", file=sys.stderr, flush=True)
