"""The queue's search on PostgreSQL reads the trigram indexes of migration 0042 (pg_trgm): every column it
searches has one, on the very expression Django writes, so the planner can answer ``LIKE '%...%'`` with a
BitmapOr of index scans. On a test database's few rows the planner would rather read the table (or walk
the queue's order index), so sequential and plain index scans are switched off to ask whether the
indexes *can* serve the query (bench/volume.py checks what it chooses at a million). On SQLite the
migration does nothing: no such index exists."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.db import connection

from sync.exceptions.queue import QueueFilters, exception_queue_search

# Both CI stages: the trigram indexes are PostgreSQL's (tests/database_stage.py).
pytestmark = pytest.mark.database


TRIGRAM_INDEXES = {
    "exception_title_trgm",
    "exception_message_trgm",
    "exception_records_trgm",
    "exception_dedup_trgm",
}


def _indexes_of_exceptions() -> set[str]:
    with connection.cursor() as cursor:
        return set(connection.introspection.get_constraints(cursor, "sync_exceptionitem"))


@pytest.mark.django_db
def test_the_search_can_be_answered_from_the_trigram_indexes(revops: User) -> None:
    if connection.vendor != "postgresql":
        assert not TRIGRAM_INDEXES & _indexes_of_exceptions()
        return
    assert TRIGRAM_INDEXES <= _indexes_of_exceptions()
    found = exception_queue_search(user=revops, filters=QueueFilters(search="Acme SARL"))
    sql, params = found.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")  # nor walk the queue's order index and filter
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "Seq Scan on sync_exceptionitem" not in plan
    for index in TRIGRAM_INDEXES:
        assert f"Bitmap Index Scan on {index}" in plan, plan
