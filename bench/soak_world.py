"""The soak's run on a :class:`bench.stack.Stack`: schedules, faults, the opportunities moved to Closed
Won in waves, the two kills, settling and the check.

Used by :mod:`bench.soak`; the stack sets Django up in this process with the stack's own environment.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bench.stack import SimulatorSettings, Stack, StackConfig

if TYPE_CHECKING:
    from bench.soak import SoakOptions, SoakRun
    from sync.connections.connectors.salesforce import SalesforceConnector

# Outbound message retry intervals (15 s, 30 s, 1 min ... 2 h) scaled for a run of minutes.
OUTBOUND_TIME_SCALE = 0.02


def stack_config(options: SoakOptions, root: Path) -> StackConfig:
    """The stack the soak runs on: faults start at zero (set when the run starts), a short inbox lease."""
    return StackConfig(
        opportunities=options.opportunities,
        seed=options.seed,
        salesforce=SimulatorSettings(random_seed=options.seed),
        netsuite=SimulatorSettings(concurrency_limit=options.netsuite_concurrency, random_seed=options.seed),
        workers=options.clusters,
        q_workers=options.q_workers,
        web=True,
        web_workers=options.web_workers,
        database_url=options.database_url,
        redis_url=options.redis_url,
        root=root,
        keep_dir=True,
        outbound_time_scale=OUTBOUND_TIME_SCALE,
        extra_env={
            "INBOX_LEASE_SECONDS": str(options.lease_seconds),
            "Q_TIMEOUT": str(options.q_timeout),
            "Q_RETRY": str(options.q_timeout + 30),
            "LOG_FORMAT": "plain",
            "Q_SYNC": "0",  # real workers, whatever the caller's environment says (the tests set 1)
        },
    )


class SoakWorld:
    def __init__(self, options: SoakOptions, stack: Stack) -> None:
        self.options = options
        self.stack = stack
        self.opportunity_ids: list[str] = []
        self.orders_without_eid_before = 0
        self.started = time.monotonic()
        self._salesforce: SalesforceConnector | None = None

    def prepare(self) -> None:
        """The pipeline's schedules (catch-up poll and inbox sweep every minute), the ids, the baseline."""
        from django.utils import timezone

        from bench.soak_check import orders_without_external_id
        from sync.pipeline.models import PollWatermark
        from sync.pipeline.schedules import sync_schedules_ensure

        # The return flow is not part of this run.
        sync_schedules_ensure(poll_minutes=1, return_minutes=24 * 60)
        salesforce, netsuite = self.stack.salesforce_connection(), self.stack.netsuite_connection()
        # The first catch-up poll starts now, as for a listener set up today.
        PollWatermark.objects.update_or_create(
            name=f"closed-won:{salesforce.pk}:{netsuite.pk}",
            defaults={
                "salesforce_connection": salesforce,
                "netsuite_connection": netsuite,
                "watermark": timezone.now(),
            },
        )
        self.opportunity_ids = self.stack.opportunity_ids()
        self.orders_without_eid_before = orders_without_external_id(self.netsuite())

    # -- the run ---------------------------------------------------------------------------------------

    def drive(self, report: SoakRun) -> None:
        """Faults on, opportunities to Closed Won in waves, the two kills on the way."""
        self.faults(on=True)
        waves = max(1, self.options.waves)
        size = -(-len(self.opportunity_ids) // waves)
        for number in range(waves):
            report.flipped += self.flip(self.opportunity_ids[number * size : (number + 1) * size])
            if self.options.kills and number == waves // 3:
                self.kill_worker_mid_batch(report)
            if self.options.kills and number == waves // 2:
                self.kill_web(report)
            time.sleep(self.options.wave_seconds)
        # Flips a fault refused for good (rare: the connector retries) are made again until all hold.
        missing = self.not_won()
        for _ in range(5):
            if not missing:
                break
            self.flip(missing)
            missing = self.not_won()
        if missing:
            raise RuntimeError(f"{len(missing)} opportunities could not be moved to Closed Won")

    def flip(self, ids: list[str]) -> int:
        """Move ``ids`` to Closed Won; a batch a fault refused for good is left for the final pass."""
        from sync.connections.connectors.errors import ConnectorError

        if not ids:
            return 0
        try:
            results = self.salesforce().collections_update(
                "Opportunity", [{"Id": i, "StageName": "Closed Won"} for i in ids]
            )
        except ConnectorError as error:
            print(f"flipping {len(ids)} opportunities failed ({error}); retried at the end", file=sys.stderr)
            return 0
        return sum(1 for result in results if result.success)

    def not_won(self) -> list[str]:
        won: set[str] = set()
        template = "SELECT Id FROM Opportunity WHERE IsWon = true AND Id IN ({ids})"
        won.update(row["Id"] for row in self.salesforce().query_in(template, self.opportunity_ids))
        return [i for i in self.opportunity_ids if i not in won]

    def kill_worker_mid_batch(self, report: SoakRun) -> None:
        """SIGKILL the qcluster holding a batch (claimed inbox rows), then start a replacement."""
        from sync.pipeline.models import InboxMessage, InboxStatus

        held = InboxMessage.objects.filter(status=InboxStatus.CLAIMED).exclude(claim_token="")
        deadline = time.monotonic() + 60
        while not held.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        # The busiest cluster (most threads: a batch's pool and lease keeper) is the one in a batch.
        pids = self.stack.worker_pids()
        name = max(pids, key=lambda worker: group_threads(pids[worker]))
        claimed = held.count()
        self.stack.kill_worker(int(name.rsplit("-", 1)[1]))  # the stack names them worker-<index>
        report.kills.append({"component": name, "at_seconds": self.elapsed(), "claimed_rows": claimed})
        time.sleep(1.0)
        self.stack.start_worker()

    def kill_web(self, report: SoakRun) -> None:
        """SIGKILL the web server (deliveries fail meanwhile and are retried), then start it again on the
        same address, the one Salesforce's outbound rule posts to."""
        web = next(
            c for c in self.stack.children.running if c.command.name == "web" and c.process.poll() is None
        )
        self.stack.children.stop_one("web")
        report.kills.append({"component": "web", "at_seconds": self.elapsed()})
        time.sleep(3.0)
        self.stack.children.add(web.command)
        self.stack.wait_until(self.web_answers, timeout=60, poll=0.2)

    def web_answers(self) -> bool:
        import requests

        try:
            requests.get(f"{self.stack.web_url}/healthz", timeout=5)
        except requests.RequestException:
            return False
        return True

    def settle(self, report: SoakRun) -> None:
        """Wait until Salesforce has nothing left to deliver and the inbox nothing left to process."""
        from sync.pipeline.models import InboxMessage, InboxStatus

        began = time.monotonic()
        quiet = 0

        def settled() -> bool:
            nonlocal quiet
            unfinished = InboxMessage.objects.filter(status__in=(InboxStatus.PENDING, InboxStatus.CLAIMED))
            arrived = InboxMessage.objects.filter(record_id__in=self.opportunity_ids).values("record_id")
            calm = (
                self.outbound_counts()["pending"] == 0
                and not unfinished.exists()
                and arrived.distinct().count() == len(self.opportunity_ids)
                and self.polled_since_last_finish()
            )
            quiet = quiet + 1 if calm else 0
            report.last_state = {
                "outbound": self.outbound_counts(),
                "unfinished": [
                    [m.pk, m.status, m.attempts, m.source, str(m.lease_until), m.last_error[:200]]
                    for m in unfinished[:5]
                ],
                "unfinished_count": unfinished.count(),
                "arrived": arrived.distinct().count(),
                "polled_since_last_finish": self.polled_since_last_finish(),
                # A child that stopped on its own (not by our SIGKILL) explains a run that never settles.
                "exited": [
                    [child.command.name, child.process.returncode]
                    for child in self.stack.children.running
                    if child.process.poll() is not None and child.process.returncode != -9
                ],
            }
            return quiet >= 3

        try:
            self.stack.wait_until(settled, timeout=self.options.settle_timeout, poll=1.0)
            report.settled = True
        except TimeoutError:
            report.settled = False
        report.settle_seconds = round(time.monotonic() - began, 1)

    def polled_since_last_finish(self) -> bool:
        """A catch-up poll ran after the last inbox row finished. Each sync stamps its opportunity in
        Salesforce (a new SystemModstamp), so the next poll re-reads every synced opportunity as a new
        version: the run has settled only once a poll has seen the final state and its rows are done."""
        from django.db.models import Max

        from sync.pipeline.models import InboxMessage, PollWatermark

        last_finish = InboxMessage.objects.aggregate(last=Max("processed_at"))["last"]
        polled = PollWatermark.objects.aggregate(last=Max("last_polled_at"))["last"]
        return last_finish is None or (polled is not None and polled > last_finish)

    def verify(self, report: SoakRun) -> None:
        """Faults off, then the invariants, both simulators' counters and the pipeline's figures."""
        from bench.soak_check import soak_check
        from sync.pipeline.models import InboxMessage, SyncJob

        report.netsuite_stats = self.stack.stats("netsuite")
        report.salesforce_stats = self.stack.stats("salesforce")
        self.faults(on=False)
        report.outbound = self.outbound_counts()
        check = soak_check(
            netsuite=self.netsuite(),
            netsuite_connection=self.stack.netsuite_connection(),
            opportunity_ids=self.opportunity_ids,
            orders_without_external_id_before=self.orders_without_eid_before,
        )
        report.check = check.summary()
        rows = InboxMessage.objects.filter(record_id__in=self.opportunity_ids)
        report.pipeline = {
            "jobs": SyncJob.objects.count(),
            "inbox_rows": rows.count(),
            "reclaimed_rows": rows.filter(attempts__gte=2).count(),
            "sources": {s: rows.filter(source=s).count() for s in set(rows.values_list("source", flat=True))},
        }
        report.ok = report.settled and check.ok

    # -- helpers ---------------------------------------------------------------------------------------

    def faults(self, *, on: bool) -> None:
        # A "timeout" holds its request (and a concurrency slot) 2 s before dropping it; "slow" adds 1 s.
        settings = {"fault_kinds": self.options.fault_kinds, "timeout_seconds": 2.0, "slow_ms": 1000.0}
        self.stack.governance("netsuite", fault_rate=self.options.fault_rate if on else 0.0, **settings)
        self.stack.governance(
            "salesforce", fault_rate=self.options.salesforce_fault_rate if on else 0.0, **settings
        )

    def elapsed(self) -> float:
        return round(time.monotonic() - self.started, 1)

    def salesforce(self) -> SalesforceConnector:
        from sync.connections.services import salesforce_connector

        if self._salesforce is None:  # one sign-in for the whole run
            self._salesforce = salesforce_connector(self.stack.salesforce_connection())
        return self._salesforce

    def netsuite(self) -> Any:
        from sync.connections.services import netsuite_connector

        return netsuite_connector(self.stack.netsuite_connection(), limited=False)

    def outbound_counts(self) -> dict[str, int]:
        url = f"{self.stack.simulator('salesforce').url}/_control/salesforce/outbound"
        body = self.stack.control("salesforce").get(url, timeout=10).json()
        return {key: int(body.get(key, 0)) for key in ("pending", "delivered", "dropped")}


def group_threads(pgid: int) -> int:
    """Threads across a process group: a django-q2 worker running a batch has its pool's too."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        # After the command: state, ppid, pgrp (index 2) ... num_threads (index 17).
        if int(fields[2]) == pgid:
            total += int(fields[17])
    return total
