"""The soak's world: the stack it starts, the opportunities it moves, the kills, settling and the check.

Used by :mod:`bench.soak` once Django is set up with the stack's own environment.
"""

from __future__ import annotations

import random
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import requests
from django.core.management import call_command
from django.utils import timezone

from bench.soak_check import orders_without_external_id, soak_check
from bench.soak_processes import Component, components_stop, free_port, wait_for_port
from console.demo import (
    SimulatorPlan,
    demo_connections_ensure,
    demo_listener_ensure,
    simulator_commands,
)
from console.processes import ChildCommand
from simulators.dataset import Dataset
from simulators.netsuite.seed import seed as seed_netsuite
from simulators.salesforce.seed import seed as seed_salesforce
from sync.connectors.errors import ConnectorError
from sync.connectors.netsuite import NetSuiteConnector
from sync.connectors.salesforce import SalesforceConnector
from sync.models import Connection, InboxMessage, InboxStatus, PollWatermark, SyncJob
from sync.services.connections import netsuite_connector, salesforce_connector
from sync.services.schedules import sync_schedules_ensure

if TYPE_CHECKING:
    from bench.soak import SoakOptions, SoakRun

# Outbound message retry intervals (15 s, 30 s, 1 min ... 2 h) scaled for a run of minutes.
OUTBOUND_TIME_SCALE = 0.02
UNFINISHED = (InboxStatus.PENDING, InboxStatus.CLAIMED)


class SoakWorld:
    def __init__(self, options: SoakOptions, *, env: Mapping[str, str], var_dir: Path, root: Path) -> None:
        self.options = options
        self.env = dict(env)
        self.var_dir = var_dir
        self.root = root
        self.logs = var_dir / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)
        self.plan = SimulatorPlan(
            data_dir=var_dir / "simulators",
            salesforce_port=free_port(),
            netsuite_port=free_port(),
            netsuite_concurrency_limit=options.netsuite_concurrency,
        )
        self.web_port = free_port()
        self.simulators: list[Component] = []
        self.web: Component | None = None
        self.clusters: list[Component] = []
        self.control = requests.Session()
        self.control.trust_env = False
        self.opportunity_ids: list[str] = []
        self._salesforce: SalesforceConnector | None = None
        self.orders_without_eid_before = 0
        self.started = time.monotonic()

    # -- set-up ----------------------------------------------------------------------------------------

    def prepare(self) -> None:
        """Migrate, seed the simulators with enough open opportunities, start them, connect Concord."""
        call_command("migrate", verbosity=0, interactive=False)
        accounts = self.options.opportunities + self.options.opportunities // 5 + 20
        dataset = Dataset(seed=self.options.seed, accounts=accounts, opportunities_per_account=2)
        seed_salesforce(self.plan.data_dir, dataset)
        seed_netsuite(self.plan.data_dir, dataset)
        for command in simulator_commands(self.plan):
            argv = list(command.argv)
            if command.name == "salesforce-simulator":
                argv += ["--outbound-time-scale", str(OUTBOUND_TIME_SCALE)]
            self.simulators.append(self._component(ChildCommand(command.name, argv)))
        for simulator in self.simulators:
            simulator.start()
        wait_for_port(self.plan.salesforce_port, process=self.simulators[0])
        wait_for_port(self.plan.netsuite_port, process=self.simulators[1])
        self.control.verify = str(self.plan.ca_file)
        demo_connections_ensure(self.plan)
        call_command("mapping_seed_defaults", verbosity=0)
        # The catch-up poll every minute (the safety net); the return flow is not part of this run.
        sync_schedules_ensure(poll_minutes=1, return_minutes=24 * 60)
        # The first poll starts now: the seeded data's own Closed Won deals are not this run's.
        salesforce, netsuite = self.connections()
        PollWatermark.objects.update_or_create(
            name=f"closed-won:{salesforce.pk}:{netsuite.pk}",
            defaults={
                "salesforce_connection": salesforce,
                "netsuite_connection": netsuite,
                "watermark": timezone.now(),
            },
        )
        open_ids = [
            row["Id"]
            for row in self.salesforce().query("SELECT Id FROM Opportunity WHERE IsWon = false ORDER BY Id")
        ]
        if len(open_ids) < self.options.opportunities:
            raise RuntimeError(f"the seed holds {len(open_ids)} open opportunities, fewer than asked")
        random.Random(self.options.seed).shuffle(open_ids)
        self.opportunity_ids = open_ids[: self.options.opportunities]
        self.orders_without_eid_before = orders_without_external_id(self.netsuite())

    def start(self) -> None:
        """The console under gunicorn, the listener wired to it, and the django-q2 clusters."""
        manage = [sys.executable, str(self.root / "manage.py")]
        self.web = self._component(
            ChildCommand(
                "web",
                [
                    sys.executable,
                    "-m",
                    "gunicorn",
                    "console.wsgi:application",
                    "--bind",
                    f"127.0.0.1:{self.web_port}",
                    "--workers",
                    str(self.options.web_workers),
                    "--worker-class",
                    "gthread",
                    "--threads",
                    "4",
                    "--log-level",
                    "warning",
                ],
            )
        )
        self.web.start()
        wait_for_port(self.web_port, process=self.web)
        demo_listener_ensure(self.plan, console_url=f"http://127.0.0.1:{self.web_port}")
        for number in range(self.options.clusters):
            cluster = self._component(ChildCommand(f"cluster-{number + 1}", [*manage, "qcluster"]))
            cluster.start()
            self.clusters.append(cluster)

    def stop(self) -> None:
        components_stop([*self.simulators, *([self.web] if self.web else []), *self.clusters])

    # -- the run ---------------------------------------------------------------------------------------

    def drive(self, report: SoakRun) -> None:
        """Faults on, opportunities to Closed Won in waves, the two kills on the way."""
        self.governance("netsuite", self.options.fault_rate)
        self.governance("salesforce", self.options.salesforce_fault_rate)
        waves = max(1, self.options.waves)
        size = -(-len(self.opportunity_ids) // waves)
        for number in range(waves):
            batch = self.opportunity_ids[number * size : (number + 1) * size]
            report.flipped += self.flip(batch)
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
        for start in range(0, len(self.opportunity_ids), 200):
            chunk = ", ".join(f"'{i}'" for i in self.opportunity_ids[start : start + 200])
            soql = f"SELECT Id FROM Opportunity WHERE IsWon = true AND Id IN ({chunk})"  # noqa: S608
            won.update(row["Id"] for row in self.salesforce().query(soql))
        return [i for i in self.opportunity_ids if i not in won]

    def kill_worker_mid_batch(self, report: SoakRun) -> None:
        """SIGKILL a cluster while inbox rows are claimed (a batch in flight), then start it again."""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if InboxMessage.objects.filter(status=InboxStatus.CLAIMED).exclude(claim_token="").exists():
                break
            time.sleep(0.1)
        held = InboxMessage.objects.filter(status=InboxStatus.CLAIMED).exclude(claim_token="").count()
        # The busiest cluster (most threads: a batch's pool) is the one holding a batch.
        cluster = max(self.clusters, key=lambda c: c.threads())
        cluster.kill9()
        report.kills.append({"component": cluster.name, "at_seconds": self.elapsed(), "claimed_rows": held})
        time.sleep(1.0)
        cluster.start()

    def kill_web(self, report: SoakRun) -> None:
        """SIGKILL the web server (deliveries fail meanwhile and are retried), then start it again."""
        if self.web is None:
            raise RuntimeError("the web server was never started")
        self.web.kill9()
        report.kills.append({"component": "web", "at_seconds": self.elapsed()})
        time.sleep(3.0)
        self.web.start()
        wait_for_port(self.web_port, process=self.web)

    def settle(self, report: SoakRun) -> None:
        """Wait until Salesforce has nothing left to deliver and the inbox nothing left to process."""
        began = time.monotonic()
        deadline = began + self.options.settle_timeout
        quiet = 0
        while time.monotonic() < deadline:
            outbound = self.outbound_counts()
            unfinished = InboxMessage.objects.filter(status__in=UNFINISHED).count()
            arrived = InboxMessage.objects.filter(record_id__in=self.opportunity_ids).values("record_id")
            missing = len(self.opportunity_ids) - arrived.distinct().count()
            quiet = quiet + 1 if (outbound.get("pending", 0) == 0 and not unfinished and not missing) else 0
            if quiet >= 3:
                report.settled = True
                break
            time.sleep(1.0)
        report.settle_seconds = round(time.monotonic() - began, 1)

    def verify(self, report: SoakRun) -> None:
        """Faults off, then the invariants, NetSuite's and Salesforce's counters, the pipeline's figures."""
        report.netsuite_stats = self.stats("netsuite")
        report.salesforce_stats = self.stats("salesforce")
        self.governance("netsuite", 0.0)
        self.governance("salesforce", 0.0)
        report.outbound = self.outbound_counts()
        _, netsuite = self.connections()
        check = soak_check(
            netsuite=self.netsuite(),
            netsuite_connection=netsuite,
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

    def elapsed(self) -> float:
        return round(time.monotonic() - self.started, 1)

    def connections(self) -> tuple[Connection, Connection]:
        return Connection.objects.get(name="salesforce-sandbox"), Connection.objects.get(
            name="netsuite-sandbox"
        )

    def salesforce(self) -> SalesforceConnector:
        if self._salesforce is None:  # one sign-in for the whole run
            self._salesforce = salesforce_connector(self.connections()[0])
        return self._salesforce

    def netsuite(self) -> NetSuiteConnector:
        return netsuite_connector(self.connections()[1], limited=False)

    def simulator_url(self, system: str) -> str:
        port = self.plan.salesforce_port if system == "salesforce" else self.plan.netsuite_port
        return self.plan.url(port)

    def governance(self, system: str, fault_rate: float) -> None:
        answer = self.control.patch(
            f"{self.simulator_url(system)}/_control/governance",
            json={
                "fault_rate": fault_rate,
                "fault_kinds": self.options.fault_kinds,
                "timeout_seconds": 5.0,
                "slow_ms": 1500.0,
            },
            timeout=10,
        )
        answer.raise_for_status()

    def stats(self, system: str) -> dict[str, Any]:
        return dict(self.control.get(f"{self.simulator_url(system)}/_control/stats", timeout=10).json())

    def outbound_counts(self) -> dict[str, int]:
        status = self.control.get(
            f"{self.simulator_url('salesforce')}/_control/salesforce/outbound", timeout=10
        )
        body = status.json()
        return {key: int(body.get(key, 0)) for key in ("pending", "delivered", "dropped")}

    def _component(self, command: ChildCommand) -> Component:
        return Component(command, env=self.env, log_dir=self.logs, cwd=self.root)
