"""Fixtures every area's tests share: the personas, one per role plus an outsider.

``revops``, ``finance``, ``admin``, ``auditor`` and ``outsider`` are users created through the same
service the demo uses (:func:`governance.services.persona_ensure`); ``<persona>_client`` is a Django test
client already signed in as that persona. ``persona_client("finance")`` gives the same by name.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Callable, Iterator

import django.test.testcases
import pytest
from django.contrib.auth.models import User
from django.test import Client

from governance.personas import PERSONAS_BY_USERNAME
from governance.services import persona_ensure
from tests.database_stage import STAGES, is_transactional, runs_in_stage, unmarked_stage_modules
from tests.post_migrate_replay import emit_post_migrate_replayed

# A transactional test's set-up writes again what post_migrate wrote into the emptied tables, instead of
# running its receivers each time (tests/post_migrate_replay.py).
django.test.testcases.emit_post_migrate_signal = emit_post_migrate_replayed  # type: ignore[attr-defined]

PERSONA_PASSWORD = "persona-password"
ROLE_PERSONAS = ("revops", "finance", "admin", "auditor")
ALL_PERSONAS = (*ROLE_PERSONAS, "outsider")


def _persona(username: str) -> User:
    return persona_ensure(persona=PERSONAS_BY_USERNAME[username], password=PERSONA_PASSWORD)


def _signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """``CONCORD_CI_STAGE=sqlite`` or ``postgresql`` (CI's two stages): only the tests that stage runs,
    each test once except those whose outcome follows the database (tests/database_stage.py)."""
    stage = os.environ.get("CONCORD_CI_STAGE", "")
    if not stage:
        return
    if stage not in STAGES:
        raise pytest.UsageError(f"CONCORD_CI_STAGE must be one of {', '.join(STAGES)}, not {stage!r}")
    kept = [item for item in items if runs_in_stage(item, stage)]
    dropped = [item for item in items if not runs_in_stage(item, stage)]
    unmarked = unmarked_stage_modules(dropped, stage)
    if unmarked:
        raise pytest.UsageError(
            f"CONCORD_CI_STAGE={stage} would drop tests of modules that look database-specific; mark them"
            " pytest.mark.database (tests/database_stage.py): " + ", ".join(str(path) for path in unmarked)
        )
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


@pytest.fixture
def revops(db: None) -> User:
    return _persona("revops")


@pytest.fixture
def finance(db: None) -> User:
    return _persona("finance")


@pytest.fixture
def admin(db: None) -> User:
    return _persona("admin")


@pytest.fixture
def auditor(db: None) -> User:
    return _persona("auditor")


@pytest.fixture
def outsider(db: None) -> User:
    return _persona("outsider")


@pytest.fixture
def revops_client(revops: User) -> Client:
    return _signed_in(revops)


@pytest.fixture
def finance_client(finance: User) -> Client:
    return _signed_in(finance)


@pytest.fixture
def admin_client(admin: User) -> Client:
    return _signed_in(admin)


@pytest.fixture
def auditor_client(auditor: User) -> Client:
    return _signed_in(auditor)


@pytest.fixture
def outsider_client(outsider: User) -> Client:
    return _signed_in(outsider)


@pytest.fixture
def persona_client(request: pytest.FixtureRequest, db: None) -> Callable[[str], Client]:
    """``persona_client("auditor")``: the signed-in client of the persona with that username.

    It asks for ``db`` itself so pytest-django orders its tests with the other database tests, before
    any transactional test (whose flush empties the roles the migrations created)."""

    def get(username: str) -> Client:
        client: Client = request.getfixturevalue(f"{username}_client")
        return client

    return get


@pytest.fixture(autouse=True)
def _garbage_collected_before_flush(request: pytest.FixtureRequest) -> Iterator[None]:
    """After a transactional test, collect garbage before pytest-django flushes the database.

    Threads of such tests (writer pools, renewers) may leave SQLite connections to the shared in-memory
    database for the garbage collector. Collected in the middle of the flush (inside SQLite's REGEXP
    callback, which holds the shared cache's mutex), closing one waits for that mutex for ever: the suite
    hangs at random. Collected here, before the flush (this fixture's teardown runs first), they close
    safely. On PostgreSQL the collection closes those connections too: left open, they keep the test
    database from being dropped at the end of the run."""
    yield
    if is_transactional(request.node):
        gc.collect()


@pytest.fixture(autouse=True)
def _connector_caches_cleared() -> Iterator[None]:
    """Each test starts with the per-process connector caches empty (sign-ins, checked environments, item
    ids, idle NetSuite sessions): they are kept by connection version, and a test's connection may reuse an
    earlier one's id."""
    from sync.connections.connectors.netsuite import ACCOUNTS, HTTP_SESSIONS
    from sync.connections.connectors.salesforce import SESSIONS
    from sync.pipeline.sources import ITEM_IDS

    SESSIONS.clear()
    HTTP_SESSIONS.clear()
    ACCOUNTS.clear()
    ITEM_IDS.clear()
    yield
