"""Which tests the PostgreSQL stage of CI runs (``CONCORD_DB_TESTS_ONLY=1``, set by ``.ci/run``).

CI runs the whole suite on SQLite first. A test that never reaches a database gives the same result on the
second run, so the PostgreSQL stage keeps only the tests whose outcome can depend on the database:

* the tests pytest-django lets at the database: the ``django_db`` marker, a ``TransactionTestCase``, or a
  database fixture (``db``, ``transactional_db``, ``live_server``...) anywhere in the fixture closure;
* the tests marked ``database``: no database fixture, but the outcome still follows the stage's
  ``DATABASE_URL`` or its Redis (a subprocess or a stack given ``DATABASE_URL``, a PostgreSQL-only skip, a
  Redis broker variant).

A test without a database fixture cannot open Django's connection (pytest-django blocks it), so the
``database`` marker is what a new test of the second kind must carry. As a safety net, a module that reads
the stage's environment (``STAGE_ENVIRONMENT``) and holds a test the rule would drop stops the run
(:func:`unmarked_stage_modules`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

import pytest

#: The fixtures that give a test Django's database (pytest-django's own names).
DATABASE_FIXTURES = frozenset(
    {
        "db",
        "transactional_db",
        "live_server",
        "django_db_reset_sequences",
        "django_db_serialized_rollback",
        "django_db_setup",
        "_django_db_helper",
    }
)

#: What a test module reading the stage's database or Redis looks like (the safety net's heuristic).
STAGE_ENVIRONMENT = re.compile(
    r"""environ(\.get\(|\[)["'](DATABASE_URL|REDIS_URL|TEST_REDIS_URL|TEST_SOAK_REDIS_URL|DEPLOY_STACK_REDIS_URL)"""
    r"""|on_postgresql\(|redis_up\(|Redis\.from_url|connection\.vendor|brokers\(|live_database"""
)


def touches_the_database(item: pytest.Item) -> bool:
    """Whether pytest-django lets the test at the database (its own rule, as it orders the tests)."""
    from django.test import TransactionTestCase

    test_class = getattr(item, "cls", None)
    if test_class is not None and issubclass(test_class, TransactionTestCase):
        return True
    if item.get_closest_marker("django_db") is not None:
        return True
    return not DATABASE_FIXTURES.isdisjoint(getattr(item, "fixturenames", ()))


def runs_in_database_stage(item: pytest.Item) -> bool:
    """Whether the PostgreSQL stage runs this test: it touches the database, or it is marked ``database``."""
    return item.get_closest_marker("database") is not None or touches_the_database(item)


def unmarked_stage_modules(dropped: Iterable[pytest.Item]) -> list[Path]:
    """The modules of dropped tests whose source reads the stage's database or Redis: their tests must be
    marked ``database`` (a false alarm costs a second run of a few tests, a miss costs a lost check)."""
    paths = sorted({item.path for item in dropped})
    return [path for path in paths if STAGE_ENVIRONMENT.search(path.read_text(encoding="utf-8"))]
