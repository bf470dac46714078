"""Outbound Message notifications accepted per second, against a bare Django view, with workers draining.

Issue 12: ratio >= 0.5; issue 26: >= 0.7 on PostgreSQL, one database round trip per notification.

    PYTHONPATH=. .venv/bin/python -m bench.ingest [--duration 6] [--rounds 2] [--clients 4] \
        [--workers 2] [--threads 2] [--q-workers 2] [--opportunities 50] \
        [--database-url postgres://...] [--redis-url redis://...]

A whole stack (bench/stack.py) in a temporary directory: the Salesforce and NetSuite simulators (seeded
with ``--opportunities`` accounts, one open opportunity each), a throw-away database migrated (a
temporary SQLite file unless ``--database-url`` names an EMPTY one, e.g. after ``createdb -h 127.0.0.1 -U
postgres concord_ingest_bench``; drop it afterwards), connections to both simulators, a Closed Won
listener created through ``listener_create``; ONE gunicorn process (gthread workers, so keep-alive holds;
DEBUG off, the production middleware stack) serving the project with the settings of
bench/ingest_settings.py: the product's URLs unchanged plus ``/bench/bare/``, a view that reads the body
and answers ``ok``; and ONE ``manage.py qcluster`` process with ``--q-workers`` workers (django-q2's ORM
broker, or Redis with ``--redis-url``), which drains the inbox while the clients post: each request's
commit asks for a drain as in production (one queued at a time), a worker claims the pending rows and
runs them as a sync job (the opportunities, read from the Salesforce simulator, are not Closed Won, so
the job judges them not due: the claim, the job and the inbox rows' completion are real, the NetSuite
writes are not made). Client *processes* (one keep-alive ``requests.Session`` each) then POST back to
back for ``--duration`` seconds to one endpoint, then the other, alternating for ``--rounds`` rounds
(after an unmeasured ``--warmup`` round):

- ingest: a real Outbound Message envelope (simulators/salesforce/soap.py) carrying ``--per-message``
  notifications, each with a notification id never sent before (so de-duplication never shortcuts) and
  one of the seeded opportunities; the answer must be exactly ``sync.pipeline.listener.soap.ACK``;
- bare: the same envelope bytes to ``/bench/bare/``, so both sides pay for the same upload.

Checks afterwards: every ingest answer was the exact Ack; the inbox holds exactly one row per acknowledged
notification (row count and distinct ids); and, once the workers have finished (``--drain-timeout``),
every row is done, under a job. Output: a table (requests, req/s, notifications/s, p50/p95), the ratio,
the rows drained during the measured ingest phases and the jobs, and bench/out/ingest.json. Clients,
server, workers and simulators share the cores.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import requests

from bench.stack import Stack, StackConfig

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out" / "ingest.json"
GOAL_SQLITE = 0.5  # issue 12
GOAL_POSTGRESQL = 0.7  # issue 26


@dataclass
class Phase:
    endpoint: str
    round: int
    requests: int
    notifications: int
    seconds: float
    errors: int
    latencies_ms: list[float]
    drained_after: int = 0  # inbox rows done when the phase ended
    cpu_seconds: dict[str, float] | None = None  # used by each child (web, worker-0, simulators) meanwhile


@dataclass
class Row:
    endpoint: str
    requests: int
    notifications: int
    seconds: float
    per_second: float
    notifications_per_second: float
    errors: int
    p50_ms: float
    p95_ms: float


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


# -- client processes -----------------------------------------------------------------------------------


def envelope(ids: list[str], records: list[str] | None = None) -> bytes:
    from simulators.salesforce import soap as sim_soap
    from simulators.salesforce.org import DEFAULT_ORG_ID

    records = records or ["0065g00000AbCdEAAA"] * len(ids)
    return sim_soap.envelope(
        organization_id=DEFAULT_ORG_ID,
        action_id="04k000000000001AAA",
        session_id=None,
        enterprise_url="https://sf.example/services/Soap/c/62.0",
        partner_url="https://sf.example/services/Soap/u/62.0",
        notifications=[
            sim_soap.Notification(
                i,
                "Opportunity",
                (("Id", record), ("StageName", "Closed Won"), ("Amount", "1200")),
            )
            for i, record in zip(ids, records, strict=True)
        ],
    )


def client(
    url: str,
    prefix: str,
    per_message: int,
    check_ack: bool,
    deadline: float,
    out: Any,
    opportunities: list[str],
) -> None:
    """POST back to back until ``deadline`` (time.time()); put (requests, notifications, errors, ms)."""
    from sync.pipeline.listener.soap import ACK

    session = requests.Session()
    session.trust_env = False
    headers = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": '""'}
    sent = ok_notifications = errors = 0
    latencies: list[float] = []
    counter = 0
    while time.time() < deadline:
        ids = []
        records = []
        for _ in range(per_message):
            counter += 1
            ids.append(f"04l{prefix}{counter:09d}AAA")  # 3 + 3 + 9 + 3 = 18 characters, like Salesforce's
            records.append(opportunities[counter % len(opportunities)])
        body = envelope(ids, records)
        started = time.perf_counter()
        try:
            answer = session.post(url, data=body, headers=headers, timeout=30)
        except requests.RequestException:
            errors += 1
            continue
        latencies.append((time.perf_counter() - started) * 1000)
        sent += 1
        good = answer.status_code == 200 and (
            answer.content == ACK if check_ack else answer.content == b"ok\n"
        )
        if good:
            ok_notifications += per_message
        else:
            errors += 1
    out.put((sent, ok_notifications, errors, latencies))


def run_phase(
    endpoint: str,
    url: str,
    round_no: int,
    clients: int,
    per_message: int,
    duration: float,
    phase_no: int,
    opportunities: list[str],
) -> Phase:
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    start_at = time.time() + 1.5  # spawn start-up outside the measured window
    deadline = start_at + duration
    processes = [
        context.Process(
            target=_client_main,
            args=(
                url,
                f"{phase_no:01d}{n:02d}",
                per_message,
                endpoint == "ingest",
                start_at,
                deadline,
                queue,
                opportunities,
            ),
        )
        for n in range(clients)
    ]
    for process in processes:
        process.start()
    results = [queue.get(timeout=duration + 120) for _ in processes]
    for process in processes:
        process.join()
    latencies = [value for result in results for value in result[3]]
    return Phase(
        endpoint,
        round_no,
        requests=sum(r[0] for r in results),
        notifications=sum(r[1] for r in results),
        seconds=duration,
        errors=sum(r[2] for r in results),
        latencies_ms=latencies,
    )


def _client_main(
    url: str,
    prefix: str,
    per_message: int,
    check_ack: bool,
    start_at: float,
    deadline: float,
    out: Any,
    opportunities: list[str],
) -> None:
    sys.path.insert(0, str(ROOT))
    envelope(["04l000000000000AAA"])  # import and warm the envelope builder before the window opens
    time.sleep(max(0.0, start_at - time.time()))
    client(url, prefix, per_message, check_ack, deadline, out, opportunities)


# -- main -----------------------------------------------------------------------------------------------


def summarise(phases: list[Phase], endpoint: str, per_message: int) -> Row:
    mine = [p for p in phases if p.endpoint == endpoint and p.round > 0]
    seconds = sum(p.seconds for p in mine)
    sent = sum(p.requests for p in mine)
    latencies = [value for p in mine for value in p.latencies_ms]
    notifications = sum(p.notifications for p in mine) if endpoint == "ingest" else sent * per_message
    return Row(
        endpoint,
        sent,
        notifications,
        round(seconds, 1),
        round(sent / seconds, 1),
        round(notifications / seconds, 1),
        sum(p.errors for p in mine),
        round(percentile(latencies, 0.50), 2),
        round(percentile(latencies, 0.95), 2),
    )


def cpu_per_request(phases: list[Phase]) -> dict[str, dict[str, float]]:
    """CPU milliseconds per request of the web server and of the qcluster, by endpoint (measured rounds);
    the workers' includes their idle polling, which the bare phases show alone."""
    found: dict[str, dict[str, float]] = {}
    for endpoint in ("bare", "ingest"):
        mine = [p for p in phases if p.endpoint == endpoint and p.round > 0 and p.cpu_seconds]
        sent = sum(p.requests for p in mine) or 1
        web = sum((p.cpu_seconds or {}).get("web", 0.0) for p in mine)
        workers = sum(
            value for p in mine for name, value in (p.cpu_seconds or {}).items() if name.startswith("worker")
        )
        found[endpoint] = {
            "web_ms": round(web * 1000 / sent, 2),
            "workers_ms": round(workers * 1000 / sent, 2),
        }
    return found


def inbox_done() -> int:
    from sync.pipeline.models import InboxMessage, InboxStatus

    return InboxMessage.objects.filter(status=InboxStatus.DONE).count()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--duration", type=float, default=6.0, help="seconds per phase (default 6)")
    parser.add_argument("--warmup", type=float, default=2.0, help="unmeasured seconds per endpoint first")
    parser.add_argument("--rounds", type=int, default=2, help="bare/ingest pairs, alternating (default 2)")
    parser.add_argument("--clients", type=int, default=4, help="client processes (default 4)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    parser.add_argument("--threads", type=int, default=2, help="threads per gunicorn worker (default 2)")
    parser.add_argument(
        "--q-workers", type=int, default=2, help="django-q2 workers draining the inbox (default 2)"
    )
    parser.add_argument(
        "--opportunities", type=int, default=50, help="seeded opportunities the notifications name"
    )
    parser.add_argument("--per-message", type=int, default=1, help="notifications per envelope (default 1)")
    parser.add_argument(
        "--database-url", default="", help="an EMPTY throw-away database; default a temp SQLite file"
    )
    parser.add_argument("--redis-url", default="", help="django-q2's broker; default the ORM broker")
    parser.add_argument(
        "--drain-timeout", type=float, default=300.0, help="seconds to wait for the workers to finish"
    )
    args = parser.parse_args()

    config = StackConfig(
        opportunities=args.opportunities,
        workers=1,
        q_workers=args.q_workers,
        web=True,
        web_workers=args.workers,
        web_threads=args.threads,
        database_url=args.database_url,
        redis_url=args.redis_url,
        extra_env={"DJANGO_SETTINGS_MODULE": "bench.ingest_settings"},
    )
    load_before = os.getloadavg()
    with Stack(config) as stack:
        from django.db import connection

        from sync.pipeline.models import InboxMessage, InboxStatus, SyncJob

        opportunities = stack.opportunity_ids()
        urls = {"bare": f"{stack.web_url}/bench/bare/", "ingest": stack.listener_url}
        phases: list[Phase] = []
        phase_no = 0
        # Round 0 warms both endpoints up (workers' first requests); it counts for correctness only.
        for round_no in range(0 if args.warmup > 0 else 1, args.rounds + 1):
            for endpoint in ("bare", "ingest"):
                phase_no += 1
                cpu_before = stack.cpu_seconds()
                phase = run_phase(
                    endpoint,
                    urls[endpoint],
                    round_no,
                    args.clients,
                    args.per_message,
                    args.duration if round_no else args.warmup,
                    phase_no,
                    opportunities,
                )
                phase.drained_after = inbox_done()
                cpu_after = stack.cpu_seconds()
                phase.cpu_seconds = {
                    name: round(cpu_after.get(name, 0.0) - cpu_before.get(name, 0.0), 2) for name in cpu_after
                }
                connection.close()
                phases.append(phase)
                cpu = "  ".join(f"{name} {value:.1f}" for name, value in sorted(phase.cpu_seconds.items()))
                print(
                    f"  round {round_no} {endpoint:6s} {phase.requests / phase.seconds:8.1f} req/s"
                    f"  errors {phase.errors}  inbox rows done {phase.drained_after}  CPU s: {cpu}",
                    flush=True,
                )
        load_after = os.getloadavg()
        # Drained while the clients posted: rows done by the end of each measured ingest phase, less those
        # done by its start (the end of the bare phase before it, when the backlog may still be draining).
        drained_measured = 0
        for before, after in zip(phases, phases[1:], strict=False):
            if after.endpoint == "ingest" and after.round > 0:
                drained_measured += after.drained_after - before.drained_after
        acknowledged = sum(p.notifications for p in phases if p.endpoint == "ingest")  # warm-up included
        started = time.monotonic()
        try:
            stack.wait_until(lambda: stack.inbox_pending() == 0, timeout=args.drain_timeout)
        except TimeoutError:
            pass
        rest_seconds = time.monotonic() - started
        rows = InboxMessage.objects.count()
        distinct = InboxMessage.objects.values("notification_id").distinct().count()
        done = InboxMessage.objects.filter(status=InboxStatus.DONE).exclude(job=None).count()
        jobs = SyncJob.objects.count()
        connection.close()
        logs = "\n".join(
            f"--- {log.name}\n" + log.read_text(errors="replace")[-3000:] for log in stack.logs.glob("*.log")
        )

    bare = summarise(phases, "bare", args.per_message)
    ingest = summarise(phases, "ingest", args.per_message)
    ratio = ingest.per_second / bare.per_second if bare.per_second else 0.0
    errors = sum(p.errors for p in phases)
    exactly_once = rows == acknowledged == distinct
    all_drained = done == rows
    correct = exactly_once and errors == 0 and all_drained and drained_measured > 0
    database = "postgresql" if args.database_url.startswith("postgres") else "sqlite"
    goal = GOAL_POSTGRESQL if database == "postgresql" else GOAL_SQLITE

    print()
    print(
        f"{'endpoint':8s} {'requests':>9s} {'seconds':>8s} {'req/s':>8s} {'notif/s':>8s} {'errors':>7s} "
        f"{'p50 ms':>7s} {'p95 ms':>7s}"
    )
    for row in (bare, ingest):
        print(
            f"{row.endpoint:8s} {row.requests:9d} {row.seconds:8.1f} {row.per_second:8.1f} "
            f"{row.notifications_per_second:8.1f} {row.errors:7d} {row.p50_ms:7.2f} {row.p95_ms:7.2f}"
        )
    print()
    print(
        f"ratio ingest/bare (requests/s): {ratio:.2f}"
        f"  (goal on {database} >= {goal}: {'met' if ratio >= goal else 'NOT met'})"
    )
    print(
        f"inbox rows {rows}, distinct ids {distinct}, acknowledged notifications {acknowledged}: "
        f"{'exactly once' if exactly_once else 'MISMATCH'}; every answer the exact Ack: {errors == 0}"
    )
    print(
        f"drained by {args.q_workers} workers during the measured ingest phases: {drained_measured} rows; "
        f"all {done} of {rows} rows done under {jobs} jobs {rest_seconds:.1f} s after the last phase"
        f"{'' if all_drained else ' -- NOT ALL DRAINED'}"
    )
    cpu_use = cpu_per_request(phases)
    print(
        "CPU per request (measured rounds): "
        + "; ".join(
            f"{endpoint}: web {values['web_ms']:.2f} ms, workers {values['workers_ms']:.2f} ms"
            for endpoint, values in cpu_use.items()
        )
    )
    print(f"load average before {load_before[0]:.2f}, after {load_after[0]:.2f} ({os.cpu_count()} CPUs)")

    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(
        json.dumps(
            {
                "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
                "load_average_before": load_before,
                "load_average_after": load_after,
                "database": database,
                "broker": "redis" if args.redis_url else "orm",
                "server": f"gunicorn gthread, {args.workers} workers x {args.threads} threads",
                "arguments": vars(args),
                "rows": [asdict(bare), asdict(ingest)],
                "phases": [{**asdict(p), "latencies_ms": None} for p in phases],
                "ratio": round(ratio, 3),
                "goal": goal,
                "acknowledged_notifications": acknowledged,
                "inbox_rows": rows,
                "distinct_notification_ids": distinct,
                "cpu_per_request_ms": cpu_use,
                "drained_during_measured_ingest": drained_measured,
                "inbox_rows_done": done,
                "jobs": jobs,
                "seconds_to_drain_the_rest": round(rest_seconds, 1),
                "correct": correct,
            },
            indent=2,
        )
    )
    print(f"wrote {OUT.relative_to(ROOT)}")
    if not correct:
        print(logs, file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
