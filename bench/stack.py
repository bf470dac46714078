"""A whole Concord stack in a temporary directory, for benchmarks and soak tests (issue 12).

``Stack`` starts, as separate processes, what a production install runs: the Salesforce and NetSuite
simulators (seeded, with governance settings: latency, jitter, concurrency limit, injected faults),
K ``manage.py qcluster`` worker processes (ORM broker, or Redis when a ``redis_url`` is given) and,
optionally, one gunicorn web server for the Outbound Message listener. In this process it migrates the
database (a temporary SQLite file, or an EMPTY PostgreSQL database named by URL), creates the two
connections (the NetSuite connection's concurrency limit is the simulator's), publishes the default
mappings and, with the web server, creates a Closed Won listener and the Salesforce simulator's
outbound message rule posting to it: the real path, Closed Won -> Outbound Message -> listener -> inbox
-> workers.

    from bench.stack import Stack, StackConfig, SimulatorSettings

    config = StackConfig(
        opportunities=2000,
        netsuite=SimulatorSettings(latency_ms=50, concurrency_limit=5),
        workers=2,  # qcluster processes
        q_workers=4,  # Q_WORKERS in each
        web=True,  # gunicorn + listener + outbound rule
        database_url="",  # "" = temp SQLite; else an EMPTY PostgreSQL database
        redis_url="",  # "" = ORM broker; else e.g. redis://127.0.0.1:6379/1 (flush it first)
    )
    with Stack(config) as stack:  # start() on enter, stop() on exit
        ids = stack.opportunity_ids()  # the seeded opportunities, none of them closed
        stack.reset_stats("netsuite")
        stack.close_won(ids)  # flipped through the Salesforce API (sObject Collections)
        stack.wait_until(lambda: stack.inbox_pending() == 0 and stack.records_done() >= len(ids))
        print(stack.stats("netsuite"), stack.sales_order_counts())
        stack.kill_worker(0)  # SIGKILL a qcluster process and every worker it forked

Seeding: N accounts of the deterministic data set (simulators/dataset.py) with one opportunity each
(contacts, contact roles, a primary CPQ quote with lines); every opportunity is then set to an open
stage ("Negotiation/Review") directly in the simulator's SQLite file, so that all N can be flipped to
Closed Won and each flip fires the outbound message rule once; the accounts the data set leaves without a
billing country on purpose get the one their subsidiary and currency imply, so every opportunity syncs.
NetSuite gets the account set-up only (subsidiaries, currencies, items...); customers, contacts and
sales orders come from syncing.

Django is set up in the calling process with the stack's settings (``configure_django``), so one
process runs one stack: a benchmark comparing several configurations runs each in a child process.
Children log to files under ``<root>/logs/`` (kept only with ``keep_dir=True``).

Stable API: ``StackConfig``, ``SimulatorSettings``, ``Stack`` (``start``, ``stop``, ``env``,
``control``, ``governance``, ``stats``, ``reset_stats``, ``opportunity_ids``, ``close_won``,
``salesforce_connection``, ``netsuite_connection``, ``inbox_pending``, ``records_done``,
``sales_order_counts``, ``wait_until``, ``kill_worker``, ``start_worker``, ``worker_pids``,
``cpu_seconds``),
``StatsSampler``, ``free_port``.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from demo.processes import ChildCommand, ChildProcesses

ROOT = Path(__file__).resolve().parents[1]
OPEN_STAGE = "Negotiation/Review"
LISTENER_NAME = "bench-closed-won"
RULE_NAME = "Closed Won to Concord (bench)"


@dataclass(frozen=True)
class SimulatorSettings:
    """Governance flags of one simulator (simulators/core/runner.py); 0 = off / unlimited."""

    latency_ms: float = 0.0
    jitter_ms: float = 0.0
    concurrency_limit: int = 0
    fault_rate: float = 0.0
    fault_kinds: str = "500"
    random_seed: int | None = None

    def flags(self) -> list[str]:
        flags = [
            "--latency-ms",
            str(self.latency_ms),
            "--jitter-ms",
            str(self.jitter_ms),
            "--concurrency-limit",
            str(self.concurrency_limit),
            "--fault-rate",
            str(self.fault_rate),
            "--fault-kinds",
            self.fault_kinds,
        ]
        if self.random_seed is not None:
            flags += ["--random-seed", str(self.random_seed)]
        return flags


@dataclass(frozen=True)
class StackConfig:
    opportunities: int = 100
    seed: int = 1
    salesforce: SimulatorSettings = field(default_factory=SimulatorSettings)
    netsuite: SimulatorSettings = field(default_factory=lambda: SimulatorSettings(concurrency_limit=5))
    # The NetSuite connection's limit; None = the simulator's (5 when the simulator is unlimited).
    connection_concurrency_limit: int | None = None
    workers: int = 1  # qcluster processes
    q_workers: int = 2  # Q_WORKERS per qcluster process
    web: bool = False  # gunicorn serving the listener, plus the outbound message rule
    web_workers: int = 1
    web_threads: int = 4
    database_url: str = ""  # "" = a SQLite file in the temp dir; else an EMPTY database
    redis_url: str = ""  # "" = django-q2's ORM broker and the database limiter
    root: Path | None = None  # None = a fresh temporary directory
    keep_dir: bool = False
    outbound_time_scale: float = 0.01  # the Salesforce simulator's retry intervals, scaled
    log_level: str = "WARNING"
    extra_env: dict[str, str] = field(default_factory=dict)


@dataclass
class SimulatorProcess:
    name: str
    url: str
    ca_file: str
    pid: int


def gunicorn_command(port: int, workers: int, threads: int) -> list[str]:
    """gunicorn serving the project on the loopback: gthread workers (keep-alive holds), quiet logs."""
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "console.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--worker-class",
        "gthread",
        "--threads",
        str(threads),
        "--keep-alive",
        "30",
        "--log-level",
        "warning",
    ]


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class _LoggedChildren(ChildProcesses):
    """:class:`demo.processes.ChildProcesses` with each child's output in ``<logs>/<name>.log``."""

    def __init__(self, logs: Path, env: dict[str, str]) -> None:
        super().__init__([], env=env)
        self.logs = logs

    def add(self, command: ChildCommand, *, cwd: Path = ROOT) -> subprocess.Popen[bytes]:
        from demo.processes import RunningChild

        self.commands.append(command)
        with (self.logs / f"{command.name}.log").open("ab") as log:
            process = subprocess.Popen(
                list(command.argv),
                cwd=cwd,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.running.append(RunningChild(command, process))
        return process

    def stop_one(self, name: str, *, signum: int = signal.SIGKILL) -> int:
        """Signal the whole process group of the child called ``name``; returns its pid."""
        child = next(c for c in self.running if c.command.name == name and c.process.poll() is None)
        try:
            os.killpg(child.pgid, signum)
        except ProcessLookupError:
            pass
        child.process.wait(timeout=30)
        return child.process.pid


class Stack:
    def __init__(self, config: StackConfig) -> None:
        self.config = config
        self._own_root = config.root is None
        self.root = Path(tempfile.mkdtemp(prefix="concord-stack-")) if config.root is None else config.root
        self.data_dir = self.root / "simulators"
        self.logs = self.root / "logs"
        self.database_url = config.database_url or f"sqlite:///{self.root / 'concord.sqlite3'}"
        self.keys = {
            "SECRET_KEY": secrets.token_urlsafe(40),
            "FIELD_ENCRYPTION_KEYS": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        }
        self.children = _LoggedChildren(self.logs, self.env())
        self.salesforce: SimulatorProcess | None = None
        self.netsuite: SimulatorProcess | None = None
        self.web_url = ""
        self.listener_url = ""
        self._worker_names: list[str] = []
        self._sessions: dict[str, requests.Session] = {}
        self.timings: dict[str, float] = {}
        # Salesforce API calls the harness itself made (close_won), so a benchmark can leave them out.
        self.harness_salesforce_calls = 0

    # -- life cycle ---------------------------------------------------------------------------------------

    def env(self) -> dict[str, str]:
        """The environment of every Concord process of this stack (also applied to this process)."""
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "DJANGO_SETTINGS_MODULE": "console.settings",
            "DATABASE_URL": self.database_url,
            "VAR_DIR": str(self.root / "var"),
            "DEBUG": "0",
            "SECURE_SSL_REDIRECT": "0",  # plain HTTP on the loopback: no TLS terminator in front
            "LOG_LEVEL": self.config.log_level,
            "Q_WORKERS": str(self.config.q_workers),
            **self.keys,
            **self.config.extra_env,
        }
        env.pop("REDIS_URL", None)
        if self.config.redis_url:
            env["REDIS_URL"] = self.config.redis_url
        return env

    def __enter__(self) -> Stack:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> Stack:
        """Seed and start the simulators, migrate and configure Concord, start workers (and web)."""
        self.logs.mkdir(parents=True, exist_ok=True)
        (self.root / "var").mkdir(exist_ok=True)
        started = time.perf_counter()
        self.seed()
        self.timings["seed_seconds"] = time.perf_counter() - started
        self.start_simulators()
        started = time.perf_counter()
        self.configure_django()
        self.prepare_database()
        self.timings["migrate_seconds"] = time.perf_counter() - started
        if self.config.web:
            self.start_web()
            self.listener_ensure()
        for _ in range(self.config.workers):
            self.start_worker()
        return self

    def stop(self) -> None:
        """Stop every child (SIGTERM, then SIGKILL after a grace period); remove the temp dir."""
        self.children.stop(grace_seconds=20)
        for session in self._sessions.values():
            session.close()
        if "django" in sys.modules:
            from django.db import connections

            connections.close_all()
        if self._own_root and not self.config.keep_dir:
            shutil.rmtree(self.root, ignore_errors=True)

    # -- simulators -----------------------------------------------------------------------------------------

    def seed(self) -> None:
        """N accounts with one open opportunity each (Salesforce), the account set-up (NetSuite)."""
        from simulators.dataset import COUNTRIES, Dataset
        from simulators.netsuite.seed import seed as seed_netsuite
        from simulators.salesforce.seed import seed as seed_salesforce
        from simulators.salesforce.store import database_path

        self.data_dir.mkdir(parents=True, exist_ok=True)
        dataset = Dataset(
            seed=self.config.seed, accounts=self.config.opportunities, opportunities_per_account=1
        )
        seed_salesforce(self.data_dir, dataset)
        seed_netsuite(self.data_dir, dataset)
        # The data set leaves every 41st account without a billing country (for the exception queue):
        # a benchmark wants every opportunity syncable, so give it back the one its subsidiary and
        # currency imply.
        country_of = {(subsidiary, currency): code for code, (subsidiary, currency, _) in COUNTRIES.items()}
        with sqlite3.connect(database_path(self.data_dir)) as connection:
            connection.execute(
                'UPDATE "Opportunity" SET "StageName" = ?, "IsClosed" = 0, "IsWon" = 0', (OPEN_STAGE,)
            )
            blank = connection.execute(
                'SELECT "Id", "Subsidiary__c", "CurrencyIsoCode" FROM "Account" '
                "WHERE COALESCE(\"BillingCountry\", '') = ''"
            ).fetchall()
            for record_id, subsidiary, currency in blank:
                country = country_of[(subsidiary, currency)]
                connection.execute(
                    'UPDATE "Account" SET "BillingCountry" = ?, "ShippingCountry" = ? WHERE "Id" = ?',
                    (country, country, record_id),
                )
        connection.close()

    def start_simulators(self) -> None:
        python = [sys.executable, "-m", "simulators"]
        common = ["--host", "127.0.0.1", "--port", "0", "--data-dir", str(self.data_dir)]
        ns_settings = self.config.netsuite
        for name, settings, extra in (
            (
                "salesforce",
                self.config.salesforce,
                ["--outbound-time-scale", str(self.config.outbound_time_scale)],
            ),
            ("netsuite", ns_settings, []),
        ):
            marker = self.data_dir / f"{name}.json"
            marker.unlink(missing_ok=True)
            process = self.children.add(
                ChildCommand(f"{name}-simulator", [*python, name, *common, *settings.flags(), *extra])
            )
            info = _wait_for_file(marker, process, f"the {name} simulator")
            running = SimulatorProcess(name, info["url"], info["ca_file"], int(info["pid"]))
            setattr(self, name, running)

    def simulator(self, system: str) -> SimulatorProcess:
        running = self.salesforce if system == "salesforce" else self.netsuite
        if running is None:
            raise RuntimeError(f"the {system} simulator is not running")
        return running

    def control(self, system: str) -> requests.Session:
        """A session trusting the simulators' CA, for their ``/_control/`` endpoints."""
        if system not in self._sessions:
            session = requests.Session()
            session.trust_env = False
            session.verify = self.simulator(system).ca_file
            self._sessions[system] = session
        return self._sessions[system]

    def governance(self, system: str, **changes: Any) -> dict[str, Any]:
        """Read (no arguments) or change a simulator's governance settings at run time."""
        url = f"{self.simulator(system).url}/_control/governance"
        session = self.control(system)
        answer = session.patch(url, json=changes, timeout=10) if changes else session.get(url, timeout=10)
        answer.raise_for_status()
        return dict(answer.json())

    def stats(self, system: str) -> dict[str, Any]:
        """The governor's counters: ``counters`` (received, refused_concurrency, status_2xx...),
        ``in_flight``, ``peak_in_flight``, ``concurrency_limit``."""
        answer = self.control(system).get(f"{self.simulator(system).url}/_control/stats", timeout=10)
        answer.raise_for_status()
        return dict(answer.json())

    def reset_stats(self, system: str) -> None:
        self.control(system).delete(
            f"{self.simulator(system).url}/_control/stats", timeout=10
        ).raise_for_status()

    # -- Concord --------------------------------------------------------------------------------------------

    def configure_django(self) -> None:
        """Set this process up as one more Concord process of the stack (call once per process)."""
        os.environ.pop("REDIS_URL", None)
        os.environ.update(self.env())
        import django

        django.setup()

    def prepare_database(self) -> None:
        """Migrate; connections to both simulators; the shipped default mappings, published."""
        from django.core.management import call_command

        from demo.launcher import simulator_connection_ensure
        from sync.mappings.services.seed import mapping_seed_defaults

        call_command("migrate", verbosity=0, interactive=False)
        salesforce, netsuite = self.simulator("salesforce"), self.simulator("netsuite")
        limit = self.config.connection_concurrency_limit or self.config.netsuite.concurrency_limit or 5
        simulator_connection_ensure(
            "salesforce",
            name="salesforce-bench",
            url=salesforce.url,
            ca_bundle=Path(salesforce.ca_file).read_text(),
        )
        simulator_connection_ensure(
            "netsuite",
            name="netsuite-bench",
            url=netsuite.url,
            ca_bundle=Path(netsuite.ca_file).read_text(),
            concurrency_limit=limit,
        )
        mapping_seed_defaults()
        from django.db import connections

        connections.close_all()

    def salesforce_connection(self) -> Any:
        from sync.connections.models import Connection

        return Connection.objects.get(name="salesforce-bench")

    def netsuite_connection(self) -> Any:
        from sync.connections.models import Connection

        return Connection.objects.get(name="netsuite-bench")

    def start_web(self) -> None:
        port = free_port()
        command = ChildCommand(
            "web", gunicorn_command(port, self.config.web_workers, self.config.web_threads)
        )
        process = self.children.add(command)
        self.web_url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"gunicorn exited; see {self.logs / 'web.log'}")
            try:
                requests.get(f"{self.web_url}/healthz", timeout=10)  # any answer: it serves
                return
            except requests.RequestException:
                time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not answer; see {self.logs / 'web.log'}")

    def listener_ensure(self) -> str:
        """A Closed Won listener, and the Salesforce simulator's outbound rule posting to it."""
        from django.urls import reverse

        from simulators.salesforce.org import DEFAULT_ORG_ID
        from sync.pipeline.listener.services import listener_create

        _, token = listener_create(
            name=LISTENER_NAME,
            salesforce_connection=self.salesforce_connection(),
            netsuite_connection=self.netsuite_connection(),
            allowed_org_id=DEFAULT_ORG_ID,
        )
        self.listener_url = self.web_url + reverse("sync:inbound-outbound", args=[token])
        answer = self.control("salesforce").post(
            f"{self.simulator('salesforce').url}/_control/salesforce/outbound-rules",
            json={
                "name": RULE_NAME,
                "object": "Opportunity",
                "field": "StageName",
                "operator": "equals",
                "value": "Closed Won",
                "endpoint_url": self.listener_url,
                "fields": ["Id", "Name", "StageName", "Amount"],
            },
            timeout=10,
        )
        answer.raise_for_status()
        return self.listener_url

    # -- workers --------------------------------------------------------------------------------------------

    def start_worker(self) -> str:
        """Start one more ``manage.py qcluster`` process; returns its name (``worker-<n>``)."""
        name = f"worker-{len(self._worker_names)}"
        self.children.add(ChildCommand(name, [sys.executable, "manage.py", "qcluster"]))
        self._worker_names.append(name)
        return name

    def worker_pids(self) -> dict[str, int]:
        """The live qcluster processes by name."""
        return {
            child.command.name: child.process.pid
            for child in self.children.running
            if child.command.name in self._worker_names and child.process.poll() is None
        }

    def kill_worker(self, index: int = 0, *, signum: int = signal.SIGKILL) -> int:
        """Send ``signum`` (default SIGKILL: a crash) to qcluster process ``index`` and everything it
        forked; returns its pid. ``start_worker()`` brings a replacement."""
        return self.children.stop_one(self._worker_names[index], signum=signum)

    def cpu_seconds(self) -> dict[str, float]:
        """CPU time (user + system) used so far by each child's whole process group, by child name
        (a qcluster process and the workers it forked count as one), including reaped children. On this
        shared machine wall time moves with others' load; CPU per unit of work does not."""
        tick = os.sysconf("SC_CLK_TCK")
        groups = {child.pgid: child.command.name for child in self.children.running}
        used: dict[str, float] = dict.fromkeys(groups.values(), 0.0)
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue  # gone meanwhile
            name = groups.get(int(fields[2]))  # pgrp
            if name is not None:
                used[name] += sum(int(value) for value in fields[11:15]) / tick  # utime stime cutime cstime
        return used

    # -- driving and checking -------------------------------------------------------------------------------

    def opportunity_ids(self) -> list[str]:
        """Every seeded opportunity's id, in order (read from the simulator's store)."""
        from simulators.salesforce.store import database_path

        with sqlite3.connect(f"file:{database_path(self.data_dir)}?mode=ro", uri=True) as connection:
            rows = connection.execute('SELECT "Id" FROM "Opportunity" ORDER BY "Id"').fetchall()
        connection.close()
        return [row[0] for row in rows]

    def close_won(self, ids: Sequence[str], *, batch: int = 200, pause_seconds: float = 0.0) -> int:
        """Set ``ids`` to Closed Won through the Salesforce API (sObject Collections, 200 a call), as a
        sales team would; each change fires the outbound message rule. Returns the API calls made (also
        added to ``harness_salesforce_calls``)."""
        from sync.connections.services import salesforce_connector

        sf = salesforce_connector(self.salesforce_connection())
        for start in range(0, len(ids), batch):
            records = [{"Id": i, "StageName": "Closed Won"} for i in ids[start : start + batch]]
            results = sf.collections_update("Opportunity", records, all_or_none=True)
            failed = [r for r in results if not r.success]
            if failed:
                raise RuntimeError(f"closing opportunities failed: {failed[:3]}")
            if pause_seconds:
                time.sleep(pause_seconds)
        self.harness_salesforce_calls += sf.api_calls
        return sf.api_calls

    def inbox_pending(self) -> int:
        """Inbox messages not yet done (pending or claimed)."""
        from sync.pipeline.models import InboxMessage, InboxStatus

        return InboxMessage.objects.exclude(status=InboxStatus.DONE).count()

    def records_done(self) -> int:
        """Distinct opportunities with a finished sync record (any outcome)."""
        from sync.pipeline.models import SyncRecord

        return SyncRecord.objects.exclude(finished_at=None).values("opportunity_id").distinct().count()

    def sales_order_counts(self, ids: Sequence[str] | None = None) -> dict[str, int]:
        """Sales orders per opportunity in NetSuite, counted by externalId through SuiteQL (without
        Concord's limiter; run it when the workers are idle). With ``ids``, every id is present."""
        from sync.connections.services import netsuite_connector

        ns = netsuite_connector(self.netsuite_connection(), limited=False)
        counts: dict[str, int] = {i: 0 for i in ids or ()}
        for row in ns.suiteql_by_key("SELECT id, externalid FROM transaction", where="type = 'SalesOrd'"):
            external_id = str(row.get("externalid") or "")
            counts[external_id] = counts.get(external_id, 0) + 1
        return counts

    def wait_until(self, done: Callable[[], bool], *, timeout: float = 1800.0, poll: float = 0.5) -> float:
        """Poll ``done`` until it is true; returns the seconds waited. Raises ``TimeoutError``; also
        raises if a child died on its own (a crashed worker, simulator or web server)."""
        started = time.monotonic()
        while not done():
            exited = self.children.first_exited()
            if exited is not None and exited.process.returncode not in (None, -signal.SIGKILL):
                raise RuntimeError(
                    f"{exited.command.name} exited with {exited.process.returncode}; see {self.logs}"
                )
            if time.monotonic() - started > timeout:
                raise TimeoutError(f"not done after {timeout:.0f} s")
            time.sleep(poll)
        return time.monotonic() - started


class StatsSampler:
    """Samples a simulator's ``/_control/stats`` every ``interval`` seconds in a thread: a time line of
    requests received, refused and in flight, so a benchmark can find its steady window."""

    def __init__(self, stack: Stack, system: str, *, interval: float = 0.25) -> None:
        self.url = f"{stack.simulator(system).url}/_control/stats"
        self.ca_file = stack.simulator(system).ca_file
        self.interval = interval
        self.samples: list[dict[str, Any]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"stats-{system}", daemon=True)

    def __enter__(self) -> StatsSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        session = requests.Session()
        session.trust_env = False
        session.verify = self.ca_file
        while not self._stop.is_set():
            try:
                body = session.get(self.url, timeout=5).json()
            except requests.RequestException:
                body = None
            if body is not None:
                counters = body.get("counters", {})
                self.samples.append(
                    {
                        "t": time.monotonic(),
                        "received": int(counters.get("received", 0)),
                        "refused": int(counters.get("refused_concurrency", 0)),
                        "in_flight": int(body.get("in_flight", 0)),
                        "peak_in_flight": int(body.get("peak_in_flight", 0)),
                    }
                )
            self._stop.wait(self.interval)
        session.close()


def _wait_for_file(marker: Path, process: subprocess.Popen[bytes], what: str) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if marker.exists():
            try:
                return dict(json.loads(marker.read_text()))
            except json.JSONDecodeError:
                pass  # being written
        if process.poll() is not None:
            break
        time.sleep(0.05)
    raise RuntimeError(f"{what} did not start")
