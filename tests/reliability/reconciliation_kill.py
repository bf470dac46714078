"""Driver: a reconciliation run whose worker is killed (SIGKILL) mid-run, with a real ``qcluster``.

    python -m tests.reliability.reconciliation_kill --json out.json [--database-url URL] [--redis-url URL]

Starts a :class:`bench.stack.Stack` (a Salesforce simulator with slow answers, one qcluster), queues a
run of the ``accounts`` check, SIGKILLs the worker (and what it forked) once the run is reading, starts
a new worker and runs the reconciliation sweep every second (the schedule runs it every minute) until
the check has a finished run; from the kill on both simulators answer at once. Writes what happened to
``--json`` for tests/reliability/test_interrupted_runs.py.
"""

from __future__ import annotations

import argparse
import importlib
import json
import time
from pathlib import Path
from typing import Any

from bench.stack import SimulatorSettings, Stack, StackConfig

LEASE_SECONDS = 3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--latency-ms", type=float, default=700, help="Salesforce's answers")
    parser.add_argument("--netsuite-latency-ms", type=float, default=0)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--redis-url", default="")
    parser.add_argument("--timeout", type=float, default=90)
    parser.add_argument("--var-dir", type=Path, default=None)
    parser.add_argument("--json", type=Path, required=True)
    args = parser.parse_args()
    config = StackConfig(
        opportunities=8,
        salesforce=SimulatorSettings(latency_ms=args.latency_ms),
        # NetSuite is read after Salesforce: slow answers there would only delay reaching the kill.
        netsuite=SimulatorSettings(latency_ms=args.netsuite_latency_ms),
        workers=1,
        q_workers=1,
        database_url=args.database_url,
        redis_url=args.redis_url,
        root=args.var_dir,
        keep_dir=args.var_dir is not None,
        extra_env={"JOB_LEASE_SECONDS": str(LEASE_SECONDS), "Q_POLL_MS": "100"},
    )
    if args.database_url.startswith("postgres"):
        # Imported by name: bench/ is outside the type-checked tree, and soak's psycopg calls are untyped.
        importlib.import_module("bench.soak").postgres_database_ensure(args.database_url)
    if args.redis_url:
        import redis

        redis.Redis.from_url(args.redis_url).flushdb()  # a broker queue of our own, empty
    report: dict[str, Any] = {"broker": "redis" if args.redis_url else "orm"}
    with Stack(config) as stack:
        report.update(run(stack, args))
    args.json.write_text(json.dumps(report, indent=1, default=str))


def run(stack: Stack, args: argparse.Namespace) -> dict[str, Any]:
    from reconciliation.models import ReconciliationRun, RunStatus
    from reconciliation.services import reconciliation_enqueue, reconciliation_sweep

    first = reconciliation_enqueue(check="accounts", actor=None)
    kill: dict[str, Any] = {}
    found: dict[str, list[int]] = {"interrupted": [], "rerun": [], "redelivered": []}
    started = time.monotonic()
    while time.monotonic() - started < args.timeout:
        if not kill:
            first.refresh_from_db()
            if first.status == RunStatus.RUNNING and first.progress.get("phase", "").startswith("reading"):
                stack.kill_worker(0)
                kill = {
                    "run": first.pk,
                    "phase": first.progress.get("phase"),
                    "at": time.monotonic() - started,
                    "requests": {
                        s: stack.stats(s)["counters"].get("received") for s in ("salesforce", "netsuite")
                    },
                }
                # The run was killed while reading, the behaviour under test: the re-run needs no slow
                # answers, so both simulators answer at once from here on.
                for system in ("salesforce", "netsuite"):
                    stack.governance(system, latency_ms=0)
                stack.start_worker()
            elif not first.is_active:
                break  # finished before it could be killed: the report says so
            time.sleep(0.1)
            continue
        result = reconciliation_sweep()
        found["interrupted"] += result.interrupted
        found["rerun"] += result.rerun
        found["redelivered"] += result.redelivered
        if ReconciliationRun.objects.filter(check_name="accounts", status=RunStatus.SUCCEEDED).exists():
            break
        time.sleep(1.0)
    runs = list(
        ReconciliationRun.objects.filter(check_name="accounts")
        .order_by("pk")
        .values("pk", "status", "trigger", "error", "counts")
    )
    return {"seconds": round(time.monotonic() - started, 1), "kill": kill, "found": found, "runs": runs}


if __name__ == "__main__":
    main()
