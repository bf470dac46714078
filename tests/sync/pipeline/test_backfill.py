"""manage.py sync_backfill: history through the same pipeline, progress on the terminal."""

from __future__ import annotations

import io
from collections.abc import Callable

import pytest
from django.core.management import CommandError, call_command

from sync.connectors.salesforce import SalesforceConnector
from sync.models import Connection, SyncJob, SyncRecord
from tests.sync.pipeline.conftest import THREADED_DB, won_ids

pytestmark = THREADED_DB


def test_it_backfills_every_won_opportunity_in_batches(
    seeded_connections: tuple[Connection, Connection],
    sf: SalesforceConnector,
    netsuite_count: Callable[[str, str], int],
) -> None:
    out = io.StringIO()
    call_command(
        "sync_backfill",
        "--since",
        "2026-01-01",
        "--salesforce",
        "sf-sandbox",
        "--netsuite",
        "ns-sandbox",
        "--batch",
        "3",
        stdout=out,
    )
    ids = won_ids(sf)
    assert SyncJob.objects.filter(trigger="backfill").count() == -(-len(ids) // 3)
    assert sorted(SyncRecord.objects.values_list("opportunity_id", flat=True)) == ids
    assert all(netsuite_count("transaction", i) == 1 for i in ids)
    text = out.getvalue()
    assert f"{len(ids)}/{len(ids)}" in text and "[" + "#" * 30 + "]" in text
    assert f"Backfill finished: {len(ids)} synced, 0 failed." in text


def test_it_names_a_missing_connection(seeded_connections: tuple[Connection, Connection]) -> None:
    with pytest.raises(CommandError, match="no active netsuite connection named 'nope'"):
        call_command(
            "sync_backfill", "--since", "2026-01-01", "--salesforce", "sf-sandbox", "--netsuite", "nope"
        )
