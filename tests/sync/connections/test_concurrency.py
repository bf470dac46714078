"""The NetSuite limiter holds across OS processes: several workers, one pool, zero 429s.

Each run starts the NetSuite simulator with a concurrency limit of 3 and some latency, then three worker
processes (:mod:`tests.sync.netsuite_load`, four threads each: 12 clients for 3 slots) that share one
limiter: the database (a SQLite file all processes open, or the PostgreSQL test database) or Redis. The
simulator's own counters prove the outcome; the control run without a limiter shows the test can fail.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from django.db import connection as db_connection
from django.db.backends.sqlite3.base import DatabaseWrapper as SQLiteWrapper

from simulators.core.runner import RunningSimulator, start_in_thread
from simulators.netsuite.spec import DEFAULT_ACCOUNT_ID, DEMO_INTEGRATION
from simulators.netsuite.spec import SPEC as NETSUITE_SPEC
from sync.connections.models import ConcurrencyLease
from tests.simulators.conftest import https_session

LIMIT = 3
PROCESSES = 3
pytestmark = pytest.mark.database  # worker processes on the stage's database and Redis
THREADS = 4
REQUESTS_EACH = 25
REDIS_URL = "redis://127.0.0.1:6379/0"
ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def limited_netsuite(tmp_path: Path) -> Iterator[RunningSimulator]:
    running = start_in_thread(
        NETSUITE_SPEC, tmp_path / "ns", concurrency_limit=LIMIT, latency_ms=40.0, jitter_ms=10.0
    )
    yield running
    running.stop()


def _worker_env(database_url: str) -> dict[str, str]:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", "DATABASE_URL": database_url}
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def _run_workers(simulator: RunningSimulator, *, backend: str, database_url: str) -> dict[str, Any]:
    """Start the workers, let them go at once, and return their results with the simulator's stats."""
    options = {
        "backend": backend,
        "limit": LIMIT,
        "key": f"test-{uuid.uuid4().hex[:12]}",
        "redis_url": REDIS_URL,
        "account_id": DEFAULT_ACCOUNT_ID,
        "auth": {
            "consumer_key": DEMO_INTEGRATION.consumer_key,
            "consumer_secret": DEMO_INTEGRATION.consumer_secret,
            "token_id": DEMO_INTEGRATION.token_id,
            "token_secret": DEMO_INTEGRATION.token_secret,
        },
        "base_url": simulator.url,
        "ca_file": simulator.ca_file,
        "requests": REQUESTS_EACH,
        "threads": THREADS,
    }
    command = [sys.executable, "-m", "tests.sync.netsuite_load", json.dumps(options)]
    env = _worker_env(database_url)
    workers = [
        subprocess.Popen(command, cwd=ROOT, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        for _ in range(PROCESSES)
    ]
    try:
        for worker in workers:  # every process ready (Django loaded) before any sends a request
            assert worker.stdout is not None and worker.stdout.readline().strip() == "READY"
        control = https_session(simulator.ca_file)
        control.delete(simulator.url + "/_control/stats").raise_for_status()
        started = time.monotonic()
        for worker in workers:
            assert worker.stdin is not None
            worker.stdin.write("go\n")
            worker.stdin.flush()
        results = [
            json.loads(worker.communicate(timeout=60)[0].strip().splitlines()[-1]) for worker in workers
        ]
        elapsed = time.monotonic() - started
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
    assert all(worker.returncode == 0 for worker in workers)
    stats = control.get(simulator.url + "/_control/stats").json()
    return {"results": results, "stats": stats, "elapsed": elapsed}


def _assert_within_limit(run: dict[str, Any]) -> None:
    total = PROCESSES * REQUESTS_EACH
    errors = [error for result in run["results"] for error in result["errors"]]
    assert errors == [] and sum(result["ok"] for result in run["results"]) == total
    counters = run["stats"]["counters"]
    assert counters.get("refused_concurrency", 0) == 0, counters
    assert counters.get("received") == total and counters.get("status_2xx") == total
    # The limit was reached, not merely respected by running one request at a time.
    assert run["stats"]["peak_in_flight"] == LIMIT


@pytest.fixture
def shared_database(db: None, tmp_path: Path) -> Iterator[str]:
    """A DATABASE_URL every worker process can open, holding the lease table."""
    if db_connection.vendor == "sqlite":
        # pytest's SQLite test database lives in this process's memory: give the workers a file, with
        # the lease table made by Django's schema editor on a connection of its own.
        path = tmp_path / "leases.sqlite3"
        leases = SQLiteWrapper({**db_connection.settings_dict, "NAME": str(path)}, alias="leases")
        try:
            with leases.schema_editor(atomic=False) as editor:
                editor.create_model(ConcurrencyLease)
        finally:
            leases.close()
        yield f"sqlite:///{path}"
        return
    # PostgreSQL: the workers use the test database itself; their lease rows are committed by them, so
    # they are removed here, outside this test's transaction.
    settings = db_connection.settings_dict
    user = settings["USER"] or "postgres"
    auth = f"{user}:{settings['PASSWORD']}" if settings["PASSWORD"] else user
    url = f"postgres://{auth}@{settings['HOST'] or '127.0.0.1'}:{settings['PORT'] or 5432}/{settings['NAME']}"
    yield url
    with psycopg.connect(url, autocommit=True) as cleanup:
        cleanup.execute("DELETE FROM sync_concurrencylease WHERE key LIKE 'test-%%'")


def test_it_keeps_all_processes_within_the_limit_with_the_database_limiter(
    limited_netsuite: RunningSimulator, shared_database: str
) -> None:
    run = _run_workers(limited_netsuite, backend="database", database_url=shared_database)
    _assert_within_limit(run)


def _redis_up() -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=0.5).ping())
    except Exception:
        return False


@pytest.mark.skipif(not _redis_up(), reason=f"Redis is not reachable at {REDIS_URL}")
def test_it_keeps_all_processes_within_the_limit_with_the_redis_limiter(
    limited_netsuite: RunningSimulator, tmp_path: Path
) -> None:
    # The database is not used by the Redis limiter; the workers still need settings that load.
    run = _run_workers(
        limited_netsuite, backend="redis", database_url=f"sqlite:///{tmp_path / 'unused.sqlite3'}"
    )
    _assert_within_limit(run)


def test_the_same_load_without_a_limiter_is_refused(
    limited_netsuite: RunningSimulator, tmp_path: Path
) -> None:
    run = _run_workers(
        limited_netsuite, backend="none", database_url=f"sqlite:///{tmp_path / 'unused.sqlite3'}"
    )
    refused = run["stats"]["counters"].get("refused_concurrency", 0)
    assert refused > 0
    assert sum(len(result["errors"]) for result in run["results"]) == refused
    assert {error for result in run["results"] for error in result["errors"]} == {
        "429 CONCURRENCY_LIMIT_EXCEEDED"
    }
