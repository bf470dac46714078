"""The suite's PostgreSQL backend: Django's, with a flush that deletes rows instead of truncating tables.

A transactional test (``transaction=True``) ends with a flush of every table. Django's PostgreSQL flush
is one ``TRUNCATE`` of all of them: PostgreSQL gives each truncated table new files, a fixed cost per
table whether it holds rows or not, about 2-4 s per test for this project's tables (SQLite's flush
takes 0.1-0.5 s). ``DELETE`` costs next to nothing on the few rows a test leaves. Foreign keys are
``DEFERRABLE INITIALLY DEFERRED`` (Django creates them so), so the order of the deletes does not matter
inside the flush's transaction. The audit tables refuse ``DELETE`` (their append-only trigger,
governance/migrations/0002 and 0007) and are truncated, only when they hold a row.

Tests only (tests/settings.py selects it when ``DATABASE_URL`` is PostgreSQL); the result is the same
empty database, sequences included (the suite never asks for ``reset_sequences``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db.backends.postgresql import base, operations

# Tables whose trigger refuses DELETE: truncated instead (CASCADE: with what references them).
APPEND_ONLY = ("governance_auditentry", "governance_auditcheckpoint")


class DatabaseOperations(operations.DatabaseOperations):
    def sql_flush(
        self, style: Any, tables: Sequence[str], *, reset_sequences: bool = False, allow_cascade: bool = False
    ) -> list[str]:
        if not tables or reset_sequences:
            return list(
                super().sql_flush(style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade)
            )
        protected = [table for table in tables if table in APPEND_ONLY]
        steps = []
        if protected:
            names = ", ".join(self.quote_name(table) for table in protected)
            held = " OR ".join(f"EXISTS (SELECT 1 FROM {self.quote_name(table)})" for table in protected)  # noqa: S608 - table names, quoted
            steps.append(f"IF {held} THEN TRUNCATE {names} CASCADE; END IF;")
        steps += [f"DELETE FROM {self.quote_name(t)};" for t in tables if t not in APPEND_ONLY]  # noqa: S608
        return ["DO $flush$ BEGIN " + " ".join(steps) + " END $flush$;"]


class DatabaseWrapper(base.DatabaseWrapper):
    ops_class = DatabaseOperations
