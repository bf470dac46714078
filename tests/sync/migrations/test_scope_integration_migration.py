"""The migration that gave order locks and synced invoices their integration: an existing lock is placed
through its sales order's cross-reference, an invoice through the return-flow read of it (its job's org),
and a row neither places is the primary's (rows written before integrations existed were all its)."""

from __future__ import annotations

from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from sync.integrations.models import Integration
from sync.lifecycle.models import OrderLock
from sync.pipeline.models import SyncedInvoice
from tests.sync.pipeline.conftest import THREADED_DB

BEFORE = [("sync", "0034_exception_integration")]


@THREADED_DB  # real commits: a migration cannot run inside the test's transaction
def test_existing_locks_and_invoices_are_placed_in_their_integration() -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    integration, conn = old.get_model("sync", "Integration"), old.get_model("sync", "Connection")
    if not integration.objects.filter(is_primary=True).exists():
        integration.objects.create(name="primary", label="Primary", namespace="", is_primary=True)
    netsuite = conn.objects.create(
        name="ns",
        kind="netsuite",
        environment="production",
        base_url="https://ns.example.com",
        auth_method="ns_token",
    )
    acme_sf = conn.objects.create(
        name="acme-sf",
        kind="salesforce",
        environment="production",
        base_url="https://acme.example.com",
        auth_method="sf_password",
    )
    acme = integration.objects.create(
        name="acme",
        label="Acme",
        namespace="ACQ",
        salesforce_connection=acme_sf,
        netsuite_connection=netsuite,
    )
    now = timezone.now()
    same = "0065S000SHARED01QA"  # both orgs' deals have this id
    old.get_model("sync", "CrossReference").objects.create(
        netsuite_connection=netsuite,
        integration=acme,
        netsuite_type="salesOrder",
        external_id=f"ACQ-{same}",
        netsuite_id="801",
        salesforce_id=same,
        object_key="sales_order",
        payload_hash="",
        synced_at=now,
    )
    locks = old.get_model("sync", "OrderLock")
    for order in ("801", "501"):
        locks.objects.create(
            netsuite_connection=netsuite,
            sales_order_id=order,
            opportunity_id=same,
            status_label="Billed",
            first_seen=now,
            last_seen=now,
        )
    job = old.get_model("sync", "SyncJob").objects.create(
        salesforce_connection=acme_sf,
        netsuite_connection=netsuite,
        flow="netsuite_to_salesforce",
        trigger="return_flow",
    )
    old.get_model("sync", "ReturnRecord").objects.create(
        job=job, netsuite_type="invoice", netsuite_id="901", opportunity_id=same, sales_order_id="801"
    )
    invoices = old.get_model("sync", "SyncedInvoice")
    for invoice in ("901", "601"):
        invoices.objects.create(
            netsuite_connection=netsuite,
            netsuite_id=invoice,
            opportunity_id=same,
            first_synced_at=now,
            last_synced_at=now,
        )

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    primary = Integration.objects.get(is_primary=True)
    acme_now = Integration.objects.get(name="acme")
    assert dict(OrderLock.objects.values_list("sales_order_id", "integration")) == {
        "801": acme_now.pk,
        "501": primary.pk,
    }
    assert dict(SyncedInvoice.objects.values_list("netsuite_id", "integration")) == {
        "901": acme_now.pk,
        "601": primary.pk,
    }
