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

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import DEFAULT_DB_ALIAS, connections, transaction


@contextmanager
def commit_unflushed(using: str | None = None) -> Iterator[None]:
    """A transaction (``transaction.atomic``) whose commit does not wait for the WAL flush on PostgreSQL.

    Inside a caller's transaction it is a savepoint of that transaction and changes nothing about its
    commit: ``SET LOCAL`` would relax the caller's whole transaction, which it did not ask for.
    """
    alias = using or DEFAULT_DB_ALIAS
    connection = connections[alias]
    outermost = not connection.in_atomic_block
    with transaction.atomic(using=alias):
        if outermost and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit TO OFF")
        yield
