"""A backfill whose worker dies mid-batch, with real ``qcluster`` processes (issue 18, point 7).

    python -m bench.interrupted --scenario kill --json out.json [--database-url URL] [--redis-url URL]

Starts a :class:`bench.stack.Stack` (simulators, one qcluster; ORM broker on the stack's database, or
Redis), sets every seeded opportunity Closed Won and starts a backfill in small batches. Then:

- ``kill``: once a batch is part-way (its job has stored some records, not all), SIGKILLs the qcluster and
  every worker it forked, and starts a new one;
- ``timeout``: the batches are too long for ``Q_TIMEOUT``: django-q2 stops the first one part-way.

Once that has happened (the kill; the first batch that fitted after shrinking) NetSuite's latency drops
to nothing: the rest of the backfill only has to finish, and slow answers there would be waiting, not
the behaviour under test.

Meanwhile it runs the interrupted-work sweep every second, as the schedule would every minute, until
the backfill is done, and writes what happened (the sweeps' findings, the backfill, its jobs, sales
orders per opportunity in NetSuite) to ``--json``. tests/reliability/test_interrupted.py checks it.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

from bench.soak import postgres_database_ensure
from bench.stack import SimulatorSettings, Stack, StackConfig

LEASE_SECONDS = 3
SLOT_LEASE_SECONDS = 6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scenario", choices=["kill", "timeout"], required=True)
    parser.add_argument("--opportunities", type=int, default=16)
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--q-timeout", type=int, default=60)
    parser.add_argument("--latency-ms", type=float, default=150)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--redis-url", default="")
    parser.add_argument("--timeout", type=float, default=150, help="give up after this many seconds")
    parser.add_argument("--var-dir", type=Path, default=None)
    parser.add_argument("--json", type=Path, required=True)
    args = parser.parse_args()
    config = StackConfig(
        opportunities=args.opportunities,
        # Two requests at a time, each slow: a batch takes long enough to be caught part-way, and its
        # time grows with its size. The slots of a killed worker come back after SLOT_LEASE_SECONDS.
        netsuite=SimulatorSettings(latency_ms=args.latency_ms),
        connection_concurrency_limit=2,
        workers=1,
        q_workers=1,
        database_url=args.database_url,
        redis_url=args.redis_url,
        root=args.var_dir,
        keep_dir=args.var_dir is not None,
        extra_env={
            "JOB_LEASE_SECONDS": str(LEASE_SECONDS),
            "NETSUITE_SLOT_LEASE_SECONDS": str(SLOT_LEASE_SECONDS),
            "BACKFILL_AUTO_RESUMES": "5",
            "Q_TIMEOUT": str(args.q_timeout),
            "Q_RETRY": str(args.q_timeout + 5),
            "Q_POLL_MS": "100",
        },
    )
    if args.database_url.startswith("postgres"):
        postgres_database_ensure(args.database_url)
    if args.redis_url:
        import redis

        redis.Redis.from_url(args.redis_url).flushdb()  # a broker queue of our own, empty
    report: dict[str, Any] = {"scenario": args.scenario, "broker": "redis" if args.redis_url else "orm"}
    with Stack(config) as stack:
        report.update(run(stack, args))
    args.json.write_text(json.dumps(report, indent=1, default=str))


def run(stack: Stack, args: argparse.Namespace) -> dict[str, Any]:
    import datetime as dt

    from sync.pipeline.backfills import backfill_enqueue
    from sync.pipeline.models import Backfill, BackfillStatus, JobStatus, SyncJob, SyncRecord
    from sync.pipeline.sweeps import interrupted_sweep

    ids = stack.opportunity_ids()
    stack.close_won(ids)  # no listener: only the backfill syncs them
    backfill = Backfill.objects.create(
        salesforce_connection=stack.salesforce_connection(),
        netsuite_connection=stack.netsuite_connection(),
        since=dt.date(2000, 1, 1),
        batch_size=args.batch,
        heartbeat_at=dt.datetime.now(dt.UTC),
    )
    backfill_enqueue(backfill_id=backfill.pk, step=0)
    found: dict[str, list[int]] = {"jobs": [], "backfills": [], "resumed": []}
    kill: dict[str, Any] = {}
    fit: dict[str, Any] = {}  # timeout: the first batch that fitted (after it, NetSuite answers at once)
    claimed_once = False
    started = time.monotonic()
    while True:
        if time.monotonic() - started > args.timeout:
            break
        backfill.refresh_from_db()
        if backfill.status in (BackfillStatus.SUCCEEDED, BackfillStatus.FAILED, BackfillStatus.INTERRUPTED):
            break
        if args.scenario == "kill" and not kill:
            running = SyncJob.objects.filter(status=JobStatus.RUNNING, trigger="backfill").first()
            finished = running.records.exclude(finished_at=None).count() if running else 0
            if running is not None and backfill.batches >= 1 and 0 < finished < running.records_total:
                stack.kill_worker(0)
                kill = {
                    "job": running.pk,
                    "records_finished": finished,
                    "records_total": running.records_total,
                    "batches_done": backfill.batches,
                    "backfill_status": Backfill.objects.get(pk=backfill.pk).status,
                }
                # What is under test happened: a batch killed part-way. The rest is the resume, which
                # needs no slow answers: NetSuite answers at once from here on.
                stack.governance("netsuite", latency_ms=0)
                stack.start_worker()
        if args.scenario == "timeout" and not fit:
            first_fit = (
                SyncJob.objects.filter(status=JobStatus.SUCCEEDED, trigger="backfill")
                .order_by("pk")
                .values("pk", "records_total")
                .first()
            )
            if first_fit is not None:
                # What is under test happened: batches too long for Q_TIMEOUT were stopped and the
                # backfill shrank them until one fitted. The rest needs no slow answers.
                fit = first_fit
                stack.governance("netsuite", latency_ms=0)
        if backfill.status == BackfillStatus.RUNNING:
            claimed_once = True
        if not claimed_once:  # the worker is still starting: nothing to sweep yet
            time.sleep(0.2)
            continue
        result = interrupted_sweep()
        found["jobs"] += result.jobs_interrupted
        found["backfills"] += result.backfills_interrupted
        found["resumed"] += result.backfills_resumed
        time.sleep(0.5 if args.scenario == "kill" and not kill else 1.0)
    backfill.refresh_from_db()
    jobs = list(
        SyncJob.objects.filter(trigger="backfill")
        .order_by("pk")
        .values("pk", "status", "records_total", "records_synced", "message")
    )
    records = SyncRecord.objects.filter(job__trigger="backfill")
    return {
        "seconds": round(time.monotonic() - started, 1),
        "opportunities": len(ids),
        "kill": kill,
        "fit": fit,
        "found": found,
        "backfill": {
            "status": backfill.status,
            "total": backfill.total,
            "done": backfill.done,
            "failed": backfill.failed,
            "batches": backfill.batches,
            "batch_size": backfill.batch_size,
            "interruptions": backfill.interruptions,
            "error": backfill.error,
        },
        "jobs": jobs,
        "synced_records": sorted(
            records.filter(status="synced", job__status=JobStatus.SUCCEEDED).values_list(
                "opportunity_id", flat=True
            )
        ),
        "sales_orders": stack.sales_order_counts(ids),
    }


if __name__ == "__main__":
    main()
