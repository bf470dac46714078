"""A local Slack/Teams webhook receiver over HTTPS, and two integrations (alpha: the primary; beta)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from django.test import override_settings

from simulators.webhooks.receiver import RunningReceiver, start_receiver
from sync.connections.models import Connection, ConnectionAuth, ConnectionEnvironment, ConnectionKind
from sync.integrations.models import Integration
from sync.integrations.selectors import primary_integration


@pytest.fixture(scope="session")
def receiver_certificates(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("webhook-certificates")


@pytest.fixture
def receiver(receiver_certificates: Path) -> Iterator[RunningReceiver]:
    """A receiver with a Slack hook and a Teams hook; the console trusts its CA as it would a proxy's."""
    running = start_receiver(receiver_certificates)
    running.receiver.hook("slack", "/services/T000/B000/slacksecret")
    running.receiver.hook("teams", "/workflows/teams-flow/triggers/manual/run")
    with override_settings(NOTIFICATIONS_CA_BUNDLE=running.ca_file, CONSOLE_BASE_URL="https://concord.test"):
        yield running
    running.stop()


def _connection(name: str, kind: str) -> Connection:
    return Connection.objects.create(
        name=name,
        kind=kind,
        environment=ConnectionEnvironment.SANDBOX,
        base_url=f"https://{name}.invalid",
        auth_method=ConnectionAuth.SF_PASSWORD
        if kind == ConnectionKind.SALESFORCE
        else ConnectionAuth.NS_TOKEN,
    )


@pytest.fixture
def alpha(db: None) -> Integration:
    integration = primary_integration()
    integration.salesforce_connection = _connection("alpha-sf", ConnectionKind.SALESFORCE)
    integration.netsuite_connection = _connection("shared-ns", ConnectionKind.NETSUITE)
    integration.save()
    return integration


@pytest.fixture
def beta(alpha: Integration) -> Integration:
    return Integration.objects.create(
        name="beta",
        label="Beta",
        namespace="BETA",
        salesforce_connection=_connection("beta-sf", ConnectionKind.SALESFORCE),
        netsuite_connection=alpha.netsuite_connection,
    )
