"""cProfile in every thread of the qcluster processes of a benchmark's stack, for finding CPU costs.

Set ``CONCORD_BENCH_PROFILE_DIR`` (inherited by the stack's children) when running a benchmark that puts
bench/sqlcount first on the stack's PYTHONPATH (bench/throughput.py does): its ``sitecustomize`` calls
:func:`install`. In a ``manage.py qcluster`` process, each process the cluster forks (its workers) gets a
profiler per thread (its own and each thread it starts: the write pool's), and a daemon thread writes
the merged statistics to ``<dir>/<pid>.prof`` every two seconds (readable with :mod:`pstats`), plus the SQL
statements the process ran, by their first words, to ``<dir>/<pid>.sql.json``. Without the variable,
nothing happens. Profiling slows the code it measures: read the shares, not the milliseconds.

    CONCORD_BENCH_PROFILE_DIR=/tmp/prof PYTHONPATH=. .venv/bin/python -m bench.throughput ...
    PYTHONPATH=. .venv/bin/python -m bench.profiling /tmp/prof [sort-key] [lines]
"""

from __future__ import annotations

import contextlib
import cProfile
import json
import marshal
import os
import re
import sys
import threading
import time
from collections import Counter
from typing import Any

_WORDS = re.compile(r'"[^"]*"|\S+')


def _sql_shape(sql: str) -> str:
    """The statement's kind and table: e.g. 'INSERT INTO "sync_syncrecord"'."""
    words = _WORDS.findall(str(sql))[:8]
    upper = [w.upper() for w in words]
    for keyword in ("FROM", "INTO", "UPDATE"):
        if keyword in upper[:-1]:
            return f"{upper[0]} {keyword} {words[upper.index(keyword) + 1]}"
    return " ".join(words[:3])


def install(directory: str) -> None:
    if "qcluster" not in " ".join(sys.argv):
        return
    profilers: list[cProfile.Profile] = []
    statements: Counter[str] = Counter()
    lock = threading.Lock()
    active: list[bool] = []  # profile threads only in the forked processes

    def start_thread_profiler() -> None:
        profiler = cProfile.Profile(time.thread_time)  # CPU, not wall: threads wait on the GIL
        with lock:
            profilers.append(profiler)
        profiler.enable()

    plain_run = threading.Thread.run

    def profiled_run(thread: threading.Thread) -> None:
        if active and not getattr(thread, "_bench_no_profile", False):
            start_thread_profiler()
        plain_run(thread)

    def dump() -> None:
        pid = os.getpid()
        merged: dict[Any, Any] = {}
        with lock:
            current = list(profilers)
        for profiler in current:
            profiler.snapshot_stats()
            for key, (cc, nc, tt, ct, callers) in profiler.stats.items():  # type: ignore[attr-defined]
                if key in merged:
                    old = merged[key]
                    joined = dict(old[4])
                    for caller, value in callers.items():
                        if caller in joined:
                            joined[caller] = tuple(a + b for a, b in zip(joined[caller], value, strict=False))
                        else:
                            joined[caller] = value
                    merged[key] = (old[0] + cc, old[1] + nc, old[2] + tt, old[3] + ct, joined)
                else:
                    merged[key] = (cc, nc, tt, ct, callers)
        with open(os.path.join(directory, f"{pid}.prof.tmp"), "wb") as out:
            marshal.dump(merged, out)
        os.replace(os.path.join(directory, f"{pid}.prof.tmp"), os.path.join(directory, f"{pid}.prof"))
        with open(os.path.join(directory, f"{pid}.sql.json"), "w") as out:
            json.dump(dict(statements), out)

    def dumper() -> None:
        while True:
            time.sleep(2.0)
            with contextlib.suppress(Exception):  # a benchmark aid: never disturb the worker
                dump()

    def count_sql(execute: Any, sql: Any, params: Any, many: bool, context: Any) -> Any:
        with contextlib.suppress(Exception):
            statements[_sql_shape(sql)] += 1
        return execute(sql, params, many, context)

    def in_child() -> None:
        profilers.clear()
        statements.clear()
        from django.db import connections
        from django.db.backends.signals import connection_created

        def wrap(sender: Any, connection: Any, **kwargs: Any) -> None:
            if count_sql not in connection.execute_wrappers:
                connection.execute_wrappers.append(count_sql)

        connection_created.connect(wrap, weak=False)
        for connection in connections.all(initialized_only=True):
            wrap(None, connection)
        active.append(True)
        thread = threading.Thread(target=dumper, daemon=True)
        thread._bench_no_profile = True  # type: ignore[attr-defined]
        thread.start()
        start_thread_profiler()

    threading.Thread.run = profiled_run  # type: ignore[method-assign]
    os.register_at_fork(after_in_child=in_child)


def report(directory: str, sort: str = "tottime", lines: int = 60) -> None:
    import glob
    import pstats

    files = sorted(glob.glob(os.path.join(directory, "*.prof")))
    stats = pstats.Stats(files[0])
    for name in files[1:]:
        stats.add(name)
    stats.sort_stats(sort).print_stats(lines)
    total: Counter[str] = Counter()
    for name in glob.glob(os.path.join(directory, "*.sql.json")):
        with open(name) as source:
            total.update(json.load(source))
    for shape, count in total.most_common(40):
        print(f"{count:8d}  {shape}")


if __name__ == "__main__":
    report(sys.argv[1], *(sys.argv[2:3] or ["tottime"]), *[int(a) for a in sys.argv[3:4]])
