"""The audit chain on a live system: a gunicorn web server with two worker processes, two django-q2
clusters and two plain processes write audit entries at the same time (sign-ins through the login form,
API-token calls, htmx edits, worker tasks, checkpoints), then ``verify_audit_chain`` finds one intact chain
that every checkpoint agrees with, and finds the newest entry once it is removed.

Everything runs in child processes against a database of its own (a SQLite file, or a new PostgreSQL
database beside the test database when the suite runs on PostgreSQL): nothing here uses the test
database or its transaction.
"""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import dj_database_url
import pytest
import requests
from django.conf import settings

from bench.stack import free_port, gunicorn_command
from demo.processes import ChildCommand, ChildProcesses

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "live-chain-password"
CLIENTS = 3  # threads, each signing in, editing through htmx and calling the API
pytestmark = pytest.mark.database  # processes writing to a database beside the stage's (DATABASE_URL)
ROUNDS = 2
TASKS = 4  # django-q2 tasks, run by two clusters of two workers
PLAIN_WRITERS = 2  # python processes writing without a worker
PER_WRITER = 4

Query = Callable[[str], list[tuple[Any, ...]]]


@pytest.fixture
def live_database(tmp_path: Path) -> Iterator[tuple[str, Query, Callable[[str], None]]]:
    """(DATABASE_URL, a read helper, a raw statement helper that bypasses the application)."""
    if settings.DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
        path = tmp_path / "live.sqlite3"

        def query(sql: str) -> list[tuple[Any, ...]]:
            with sqlite3.connect(path, timeout=20) as db:
                return list(db.execute(sql).fetchall())

        def tamper(sql: str) -> None:
            with sqlite3.connect(path, timeout=20) as db:
                db.execute(sql)

        yield f"sqlite:///{path}", query, tamper
        return
    import psycopg

    base = dj_database_url.parse(os.environ["DATABASE_URL"])
    # One database per xdist worker: test_chain_migration uses this fixture too, and the two may run at once.
    name = f"{base['NAME']}_live_chain_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"
    admin_dsn = os.environ["DATABASE_URL"].rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_dsn, autocommit=True) as db:
        db.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        db.execute(f'CREATE DATABASE "{name}"')
    url = os.environ["DATABASE_URL"].rsplit("/", 1)[0] + f"/{name}"

    def pg_query(sql: str) -> list[tuple[Any, ...]]:
        with psycopg.connect(url) as db:
            return list(db.execute(sql.encode()).fetchall())

    def pg_tamper(sql: str) -> None:
        # As the table's owner (a superuser here) could: switch the append-only trigger off first.
        with psycopg.connect(url) as db:
            db.execute(b"ALTER TABLE governance_auditentry DISABLE TRIGGER governance_auditentry_append_only")
            db.execute(sql.encode())
            db.execute(b"ALTER TABLE governance_auditentry ENABLE TRIGGER governance_auditentry_append_only")

    try:
        yield url, pg_query, pg_tamper
    finally:
        with psycopg.connect(admin_dsn, autocommit=True) as db:
            db.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def child_env(database_url: str, var_dir: Path) -> dict[str, str]:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "DJANGO_SETTINGS_MODULE": "console.settings",
        "DATABASE_URL": database_url,
        "VAR_DIR": str(var_dir),
        "DEBUG": "0",
        "Q_SYNC": "0",
        "Q_WORKERS": "2",
        "Q_POLL_MS": "50",
        "STATIC_MANIFEST": "0",
        "SECURE_SSL_REDIRECT": "0",  # plain HTTP on the loopback
        "SESSION_COOKIE_SECURE": "0",
        "CSRF_COOKIE_SECURE": "0",
        "LOG_LEVEL": "WARNING",
        "DEMO_PASSWORD": PASSWORD,
    }
    env.pop("REDIS_URL", None)
    return env


def manage(env: dict[str, str], *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, check=check
    )


def csrf(session: requests.Session) -> str:
    return session.cookies.get("csrftoken") or ""


def sign_in(base: str, username: str) -> requests.Session:
    session = requests.Session()
    page = session.get(f"{base}/accounts/login/", timeout=30)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    assert token is not None, page.text[:500]
    response = session.post(
        f"{base}/accounts/login/",
        data={"csrfmiddlewaretoken": token[1], "username": username, "password": PASSWORD},
        headers={"Referer": f"{base}/accounts/login/"},
        allow_redirects=False,
        timeout=30,
    )
    assert response.status_code == 302, response.text[:500]
    return session


def client_round(base: str, finance_id: int, errors: list[str]) -> None:
    try:
        for _ in range(ROUNDS):
            admin = sign_in(base, "admin")
            for action in ("grant", "revoke"):
                edited = admin.post(
                    f"{base}/governance/users/{finance_id}/access/",
                    data={"kind": "flow", "target": "all", "action": action},
                    headers={"HX-Request": "true", "X-CSRFToken": csrf(admin), "Referer": base + "/"},
                    timeout=30,
                )
                if edited.status_code != 200:
                    errors.append(f"htmx edit: {edited.status_code} {edited.text[:200]}")
            revops = sign_in(base, "revops")
            created = revops.post(
                f"{base}/api/v1/tokens/",
                json={"name": "by session"},
                headers={"X-CSRFToken": csrf(revops), "Referer": base + "/"},
                timeout=30,
            )
            if created.status_code != 201:
                errors.append(f"token by session: {created.status_code} {created.text[:200]}")
                continue
            bearer = {"Authorization": f"Bearer {created.json()['secret']}"}
            by_token = requests.post(
                f"{base}/api/v1/tokens/", json={"name": "by token"}, headers=bearer, timeout=30
            )
            if by_token.status_code != 201:
                errors.append(f"token by token: {by_token.status_code} {by_token.text[:200]}")
                continue
            revoked = requests.post(
                f"{base}/api/v1/tokens/{by_token.json()['id']}/revoke/", headers=bearer, timeout=30
            )
            if revoked.status_code != 200:
                errors.append(f"revoke: {revoked.status_code} {revoked.text[:200]}")
            revops.post(f"{base}/accounts/logout/", headers={"X-CSRFToken": csrf(revops)}, timeout=30)
    except Exception as exc:  # reported by the test's assertion
        errors.append(repr(exc))


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.5)


def test_the_chain_verifies_after_concurrent_writes_from_several_processes(
    tmp_path: Path, live_database: tuple[str, Query, Callable[[str], None]]
) -> None:
    database_url, query, tamper = live_database
    env = child_env(database_url, tmp_path / "var")
    (tmp_path / "var").mkdir()
    manage(env, "migrate", "-v0")
    manage(env, "seed_personas", "--quiet-logins")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    children = ChildProcesses(
        [
            ChildCommand("web", gunicorn_command(port, workers=2, threads=2)),
            ChildCommand("cluster-1", [sys.executable, "manage.py", "qcluster"]),
            ChildCommand("cluster-2", [sys.executable, "manage.py", "qcluster"]),
        ],
        env=env,
    )
    os.chdir(ROOT)
    children.start()
    try:
        wait_until(lambda: _answers(base), 60, "gunicorn")
        (finance_id,) = query("SELECT id FROM auth_user WHERE username = 'finance'")[0]
        enqueue = (
            "from django_q.tasks import async_task\n"
            f"for n in range({TASKS}):\n"
            "    async_task('tests.governance.chain_workload.audit_workload_task', "
            f"f'task{{n}}', {PER_WRITER})\n"
        )
        manage(env, "shell", "-c", enqueue)
        errors: list[str] = []
        threads = [
            threading.Thread(target=client_round, args=(base, finance_id, errors)) for _ in range(CLIENTS)
        ]
        writers = [
            subprocess.Popen(
                [sys.executable, "-m", "tests.governance.chain_workload", f"plain{n}", str(PER_WRITER)],
                cwd=ROOT,
                env=env,
            )
            for n in range(PLAIN_WRITERS)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert [writer.wait(timeout=300) for writer in writers] == [0] * PLAIN_WRITERS
        assert errors == []
        expected_users = (TASKS + PLAIN_WRITERS) * PER_WRITER
        wait_until(
            lambda: (
                query(
                    "SELECT count(*) FROM auth_user WHERE email LIKE '%@concord.example' "
                    "AND (username LIKE 'task%' OR username LIKE 'plain%')"
                )[0][0]
                == expected_users
                and query("SELECT count(*) FROM django_q_ormq")[0][0] == 0
            ),
            300,
            "the worker tasks",
        )
    finally:
        children.stop()

    entries = query("SELECT count(*), count(DISTINCT prev_hash) FROM governance_auditentry")[0]
    assert entries[0] == entries[1] > 100  # one chain: no two entries follow the same one
    remote = query(
        "SELECT count(*) FROM governance_auditentry WHERE remote_addr IS NOT NULL AND actor_id IS NOT NULL"
    )[0][0]
    assert remote >= CLIENTS * ROUNDS * 6  # two sign-ins, two edits, two token calls per round at least
    checkpoints = query("SELECT count(*) FROM governance_auditcheckpoint")[0][0]
    assert checkpoints >= (TASKS + PLAIN_WRITERS) * 2
    verified = manage(env, "verify_audit_chain", check=False)
    assert verified.returncode == 0, verified.stderr
    assert f"intact: {entries[0]} entries" in verified.stdout
    assert f"{checkpoints} checkpoints" in verified.stdout

    # The newest entry goes after a checkpoint named it: the links alone would not show it.
    recorded = manage(env, "audit_checkpoint")
    assert "audit chain checkpoint: entry=" in recorded.stdout
    tamper("DELETE FROM governance_auditentry WHERE id = (SELECT max(id) FROM governance_auditentry)")
    broken = manage(env, "verify_audit_chain", check=False)
    assert broken.returncode == 1 and "no longer holds" in broken.stderr


def _answers(base: str) -> bool:
    try:
        return requests.get(f"{base}/accounts/login/", timeout=2).status_code == 200
    except requests.RequestException:
        return False
