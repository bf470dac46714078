"""The listener memo: a hit costs no query, a change in this process is seen at once, misses always ask."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from sync.pipeline.listener import listener_cache
from sync.pipeline.listener.listener_cache import listener_for_token
from sync.pipeline.models import Listener, ListenerKind
from tests.sync.pipeline.listener.support import url_token

KIND = ListenerKind.OUTBOUND_MESSAGE


@pytest.fixture(autouse=True)
def empty_memo() -> Iterator[None]:
    listener_cache.listener_cache_clear()
    yield
    listener_cache.listener_cache_clear()


def lookups(token: str, times: int) -> tuple[list[Listener | None], int]:
    with CaptureQueriesContext(connection) as queries:
        found = [listener_for_token(token=token, kind=KIND) for _ in range(times)]
    return found, len(queries)


def test_a_found_listener_is_asked_for_once_within_its_time(listener: Listener, settings) -> None:
    settings.SYNC_LISTENER_CACHE_SECONDS = 5
    found, queries = lookups(url_token(listener), 3)
    assert [item.pk if item else None for item in found] == [listener.pk] * 3
    assert queries == 1


def test_it_asks_again_once_the_time_is_up(listener: Listener, settings, monkeypatch) -> None:
    settings.SYNC_LISTENER_CACHE_SECONDS = 5
    clock = [1000.0]
    monkeypatch.setattr(listener_cache.time, "monotonic", lambda: clock[0])
    assert lookups(url_token(listener), 2)[1] == 1
    clock[0] += 5.1
    assert lookups(url_token(listener), 1)[1] == 1


def test_a_listener_deactivated_in_this_process_is_refused_at_once(listener: Listener, settings) -> None:
    settings.SYNC_LISTENER_CACHE_SECONDS = 5
    assert listener_for_token(token=url_token(listener), kind=KIND) is not None
    listener.is_active = False
    listener.save()
    assert listener_for_token(token=url_token(listener), kind=KIND) is None


def test_unknown_tokens_are_never_kept(db: None, settings) -> None:
    settings.SYNC_LISTENER_CACHE_SECONDS = 5
    found, queries = lookups("no-such-token", 3)
    assert found == [None, None, None]
    assert queries == 3
    assert listener_cache._memo == {}


def test_zero_turns_the_memo_off(listener: Listener, settings) -> None:
    settings.SYNC_LISTENER_CACHE_SECONDS = 0
    assert lookups(url_token(listener), 3)[1] == 3
    assert listener_cache._memo == {}
