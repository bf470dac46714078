"""Driver: a task held by a worker killed with SIGKILL, with the Redis broker and a real ``qcluster``
(issue 25, point 7): ``--scenario retry`` (an exception retry) or ``--scenario ticket`` (a ticket's
delivery to the tracker's webhook).

    python -m tests.reliability.lost_task_kill --scenario retry --redis-url URL --json out.json \
        [--database-url URL]

``retry``:

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

``ticket``: the same busy worker and kill, holding ``ticket_deliver_task`` of a ticket opened for an
exception (the webhook is a small HTTP server in this process, counting deliveries by ticket). Then a new
worker, and every second the ticket schedule's task (``tickets_deliver_due_task``) is queued, as the
schedule would every minute, until the ticket is delivered; then the lost task turns up after all (a copy
queued again) and must deliver nothing twice.

Writes what happened to ``--json`` for tests/reliability/test_lost_tasks.py.
"""

from __future__ import annotations

import argparse
import importlib
import json
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from bench.stack import Stack, StackConfig

LEASE_SECONDS = 3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scenario", choices=["retry", "ticket"], required=True)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--redis-url", required=True)
    parser.add_argument("--timeout", type=float, default=90)
    parser.add_argument("--var-dir", type=Path, default=None)
    parser.add_argument("--json", type=Path, required=True)
    args = parser.parse_args()
    webhook = TicketWebhook()
    config = StackConfig(
        opportunities=2,
        workers=1,
        q_workers=1,  # one task at a time: the retry waits in the cluster's own queue behind the sleep
        database_url=args.database_url,
        redis_url=args.redis_url,
        root=args.var_dir,
        keep_dir=args.var_dir is not None,
        extra_env={
            "JOB_LEASE_SECONDS": str(LEASE_SECONDS),
            "Q_POLL_MS": "100",
            "EXCEPTION_TICKET_WEBHOOK_URL": webhook.url,
            "EXCEPTION_TICKET_WEBHOOK_SECRET": "lost-task-test",
        },
    )
    if args.database_url.startswith("postgres"):
        importlib.import_module("bench.soak").postgres_database_ensure(args.database_url)
    import redis

    redis.Redis.from_url(args.redis_url).flushdb()  # a broker queue of our own, empty
    report: dict[str, Any] = {"broker": "redis", "scenario": args.scenario}
    try:
        with Stack(config) as stack:
            report.update(
                run_retry(stack, args) if args.scenario == "retry" else run_ticket(stack, args, webhook)
            )
    finally:
        webhook.close()
    args.json.write_text(json.dumps(report, indent=1, default=str))


def _wait(condition: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(what)
        time.sleep(0.1)


class TicketWebhook:
    """The tracker's webhook: answers 201 with a key, and counts deliveries by ``X-Concord-Ticket``."""

    def __init__(self) -> None:
        self.received: Counter[str] = Counter()
        received = self.received

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                received[self.headers.get("X-Concord-Ticket", "")] += 1
                body = json.dumps({"key": f"OPS-{sum(received.values())}"}).encode()
                self.send_response(201)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/tickets"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()


def hold_and_kill(stack: Stack, enqueue: Any, pending: Any) -> dict[str, Any]:
    """Make the only worker busy, ``enqueue()`` the task under test, wait until the cluster has popped it
    from Redis, then SIGKILL the cluster; returns Redis' queue size and ``pending()`` before and after."""
    from django_q.brokers import get_broker
    from django_q.tasks import async_task

    broker = get_broker()
    _wait(lambda: bool(stack.worker_pids()), 30, "the worker did not start")
    async_task("time.sleep", 60, task_name="busy worker")
    _wait(lambda: broker.queue_size() == 0, 30, "the worker never took the long task")
    time.sleep(0.5)  # the long task has left the pusher's queue for the worker
    enqueue()
    _wait(lambda: broker.queue_size() == 0, 30, "the cluster never popped the task under test")
    time.sleep(0.5)
    before = {"redis_queue": broker.queue_size(), "pending": pending()}
    stack.kill_worker(0)
    time.sleep(LEASE_SECONDS + 0.5)
    return {"before_kill": before, "after_kill": {"redis_queue": broker.queue_size(), "pending": pending()}}


def _exception(opportunity: str, stack: Stack) -> Any:
    from sync.exceptions.services import exception_raise
    from sync.pipeline.failures import sync_dedup_key

    sf, ns = stack.salesforce_connection(), stack.netsuite_connection()
    return exception_raise(
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


def run_ticket(stack: Stack, args: argparse.Namespace, webhook: TicketWebhook) -> dict[str, Any]:
    from django.db import transaction
    from django_q.tasks import async_task

    from sync.exceptions.models import Ticket, TicketStatus
    from sync.exceptions.tickets import ticket_open

    item = _exception(stack.opportunity_ids()[0], stack)
    started = time.monotonic()
    opened: list[int] = []

    def enqueue() -> None:
        with transaction.atomic():
            opened.append(ticket_open(item=item).pk)

    report = hold_and_kill(
        stack, enqueue, lambda: Ticket.objects.filter(status=TicketStatus.PENDING).count() == 1
    )
    report["delivered_before_restart"] = dict(webhook.received)
    stack.start_worker()
    ticket = Ticket.objects.get(pk=opened[0])
    while time.monotonic() - started < args.timeout:
        ticket.refresh_from_db()
        if ticket.status != TicketStatus.PENDING:
            break
        async_task("sync.tasks.tickets_deliver_due_task", task_name="tickets due (the schedule's tick)")
        time.sleep(1.0)
    # The lost task turns up after all: a second delivery of the same ticket.
    async_task("sync.tasks.ticket_deliver_task", ticket.pk, task_name=f"ticket-{ticket.pk} (again)")
    async_task("sync.tasks.tickets_deliver_due_task", task_name="tickets due (the next tick)")
    time.sleep(4.0)
    ticket.refresh_from_db()
    return {
        **report,
        "seconds": round(time.monotonic() - started, 1),
        "ticket": {
            "pk": ticket.pk,
            "status": ticket.status,
            "attempts": ticket.attempts,
            "ref": ticket.external_ref,
        },
        "received": dict(webhook.received),
    }


def run_retry(stack: Stack, args: argparse.Namespace) -> dict[str, Any]:
    from django.db import transaction
    from django_q.brokers import get_broker

    from sync.exceptions.models import ExceptionRetry, RetryStatus
    from sync.exceptions.retry import retry_enqueue
    from sync.pipeline.models import InboxMessage
    from sync.pipeline.sweeps import interrupted_sweep

    broker = get_broker()
    opportunity = stack.opportunity_ids()[0]
    stack.close_won([opportunity])
    item = _exception(opportunity, stack)
    started = time.monotonic()
    retries: list[ExceptionRetry] = []

    def enqueue() -> None:
        with transaction.atomic():
            retries.append(retry_enqueue(item=item, overrides={}))

    # 1-2. A busy worker, the retry popped from Redis into the cluster's queue behind it; the cluster dies.
    report: dict[str, Any] = {
        "opportunity": opportunity,
        "exception": item.pk,
        **hold_and_kill(
            stack, enqueue, lambda: ExceptionRetry.objects.filter(status=RetryStatus.PENDING).count() == 1
        ),
    }
    retry = retries[0]

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
