"""The go-live scan per integration: for the primary integration, a NetSuite record carrying another
integration's external id (a customer the acquired org synced first) is a shared link, applied without
re-keying it; a record carrying an id of no known integration stays another record's."""

from __future__ import annotations

from django.contrib.auth.models import User

from sync.connections.connectors.netsuite import NetSuiteConnector
from sync.connections.connectors.salesforce import SalesforceConnector
from sync.connections.models import Connection
from sync.golive.models import GoLiveOutcome, GoLiveStatus
from sync.golive.scan import golive_scan_execute
from sync.golive.services import golive_apply_confirm, golive_apply_execute, golive_start
from sync.integrations.models import Integration
from sync.integrations.selectors import primary_integration
from sync.mappings.services.seed import mapping_seed_defaults
from sync.pipeline.models import CrossReference
from tests.sync.golive.conftest import _customer
from tests.sync.pipeline.conftest import THREADED_DB

pytestmark = THREADED_DB


def test_the_primary_links_a_record_another_integration_created_as_shared(
    seeded_connections: tuple[Connection, Connection],
    sf: SalesforceConnector,
    ns: NetSuiteConnector,
    admin: User,
) -> None:
    mapping_seed_defaults()
    Integration.objects.create(name="acme", namespace="ACQ")  # an acquired org's integration (no pair here)
    accounts = list(sf.query("SELECT Id, Name, BillingCountry FROM Account ORDER BY Id"))
    theirs, unknown = accounts[:2]
    shared_id = _customer(ns, theirs["Name"], theirs["BillingCountry"], externalId=f"ACQ-{theirs['Id']}")
    _customer(ns, unknown["Name"], unknown["BillingCountry"], externalId=f"LEGACY-{unknown['Id']}")

    run = golive_start(
        actor=admin, salesforce=seeded_connections[0], netsuite=seeded_connections[1], run_now=True
    )
    run = golive_scan_execute(run)
    results = {r.salesforce_id: r for r in run.results.filter(salesforce_type="Account")}
    assert (results[theirs["Id"]].outcome, results[theirs["Id"]].chosen_id) == (
        GoLiveOutcome.SHARED,
        shared_id,
    )
    assert results[theirs["Id"]].external_id == theirs["Id"]  # the primary's own id: no namespace
    # An id of no integration Concord knows is another record's (as before integrations): not a match.
    assert results[unknown["Id"]].outcome == GoLiveOutcome.UNMATCHED
    assert run.shared == 1

    run = golive_apply_confirm(run=run, actor=admin, run_now=True)
    assert golive_apply_execute(run, slice_size=None) is False
    run.refresh_from_db()
    assert run.status == GoLiveStatus.APPLIED and run.links_applied == 1
    assert ns.get("customer", shared_id)["externalId"] == f"ACQ-{theirs['Id']}"  # never re-keyed
    reference = CrossReference.objects.get(external_id=theirs["Id"])
    assert (reference.netsuite_id, reference.shared, reference.integration) == (
        shared_id,
        True,
        primary_integration(),
    )
