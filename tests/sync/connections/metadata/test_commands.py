"""``metadata_refresh`` and ``metadata_show``."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import CommandError

from governance.models import AuditEntry
from sync.connections.models import Connection, ConnectionMetadata
from tests.sync.connections.support import offline_connection_pair


@pytest.fixture
def pair(db: None) -> tuple[Connection, Connection]:
    return offline_connection_pair("cmd-meta")


def _run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_it_refreshes_named_connections_with_extra_objects_and_an_actor(
    pair: tuple[Connection, Connection], fake_systems: dict[str, Any], revops: User
) -> None:
    salesforce, netsuite = pair
    out = _run("metadata_refresh", "cmd-meta-sf", "--object", "Invoice__c", "--as", "revops")
    assert "cmd-meta-sf: 10 objects read" in out and "Currencies: single-currency (USD)." in out
    assert "currencies: single-currency (USD)" in _run("metadata_show", "cmd-meta-sf")
    entry = AuditEntry.objects.get_for_object(salesforce).latest("pk")
    assert entry.actor == revops and "Invoice__c" in entry.additional_data["objects"]
    out = _run("metadata_refresh", "--all")
    assert "cmd-meta-sf:" in out and "cmd-meta-ns:" in out
    assert ConnectionMetadata.objects.get(connection=netsuite).fetched_at is not None


def test_it_says_what_failed_and_exits_non_zero(pair: tuple[Connection, Connection]) -> None:
    with pytest.raises(CommandError, match="not refreshed: cmd-meta-sf"):
        _run("metadata_refresh", "cmd-meta-sf")
    with pytest.raises(CommandError, match="no connection named nope"):
        _run("metadata_refresh", "nope")
    with pytest.raises(CommandError, match="--all"):
        _run("metadata_refresh")


def test_it_shows_objects_and_fields(
    pair: tuple[Connection, Connection], fake_systems: dict[str, Any]
) -> None:
    with pytest.raises(CommandError, match="run metadata_refresh cmd-meta-ns"):
        _run("metadata_show", "cmd-meta-ns")
    _run("metadata_refresh", "cmd-meta-ns")
    listing = _run("metadata_show", "cmd-meta-ns")
    assert "customer" in listing and "salesOrder" in listing
    fields = _run("metadata_show", "cmd-meta-ns", "customer", "--search", "tier")
    assert "custentity_tier" in fields and "[custom]" in fields and "values: gold, silver" in fields
    assert "companyName" not in fields
    book = _run("metadata_show", "cmd-meta-ns", "customer", "--search", "addressbook")
    assert "sublist" in book and "custrecord_floor" in book
    with pytest.raises(CommandError, match="vendorBill is not cached"):
        _run("metadata_show", "cmd-meta-ns", "vendorBill")
