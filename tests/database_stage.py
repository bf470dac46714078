"""Which tests each stage of CI runs (``CONCORD_CI_STAGE=sqlite`` or ``postgresql``, set by ``.ci/run``).

CI has 30 minutes on a 2-core machine for two stages; the whole suite twice takes about 45. So each test
runs once, in the stage where its outcome can tell the most, and only the tests whose outcome follows
the database run in both:

* the **PostgreSQL stage** (the production database, with Redis) runs the *transactional* tests: real
  commits, threads and processes, the simulators over HTTPS, the pipeline's stories end to end, the data
  migrations (``transaction=True``, ``transactional_db``, ``live_server``, a ``TransactionTestCase``);
* the **SQLite stage** (the embedded install ``make demo`` runs) runs every other test: those that never
  reach a database, and those that run inside one rolled-back transaction (``db``: services, views, the
  API, permissions), plus the browser journeys, which drive a live server or the demo stack on SQLite;
* tests marked ``database`` run in **both**: their outcome follows the stage's ``DATABASE_URL`` or Redis
  (a subprocess or a stack given ``DATABASE_URL``, a PostgreSQL-only skip, a broker variant, code with a
  branch per database such as ``console.selectors.quote_to_cash`` or the inbox's one-round-trip insert).

Without ``CONCORD_CI_STAGE`` (``make test`` on a workstation) every test runs.

Safety nets: a stage stops the run, rather than lose a check, when it would drop a test whose module
looks database-specific without the ``database`` marker (:func:`unmarked_stage_modules`): on PostgreSQL a
module reading the stage's environment (``STAGE_ENVIRONMENT``), on SQLite a transactional test's module
that branches on the database and names SQLite.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

import pytest

#: What a test module reading the stage's database or Redis looks like (the safety net's heuristic).
STAGE_ENVIRONMENT = re.compile(
    r"""environ(\.get\(|\[)["'](DATABASE_URL|REDIS_URL|TEST_REDIS_URL|TEST_SOAK_REDIS_URL|DEPLOY_STACK_REDIS_URL)"""
    r"""|on_postgresql\(|redis_up\(|Redis\.from_url|connection\.vendor|brokers\(|live_database"""
)


#: A transactional test's module that branches on the database and names SQLite: what it checks on SQLite
#: may differ from what the PostgreSQL stage checks (a PostgreSQL-only module names no SQLite: dropping it
#: from the SQLite stage loses nothing, it would skip there).
BRANCHES_ON_THE_DATABASE = re.compile(r"\.vendor\b")
NAMES_SQLITE = re.compile(r"sqlite", re.IGNORECASE)

#: The stages of CI and the safety net each one's dropped tests go through.
STAGES = ("sqlite", "postgresql")


def is_transactional(item: pytest.Item) -> bool:
    """Whether the test commits for real: ``transaction=True``, ``transactional_db``, ``live_server``, a
    ``TransactionTestCase`` (not a ``TestCase``)."""
    from django.test import TestCase, TransactionTestCase

    test_class = getattr(item, "cls", None)
    if test_class is not None and issubclass(test_class, TransactionTestCase):
        return not issubclass(test_class, TestCase)
    marker = item.get_closest_marker("django_db")
    if marker is not None and marker.kwargs.get("transaction"):
        return True
    return not {"transactional_db", "live_server"}.isdisjoint(getattr(item, "fixturenames", ()))


def runs_in_stage(item: pytest.Item, stage: str) -> bool:
    """Whether CI's ``stage`` (:data:`STAGES`) runs this test (see the module's docstring)."""
    if item.get_closest_marker("database") is not None:
        return True
    if stage == "postgresql":
        return is_transactional(item)
    if stage == "sqlite":
        return item.get_closest_marker("browser") is not None or not is_transactional(item)
    raise ValueError(f"CONCORD_CI_STAGE must be one of {', '.join(STAGES)}, not {stage!r}")


def unmarked_stage_modules(dropped: Iterable[pytest.Item], stage: str = "postgresql") -> list[Path]:
    """The modules of tests ``stage`` drops that look database-specific: their tests must be marked
    ``database`` (a false alarm costs a second run of a few tests, a miss costs a lost check)."""
    paths = sorted({item.path for item in dropped})
    return [path for path in paths if _looks_database_specific(path.read_text(encoding="utf-8"), stage)]


def _looks_database_specific(source: str, stage: str) -> bool:
    if stage == "postgresql":
        return STAGE_ENVIRONMENT.search(source) is not None
    return BRANCHES_ON_THE_DATABASE.search(source) is not None and NAMES_SQLITE.search(source) is not None
