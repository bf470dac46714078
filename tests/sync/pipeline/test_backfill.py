"""manage.py sync_backfill: history through the same pipeline, progress on the terminal."""

from __future__ import annotations

import io
from collections.abc import Callable

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from governance.models import AuditEntry
from sync.connections.connectors.salesforce import SalesforceConnector
from sync.connections.models import Connection
from sync.pipeline.models import Backfill, SyncJob, SyncRecord
from sync.tasks import backfill_run
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


def test_it_runs_a_backfill_started_from_the_console_and_shows_its_progress(
    seeded_connections: tuple[Connection, Connection],
    sf: SalesforceConnector,
    revops_client: Client,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    queued: list[tuple[str, int, int]] = []
    monkeypatch.setattr(
        "sync.pipeline.backfills.async_task", lambda name, pk, step, **kw: queued.append((name, pk, step))
    )
    salesforce, netsuite = seeded_connections
    form = {"since": "2026-01-01", "salesforce": salesforce.pk, "netsuite": netsuite.pk}
    answer = revops_client.post(reverse("sync:backfill-start"), form)
    backfill = Backfill.objects.get()
    assert answer.status_code == 302 and answer["Location"] == reverse("sync:backfill", args=[backfill.pk])
    assert queued == [("sync.tasks.backfill_run", backfill.pk, 0)]  # the first batch, after commit
    assert AuditEntry.objects.filter(object_pk=str(backfill.pk), content_type__model="backfill").exists()
    # Queued: the progress fragment polls.
    fragment = revops_client.get(reverse("sync:backfill", args=[backfill.pk]), HTTP_HX_REQUEST="true")
    assert 'hx-trigger="every 2s"' in fragment.content.decode() and "Queued" in fragment.content.decode()
    Backfill.objects.filter(pk=backfill.pk).update(batch_size=4)
    total = len(won_ids(sf))
    seen: list[tuple[int | None, int]] = []
    steps = []
    while queued:  # the workers: each batch is one task, which queues the next
        _, pk, step = queued.pop(0)
        steps.append(step)
        backfill_run(pk, step)
        backfill.refresh_from_db()
        seen.append((backfill.total, backfill.done))
    assert steps == list(range(total // 4 + 1))  # the last batch is the short (maybe empty) one
    assert seen[0] == (total, min(4, total)) and seen[-1] == (total, total)
    assert backfill_run(backfill.pk, 0) == total  # a redelivered first batch does nothing more
    assert not queued and SyncRecord.objects.count() == total
    fragment = revops_client.get(reverse("sync:backfill", args=[backfill.pk]), HTTP_HX_REQUEST="true")
    body = fragment.content.decode()
    assert "hx-trigger" not in body and "Succeeded" in body and f"{total} of {total}" in body
    assert 'value="100"' in body


def test_it_lets_only_revops_and_admins_start_a_backfill(
    seeded_connections: tuple[Connection, Connection], finance_client: Client, auditor_client: Client
) -> None:
    salesforce, netsuite = seeded_connections
    form = {"since": "2026-01-01", "salesforce": salesforce.pk, "netsuite": netsuite.pk}
    for client in (finance_client, auditor_client):
        assert client.post(reverse("sync:backfill-start"), form).status_code == 403
    assert not Backfill.objects.exists()
