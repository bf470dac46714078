"""commit_unflushed (core/commits.py): statements run and commit as before; on PostgreSQL each commit
does not wait for the WAL flush, in the same round trip; a caller's transaction is left alone."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.db import connection, transaction

from core.commits import UNFLUSHED, commit_unflushed
from sync.pipeline.models import InboxDrainFlag
from tests.sync.pipeline.conftest import THREADED_DB

# Both CI stages: a plain transaction on SQLite, one unflushed message on PostgreSQL
# (tests/database_stage.py).
pytestmark = pytest.mark.database


on_postgresql = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL only")


@contextmanager
def statements_sent() -> Iterator[list[str]]:
    """The SQL as sent (installed inside commit_unflushed, it sees what that added)."""
    sent: list[str] = []

    def spy(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        sent.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(spy):
        yield sent


def _synchronous_commit() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        return str(cursor.fetchone()[0])


@THREADED_DB
def test_what_it_writes_is_committed_and_counted_as_before() -> None:
    with commit_unflushed():
        InboxDrainFlag.objects.create(pk=1, requested=True)
        assert InboxDrainFlag.objects.filter(pk=1, requested=True).update(requested=False) == 1
        group = Group.objects.create(name="unflushed")  # INSERT ... RETURNING: the id comes back
    assert not connection.in_atomic_block
    assert InboxDrainFlag.objects.get(pk=1).requested is False
    assert Group.objects.get(pk=group.pk).name == "unflushed"


@on_postgresql
@THREADED_DB
def test_on_postgresql_each_statement_commits_without_the_flush_wait_in_one_message() -> None:
    InboxDrainFlag.objects.create(pk=1, requested=True)
    with commit_unflushed(), statements_sent() as sent:
        assert InboxDrainFlag.objects.filter(pk=1, requested=True).update(requested=False) == 1
        group = Group.objects.create(name="unflushed")
    update = [sql for sql in sent if sql.startswith('UPDATE "sync_inboxdrainflag"')]
    insert = [sql for sql in sent if sql.startswith('INSERT INTO "auth_group"')]
    assert len(update) == 1 and update[0].endswith(UNFLUSHED)
    assert len(insert) == 1 and insert[0].endswith(UNFLUSHED)
    # What the audit log writes in a transaction of its own is left alone.
    assert all(UNFLUSHED not in sql for sql in sent if "pg_advisory_xact_lock" in sql)
    assert isinstance(group.pk, int) and Group.objects.filter(pk=group.pk).exists()
    assert _synchronous_commit() == "on"  # SET LOCAL: only the statement's own transaction


@on_postgresql
@THREADED_DB
def test_inside_a_callers_transaction_it_changes_nothing() -> None:
    with transaction.atomic(), commit_unflushed(), statements_sent() as sent:
        InboxDrainFlag.objects.create(pk=1, requested=True)
    assert sent and not any(UNFLUSHED in sql for sql in sent)
    assert _synchronous_commit() == "on"
