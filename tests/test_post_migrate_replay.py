"""The replayed post_migrate (tests/post_migrate_replay.py) leaves an emptied database as Django's receivers
do: the same tables holding the same number of rows, the same content types and roles, an intact audit
chain; and it writes the very rows it copied."""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.core.management.color import no_style
from django.core.management.sql import emit_post_migrate_signal
from django.db import connection

from governance.chain_verify import chain_verify
from governance.models import AuditEntry
from tests.post_migrate_replay import _copy, _tables, _tables_holding_rows, emit_post_migrate_replayed
from tests.sync.pipeline.conftest import THREADED_DB


def _flush() -> None:
    tables = _tables(connection)
    connection.ops.execute_sql_flush(connection.ops.sql_flush(no_style(), tables, allow_cascade=True))
    assert _tables_holding_rows(connection, tables) == []


def _counts() -> dict[str, int]:
    counts = {}
    with connection.cursor() as cursor:
        for table in _tables_holding_rows(connection, _tables(connection)):
            cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")  # noqa: S608
            counts[table] = cursor.fetchone()[0]
    return counts


def _named() -> tuple[set[tuple[str, str]], set[str], int]:
    return (
        set(ContentType.objects.values_list("app_label", "model")),
        set(Group.objects.values_list("name", flat=True)),
        Permission.objects.count(),
    )


@THREADED_DB
def test_a_replay_writes_what_the_receivers_wrote() -> None:
    _flush()
    emit_post_migrate_signal(0, False, "default")
    counts, named = _counts(), _named()
    assert counts and named[1], "post_migrate wrote nothing"

    _flush()
    emit_post_migrate_replayed(0, False, "default")  # an empty database: the receivers run, and are copied
    copied = _copy(connection, _tables_holding_rows(connection, _tables(connection)))
    _flush()
    emit_post_migrate_replayed(0, False, "default")  # the copy written again

    assert _counts() == counts
    assert _named() == named
    assert _copy(connection, _tables_holding_rows(connection, _tables(connection))) == copied
    assert AuditEntry.objects.exists()
    assert chain_verify().intact


@THREADED_DB
def test_a_database_holding_rows_runs_the_receivers() -> None:
    Group.objects.all().delete()  # rows remain elsewhere: the receivers must make the roles again
    emit_post_migrate_replayed(0, False, "default")
    assert Group.objects.exists()


@THREADED_DB
def test_a_replay_clears_the_content_type_caches_the_receivers_clear() -> None:
    from guardian.shortcuts import _get_ct_cached

    from sync.integrations.models import Integration

    _flush()
    emit_post_migrate_signal(0, False, "default")  # as after a test without available_apps: new ids
    codename = Permission.objects.filter(content_type__model="integration").values_list(
        "codename", flat=True
    )[0]
    cached = _get_ct_cached("sync", codename)
    for _ in range(2):  # the first may run the receivers and copy; the second replays the copy
        _flush()
        emit_post_migrate_replayed(0, False, "default")

    current = ContentType.objects.get_for_model(Integration)
    assert current.pk != cached.pk  # the copy's ids are not the ones cached
    assert _get_ct_cached("sync", codename).pk == current.pk
