"""Driver: an exception retry held by a worker killed with SIGKILL, with the Redis broker and a real
``qcluster`` (issue 25, point 7).

    python -m tests.reliability.lost_retry_kill --redis-url URL --json out.json [--database-url URL]

Starts a :class:`bench.stack.Stack` (both simulators, one qcluster with one worker: ``Q_WORKERS=1``), sets
one opportunity Closed Won (no listener: nothing syncs it but the retry) and opens the exception its
failed sync would have opened, retried by ``sync.pipeline.failures.opportunity_resync``. Then:

1. the worker is made busy with a long task (``time.sleep``), and the retry is asked for: the cluster's
   pusher pops the retry's task from Redis (``BLPOP``, no acknowledgement) into its own queue, behind
   the busy worker; once Redis holds nothing, the retry is still pending and only the cluster has it;
2. the qcluster and everything it forked get SIGKILL: the task is gone (Redis is empty, nothing will
   hand it out again);
3. the interrupted-work sweep runs twice before a new worker starts (the lease is 3 s): the retry is
   still pending, so each sends its task again, two copies waiting in Redis, as a double delivery;
4. a new worker starts; the sweep runs every second, as the schedule would every minute, until the
   opportunity is synced (sending the task again on each run until the worker, still starting, claims
   one copy), and a few more times.

Writes what happened to ``--json`` for tests/reliability/test_lost_tasks.py.
"""

from __future__ import annotations

import argparse
import importlib
import json
import time
from pathlib import Path
from typing import Any

from bench.stack import Stack, StackConfig

LEASE_SECONDS = 3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--redis-url", required=True)
    parser.add_argument("--timeout", type=float, default=90)
    parser.add_argument("--var-dir", type=Path, default=None)
    parser.add_argument("--json", type=Path, required=True)
    args = parser.parse_args()
    config = StackConfig(
        opportunities=2,
        workers=1,
        q_workers=1,  # one task at a time: the retry waits in the cluster's own queue behind the sleep
        database_url=args.database_url,
        redis_url=args.redis_url,
        root=args.var_dir,
        keep_dir=args.var_dir is not None,
        extra_env={"JOB_LEASE_SECONDS": str(LEASE_SECONDS), "Q_POLL_MS": "100"},
    )
    if args.database_url.startswith("postgres"):
        importlib.import_module("bench.soak").postgres_database_ensure(args.database_url)
    import redis

    redis.Redis.from_url(args.redis_url).flushdb()  # a broker queue of our own, empty
    report: dict[str, Any] = {"broker": "redis"}
    with Stack(config) as stack:
        report.update(run(stack, args))
    args.json.write_text(json.dumps(report, indent=1, default=str))


def _wait(condition: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(what)
        time.sleep(0.1)


def run(stack: Stack, args: argparse.Namespace) -> dict[str, Any]:
    from django.db import transaction
    from django_q.brokers import get_broker
    from django_q.tasks import async_task

    from sync.exceptions.models import ExceptionRetry, RetryStatus
    from sync.exceptions.retry import retry_enqueue
    from sync.exceptions.services import exception_raise
    from sync.pipeline.failures import sync_dedup_key
    from sync.pipeline.models import InboxMessage
    from sync.pipeline.sweeps import interrupted_sweep

    broker = get_broker()
    opportunity = stack.opportunity_ids()[0]
    stack.close_won([opportunity])
    sf, ns = stack.salesforce_connection(), stack.netsuite_connection()
    item = exception_raise(
        category="sync_failure",
        dedup_key=sync_dedup_key(netsuite_connection_id=ns.pk, opportunity_id=opportunity),
        title="NetSuite refused the sales order",
        vendor_message="simulated: the first sync failed",
        retry_task="sync.pipeline.failures.opportunity_resync",
        retry_kwargs={
            "opportunity_id": opportunity,
            "salesforce_connection_id": sf.pk,
            "netsuite_connection_id": ns.pk,
        },
    )
    report: dict[str, Any] = {"opportunity": opportunity, "exception": item.pk}
    started = time.monotonic()

    # 1. A busy worker; the retry popped from Redis into the cluster's queue behind it.
    _wait(lambda: bool(stack.worker_pids()), 30, "the worker did not start")
    async_task("time.sleep", 60, task_name="busy worker")
    _wait(lambda: broker.queue_size() == 0, 30, "the worker never took the long task")
    time.sleep(0.5)  # the long task has left the pusher's queue for the worker
    with transaction.atomic():
        retry = retry_enqueue(item=item, overrides={})
    _wait(lambda: broker.queue_size() == 0, 30, "the cluster never popped the retry's task")
    time.sleep(0.5)
    retry.refresh_from_db()
    report["before_kill"] = {"redis_queue": broker.queue_size(), "retry_status": retry.status}

    # 2. The cluster dies holding it.
    stack.kill_worker(0)
    time.sleep(LEASE_SECONDS + 0.5)
    retry.refresh_from_db()
    report["after_kill"] = {"redis_queue": broker.queue_size(), "retry_status": retry.status}

    # 3. Two sweeps before any worker runs: two copies of the task wait in Redis.
    sent_again: list[int] = []
    for _ in range(2):
        sent_again += interrupted_sweep().requeued.get("exception-retries", [])
    report["queued_before_restart"] = broker.queue_size()

    # 4. A new worker; the sweep every second until the opportunity is synced, then three more times.
    stack.start_worker()
    synced_at = None
    sent_after_sync: list[int] = []
    while time.monotonic() - started < args.timeout:
        sent = interrupted_sweep().requeued.get("exception-retries", [])
        (sent_again if synced_at is None else sent_after_sync).extend(sent)
        if synced_at is None and stack.sales_order_counts([opportunity])[opportunity] >= 1:
            synced_at = time.monotonic()
        if synced_at is not None and time.monotonic() - synced_at > 3:
            break
        time.sleep(1.0)
    retry.refresh_from_db()
    item.refresh_from_db()
    return {
        **report,
        "seconds": round(time.monotonic() - started, 1),
        "sent_again": sent_again,  # each still-pending sweep sends it: until the new worker claims it
        "sent_after_sync": sent_after_sync,
        "retry": {"pk": retry.pk, "status": retry.status, "finished_at": retry.finished_at},
        "retries": list(ExceptionRetry.objects.filter(item=item).values_list("status", flat=True)),
        "pending_left": ExceptionRetry.objects.filter(status=RetryStatus.PENDING).count(),
        "exception_status": item.status,
        "inbox": list(InboxMessage.objects.filter(record_id=opportunity).values_list("source", "status")),
        "sales_orders": stack.sales_order_counts([opportunity]),
        "redis_queue_at_end": broker.queue_size(),
    }


if __name__ == "__main__":
    main()
