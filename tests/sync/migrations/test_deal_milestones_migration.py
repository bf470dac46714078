"""The migration that created deal milestones fills them from what quote to cash read until then: each
deal's first won event (never a backfill's), first synced record and first invoice, under its org's
integration, a deal a backfill job read marked as such; running the fill again changes nothing."""

from __future__ import annotations

import datetime as dt
import importlib

from django.apps import apps as live_apps
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from sync.integrations.models import Integration
from sync.pipeline.models import DealMilestone
from tests.sync.pipeline.conftest import THREADED_DB

BEFORE = [("sync", "0040_volume_indexes")]
T0 = dt.datetime(2026, 5, 1, 12, 0, tzinfo=dt.UTC)
H = dt.timedelta(hours=1)


@THREADED_DB  # real commits: a migration cannot run inside the test's transaction
def test_the_milestones_are_filled_from_history() -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    integration, conn = old.get_model("sync", "Integration"), old.get_model("sync", "Connection")
    if not integration.objects.filter(is_primary=True).exists():
        integration.objects.create(name="primary", label="Primary", namespace="", is_primary=True)

    def connection_named(name: str, kind: str) -> object:
        return conn.objects.create(
            name=name,
            kind=kind,
            environment="production",
            base_url=f"https://{name}.example.com",
            auth_method="ns_token" if kind == "netsuite" else "sf_password",
        )

    netsuite = connection_named("ns", "netsuite")
    unclaimed_sf = connection_named("old-sf", "salesforce")  # no integration names it: the primary's
    acme_sf = connection_named("acme-sf", "salesforce")
    integration.objects.create(
        name="acme",
        label="Acme",
        namespace="ACQ",
        salesforce_connection=acme_sf,
        netsuite_connection=netsuite,
    )
    inbox = old.get_model("sync", "InboxMessage")
    same = "0065S000SHARED01QA"  # both orgs' deals have this id
    for key, org, record, source, at in (
        ("a1", acme_sf, same, "outbound_message", T0 + 2 * H),
        ("a2", acme_sf, same, "poll", T0),  # the earliest event wins, whatever the row order
        ("p1", unclaimed_sf, same, "webhook", T0 + 5 * H),
        ("b1", unclaimed_sf, "006BACKFILLED0001", "backfill", T0),  # a backfill's event: never won
        ("b2", unclaimed_sf, "006BACKFILLED0001", "poll", T0 + 9 * H),
    ):
        row = inbox.objects.create(
            notification_id=key,
            source=source,
            salesforce_connection=org,
            netsuite_connection=netsuite,
            record_id=record,
        )
        inbox.objects.filter(pk=row.pk).update(received_at=at)
    jobs, records = old.get_model("sync", "SyncJob"), old.get_model("sync", "SyncRecord")
    run = jobs.objects.create(salesforce_connection=acme_sf, netsuite_connection=netsuite, trigger="poll")
    rerun = jobs.objects.create(salesforce_connection=acme_sf, netsuite_connection=netsuite, trigger="rerun")
    records.objects.create(job=run, opportunity_id=same, status="failed", finished_at=T0 + 3 * H)
    records.objects.create(job=rerun, opportunity_id=same, status="synced", finished_at=T0 + 4 * H)
    backfill = jobs.objects.create(
        salesforce_connection=unclaimed_sf, netsuite_connection=netsuite, trigger="backfill"
    )
    jobs.objects.filter(pk=backfill.pk).update(started_at=T0 - H)
    records.objects.create(job=backfill, opportunity_id="006BACKFILLED0001", status="synced", finished_at=T0)
    acme = integration.objects.get(name="acme")
    old.get_model("sync", "SyncedInvoice").objects.create(
        netsuite_connection=netsuite,
        integration=acme,
        netsuite_id="901",
        opportunity_id=same,
        first_synced_at=T0 + 30 * H,
        last_synced_at=T0 + 50 * H,
    )

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    primary = Integration.objects.get(is_primary=True).pk
    acme_pk = Integration.objects.get(name="acme").pk

    def found() -> dict[tuple[int, str], tuple[dt.datetime | None, ...]]:
        return {
            (m.integration_id, m.opportunity_id): (m.won_at, m.ordered_at, m.invoiced_at, m.backfilled_at)
            for m in DealMilestone.objects.all()
        }

    expected = {
        (acme_pk, same): (T0, T0 + 4 * H, T0 + 30 * H, None),
        (primary, same): (T0 + 5 * H, None, None, None),
        (primary, "006BACKFILLED0001"): (T0 + 9 * H, T0, None, T0 - H),
    }
    assert found() == expected
    # Filled again (a re-run of the data step): nothing moves, nothing doubles.
    migration = importlib.import_module("sync.migrations.0041_deal_milestones")
    with connection.schema_editor() as editor:
        migration.milestones_from_history(live_apps, editor)
    assert found() == expected
