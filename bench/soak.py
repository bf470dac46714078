"""Reliability soak (issue 12, point 2): N opportunities through the whole real-time path under injected
faults, with a worker and the web server killed with SIGKILL mid-run; then the invariants.

    PYTHONPATH=. .venv/bin/python -m bench.soak [--opportunities 5000] [--fault-rate 0.2] \
        [--salesforce-fault-rate 0.05] [--clusters 2] [--q-workers 2] [--database-url postgres://...] \
        [--redis-url redis://127.0.0.1:6379/2] [--lease-seconds 10] [--json bench/out/soak.json]

The stack is :class:`bench.stack.Stack`, each part its own process: both simulators (faults set through
their control endpoints once the run starts), the console under gunicorn (the Closed Won listener and
the Salesforce simulator's outbound rule posting to it), ``--clusters`` django-q2 clusters (``manage.py
qcluster``), on a throw-away SQLite file unless ``--database-url`` names a PostgreSQL database (created
when missing; it must be empty). The catch-up poll and the inbox sweep run every minute.

The run: N open opportunities are moved to Closed Won in the Salesforce simulator in waves; its outbound
messages reach the listener, the inbox, the workers, which read Salesforce and write NetSuite, with
``--fault-rate`` of NetSuite's requests (and ``--salesforce-fault-rate`` of Salesforce's) answered by a
transient fault (429, 500, 503, a time-out, a dropped connection before or after the work, a slow
answer). A third of the way in, a django-q2 cluster is killed (SIGKILL, its whole process group) while it
holds claimed inbox rows, then restarted; half-way, the web server likewise: the simulator redelivers
what failed, the inbox lease and the periodic sweep recover what the dead worker held.

Once nothing is pending (Salesforce's outbound queue and Concord's inbox) the faults stop and
:func:`bench.soak_check.soak_check` checks every opportunity. Output: a table, the JSON report
(``--json``), exit status 1 when an invariant is broken.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out" / "soak.json"
FAULT_KINDS = "429,500,503,timeout,drop,drop_after,slow"


@dataclass
class SoakOptions:
    opportunities: int = 5000
    fault_rate: float = 0.2
    salesforce_fault_rate: float = 0.05
    fault_kinds: str = FAULT_KINDS
    clusters: int = 2
    q_workers: int = 2
    web_workers: int = 2
    netsuite_concurrency: int = 5
    lease_seconds: int = 10
    q_timeout: int = 300
    waves: int = 10
    wave_seconds: float = 1.0
    kills: bool = True
    settle_timeout: float = 900.0
    database_url: str = ""
    redis_url: str = ""
    var_dir: str = ""
    seed: int = 7


@dataclass
class SoakRun:
    options: dict[str, Any]
    wall_seconds: float = 0.0
    startup_seconds: float = 0.0
    flipped: int = 0
    kills: list[dict[str, Any]] = field(default_factory=list)
    settled: bool = False
    settle_seconds: float = 0.0
    last_state: dict[str, Any] = field(default_factory=dict)  # what settling saw last (for a post-mortem)
    netsuite_stats: dict[str, Any] = field(default_factory=dict)
    salesforce_stats: dict[str, Any] = field(default_factory=dict)
    outbound: dict[str, Any] = field(default_factory=dict)
    pipeline: dict[str, Any] = field(default_factory=dict)
    check: dict[str, Any] = field(default_factory=dict)
    ok: bool = False


def postgres_database_ensure(url: str) -> None:
    """Create the PostgreSQL database ``url`` names when it does not exist; refuse one holding tables
    (the soak migrates a database of its own)."""
    import dj_database_url
    import psycopg
    from psycopg import sql

    config = dj_database_url.parse(url)
    server: dict[str, Any] = {
        "user": config["USER"] or None,
        "password": config["PASSWORD"] or None,
        "host": config["HOST"] or None,
        "port": config["PORT"] or None,
    }
    with psycopg.connect(dbname="postgres", autocommit=True, **server) as connection:
        if not connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [config["NAME"]]
        ).fetchone():
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(config["NAME"])))
            return
    with psycopg.connect(dbname=config["NAME"], **server) as connection:
        tables = connection.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
        ).fetchone()
    if tables and tables[0]:
        raise SystemExit(f"{url} is not empty: the soak needs a database of its own")


def run(options: SoakOptions) -> SoakRun:
    """Start the stack, run the soak, check it; always stops every process it started."""
    from bench.soak_world import SoakWorld, stack_config
    from bench.stack import Stack

    started = time.monotonic()
    if options.database_url.startswith("postgres"):
        postgres_database_ensure(options.database_url)
    own_dir = None if options.var_dir else tempfile.TemporaryDirectory(prefix="concord-soak-")
    root = Path(options.var_dir or own_dir.name)  # type: ignore[union-attr]
    root.mkdir(parents=True, exist_ok=True)
    report = SoakRun(options=asdict(options))
    try:
        with Stack(stack_config(options, root)) as stack:
            report.startup_seconds = round(time.monotonic() - started, 1)
            world = SoakWorld(options, stack)
            world.prepare()
            world.drive(report)
            world.settle(report)
            world.verify(report)
    finally:
        report.wall_seconds = round(time.monotonic() - started, 1)
        if own_dir is not None:
            own_dir.cleanup()
    return report


def print_table(report: SoakRun) -> None:
    check = report.check
    rows = [
        ("opportunities", check.get("opportunities")),
        ("synced exactly once", check.get("synced_once")),
        ("in the exception queue", check.get("in_exception_queue")),
        ("lost", _count(check.get("lost"))),
        ("duplicated sales orders", _count(check.get("duplicated_orders"))),
        ("orders without external id gained", check.get("unexplained_new_orders")),
        (
            "duplicate customers / contacts",
            f"{_count(check.get('duplicate_customers'))} / {_count(check.get('duplicate_contacts'))}",
        ),
        (
            "inbox rows (done / set aside / unfinished)",
            f"{check.get('inbox_rows')} ({check.get('inbox_done')} / "
            f"{check.get('inbox_set_aside')} / {_count(check.get('inbox_unfinished'))})",
        ),
        (
            "cross-references checked / mismatched",
            f"{check.get('xref_checked')} / {_count(check.get('xref_mismatched'))}",
        ),
        (
            "kills (SIGKILL)",
            ", ".join(f"{k['component']} at {k['at_seconds']} s" for k in report.kills) or "none",
        ),
        (
            "NetSuite faults injected",
            sum(v for k, v in _counters(report.netsuite_stats).items() if k.startswith("fault_")),
        ),
        (
            "Salesforce faults injected",
            sum(v for k, v in _counters(report.salesforce_stats).items() if k.startswith("fault_")),
        ),
        ("NetSuite requests", _counters(report.netsuite_stats).get("received", 0)),
        (
            "jobs / inbox re-claims",
            f"{report.pipeline.get('jobs')} / {report.pipeline.get('reclaimed_rows')}",
        ),
        (
            "start-up / settled after / wall time",
            f"{report.startup_seconds} s / {report.settle_seconds} s / {report.wall_seconds} s",
        ),
        ("result", "OK" if report.ok else f"FAILED {check.get('violations')}"),
    ]
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}")


def _count(value: Any) -> Any:
    return value.get("count") if isinstance(value, dict) else value


def _counters(stats: dict[str, Any]) -> dict[str, int]:
    return dict(stats.get("counters") or {})


def parse_args(argv: list[str] | None = None) -> tuple[SoakOptions, Path]:
    defaults = SoakOptions()
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--opportunities", type=int, default=defaults.opportunities)
    parser.add_argument("--fault-rate", type=float, default=defaults.fault_rate, help="NetSuite, 0..1")
    parser.add_argument("--salesforce-fault-rate", type=float, default=defaults.salesforce_fault_rate)
    parser.add_argument("--fault-kinds", default=defaults.fault_kinds)
    parser.add_argument("--clusters", type=int, default=defaults.clusters, help="qcluster processes")
    parser.add_argument("--q-workers", type=int, default=defaults.q_workers, help="workers per cluster")
    parser.add_argument("--web-workers", type=int, default=defaults.web_workers)
    parser.add_argument("--netsuite-concurrency", type=int, default=defaults.netsuite_concurrency)
    parser.add_argument("--lease-seconds", type=int, default=defaults.lease_seconds)
    parser.add_argument("--q-timeout", type=int, default=defaults.q_timeout)
    parser.add_argument("--waves", type=int, default=defaults.waves)
    parser.add_argument("--wave-seconds", type=float, default=defaults.wave_seconds)
    parser.add_argument("--no-kills", dest="kills", action="store_false")
    parser.add_argument("--settle-timeout", type=float, default=defaults.settle_timeout)
    parser.add_argument("--database-url", default="", help="an EMPTY database (default: temporary SQLite)")
    parser.add_argument("--redis-url", default="", help="django-q2 broker and cache (default: the ORM)")
    parser.add_argument("--var-dir", default="", help="keep logs and stores here (default: temporary)")
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument("--json", type=Path, default=OUT)
    args = vars(parser.parse_args(argv))
    out = args.pop("json")
    return SoakOptions(**args), out


def main(argv: list[str] | None = None) -> int:
    options, out = parse_args(argv)
    report = run(options)
    print_table(report)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(asdict(report), indent=2, default=str))
    print(f"JSON: {out}")
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
