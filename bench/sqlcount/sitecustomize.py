"""Counts the SQL statements that touch the limiter's lease table, in every process of a benchmark's stack.

bench/throughput.py puts this directory first on the stack's PYTHONPATH and sets
``CONCORD_BENCH_SQL_COUNT_DIR``; Python imports ``sitecustomize`` at start-up, so every Concord process
(qcluster, the workers it forks, the web server) adds an execute wrapper to each Django database
connection it opens. A statement whose text names the lease table appends one byte to
``<dir>/lease-<pid>``: the count is the files' total size, exact however a process ends. Every other
statement is counted in ``<dir>/all-<pid>``, written at most every half second (an estimate: the last
half second of a process may be missing). Without the variable, nothing happens.
"""

from __future__ import annotations

import os
import time
from typing import Any

_DIRECTORY = os.environ.get("CONCORD_BENCH_SQL_COUNT_DIR", "")
LEASE_TABLE = "sync_concurrencylease"


def _install(directory: str) -> None:
    from django.db.backends.signals import connection_created

    class State:
        pid = 0
        lease = -1  # the descriptor of lease-<pid>
        every = 0
        flushed = 0.0

    state = State()

    def count(execute: Any, sql: Any, params: Any, many: bool, context: Any) -> Any:
        pid = os.getpid()
        if state.pid != pid:  # a forked worker: its own files
            if state.lease >= 0:
                os.close(state.lease)
            state.pid, state.every, state.flushed = pid, 0, 0.0
            state.lease = os.open(
                os.path.join(directory, f"lease-{pid}"), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600
            )
        if LEASE_TABLE in str(sql).lower():
            os.write(state.lease, b"1")
        state.every += 1
        now = time.monotonic()
        if now - state.flushed > 0.5:
            state.flushed = now
            with open(os.path.join(directory, f"all-{pid}"), "w") as out:
                out.write(str(state.every))
        return execute(sql, params, many, context)

    def wrap(sender: Any, connection: Any, **kwargs: Any) -> None:
        connection.execute_wrappers.append(count)

    connection_created.connect(wrap, weak=False)


if _DIRECTORY:
    _install(_DIRECTORY)

if os.environ.get("CONCORD_BENCH_PROFILE_DIR"):  # bench/profiling.py: cProfile in the qcluster workers
    from bench.profiling import install as _profile

    _profile(os.environ["CONCORD_BENCH_PROFILE_DIR"])
