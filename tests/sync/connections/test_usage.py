"""Salesforce API usage kept from the connector's responses: throttled, never failing a call."""

from __future__ import annotations

import pytest

from sync.connections import usage as api_usage
from sync.connections.connectors.salesforce import limit_info_usage
from sync.connections.models import (
    ApiUsage,
    Connection,
    ConnectionAuth,
    ConnectionEnvironment,
    ConnectionKind,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def connection() -> Connection:
    return Connection.objects.create(
        name="sf",
        kind=ConnectionKind.SALESFORCE,
        environment=ConnectionEnvironment.SANDBOX,
        base_url="https://sf.example",
        auth_method=ConnectionAuth.SF_PASSWORD,
    )


@pytest.fixture(autouse=True)
def fresh_throttle(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(api_usage, "_last_recorded", {})


def test_it_reads_api_usage_from_the_limit_info_header() -> None:
    assert limit_info_usage("api-usage=25/15000") == (25, 15000)
    assert limit_info_usage("per-app-api-usage=2/250(appName=x), api-usage=26/15000") == (26, 15000)
    assert limit_info_usage("") is None and limit_info_usage("nothing here") is None


def test_it_keeps_the_latest_usage_at_most_every_few_seconds(connection: Connection) -> None:
    assert api_usage.api_usage_record(connection_id=connection.pk, used=10, limit=100)
    assert not api_usage.api_usage_record(connection_id=connection.pk, used=11, limit=100)  # throttled
    assert ApiUsage.objects.get(connection=connection).used == 10
    assert api_usage.api_usage_record(connection_id=connection.pk, used=12, limit=100, force=True)
    usage = ApiUsage.objects.get(connection=connection)
    assert (usage.used, usage.limit, usage.percent) == (12, 100, 12.0)


def test_a_failed_write_never_fails_the_call_and_is_tried_again(
    connection: Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    def locked(*args: object, **kwargs: object) -> None:
        raise RuntimeError("database is locked")

    with monkeypatch.context() as patched:
        patched.setattr(ApiUsage.objects, "update_or_create", locked)
        assert not api_usage.api_usage_record(connection_id=connection.pk, used=1, limit=100)
    assert api_usage.api_usage_record(connection_id=connection.pk, used=2, limit=100)  # not throttled
