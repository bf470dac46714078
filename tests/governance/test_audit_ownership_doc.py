"""docs/audit.md's SQL, run as written (role names aside) against the PostgreSQL test database: once the
audit tables belong to another role, the application's role still appends entries and checkpoints but can
no longer change, remove or truncate them, nor switch off, drop or replace the append-only trigger."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.db.utils import DatabaseError

from governance.audit_checkpoints import audit_checkpoint_record
from governance.chain_verify import chain_verify
from governance.models import AuditEntry, CheckpointSource
from tests.governance.test_chain import on_postgresql

DOC = Path(__file__).resolve().parents[2] / "docs" / "audit.md"
HEADING = "## The database: the application must not be able to switch the protection off"


def doc_sql() -> list[str]:
    """The statements of the first ``sql`` block under the ownership heading."""
    section = DOC.read_text(encoding="utf-8").split(HEADING, 1)[1]
    block = re.search(r"```sql\n(.*?)```", section, re.S)
    assert block is not None, "docs/audit.md: no sql block under the ownership heading"
    return [statement.strip() for statement in block[1].split(";") if statement.strip()]


def test_the_doc_names_both_audit_tables_and_the_trigger_function() -> None:
    sql = " ".join(doc_sql())
    for name in (
        AuditEntry._meta.db_table,
        "governance_auditcheckpoint",
        "governance_auditentry_append_only()",
    ):
        assert "OWNER TO concord_audit_owner" in sql and name in sql


class Rollback(Exception):
    pass


def refused(sql: str) -> str:
    """The error PostgreSQL gives the current role for ``sql`` (the statement must fail)."""
    with pytest.raises(DatabaseError) as raised, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql)
    return str(raised.value)


@on_postgresql
@pytest.mark.django_db
def test_the_docs_sql_keeps_the_application_role_from_disabling_the_protection(revops: User) -> None:
    suffix = os.getpid()
    owner, app = f"concord_audit_owner_t{suffix}", f"concord_app_t{suffix}"
    with connection.cursor() as cursor:
        # Django's deferred foreign-key checks must run first: ALTER TABLE refuses pending trigger events.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(f"CREATE ROLE {app} NOLOGIN")  # the application's role; rolled back with the test
        # As an application that runs its own migrations could: it may create objects in the schema.
        cursor.execute(f"GRANT CREATE ON SCHEMA public TO {app}")
        # Where an install starts: the application's role owns what its migrations created (and so may do
        # anything with the other tables)...
        cursor.execute(f"GRANT ALL ON ALL TABLES IN SCHEMA public TO {app}")
        cursor.execute(f"GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO {app}")
        for table in ("governance_auditentry", "governance_auditcheckpoint"):
            cursor.execute(f"ALTER TABLE {table} OWNER TO {app}")
        cursor.execute(f"ALTER FUNCTION governance_auditentry_append_only() OWNER TO {app}")
        cursor.execute(f"SET ROLE {app}")
    # ...so it can switch the trigger off (undone at once by the savepoint's rollback).
    with pytest.raises(Rollback), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("ALTER TABLE governance_auditentry DISABLE TRIGGER governance_auditentry_append_only")
        raise Rollback
    with connection.cursor() as cursor:
        cursor.execute("RESET ROLE")
        for statement in doc_sql():
            cursor.execute(statement.replace("concord_audit_owner", owner).replace("concord_app", app))
        cursor.execute(f"SET ROLE {app}")
    try:
        # Appending still works, through the application's own writers.
        before = AuditEntry.objects.count()
        AuditEntry.objects.create(
            content_type=ContentType.objects.get_for_model(User),
            object_pk=str(revops.pk),
            object_repr="revops",
            action=AuditEntry.Action.ACCESS,
            actor=revops,
            remote_addr="192.0.2.1",
        )
        audit_checkpoint_record(source=CheckpointSource.COMMAND)
        assert AuditEntry.objects.count() == before + 1
        assert chain_verify().intact
        # Everything that would rewrite the trail or switch its protection off is refused.
        for table in ("governance_auditentry", "governance_auditcheckpoint"):
            assert "permission denied" in refused(f"UPDATE {table} SET id = id")  # noqa: S608 - fixed names
            assert "permission denied" in refused(f"DELETE FROM {table}")  # noqa: S608
            assert "permission denied" in refused(f"TRUNCATE {table}")
            assert "must be owner" in refused(f"ALTER TABLE {table} DISABLE TRIGGER {table}_append_only")
            assert "must be owner" in refused(f"DROP TRIGGER {table}_append_only ON {table}")
        assert "must be owner" in refused(
            "CREATE OR REPLACE FUNCTION governance_auditentry_append_only() RETURNS trigger AS "
            "$$ BEGIN RETURN NULL; END; $$ LANGUAGE plpgsql"
        )
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET ROLE")
