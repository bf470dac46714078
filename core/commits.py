"""Commits that need not wait for the disk (PostgreSQL's ``synchronous_commit = off``, per transaction).

A PostgreSQL commit waits until its WAL record is flushed to disk: about 4 ms on this project's machines
(an ``fdatasync``), more under I/O load. On the real-time path (Closed Won -> sales order) several small
writes come before the first remote call: the drain flag, the inbox claim, the job and its records. None
of them needs to survive a database crash on its own, because everything after them is redone when they
are lost:

- the commit is visible to every other session at once, exactly as before: only the wait for the flush
  is skipped, so the claim's exclusion (a conditional UPDATE) and the drain flag's hand-off work the same;
- PostgreSQL never reorders commits in the WAL: a crash loses at most the last few unflushed
  transactions, never one and not a later one. The first ordinary commit after them (an outcome stored,
  a row completed) flushes them too;
- after such a crash the database is as if the worker had stopped a moment earlier, which the pipeline
  already survives: an unclaimed inbox row is claimed again and its writes are eid upserts (redone
  idempotently), a lost drain flag is what the inbox sweep's drain covers, a lost job row was a job that
  never started.

So use :func:`commit_unflushed` only for writes whose loss in a crash is such a "stopped earlier", never
for a write something outside acts on before the next ordinary commit (the listener's inbox insert comes
before an Ack: it stays flushed). Other databases: a plain transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections

# Appended to a statement sent on its own (autocommit): the server runs a message of several statements
# as one implicit transaction, and reads synchronous_commit when it commits, after the last one. So the
# statement's own result is the first (rowcount, RETURNING rows), and no round trip is added.
UNFLUSHED = "; SET LOCAL synchronous_commit TO OFF"


@contextmanager
def commit_unflushed(using: str | None = None) -> Iterator[None]:
    """Run the block's statements as they would run (each its own commit in autocommit), but on
    PostgreSQL without waiting for each commit's WAL flush, and without one more round trip.

    Changes nothing inside a caller's transaction (its commit is the caller's to make, flushed), on other
    databases, for ``executemany`` and with server-side binding (one statement per message there).
    """
    connection = connections[using or DEFAULT_DB_ALIAS]
    if (
        connection.vendor != "postgresql"
        or connection.in_atomic_block
        or connection.settings_dict.get("OPTIONS", {}).get("server_side_binding")
    ):
        yield
        return
    with connection.execute_wrapper(_unflushed):
        yield


def _unflushed(
    execute: Callable[..., Any], sql: str, params: Any, many: bool, context: dict[str, Any]
) -> Any:
    if many or not context["connection"].get_autocommit():
        return execute(sql, params, many, context)
    return execute(f"{sql}{UNFLUSHED}", params, many, context)
