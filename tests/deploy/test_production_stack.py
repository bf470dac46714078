"""Concord in production mode, started as an operator starts it: every process through
deploy/entrypoint.sh (setup, web on gunicorn, two workers, the scheduler) with DEBUG off, a fresh
PostgreSQL database and Redis (db 8; the soak has 7), against both simulators. A person signs in over
HTTP, a deal is won in Salesforce and its sales order appears in NetSuite; /healthz answers 200.

PostgreSQL only (CI's PostgreSQL stage): the production combination. The connections and the Closed Won
listener are made the way the demo makes them (``entrypoint.sh manage shell``), since what is tested
here is the processes, not the first-run pages (tests/browser/test_first_run.py walks those)."""

from __future__ import annotations

import base64
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest
import redis
import requests
from django.conf import settings
from django_otp.oath import totp

from demo.launcher import SimulatorPlan, simulator_commands, simulator_data_ensure
from simulators.netsuite.client import RestClient
from tests.browser.stack import SalesforceOrg, free_port

ROOT = Path(settings.BASE_DIR)
ENTRYPOINT = str(ROOT / "deploy" / "entrypoint.sh")
DATABASE = settings.DATABASES["default"]
REDIS_URL = os.environ.get("DEPLOY_STACK_REDIS_URL", "redis://127.0.0.1:6379/8")
ADMIN, PASSWORD = "operator", "a-long-and-unusual-passphrase-42"
START_TIMEOUT, SYNC_TIMEOUT, STOP_TIMEOUT = 60.0, 60.0, 5.0

pytestmark = [
    pytest.mark.skipif(
        "postgresql" not in DATABASE["ENGINE"],
        reason="the production stack runs on PostgreSQL (CI's PG stage)",
    ),
    pytest.mark.database,  # runs in the PostgreSQL stage (tests/database_stage.py)
]


@dataclass
class Stack:
    root: Path
    env: dict[str, str]
    url: str
    plan: SimulatorPlan
    processes: list[subprocess.Popen[bytes]]

    @property
    def log(self) -> Path:
        return self.root / "stack.log"

    def tail(self, lines: int = 60) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def run(self, *args: str) -> str:
        """``entrypoint.sh ARGS`` to its end; its output (it is also appended to the log)."""
        done = subprocess.run(
            [ENTRYPOINT, *args], cwd=self.root, env=self.env, capture_output=True, text=True, timeout=240
        )
        with self.log.open("a") as log:
            log.write(done.stdout + done.stderr)
        assert done.returncode == 0, f"{args}: {done.returncode}\n{done.stdout}\n{done.stderr}"
        return done.stdout

    def start(self, argv: list[str]) -> None:
        with self.log.open("ab") as log:
            self.processes.append(
                subprocess.Popen(  # noqa: S603 - our own entrypoint and simulators
                    argv,
                    cwd=self.root,
                    env=self.env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )


def _admin_connection() -> psycopg.Connection[Any]:
    return psycopg.connect(
        host=DATABASE["HOST"] or "127.0.0.1",
        port=int(DATABASE["PORT"] or 5432),
        user=DATABASE["USER"],
        password=DATABASE["PASSWORD"] or None,
        dbname="postgres",
        autocommit=True,
    )


def _environment(root: Path, database: str, port: int) -> dict[str, str]:
    host, db_port, user = DATABASE["HOST"] or "127.0.0.1", DATABASE["PORT"] or 5432, DATABASE["USER"]
    password = f":{DATABASE['PASSWORD']}" if DATABASE["PASSWORD"] else ""
    return {
        "PATH": "/usr/bin:/bin",
        "HOME": str(root),
        "PYTHONPATH": str(ROOT),
        "PYTHONUNBUFFERED": "1",
        "CONCORD_PYTHON": sys.executable,
        "DEBUG": "0",
        "SECRET_KEY": base64.urlsafe_b64encode(os.urandom(48)).decode(),
        "FIELD_ENCRYPTION_KEYS": base64.urlsafe_b64encode(os.urandom(32)).decode(),
        "DATABASE_URL": f"postgres://{user}{password}@{host}:{db_port}/{database}",
        "REDIS_URL": REDIS_URL,
        "VAR_DIR": str(root / "var"),
        "STATIC_ROOT": str(root / "static"),
        "ALLOWED_HOSTS": "127.0.0.1",
        # Plain HTTP on the loopback (production puts a TLS proxy in front, BEHIND_PROXY=1).
        "SECURE_SSL_REDIRECT": "0",
        "SESSION_COOKIE_SECURE": "0",
        "CSRF_COOKIE_SECURE": "0",
        "SECURE_HSTS_SECONDS": "0",
        "CONCORD_BIND": f"127.0.0.1:{port}",
        "WEB_WORKERS": "2",
        "Q_WORKERS": "1",  # per worker process; two worker processes run
        "LOG_LEVEL": "WARNING",
        "CONCORD_ADMIN_USERNAME": ADMIN,
        "CONCORD_ADMIN_EMAIL": "operator@example.com",
        "CONCORD_ADMIN_PASSWORD": PASSWORD,
    }


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    broker = redis.Redis.from_url(REDIS_URL)
    try:
        broker.ping()
    except redis.RedisError:
        pytest.skip(f"no Redis at {REDIS_URL}")
    broker.flushdb()
    database = f"concord_deploy_{os.getpid()}"
    with _admin_connection() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{database}"')
        admin.execute(f'CREATE DATABASE "{database}"')
    plan = SimulatorPlan(
        data_dir=tmp_path / "var" / "simulators", salesforce_port=free_port(), netsuite_port=free_port()
    )
    port = free_port()
    built = Stack(tmp_path, _environment(tmp_path, database, port), f"http://127.0.0.1:{port}", plan, [])
    try:
        yield built
    finally:
        for process in built.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        # A stack that is thrown away: whatever has not stopped a few seconds after SIGTERM (a cluster's
        # guard waits out its own timers) is killed rather than waited for.
        deadline = time.monotonic() + STOP_TIMEOUT
        for process in built.processes:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
        broker.flushdb()
        with _admin_connection() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


def _wait_until_up(stack: Stack, session: requests.Session) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    for url in (
        stack.url + "/healthz",
        stack.plan.url(stack.plan.salesforce_port),
        stack.plan.url(stack.plan.netsuite_port),
    ):
        while True:
            dead = [process.args for process in stack.processes if process.poll() is not None]
            assert not dead, f"{dead} exited:\n{stack.tail()}"
            try:
                session.get(url, timeout=2, verify=str(stack.plan.ca_file))
                break
            except requests.RequestException:
                assert time.monotonic() < deadline, f"{url} did not answer:\n{stack.tail()}"
                time.sleep(0.3)


def _sign_in(stack: Stack, session: requests.Session) -> None:
    session.get(f"{stack.url}/accounts/login/", timeout=10)
    answer = session.post(
        f"{stack.url}/accounts/login/",
        data={"username": ADMIN, "password": PASSWORD, "csrfmiddlewaretoken": session.cookies["csrftoken"]},
        timeout=10,
        allow_redirects=False,
    )
    assert answer.status_code == 302, answer.text[:500]
    assert "sessionid" in session.cookies
    # Production requires a second factor of an Admin (MFA_REQUIRED_ROLES): the first sign-in enrols one,
    # as a person would with an authenticator app (the code computed from the secret the page shows).
    enrol = session.get(f"{stack.url}/accounts/mfa/enrol/", timeout=10)
    found = re.search(r'id="mfa-secret">([A-Z2-7]+)<', enrol.text)
    assert enrol.status_code == 200 and found, enrol.text[:500]
    key = base64.b32decode(found[1] + "=" * (-len(found[1]) % 8))
    confirmed = session.post(
        f"{stack.url}/accounts/mfa/enrol/",
        data={"token": f"{totp(key):06d}", "csrfmiddlewaretoken": session.cookies["csrftoken"]},
        timeout=10,
        allow_redirects=False,
    )
    assert confirmed.status_code == 302, confirmed.text[:500]


def test_the_entrypoint_runs_concord_in_production_and_syncs_a_won_deal(stack: Stack) -> None:
    started = time.monotonic()
    # Running it again changes nothing (tests/console/setup/test_setup_command.py): once is enough here.
    assert f"First administrator {ADMIN} created" in stack.run("setup")
    setup_seconds = time.monotonic() - started

    simulator_data_ensure(stack.plan, accounts=4)
    for process in ("web", "worker", "worker", "scheduler"):
        stack.start([ENTRYPOINT, process])
    for command in simulator_commands(stack.plan):
        stack.start(list(command.argv))
    session = requests.Session()
    session.trust_env = False
    _wait_until_up(stack, session)

    listener_url = stack.run(
        "manage",
        "shell",
        "--verbosity",
        "0",
        "-c",
        "from pathlib import Path; "
        "from demo.launcher import SimulatorPlan, demo_connections_ensure, demo_listener_ensure; "
        f"plan = SimulatorPlan(data_dir=Path({str(stack.plan.data_dir)!r}), "
        f"salesforce_port={stack.plan.salesforce_port}, netsuite_port={stack.plan.netsuite_port}); "
        f"demo_connections_ensure(plan); print(demo_listener_ensure(plan, console_url={stack.url!r}))",
    ).strip()
    assert listener_url.startswith(stack.url + "/sync/inbound/"), listener_url

    _sign_in(stack, session)
    dashboard = session.get(f"{stack.url}/", timeout=20)
    assert dashboard.status_code == 200 and ADMIN in dashboard.text
    checklist = session.get(f"{stack.url}/api/v1/setup/", timeout=20)
    assert checklist.status_code == 200, checklist.text[:300]

    salesforce = SalesforceOrg(stack.plan.url(stack.plan.salesforce_port), stack.plan.ca_file)
    deals = salesforce.query(
        "SELECT Id FROM Opportunity WHERE IsClosed = false AND SBQQ__PrimaryQuote__c != null "
        "ORDER BY Id LIMIT 3"
    )
    assert deals
    won_at = time.monotonic()
    for deal in deals:  # one synced deal proves the path (a country without a subsidiary may block one)
        salesforce.update("Opportunity", deal["Id"], {"StageName": "Closed Won"})
    netsuite = RestClient(stack.plan.url(stack.plan.netsuite_port), str(stack.plan.ca_file))
    synced: list[str] = []
    while not synced:
        synced = [
            deal["Id"]
            for deal in deals
            if netsuite.request("GET", f"record/v1/salesOrder/eid:{deal['Id']}", timeout=10).status_code
            == 200
        ]
        if not synced:
            assert time.monotonic() - won_at < SYNC_TIMEOUT, f"no sales order in NetSuite:\n{stack.tail()}"
            time.sleep(0.5)
    sync_seconds = time.monotonic() - won_at

    health = session.get(f"{stack.url}/healthz", timeout=10)
    assert health.status_code == 200, health.text
    assert json.loads(health.text)["status"] == "ok"
    print(f"setup {setup_seconds:.1f} s; Closed Won -> sales order {sync_seconds:.1f} s")  # noqa: T201
