"""The migration that made cross-references and the two-way field ledger per integration: every row written
before integrations existed becomes the primary integration's, so a running installation reads exactly
what it read before."""

from __future__ import annotations

from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from sync.integrations.selectors import primary_integration
from sync.pipeline.eids import eid_scope
from sync.pipeline.models import CrossReference, FieldConflict, SyncedFieldValue
from tests.sync.pipeline.conftest import THREADED_DB

BEFORE = [("sync", "0030_config_integration")]


@THREADED_DB  # real commits: a migration cannot run inside the test's transaction
def test_rows_written_before_integrations_become_the_primarys() -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    integration = old.get_model("sync", "Integration")
    if not integration.objects.filter(is_primary=True).exists():
        integration.objects.create(name="primary", label="Primary", namespace="", is_primary=True)
    netsuite = old.get_model("sync", "Connection").objects.create(
        name="ns", kind="netsuite", environment="production", base_url="https://ns.example.com", auth_method="ns_token"
    )
    now = timezone.now()
    old.get_model("sync", "CrossReference").objects.create(
        netsuite_connection=netsuite,
        netsuite_type="customer",
        external_id="001A",
        netsuite_id="7",
        salesforce_id="001A",
        object_key="customer",
        payload_hash="",
        synced_at=now,
    )
    old.get_model("sync", "SyncedFieldValue").objects.create(
        netsuite_connection=netsuite, sobject="Account", salesforce_id="001A", field="Phone", value="1", synced_at=now
    )
    old.get_model("sync", "FieldConflict").objects.create(
        netsuite_connection=netsuite,
        flow="netsuite_customer_to_salesforce",
        sobject="Account",
        salesforce_id="001A",
        netsuite_type="customer",
        netsuite_id="7",
        field="Phone",
        owner="salesforce",
        detected_at=now,
    )

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    primary = primary_integration()
    xref = CrossReference.objects.get(external_id="001A")
    assert (xref.integration_id, xref.shared) == (primary.pk, False)
    assert SyncedFieldValue.objects.get().integration_id == primary.pk
    assert FieldConflict.objects.get().integration_id == primary.pk
    assert list(eid_scope(None, netsuite.pk).xrefs()) == [xref]
