"""Closed Won opportunities synced per second against NetSuite's concurrency bound (issue 12 point 1).

    PYTHONPATH=. .venv/bin/python -m bench.throughput [--opportunities 2000] [--latency-ms 50] \
        [--concurrency 5] [--workers 1] [--q-workers 2] [--database-url postgres://...] [--redis-url ...]
    PYTHONPATH=. .venv/bin/python -m bench.throughput --scaleout 1,2,4 --concurrency 20 ...

One run (bench/stack.py): seed N accounts with one open opportunity each, start both simulators (NetSuite
at ``--latency-ms`` and ``--concurrency`` limit; its connection in Concord gets the same limit), a web
server with the Closed Won listener, and ``--workers`` qcluster processes. Then, as a sales team would,
set all N opportunities to Closed Won through the Salesforce API (sObject Collections, 200 a call): the
simulator's outbound message rule posts them (100 per message) to the listener, which stores them in the
inbox and enqueues drains; workers claim, read the graphs from Salesforce, write customers, contacts and
sales orders to NetSuite (``eid:`` upserts) and write the NetSuite ids back to Salesforce.

Measured (simulator counters, sampled every 0.25 s; Salesforce calls made by the benchmark itself to
close the opportunities are left out):

- NetSuite requests/s in the steady window (from 10 % to 90 % of the run's NetSuite requests) against
  the bound ``C / L`` (goal >= 0.95 on PostgreSQL + Redis, >= 0.92 on SQLite), NetSuite requests per
  opportunity, 429s (goal 0), peak in flight;
- SQL statements on the limiter's lease table per opportunity (goal <= 1; counted in every process of
  the stack by an execute wrapper on each Django connection: bench/sqlcount/sitecustomize.py), and all
  SQL statements per opportunity (an estimate);
- Salesforce requests per opportunity (goal <= 0.1; OAuth token requests included);
- wall time from the first Closed Won to the last opportunity synced; every opportunity has exactly one
  sales order in NetSuite (SuiteQL by externalId) and one synced record in Concord;
- CPU seconds of each process group over the run (``Stack.cpu_seconds``): the workers' CPU per
  opportunity and per NetSuite request, which, unlike wall time, does not move with the machine's load;
- what NetSuite holds afterwards, read from the simulators' files (bench/order_checks.py): each sales
  order's customer and lines (items, quantities, amounts) as the seeded quote had them, and one customer
  per account and one contact per seeded contact (by externalId and by count).

The run fails (exit 1) when a check fails: an order's contents, a duplicate, an opportunity not synced
exactly once, a 429, or more than one limiter SQL statement per opportunity. The rate is reported against
its goal but does not fail the run (it moves with the machine's load).

``--scaleout 1,2,4`` runs the same benchmark once per worker count, each in its own process with a fresh
PostgreSQL database (created and dropped here, named after ``--scaleout-database``) and the Redis broker
(``--redis-url``, flushed before each run), and prints the comparison.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
RATE_GOAL = {"postgresql": 0.95, "sqlite": 0.92}  # issue 26: PostgreSQL + Redis, and SQLite
SF_CALLS_GOAL = 0.1
LIMITER_SQL_GOAL = 1.0  # limiter statements per opportunity (issue 26: on SQLite)
SQL_COUNTER = ROOT / "bench" / "sqlcount"  # its sitecustomize counts the stack's SQL statements


def steady_rate(samples: list[dict[str, Any]], low: float = 0.1, high: float = 0.9) -> dict[str, float]:
    """Requests/s between the samples where ``low`` and ``high`` of the run's requests had arrived."""
    if len(samples) < 2:
        return {"rate": 0.0, "seconds": 0.0, "requests": 0, "mean_in_flight": 0.0}
    base = samples[0]["received"]
    total = samples[-1]["received"] - base
    if total <= 0:
        return {"rate": 0.0, "seconds": 0.0, "requests": 0, "mean_in_flight": 0.0}
    first = next(s for s in samples if s["received"] - base >= low * total)
    last = next(s for s in samples if s["received"] - base >= high * total)
    seconds = last["t"] - first["t"]
    window = [s for s in samples if first["t"] <= s["t"] <= last["t"]]
    requests = last["received"] - first["received"]
    return {
        "rate": requests / seconds if seconds > 0 else 0.0,
        "seconds": seconds,
        "requests": requests,
        "mean_in_flight": sum(s["in_flight"] for s in window) / len(window) if window else 0.0,
    }


def sql_counts(directory: Path) -> dict[str, int]:
    """Statements counted so far by bench/sqlcount/sitecustomize.py in every process of the stack: on the
    limiter's lease table (exact) and in all (each process's count as last written, every 0.5 s)."""
    lease = sum(path.stat().st_size for path in directory.glob("lease-*"))
    every = 0
    for path in directory.glob("all-*"):
        try:
            every += int(path.read_text() or 0)
        except ValueError:
            pass  # being written
    return {"lease": lease, "all": every}


def run_once(args: argparse.Namespace) -> dict[str, Any]:
    import tempfile

    from bench.order_checks import check_netsuite
    from bench.stack import SimulatorSettings, Stack, StackConfig, StatsSampler
    from simulators.netsuite.store import database_path as netsuite_database
    from simulators.salesforce.store import database_path as salesforce_database

    counted = Path(tempfile.mkdtemp(prefix="concord-sqlcount-"))
    config = StackConfig(
        opportunities=args.opportunities,
        netsuite=SimulatorSettings(
            latency_ms=args.latency_ms, jitter_ms=args.jitter_ms, concurrency_limit=args.concurrency
        ),
        salesforce=SimulatorSettings(latency_ms=args.sf_latency_ms),
        workers=args.workers,
        q_workers=args.q_workers,
        web=True,
        web_workers=args.web_workers,
        database_url=args.database_url,
        redis_url=args.redis_url,
        keep_dir=args.keep_dir,
        extra_env={
            "CONCORD_BENCH_SQL_COUNT_DIR": str(counted),
            "PYTHONPATH": f"{SQL_COUNTER}{os.pathsep}{ROOT}",
        },
    )
    load_before = os.getloadavg()
    with Stack(config) as stack:
        ids = stack.opportunity_ids()
        time.sleep(2.0)  # let the qcluster processes start their workers
        stack.reset_stats("netsuite")
        stack.reset_stats("salesforce")
        cpu_before = stack.cpu_seconds()
        sql_before = sql_counts(counted)
        with StatsSampler(stack, "netsuite") as sampler:
            started = time.monotonic()
            stack.close_won(ids)
            closed = time.monotonic() - started
            stack.wait_until(
                lambda: stack.records_done() >= len(ids) and stack.inbox_pending() == 0,
                timeout=args.timeout,
            )
            wall = time.monotonic() - started
            time.sleep(0.5)  # a last sample after the final requests
        load_during = os.getloadavg()
        cpu_after = stack.cpu_seconds()
        sql_after = sql_counts(counted)
        ns = stack.stats("netsuite")
        sf = stack.stats("salesforce")
        counts = stack.sales_order_counts(ids)
        from sync.pipeline.models import RecordStatus, SyncJob, SyncRecord

        synced = (
            SyncRecord.objects.filter(status=RecordStatus.SYNCED).values("opportunity_id").distinct().count()
        )
        jobs = list(SyncJob.objects.values_list("records_total", flat=True))
        root = str(stack.root)
        harness_sf = stack.harness_salesforce_calls
        timings = dict(stack.timings)
        contents = check_netsuite(salesforce_database(stack.data_dir), netsuite_database(stack.data_dir), ids)

    ns_counters = ns["counters"]
    ns_requests = int(ns_counters.get("received", 0))
    refused = int(ns_counters.get("refused_concurrency", 0))
    sf_requests = int(sf["counters"].get("received", 0)) - harness_sf
    steady = steady_rate(sampler.samples)
    bound = args.concurrency / (args.latency_ms / 1000) if args.latency_ms else 0.0
    cpu = {name: round(cpu_after.get(name, 0.0) - cpu_before.get(name, 0.0), 2) for name in cpu_after}
    worker_cpu = sum(value for name, value in cpu.items() if name.startswith("worker-"))
    exactly_one = sum(1 for i in ids if counts.get(i) == 1)
    extra = sum(1 for key, count in counts.items() if key not in set(ids) and count)
    n = len(ids)
    limiter_sql = sql_after["lease"] - sql_before["lease"]
    database = "postgresql" if args.database_url.startswith("postgres") else "sqlite"
    return {
        "opportunities": n,
        "workers": args.workers,
        "q_workers": args.q_workers,
        "latency_ms": args.latency_ms,
        "concurrency": args.concurrency,
        "database": database,
        "broker": "redis" if args.redis_url else "orm",
        "wall_seconds": round(wall, 2),
        "close_won_seconds": round(closed, 2),
        "opportunities_per_second": round(n / wall, 2),
        "netsuite_requests": ns_requests,
        "netsuite_requests_per_opportunity": round(ns_requests / n, 2),
        "netsuite_steady_rate": round(steady["rate"], 1),
        "netsuite_steady_seconds": round(steady["seconds"], 1),
        "netsuite_mean_in_flight": round(steady["mean_in_flight"], 2),
        "netsuite_peak_in_flight": ns["peak_in_flight"],
        "bound": round(bound, 1),
        "rate_ratio": round(steady["rate"] / bound, 3) if bound else 0.0,
        "netsuite_429": refused,
        "netsuite_counters": ns_counters,
        "salesforce_requests": sf_requests,
        "salesforce_requests_per_opportunity": round(sf_requests / n, 3),
        "salesforce_harness_requests": harness_sf,
        "cpu_seconds": cpu,
        "worker_cpu_ms_per_opportunity": round(worker_cpu * 1000 / n, 1),
        "worker_cpu_ms_per_netsuite_request": round(worker_cpu * 1000 / ns_requests, 2)
        if ns_requests
        else 0.0,
        # Cores the workers need to run at the bound: (CPU per request) x (bound requests/s).
        "worker_cores_at_bound": round(worker_cpu / ns_requests * bound, 2) if ns_requests else 0.0,
        "limiter_sql_statements": limiter_sql,
        "limiter_sql_per_opportunity": round(limiter_sql / n, 3),
        "sql_statements_per_opportunity": round((sql_after["all"] - sql_before["all"]) / n, 1),
        "rate_goal": RATE_GOAL[database],
        "contents": contents,
        "synced_records": synced,
        "sales_orders_exactly_one": exactly_one,
        "sales_orders_unexpected": extra,
        "jobs": len(jobs),
        "mean_job_size": round(sum(jobs) / len(jobs), 1) if jobs else 0.0,
        "all_synced": exactly_one == n and synced == n and extra == 0,
        "load_average_before": load_before,
        "load_average_during": load_during,
        "timings": timings,
        "samples": [{**s, "t": round(s["t"] - sampler.samples[0]["t"], 3)} for s in sampler.samples],
        "stack_dir": root if args.keep_dir else None,
    }


def print_table(rows: list[dict[str, Any]]) -> None:
    header = (
        f"{'workers':>7s} {'opps':>5s} {'wall s':>7s} {'opp/s':>6s} {'NS req':>7s} {'NS/opp':>6s} "
        f"{'NS req/s':>8s} {'bound':>6s} {'ratio':>6s} {'429':>4s} {'peak':>4s} {'SF/opp':>6s} "
        f"{'jobs':>5s} {'cpu/opp':>7s} {'lim SQL':>7s} {'synced':>6s} {'checks':>6s}"
    )
    print(header)
    for r in rows:
        print(
            f"{r['workers']:>3d}x{r['q_workers']:<3d} {r['opportunities']:5d} {r['wall_seconds']:7.1f} "
            f"{r['opportunities_per_second']:6.1f} {r['netsuite_requests']:7d} "
            f"{r['netsuite_requests_per_opportunity']:6.2f} {r['netsuite_steady_rate']:8.1f} "
            f"{r['bound']:6.1f} {r['rate_ratio']:6.3f} {r['netsuite_429']:4d} "
            f"{r['netsuite_peak_in_flight']:4d} {r['salesforce_requests_per_opportunity']:6.3f} "
            f"{r['jobs']:5d} {r.get('worker_cpu_ms_per_opportunity', 0):7.1f} "
            f"{r['limiter_sql_per_opportunity']:7.3f} {('yes' if r['all_synced'] else 'NO'):>6s} "
            f"{('ok' if not r['contents']['problems'] else 'FAIL'):>6s}"
        )


def failed_checks(row: dict[str, Any]) -> list[str]:
    """What makes a run fail (exit non-zero), unlike the rate, which moves with the machine's load."""
    failed = list(row["contents"]["problems"])
    if not row["all_synced"]:
        failed.append("not every opportunity has exactly one sales order and one synced record")
    if row["netsuite_429"]:
        failed.append(f"{row['netsuite_429']} requests over NetSuite's concurrency limit (429)")
    if row["limiter_sql_per_opportunity"] > LIMITER_SQL_GOAL:
        failed.append(f"{row['limiter_sql_per_opportunity']} limiter SQL statements per opportunity")
    return failed


def verdict(row: dict[str, Any]) -> list[str]:
    goal = row["rate_goal"]
    contents = row["contents"]
    return [
        f"NetSuite rate {row['netsuite_steady_rate']} req/s = {row['rate_ratio']:.3f} of the bound "
        f"{row['bound']} (goal on {row['database']} >= {goal}: "
        f"{'met' if row['rate_ratio'] >= goal else 'NOT met'})",
        f"429s {row['netsuite_429']} (goal 0: {'met' if row['netsuite_429'] == 0 else 'NOT met'})",
        f"Salesforce requests per opportunity {row['salesforce_requests_per_opportunity']} "
        f"(goal <= {SF_CALLS_GOAL}: "
        f"{'met' if row['salesforce_requests_per_opportunity'] <= SF_CALLS_GOAL else 'NOT met'})",
        f"every opportunity exactly one sales order and one synced record: {row['all_synced']}",
        f"limiter SQL statements {row['limiter_sql_statements']} = {row['limiter_sql_per_opportunity']} per "
        f"opportunity (goal <= {LIMITER_SQL_GOAL}: "
        f"{'met' if row['limiter_sql_per_opportunity'] <= LIMITER_SQL_GOAL else 'NOT met'}); "
        f"all SQL about {row['sql_statements_per_opportunity']} per opportunity",
        f"contents: {contents['sales_orders_checked']} sales orders with {contents['order_lines_checked']} "
        f"quote lines, {contents['customers']} customers for {contents['accounts']} accounts, "
        f"{contents['contacts']} contacts for {contents['contacts_seeded']} seeded: "
        + ("all as seeded, none twice" if not contents["problems"] else "; ".join(contents["problems"])),
    ]


def scaleout(args: argparse.Namespace) -> int:
    import redis

    counts = [int(n) for n in args.scaleout.split(",")]
    if not args.redis_url:
        raise SystemExit("--scaleout needs --redis-url (e.g. redis://127.0.0.1:6379/1)")
    rows = []
    for workers in counts:
        database = f"{args.scaleout_database}_w{workers}"
        _database(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
        _database(f"CREATE DATABASE {database}")
        redis.Redis.from_url(args.redis_url).flushdb()
        out = OUT / f"throughput-w{workers}.json"
        command = [
            sys.executable,
            "-m",
            "bench.throughput",
            "--opportunities",
            str(args.opportunities),
            "--latency-ms",
            str(args.latency_ms),
            "--jitter-ms",
            str(args.jitter_ms),
            "--sf-latency-ms",
            str(args.sf_latency_ms),
            "--concurrency",
            str(args.concurrency),
            "--workers",
            str(workers),
            "--q-workers",
            str(args.q_workers),
            "--web-workers",
            str(args.web_workers),
            "--database-url",
            f"postgres://postgres@127.0.0.1:5432/{database}",
            "--redis-url",
            args.redis_url,
            "--json-out",
            str(out),
        ]
        print(f"== {workers} worker process(es)", flush=True)
        try:
            subprocess.run(command, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, check=False)
        finally:
            _database(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
        if out.exists():
            rows.append(json.loads(out.read_text()))
    print()
    print_table(rows)
    (OUT / "throughput-scaleout.json").write_text(json.dumps(_envelope(args, rows), indent=2, default=str))
    print(f"wrote {(OUT / 'throughput-scaleout.json').relative_to(ROOT)}")
    return 0 if rows and not any(failed_checks(r) for r in rows) else 1


def _database(statement: str) -> None:
    """Create or drop a scale-out run's database (PostgreSQL at 127.0.0.1, user postgres, trust)."""
    import psycopg

    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as connection:
        connection.execute(statement.encode())


def _envelope(args: argparse.Namespace, rows: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
        "arguments": vars(args),
        "rows": rows,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--opportunities", type=int, default=2000)
    parser.add_argument("--latency-ms", type=float, default=50.0, help="NetSuite latency L (default 50)")
    parser.add_argument("--jitter-ms", type=float, default=0.0)
    parser.add_argument("--sf-latency-ms", type=float, default=0.0, help="Salesforce latency (default 0)")
    parser.add_argument("--concurrency", type=int, default=5, help="NetSuite concurrency limit C (default 5)")
    parser.add_argument("--workers", type=int, default=1, help="qcluster processes (default 1)")
    parser.add_argument("--q-workers", type=int, default=2, help="Q_WORKERS per process (default 2)")
    parser.add_argument("--web-workers", type=int, default=1, help="gunicorn processes (default 1)")
    parser.add_argument("--database-url", default="", help="an EMPTY database; default a temp SQLite file")
    parser.add_argument("--redis-url", default="", help="Redis broker and limiter; default the ORM broker")
    parser.add_argument("--timeout", type=float, default=1800.0)
    parser.add_argument("--keep-dir", action="store_true", help="keep the stack's temp dir (logs)")
    parser.add_argument("--json-out", type=Path, default=OUT / "throughput.json")
    parser.add_argument("--scaleout", default="", help="worker counts, e.g. 1,2,4 (PostgreSQL + Redis)")
    parser.add_argument(
        "--scaleout-database", default="concord_throughput", help="runs use <name>_w<workers>, dropped after"
    )
    args = parser.parse_args(argv)
    OUT.mkdir(parents=True, exist_ok=True)
    if args.scaleout:
        return scaleout(args)
    row = run_once(args)
    print()
    print_table([row])
    print()
    for line in verdict(row):
        print(line)
    print(
        f"wall {row['wall_seconds']} s (closing all {row['opportunities']} took "
        f"{row['close_won_seconds']} s); {row['jobs']} jobs, {row['mean_job_size']} opportunities each"
    )
    print(
        f"Concord workers' CPU: {row['worker_cpu_ms_per_opportunity']} ms per opportunity, "
        f"{row['worker_cpu_ms_per_netsuite_request']} ms per NetSuite request, i.e. "
        f"{row['worker_cores_at_bound']} cores at the bound; CPU s by process: {row['cpu_seconds']}"
    )
    print(
        f"load average before {row['load_average_before'][0]:.2f}, at the end "
        f"{row['load_average_during'][0]:.2f} ({os.cpu_count()} CPUs)"
    )
    args.json_out.parent.mkdir(parents=True, exist_ok=True)
    args.json_out.write_text(json.dumps({**_envelope(args, [row]), **row}, indent=2, default=str))
    print(f"wrote {args.json_out}")
    failed = failed_checks(row)
    for line in failed:
        print(f"FAILED: {line}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
