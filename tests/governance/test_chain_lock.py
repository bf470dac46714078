"""The chain's lock on PostgreSQL never waits for a row while held: a service that locks a user and then
writes its audit entry runs beside one that writes a row pointing at that user and then its own entry.

Before, the second took the chain's lock, then at COMMIT its deferred foreign-key check waited for the
user row, which the first held while waiting for the chain's lock: a deadlock, one request failed.

No test transaction (``db`` is replaced below): the two threads commit on their own connections. Their
rows are removed at the end, except the audit entries (the trail is append-only).
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connection, transaction

from governance import services
from governance.chain_verify import chain_verify
from governance.models import ApiToken, AuditEntry
from tests.governance.test_chain import on_postgresql


@pytest.fixture
def db(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    """pytest-django's ``db`` without its transaction: the test database is set up, writes commit."""
    with django_db_blocker.unblock():
        yield


@on_postgresql
def test_a_user_locked_before_the_chain_and_a_row_pointing_at_it_do_not_deadlock(db: None) -> None:
    user = services.user_create(username=f"lock-{uuid.uuid4().hex[:12]}")
    before = AuditEntry.objects.count()
    user_locked = threading.Event()
    errors: list[BaseException] = []

    def lock_the_user_then_audit() -> None:
        try:
            with transaction.atomic():
                locked = User.objects.select_for_update().get(pk=user.pk)
                user_locked.set()
                time.sleep(1.5)  # the other service is now inside its own transaction
                AuditEntry.objects.log_create(
                    locked, force_log=True, action=AuditEntry.Action.UPDATE, changes={"x": ["a", "b"]}
                )
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    def point_at_the_user_then_audit() -> None:
        try:
            assert user_locked.wait(10)
            with transaction.atomic():
                # A token row pointing at the user; auditlog's entry for it takes the chain's lock.
                ApiToken.objects.create(user=user, name="beside", prefix="lock", key_hash=uuid.uuid4().hex)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    try:
        run_both(lock_the_user_then_audit, point_at_the_user_then_audit)
        assert errors == []
        assert AuditEntry.objects.count() == before + 2
        assert chain_verify().intact
    finally:
        # No entry names the user as its actor, so the user can go (its entries stay).
        ApiToken.objects.filter(user=user).delete()
        user.delete()


def run_both(*targets: Callable[[], None]) -> None:
    threads = [threading.Thread(target=target) for target in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
