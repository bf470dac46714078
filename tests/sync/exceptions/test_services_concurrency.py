"""exception_raise under concurrency: workers raising the same key at once make one exception.

No test transaction on purpose (``db`` is replaced below): the workers commit for real on their own
connections, and the test removes what it wrote. A transactional test would end with a flush, which on
PostgreSQL trips over auditlog's own swapped-out table (and, with available_apps, leaves later tests
without role groups).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.db import connection

from sync.exceptions.models import ExceptionCategory, ExceptionItem, Subsidiary
from tests.sync.exceptions.support import raise_sample


@pytest.fixture
def db(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    """pytest-django's ``db`` without its transaction: the test database is set up, writes commit."""
    with django_db_blocker.unblock():
        yield


@pytest.mark.skipif(
    settings.DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3",
    reason="the in-memory test database locks whole tables; on SQLite writers are serialized anyway",
)
def test_it_opens_one_exception_when_workers_raise_the_same_key_at_once(db: None) -> None:
    workers = 4
    barrier = threading.Barrier(workers)
    errors: list[BaseException] = []

    def work() -> None:
        try:
            barrier.wait()
            raise_sample(key="race-at-once", category="race_test", subsidiary="SUB-RACE")
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    try:
        threads = [threading.Thread(target=work) for _ in range(workers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        (item,) = ExceptionItem.objects.filter(dedup_key="race-at-once")
        assert item.occurrence_count == workers
    finally:
        ExceptionItem.objects.filter(dedup_key="race-at-once").delete()
        ExceptionCategory.objects.filter(key="race_test").delete()
        Subsidiary.objects.filter(key="SUB-RACE").delete()
        # The audit entries stay: the trail is append-only (governance.chain), even for tests.
