"""One correlation id from the listener to the last NetSuite call: an outbound message is posted to the
listener, a worker drains the inbox, and every JSON log line of the three stages carries the same id."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from console.log_format import CorrelationFilter, JsonFormatter
from core.correlation import HEADER, current_correlation_id
from simulators.salesforce.org import DEFAULT_ORG_ID
from sync import tasks
from sync.connections.connectors.salesforce import SalesforceConnector
from sync.connections.models import ApiUsage, Connection
from sync.pipeline.models import InboxMessage, SyncJob
from tests.sync.pipeline.conftest import THREADED_DB, won_ids
from tests.sync.pipeline.listener.support import listener_issue, url_token
from tests.sync.pipeline.listener.test_outbound_message import envelope, post

pytestmark = THREADED_DB


@pytest.fixture
def json_log() -> Iterator[io.StringIO]:
    """Everything logged at INFO and above, as the production handler writes it (one JSON per line)."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(CorrelationFilter())
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield stream
    root.removeHandler(handler)
    root.setLevel(level)


def lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


def test_it_follows_one_event_from_the_listener_through_the_worker_to_each_netsuite_call(
    seeded_connections: tuple[Connection, Connection],
    sf: SalesforceConnector,
    json_log: io.StringIO,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("sync.pipeline.inbox.async_task", lambda *args, **kwargs: None)  # we drain below
    monkeypatch.setattr("sync.connections.usage._last_recorded", {})  # no throttle left by another test
    salesforce, netsuite = seeded_connections
    listener = listener_issue(
        name="closed-won",
        salesforce_connection=salesforce,
        netsuite_connection=netsuite,
        allowed_org_id=DEFAULT_ORG_ID,
    )
    opportunity = won_ids(sf)[0]
    json_log.truncate(0)
    json_log.seek(0)

    answer = post(
        Client(),
        reverse("sync:inbound-outbound", args=[url_token(listener)]),
        envelope("04l00000000000QAAA", record=opportunity),
    )
    assert answer.status_code == 200
    cid = answer[HEADER]
    assert current_correlation_id() is None  # the request's correlation is closed: the worker re-opens it

    (job_id,) = tasks.inbox_drain()

    assert InboxMessage.objects.get().correlation_id == cid
    assert SyncJob.objects.get(pk=job_id).correlation_id == cid
    logged = lines(json_log)
    assert {"ts", "level", "logger", "message", "correlation_id"} <= logged[0].keys()
    listener_lines = [line for line in logged if line.get("event") == "inbound_stored"]
    worker_lines = [
        line for line in logged if line.get("event") in ("inbox_claimed", "job_started", "job_finished")
    ]
    netsuite_calls = [
        line
        for line in logged
        if line["logger"] == "sync.connections.connectors.http" and line["system"] == "netsuite"
    ]
    salesforce_calls = [
        line
        for line in logged
        if line["logger"] == "sync.connections.connectors.http" and line["system"] == "salesforce"
    ]
    assert [line["new"] for line in listener_lines] == [1]
    assert [line["event"] for line in worker_lines] == ["inbox_claimed", "job_started", "job_finished"]
    assert len(netsuite_calls) >= 3  # lookups, then the customer, the sales order... each logged
    assert all(line["method"] and line["path"].startswith("/") and line["status"] for line in netsuite_calls)
    assert all(isinstance(line["duration_ms"], float) for line in netsuite_calls)
    assert salesforce_calls  # the graph read and the write-back
    every = listener_lines + worker_lines + netsuite_calls + salesforce_calls
    assert {line["correlation_id"] for line in every} == {cid}
    # The Sforce-Limit-Info header of those Salesforce answers was kept for the dashboard.
    usage = ApiUsage.objects.get(connection=salesforce)
    assert 0 < usage.used <= usage.limit
