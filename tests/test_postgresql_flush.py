"""The suite's PostgreSQL flush (tests/postgresql_backend) leaves every table empty, the append-only audit
tables included, like Django's TRUNCATE did."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.contrib.auth.models import User
from django.core.management.color import no_style
from django.db import connection

from core.audit import AuditAction, audit_record
from governance.models import AuditEntry
from sync.integrations.selectors import primary_integration

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="the PostgreSQL flush")


# Every app available, like the suite's other transactional tests (tests/sync/pipeline/conftest.py): the
# test's set-up then re-creates the content types a previous test's flush removed, and Django forgets
# their old ids (a transactional test without it could meet a cache naming deleted content types).
@pytest.mark.django_db(transaction=True, available_apps=[config.name for config in apps.get_app_configs()])
def test_the_flush_empties_every_table_the_audit_trail_included() -> None:
    user = User.objects.create_user("flushed")
    audit_record(obj=primary_integration(), actor=user, action=AuditAction.UPDATE, changes={"x": [1, 2]})
    assert AuditEntry.objects.exists()
    tables = connection.introspection.django_table_names(only_existing=True, include_views=False)
    connection.ops.execute_sql_flush(connection.ops.sql_flush(no_style(), tables, allow_cascade=True))
    with connection.cursor() as cursor:
        held = []
        for table in tables:
            cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {connection.ops.quote_name(table)})")  # noqa: S608
            if cursor.fetchone()[0]:
                held.append(table)
    assert held == []
