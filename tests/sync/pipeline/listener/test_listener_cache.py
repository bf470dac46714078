"""The listener memo: a hit costs no query, a change in this process is seen at once, misses always ask.

A listener is read with the integration of its Salesforce connection (two queries), and kept with it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from sync.integrations.models import Integration
from sync.integrations.selectors import primary_integration
from sync.pipeline.listener import listener_cache
from sync.pipeline.listener.listener_cache import listener_for_token, listener_with_integration
from sync.pipeline.listener.services import listener_set_active
from sync.pipeline.models import Listener, ListenerKind
from tests.sync.pipeline.listener.support import url_token

KIND = ListenerKind.OUTBOUND_MESSAGE
READ = 2  # the listener, then its integration


@pytest.fixture(autouse=True)
def empty_memo() -> Iterator[None]:
    listener_cache.listener_cache_clear()
    yield
    listener_cache.listener_cache_clear()


def lookups(token: str, times: int) -> tuple[list[Listener | None], int]:
    primary_integration()  # there (a flushed database may have lost it: its re-creation is not counted)
    with CaptureQueriesContext(connection) as queries:
        found = [listener_for_token(token=token, kind=KIND) for _ in range(times)]
    return found, len(queries)


def test_a_found_listener_is_asked_for_once_within_its_time(listener: Listener, settings) -> None:
    settings.SYNC_LISTENER_CACHE_SECONDS = 5
    found, queries = lookups(url_token(listener), 3)
    assert [item.pk if item else None for item in found] == [listener.pk] * 3
    assert queries == READ


def test_it_asks_again_once_the_time_is_up(listener: Listener, settings, monkeypatch) -> None:
    settings.SYNC_LISTENER_CACHE_SECONDS = 5
    clock = [1000.0]
    monkeypatch.setattr(listener_cache.time, "monotonic", lambda: clock[0])
    assert lookups(url_token(listener), 2)[1] == READ
    clock[0] += 5.1
    assert lookups(url_token(listener), 1)[1] == READ


def test_a_listener_disabled_or_enabled_in_this_process_is_read_afresh_at_once(
    listener: Listener, settings
) -> None:
    # The memo keeps the listener as read (the view answers 503 for a disabled one): a change made here
    # through the service is seen by the very next request, however long the memo would keep it.
    settings.SYNC_LISTENER_CACHE_SECONDS = 600
    token = url_token(listener)
    assert lookups(token, 2)[0][1].is_active is True  # type: ignore[union-attr]
    listener_set_active(listener=listener, is_active=False)
    found, queries = lookups(token, 2)
    assert [item.is_active for item in found if item] == [False, False] and queries == READ
    listener_set_active(listener=listener, is_active=True)
    assert lookups(token, 1)[0][0].is_active is True  # type: ignore[union-attr]


def test_unknown_tokens_are_never_kept(db: None, settings) -> None:
    settings.SYNC_LISTENER_CACHE_SECONDS = 5
    found, queries = lookups("no-such-token", 3)
    assert found == [None, None, None]
    assert queries == 3
    assert listener_cache._memo == {}


def test_zero_turns_the_memo_off(listener: Listener, settings) -> None:
    settings.SYNC_LISTENER_CACHE_SECONDS = 0
    assert lookups(url_token(listener), 3)[1] == 3 * READ
    assert listener_cache._memo == {}


def test_the_integration_is_kept_with_the_listener_and_a_change_here_is_seen_at_once(
    listener: Listener, settings
) -> None:
    # The integration namespaces the notification ids and owns the milestones: one saved in this process
    # (here: a new one naming the listener's org) reaches the very next request.
    settings.SYNC_LISTENER_CACHE_SECONDS = 600
    token = url_token(listener)
    first = listener_with_integration(token=token, kind=KIND)
    assert first is not None and first[1].is_primary
    with CaptureQueriesContext(connection) as queries:
        assert listener_with_integration(token=token, kind=KIND) == first
    assert len(queries) == 0
    emea = Integration.objects.create(
        name="emea", label="EMEA", namespace="emea", salesforce_connection=listener.salesforce_connection
    )
    again = listener_with_integration(token=token, kind=KIND)
    assert again is not None and again[1].pk == emea.pk
    emea.delete()
    after = listener_with_integration(token=token, kind=KIND)
    assert after is not None and after[1].is_primary
