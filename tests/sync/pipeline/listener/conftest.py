from __future__ import annotations

import pytest

from simulators.salesforce.org import DEFAULT_ORG_ID
from sync.connections.models import Connection, ConnectionAuth, ConnectionEnvironment, ConnectionKind
from sync.pipeline.models import Listener, ListenerKind
from tests.sync.pipeline.listener.support import listener_issue


@pytest.fixture
def connections(db: None) -> tuple[Connection, Connection]:
    salesforce = Connection.objects.create(
        name="sf",
        kind=ConnectionKind.SALESFORCE,
        environment=ConnectionEnvironment.SANDBOX,
        base_url="https://sf.example",
        auth_method=ConnectionAuth.SF_PASSWORD,
    )
    netsuite = Connection.objects.create(
        name="ns",
        kind=ConnectionKind.NETSUITE,
        environment=ConnectionEnvironment.SANDBOX,
        base_url="https://ns.example",
        auth_method=ConnectionAuth.NS_TOKEN,
    )
    return salesforce, netsuite


@pytest.fixture
def listener(connections: tuple[Connection, Connection]) -> Listener:
    return listener_issue(
        name="closed-won",
        salesforce_connection=connections[0],
        netsuite_connection=connections[1],
        allowed_org_id=DEFAULT_ORG_ID,
    )


@pytest.fixture
def webhook_listener(connections: tuple[Connection, Connection]) -> Listener:
    return listener_issue(
        name="hook",
        kind=ListenerKind.WEBHOOK,
        salesforce_connection=connections[0],
        netsuite_connection=connections[1],
        signing_secret="whsec-test-key",
    )


@pytest.fixture
def enqueued(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Records drain tasks enqueued instead of running them (tests settings run django-q2 inline)."""
    calls: list[str] = []
    monkeypatch.setattr("sync.pipeline.inbox.async_task", lambda name, **kwargs: calls.append(name))
    return calls
