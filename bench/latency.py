"""Closed Won -> sales order in NetSuite: p50 and p95, against the critical path of remote calls (issue 26:
p95 at most 1.2x the sequential calls actually on the path to the order).

    PYTHONPATH=. .venv/bin/python -m bench.latency [--opportunities 100] [--latency-ms 50] \
        [--interval 0.75] [--warmup 3] [--q-workers 2] [--q-poll-ms 200] [--database-url postgres://...] \
        [--redis-url redis://127.0.0.1:6379/N]

The whole real path, as separate processes (bench/stack.py): the Salesforce and NetSuite simulators,
both answering every request after ``--latency-ms`` L; gunicorn serving the Outbound Message listener;
one ``manage.py qcluster`` (``--q-workers`` workers). The Salesforce simulator's outbound message rule
posts each Closed Won change to the listener, which stores it in the inbox; a worker drains it, reads
the opportunity's graph from Salesforce and writes customer, contacts, billing account and sales order
(and subscriptions) to NetSuite, then writes the NetSuite ids back to Salesforce.

Opportunities are set Closed Won one at a time, one every ``--interval`` seconds, by this process
through the Salesforce API (one connector, so one request per change), after ``--warmup`` unmeasured
ones (the connections are warm: signed in, environment checked, items known). Per opportunity:

- start: when that API call returned (the change is committed by then; the simulator applies its
  latency before handling a request, so the commit is at most one round trip earlier);
- end: when the sales order exists in NetSuite: a thread polls the NetSuite simulator's own store (its
  SQLite file, read-only, every ``--poll-ms``) for a salesOrder with the opportunity's id as externalId,
  so polling makes no request to the simulator and takes none of its concurrency slots;
- the critical path: from both simulators' request logs (``/_control/requests``: each request's arrival
  and answer), the requests Concord made between the start and the end of the sales order's write (the
  harness's own change is not Concord's); calls after the order exists (write-back, subscriptions) are
  not on the path, and calls sent side by side count once: the path is the longest chain of requests
  each starting after the one before it answered (:func:`critical_path`), times L. Against it: p95 at
  most ``GOAL`` x the median path;
- requests per opportunity: every request Concord made in the measured window, from the simulators'
  ``/_control/stats`` ``received`` counters (less this process's own changes) / opportunities: the
  whole job (reads, searches, writes, subscriptions, write-back);
- NetSuite requests by the opportunity's shape: the NetSuite request log's requests naming the
  opportunity's records (its id, its account's, contacts', quote's and quote lines': the external ids
  Concord writes and searches by; :func:`attribute_requests`), by kind (``search``, or the record type
  written: :func:`request_kind`), grouped by whether its account was new (no earlier opportunity of the
  account in this run, warm-up included: Concord starts on an empty database) and how many contacts it
  wrote (:func:`netsuite_by_shape`). Requests naming no opportunity are counted, not guessed; an
  opportunity sharing a request with another account's (a batch's search) is left out.

The outbound message delivery is not a call to a simulator with latency L: the simulator posts at once
after the change commits, and its delay is measured (``delivery``), not added to the path.

Prints a table and the phases (median: delivery = change -> inbox row; pickup = inbox row -> job
started; work = job started -> sales order exists), writes bench/out/latency.json.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import sqlite3
import statistics
import threading
import time
from collections import Counter
from collections.abc import Collection, Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out" / "latency.json"
GOAL = 1.2  # p95 <= GOAL x the critical path of the remote calls (the median opportunity's)


def percentile(values: Sequence[float], fraction: float) -> float:
    """The nearest-rank percentile (the smallest value with at least ``fraction`` of values at or under
    it); 0.0 for no values."""
    if not values:
        return 0.0
    if not 0.0 < fraction <= 1.0:
        raise ValueError("fraction must be in (0, 1]")
    ordered = sorted(values)
    rank = math.ceil(round(fraction * len(ordered), 9))  # rounded first: 0.95 * 20 is 19.000000000000004
    return ordered[max(1, rank) - 1]


def critical_path(requests: Iterable[tuple[float, float]]) -> list[tuple[float, float]]:
    """The longest chain of requests ``(arrived, answered)`` each arriving after the one before it was
    answered: calls sent side by side (overlapping) count once. Greedy by earliest answer, which is optimal
    for a chain of non-overlapping intervals."""
    chain: list[tuple[float, float]] = []
    for arrived, answered in sorted(requests, key=lambda request: (request[1], request[0])):
        if not chain or arrived >= chain[-1][1]:
            chain.append((arrived, answered))
    return chain


def order_written(log: Iterable[dict[str, Any]], opportunity_id: str) -> float | None:
    """When the first write of the opportunity's sales order was answered (the NetSuite request log)."""
    ends = [
        float(entry["ended"])
        for entry in log
        if entry.get("method") in ("PUT", "POST", "PATCH")
        and "/record/v1/salesOrder" in str(entry.get("path", ""))
        and str(entry.get("path", "")).endswith(opportunity_id)
        and entry.get("status") is not None
        and int(entry["status"]) < 300
    ]
    return min(ends) if ends else None


def path_requests(
    logs: Iterable[dict[str, Any]], *, start: float, end: float, keys: Collection[str] = ()
) -> list[tuple[float, float]]:
    """The requests of both logs that arrived after ``start`` and were answered by ``end`` (the sales
    order's write included), less the harness's own changes (``PATCH sobjects/Opportunity/<id>``); with
    ``keys`` (the opportunity's graph's ids: :func:`graph_keys`), only those naming one of them in their
    path or query/body, so another opportunity's calls made meanwhile (the previous one's write-back) are
    not counted on this one's path."""
    return [
        (float(entry["started"]), float(entry["ended"]))
        for entry in logs
        if float(entry["started"]) >= start
        and float(entry["ended"]) <= end
        and not ("/sobjects/Opportunity/" in str(entry.get("path", "")) and entry.get("method") == "PATCH")
        and (
            not keys or any(key in str(entry.get("path", "")) + str(entry.get("detail", "")) for key in keys)
        )
    ]


def graph_keys(graph: dict[str, Any]) -> set[str]:
    """The ids an opportunity's requests name: its own, its account's, its contacts', its primary quote's."""
    roles = (graph.get("OpportunityContactRoles") or {}).get("records") or []
    quote = graph.get("primary_quote") or {}
    ids = {
        graph.get("Id"),
        graph.get("AccountId"),
        quote.get("Id"),
        *(role.get("ContactId") for role in roles),
    }
    return {str(value) for value in ids if value}


def calls_until_order(exchanges: Iterable[dict[str, Any]]) -> int | None:
    """How many of a sync record's NetSuite exchanges (in the order made) come before and including the
    first write of the sales order; None when the order was never written (skipped or failed)."""
    for position, exchange in enumerate(exchanges, start=1):
        url = str(exchange.get("url", ""))
        if exchange.get("method") in ("PUT", "POST", "PATCH") and "/record/v1/salesOrder" in url:
            return position
    return None


def request_kind(entry: dict[str, Any]) -> str:
    """What a NetSuite request was: ``search`` (SuiteQL), the record type a write went to (``customer``,
    ``contact``, ``salesOrder`` ...), ``read`` (another GET) or ``other``."""
    path = str(entry.get("path", ""))
    if path.endswith("/suiteql"):
        return "search"
    method = str(entry.get("method", ""))
    if method == "GET":
        return "read"
    _, marker, rest = path.partition("/record/v1/")
    if marker and method in ("PUT", "POST", "PATCH", "DELETE"):
        return rest.split("/", 1)[0] or "other"
    return "other"


def record_keys(graph: dict[str, Any]) -> set[str]:
    """:func:`graph_keys` and the primary quote's lines' ids (a subscription's external id names its line)."""
    lines = (graph.get("primary_quote") or {}).get("lines") or []
    return graph_keys(graph) | {
        str(line["Id"]) for line in lines if isinstance(line, dict) and line.get("Id")
    }


def attribute_requests(
    log: Iterable[dict[str, Any]],
    *,
    keys: dict[str, set[str]],
    accounts: dict[str, str],
    closed: dict[str, float],
) -> tuple[dict[str, list[dict[str, Any]]], Counter[str], list[str], set[str]]:
    """Each request to the opportunity whose records it names (path, or the log's excerpt of its query or
    body): of several opportunities of one account, the last closed before it arrived. Returns the requests
    by opportunity; those naming none, by kind (lookups, or excerpts cut before an id), and a few of them;
    the opportunities sharing a request with another account's (a batch's search): not theirs alone."""
    by_opportunity: dict[str, list[dict[str, Any]]] = {opportunity: [] for opportunity in keys}
    unnamed: Counter[str] = Counter()
    examples: list[str] = []
    shared: set[str] = set()
    for entry in log:
        text = str(entry.get("path", "")) + " " + str(entry.get("detail", ""))
        named = [o for o, own in keys.items() if any(key in text for key in own)]
        if len({accounts.get(o, "") for o in named}) > 1:
            shared.update(named)
            continue
        before = [o for o in named if closed.get(o, float("inf")) <= float(entry["started"])]
        if not before:
            unnamed[request_kind(entry)] += 1
            if len(examples) < 10:
                examples.append(
                    f"{entry.get('method')} {entry.get('path')} {str(entry.get('detail', ''))[:160]}"
                )
            continue
        by_opportunity[max(before, key=lambda o: closed[o])].append(entry)
    return by_opportunity, unnamed, examples, shared


def netsuite_by_shape(samples: Iterable[Sample]) -> list[dict[str, Any]]:
    """The NetSuite requests of the opportunities whose job's requests are known (synced alone), grouped
    by (new account?, contacts written): how many, the requests' median, min and max, and the mean number
    of each kind (search, customer, contact, ...)."""
    groups: dict[tuple[bool, int], list[Sample]] = {}
    for sample in samples:
        if sample.netsuite_requests is None or sample.account_new is None or sample.contacts_written is None:
            continue
        groups.setdefault((sample.account_new, sample.contacts_written), []).append(sample)
    shapes = []
    for (new, contacts), members in sorted(groups.items(), key=lambda item: (not item[0][0], item[0][1])):
        counts = [m.netsuite_requests or 0 for m in members]
        kinds: Counter[str] = Counter()
        for member in members:
            kinds.update(member.netsuite_kinds or {})
        shapes.append(
            {
                "account": "new" if new else "known",
                "contacts_written": contacts,
                "opportunities": len(members),
                "netsuite_requests_median": statistics.median(counts),
                "netsuite_requests_min": min(counts),
                "netsuite_requests_max": max(counts),
                "mean_by_kind": {kind: round(n / len(members), 2) for kind, n in sorted(kinds.items())},
            }
        )
    return shapes


@dataclass
class Sample:
    opportunity_id: str
    closed_at: float  # epoch seconds, when the Closed Won change's API call returned
    received_at: float | None = None  # the inbox row (the listener stored the notification)
    job_started_at: float | None = None
    order_at: float | None = None  # the sales order seen in NetSuite's store
    netsuite_calls_to_order: int | None = None
    path_calls: int | None = None  # the critical path's length (requests in sequence up to the order)
    path_ms: float | None = None  # those requests' own time, as the simulators measured it
    status: str = ""  # the sync record's (a blocked or failed opportunity gets no sales order)
    message: str = ""  # the sync record's, when it got no order
    account_new: bool | None = None  # no earlier opportunity of its account in this run
    contacts_written: int | None = None  # contact writes of its job (known when synced alone)
    netsuite_requests: int | None = None  # its job's NetSuite requests, when the job synced it alone
    netsuite_kinds: dict[str, int] | None = None  # those by request_kind

    @property
    def latency_ms(self) -> float | None:
        return None if self.order_at is None else (self.order_at - self.closed_at) * 1000


class OrderWatcher:
    """Polls the NetSuite simulator's store for sales orders by externalId; stamps when each appears."""

    def __init__(self, store: Path, poll_seconds: float) -> None:
        self.store = store
        self.poll_seconds = poll_seconds
        self.wanted: set[str] = set()
        self.seen: dict[str, float] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="order-watcher", daemon=True)

    def __enter__(self) -> OrderWatcher:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def want(self, opportunity_id: str) -> None:
        with self._lock:
            self.wanted.add(opportunity_id)

    def wait_for(self, opportunity_id: str, timeout: float) -> float:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if opportunity_id in self.seen:
                    return self.seen[opportunity_id]
            time.sleep(self.poll_seconds)
        raise TimeoutError(f"no sales order for {opportunity_id} after {timeout:.0f} s")

    def _run(self) -> None:
        connection = sqlite3.connect(f"file:{self.store}?mode=ro", uri=True, check_same_thread=False)
        try:
            while not self._stop.is_set():
                with self._lock:
                    outstanding = sorted(self.wanted - self.seen.keys())
                if outstanding:
                    marks = ", ".join("?" * len(outstanding))
                    rows = connection.execute(
                        "SELECT externalid FROM ns_transaction "  # noqa: S608 - placeholders only
                        f"WHERE recordtype = 'salesOrder' AND externalid IN ({marks})",
                        outstanding,
                    ).fetchall()
                    now = time.time()
                    with self._lock:
                        for (external_id,) in rows:
                            self.seen.setdefault(external_id, now)
                self._stop.wait(self.poll_seconds)
        finally:
            connection.close()


def _harness_connector(stack: Any) -> tuple[Any, list[int]]:
    """One Salesforce connector for the whole run (it logs in once), counting its own requests."""
    from sync.connections.services import salesforce_connector

    requests_made = [0]

    def observe(_: Any) -> None:
        requests_made[0] += 1

    return salesforce_connector(stack.salesforce_connection(), observer=observe), requests_made


def _received(stack: Any, system: str) -> int:
    return int(stack.stats(system)["counters"].get("received", 0))


def _request_log(stack: Any, system: str, *, clear: bool = False) -> list[dict[str, Any]]:
    url = f"{stack.simulator(system).url}/_control/requests"
    if clear:
        stack.control(system).delete(url, timeout=10).raise_for_status()
        return []
    answer = stack.control(system).get(url, timeout=30)
    answer.raise_for_status()
    return list(answer.json()["requests"])


def _close_and_wait(sf: Any, watcher: OrderWatcher, opportunity_id: str) -> None:
    watcher.want(opportunity_id)
    sf.update("Opportunity", opportunity_id, {"StageName": "Closed Won"})
    watcher.wait_for(opportunity_id, timeout=120)


def run(args: argparse.Namespace) -> dict[str, Any]:
    from bench.stack import SimulatorSettings, Stack, StackConfig

    latency = float(args.latency_ms)
    config = StackConfig(
        opportunities=args.opportunities + args.warmup,
        salesforce=SimulatorSettings(latency_ms=latency),
        netsuite=SimulatorSettings(latency_ms=latency, concurrency_limit=args.concurrency_limit),
        workers=1,
        q_workers=args.q_workers,
        web=True,
        database_url=args.database_url,
        redis_url=args.redis_url,
        extra_env={"Q_POLL_MS": str(args.q_poll_ms)} if args.q_poll_ms else {},
    )
    load_before = os.getloadavg()
    with Stack(config) as stack:
        from simulators.netsuite.store import database_path
        from sync.pipeline.models import InboxMessage, SyncRecord

        ids = stack.opportunity_ids()
        warm, measured = ids[: args.warmup], ids[args.warmup : args.warmup + args.opportunities]
        sf, harness_requests = _harness_connector(stack)
        samples: list[Sample] = []
        with OrderWatcher(database_path(stack.data_dir), args.poll_ms / 1000) as watcher:
            for opportunity_id in warm:  # imports, logins, compiled mappings: not measured
                _close_and_wait(sf, watcher, opportunity_id)
            stack.wait_until(lambda: stack.inbox_pending() == 0, timeout=120, poll=0.2)
            time.sleep(1.0)  # the warm-up's write-backs finish
            stack.reset_stats("salesforce")
            stack.reset_stats("netsuite")
            _request_log(stack, "salesforce", clear=True)
            _request_log(stack, "netsuite", clear=True)
            harness_before = harness_requests[0]
            started = time.monotonic()
            for n, opportunity_id in enumerate(measured):
                # One change every --interval seconds (a modest rate: latency, not queueing).
                time.sleep(max(0.0, started + n * args.interval - time.monotonic()))
                watcher.want(opportunity_id)
                sf.update("Opportunity", opportunity_id, {"StageName": "Closed Won"})
                samples.append(Sample(opportunity_id, closed_at=time.time()))
            everything = len(warm) + len(samples)
            stack.wait_until(
                lambda: stack.inbox_pending() == 0 and stack.records_done() >= everything,
                timeout=300,
                poll=0.2,
            )
            time.sleep(1.0)  # the last write-backs; the watcher's last look
            for sample in samples:
                sample.order_at = watcher.seen.get(sample.opportunity_id)
        harness = harness_requests[0] - harness_before
        salesforce_received = _received(stack, "salesforce")
        netsuite_received = _received(stack, "netsuite")
        netsuite_log = _request_log(stack, "netsuite")
        both_logs = [*_request_log(stack, "salesforce"), *netsuite_log]
        graphs = sf.fetch_opportunity_graphs([*warm, *(s.opportunity_id for s in samples)])
        accounts_seen = {str((graphs.get(i) or {}).get("AccountId") or "") for i in warm}
        for sample in samples:
            written = order_written(netsuite_log, sample.opportunity_id)
            if written is not None:
                keys = graph_keys(graphs.get(sample.opportunity_id) or {"Id": sample.opportunity_id})
                chain = critical_path(
                    path_requests(both_logs, start=sample.closed_at, end=written, keys=keys)
                )
                sample.path_calls = len(chain)
                sample.path_ms = round(sum((answered - arrived) * 1000 for arrived, answered in chain), 1)
        for sample in samples:  # in the order they were closed
            account = str((graphs.get(sample.opportunity_id) or {}).get("AccountId") or "")
            sample.account_new = account not in accounts_seen
            accounts_seen.add(account)
        for sample in samples:
            message = (
                InboxMessage.objects.filter(record_id=sample.opportunity_id).order_by("received_at").first()
            )
            if message is not None:
                sample.received_at = message.received_at.timestamp()
            record = (
                SyncRecord.objects.filter(opportunity_id=sample.opportunity_id)
                .select_related("job")
                .order_by("id")
                .first()
            )
            if record is not None:
                sample.status = record.status
                sample.message = "" if sample.order_at else record.message[:300]
                sample.job_started_at = record.job.started_at.timestamp()
                sample.netsuite_calls_to_order = calls_until_order(record.exchanges or [])
        jobs = SyncRecord.objects.filter(opportunity_id__in=measured).values("job_id").distinct().count()
        left_out = _requests_by_shape(samples, netsuite_log, graphs)
    load_after = os.getloadavg()
    return summarise(
        args,
        samples,
        salesforce_calls=salesforce_received - harness,
        netsuite_calls=netsuite_received,
        harness=harness,
        jobs=jobs,
        load=(load_before[0], load_after[0]),
        shapes_left_out=left_out,
    )


def _requests_by_shape(
    samples: list[Sample], netsuite_log: list[dict[str, Any]], graphs: dict[str, Any]
) -> dict[str, Any]:
    """Each sample's NetSuite requests (:func:`attribute_requests`), by kind; returns what was left out."""
    keys = {
        s.opportunity_id: record_keys(graphs.get(s.opportunity_id) or {"Id": s.opportunity_id})
        for s in samples
    }
    accounts = {
        s.opportunity_id: str((graphs.get(s.opportunity_id) or {}).get("AccountId") or "") for s in samples
    }
    closed = {s.opportunity_id: s.closed_at for s in samples}
    by_opportunity, unnamed, examples, shared = attribute_requests(
        netsuite_log, keys=keys, accounts=accounts, closed=closed
    )
    for sample in samples:
        if sample.opportunity_id in shared or sample.order_at is None:
            continue  # a request shared with another opportunity, or not synced: left out of the shapes
        kinds = Counter(request_kind(entry) for entry in by_opportunity[sample.opportunity_id])
        sample.netsuite_requests = sum(kinds.values())
        sample.netsuite_kinds = dict(kinds)
        sample.contacts_written = kinds.get("contact", 0)
    return {
        "unnamed_requests": sum(unnamed.values()),
        "unnamed_by_kind": dict(unnamed),
        "unnamed_examples": examples,
        "opportunities_sharing_a_request": len(shared),
    }


def summarise(
    args: argparse.Namespace,
    samples: list[Sample],
    *,
    salesforce_calls: int,
    netsuite_calls: int,
    harness: int,
    jobs: int,
    load: tuple[float, float],
    shapes_left_out: dict[str, Any] | None = None,
) -> dict[str, Any]:
    count = len(samples)
    latencies = [s.latency_ms for s in samples if s.latency_ms is not None]
    without_order = Counter(s.status or "no record" for s in samples if s.order_at is None)
    sf_per = salesforce_calls / count if count else 0.0
    ns_per = netsuite_calls / count if count else 0.0
    total_sum_ms = (sf_per + ns_per) * args.latency_ms
    to_order = [s.netsuite_calls_to_order for s in samples if s.netsuite_calls_to_order is not None]
    path_calls = [s.path_calls for s in samples if s.path_calls is not None]
    path_calls_median = statistics.median(path_calls) if path_calls else 0.0
    path_ms = path_calls_median * args.latency_ms  # the critical path at L per call
    measured_path = [s.path_ms for s in samples if s.path_ms is not None]
    # Each opportunity's latency over its own path: what Concord adds to the calls it must make in turn.
    overheads = [
        s.latency_ms - s.path_calls * args.latency_ms
        for s in samples
        if s.latency_ms is not None and s.path_calls is not None
    ]

    def phase(start: str, end: str) -> float:
        values = [
            (getattr(s, end) - getattr(s, start)) * 1000
            for s in samples
            if getattr(s, start) is not None and getattr(s, end) is not None
        ]
        return round(statistics.median(values), 1) if values else 0.0

    p50, p95 = percentile(latencies, 0.50), percentile(latencies, 0.95)
    return {
        "opportunities": count,
        "with_order": len(latencies),
        "without_order_by_status": dict(without_order),
        "latency_ms": args.latency_ms,
        "interval_s": args.interval,
        "q_workers": args.q_workers,
        "q_poll_ms": args.q_poll_ms or None,
        "broker": "redis" if args.redis_url else "orm",
        "database": "postgresql" if args.database_url else "sqlite",
        "jobs": jobs,
        "salesforce_calls_per_opportunity": round(sf_per, 2),
        "netsuite_calls_per_opportunity": round(ns_per, 2),
        "netsuite_requests_by_shape": netsuite_by_shape(samples),
        "netsuite_requests_by_shape_left_out": shapes_left_out or {},
        "harness_salesforce_requests": harness,
        "sum_of_calls_ms": round(total_sum_ms, 1),
        "netsuite_calls_to_order_median": statistics.median(to_order) if to_order else None,
        "path_calls_median": path_calls_median,
        "path_calls_max": max(path_calls) if path_calls else None,
        "path_ms": round(path_ms, 1),
        "path_measured_ms_median": round(statistics.median(measured_path), 1) if measured_path else None,
        "p50_ms": round(p50, 1),
        "p95_ms": round(p95, 1),
        "max_ms": round(max(latencies), 1) if latencies else 0.0,
        "p95_over_path": round(p95 / path_ms, 2) if path_ms else None,
        "overhead_ms_p50": round(percentile(overheads, 0.50), 1) if overheads else None,
        "overhead_ms_p95": round(percentile(overheads, 0.95), 1) if overheads else None,
        "goal_met": bool(path_ms) and p95 <= GOAL * path_ms,
        "phases_median_ms": {
            "delivery": phase("closed_at", "received_at"),
            "pickup": phase("received_at", "job_started_at"),
            "work": phase("job_started_at", "order_at"),
        },
        "poll_ms": args.poll_ms,
        "load_average": {"before": round(load[0], 2), "after": round(load[1], 2)},
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "samples": [asdict(s) for s in samples],
    }


def report(result: dict[str, Any]) -> None:
    print()
    print(
        f"{'opps':>5s} {'L ms':>5s} {'SF/opp':>7s} {'NS/opp':>7s} {'path':>5s} {'path ms':>8s} "
        f"{'p50 ms':>7s} {'p95 ms':>7s} {'max ms':>7s} {'p95/path':>9s}"
    )
    print(
        f"{result['opportunities']:5d} {result['latency_ms']:5.0f} "
        f"{result['salesforce_calls_per_opportunity']:7.2f} {result['netsuite_calls_per_opportunity']:7.2f} "
        f"{result['path_calls_median']!s:>5s} {result['path_ms']:8.1f} {result['p50_ms']:7.1f} "
        f"{result['p95_ms']:7.1f} {result['max_ms']:7.1f} {result['p95_over_path']!s:>9s}"
    )
    print()
    print(
        f"goal p95 <= {GOAL} x the critical path ({GOAL * result['path_ms']:.0f} ms): "
        f"{'met' if result['goal_met'] else 'NOT met'}"
    )
    print(
        f"critical path: {result['path_calls_median']} requests in sequence up to the order (median; max "
        f"{result['path_calls_max']}; their own time {result['path_measured_ms_median']} ms); latency "
        f"less each opportunity's path at L: p50 {result['overhead_ms_p50']} ms, "
        f"p95 {result['overhead_ms_p95']} ms"
    )
    if result["without_order_by_status"]:
        print(
            f"measured on the {result['with_order']} opportunities that got a sales order; none for "
            + ", ".join(f"{n} {status}" for status, n in result["without_order_by_status"].items())
            + " (their calls stay in the per-opportunity averages)"
        )
    shapes = result["netsuite_requests_by_shape"]
    if shapes:
        print()
        left_out = result["netsuite_requests_by_shape_left_out"]
        print(
            "NetSuite requests per opportunity by shape (the requests naming its records; "
            f"{left_out.get('unnamed_requests', 0)} requests named none "
            f"{left_out.get('unnamed_by_kind', {})}, "
            f"{left_out.get('opportunities_sharing_a_request', 0)} opportunities shared one with another "
            "account's and are left out):"
        )
        print(
            f"{'account':>8s} {'contacts':>8s} {'opps':>5s} {'NS median':>9s} {'min-max':>8s}  mean by kind"
        )
        for shape in shapes:
            kinds = ", ".join(f"{kind} {n:g}" for kind, n in shape["mean_by_kind"].items())
            print(
                f"{shape['account']:>8s} {shape['contacts_written']:8d} {shape['opportunities']:5d} "
                f"{shape['netsuite_requests_median']!s:>9s} "
                f"{shape['netsuite_requests_min']!s:>4s}-{shape['netsuite_requests_max']!s:<3s}  {kinds}"
            )
        print()
    phases = result["phases_median_ms"]
    print(
        f"phases (median ms): delivery {phases['delivery']}, pickup {phases['pickup']}, "
        f"work {phases['work']}; jobs {result['jobs']} for {result['opportunities']} opportunities"
    )
    load = result["load_average"]
    print(f"load average before {load['before']}, after {load['after']} ({result['cpus']} CPUs)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--opportunities", type=int, default=100, help="measured (default 100)")
    parser.add_argument("--warmup", type=int, default=3, help="unmeasured ones first (default 3)")
    parser.add_argument("--latency-ms", type=float, default=50.0, help="both simulators (default 50)")
    parser.add_argument("--interval", type=float, default=0.75, help="seconds between changes (0.75)")
    parser.add_argument("--concurrency-limit", type=int, default=5, help="NetSuite's (default 5)")
    parser.add_argument("--q-workers", type=int, default=2, help="workers of the qcluster (default 2)")
    parser.add_argument("--poll-ms", type=float, default=5.0, help="order watcher's poll (default 5)")
    parser.add_argument("--database-url", default="", help="an EMPTY database; default a temp SQLite")
    parser.add_argument("--redis-url", default="", help="Redis broker (a db to flush); default the ORM")
    parser.add_argument("--q-poll-ms", type=int, default=0, help="Q_POLL_MS of the workers (default: unset)")
    args = parser.parse_args()

    result = run(args)
    report(result)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(result, indent=2))
    print(f"wrote {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
