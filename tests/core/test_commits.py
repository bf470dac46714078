"""commit_unflushed (core/commits.py): a transaction like any other, whose commit on PostgreSQL does not
wait for the WAL flush, and which never relaxes a caller's transaction."""

from __future__ import annotations

import pytest
from django.db import connection, transaction

from core.commits import commit_unflushed
from sync.pipeline.models import InboxDrainFlag

on_postgresql = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL only")


def _synchronous_commit() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        return str(cursor.fetchone()[0])


@pytest.mark.django_db(transaction=True)
def test_it_commits_what_it_wrote_and_rolls_back_on_an_error() -> None:
    with commit_unflushed():
        InboxDrainFlag.objects.create(pk=1, requested=True)
    assert not connection.in_atomic_block
    assert InboxDrainFlag.objects.get(pk=1).requested is True

    with pytest.raises(RuntimeError), commit_unflushed():
        InboxDrainFlag.objects.filter(pk=1).update(requested=False)
        raise RuntimeError("stop")
    assert InboxDrainFlag.objects.get(pk=1).requested is True


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_it_skips_the_flush_wait_for_its_own_transaction_only() -> None:
    assert _synchronous_commit() == "on"
    with commit_unflushed():
        assert _synchronous_commit() == "off"
    assert _synchronous_commit() == "on"  # SET LOCAL: gone with the transaction


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_inside_a_callers_transaction_it_changes_nothing_about_that_commit() -> None:
    with transaction.atomic():
        with commit_unflushed():
            assert _synchronous_commit() == "on"
        assert _synchronous_commit() == "on"
