"""An opportunity whose account's country has no subsidiary: the exception's title in finance's words,
over HTTPS against the seeded simulators; the engine's path stays in the details (sync/pipeline/titles.py).
"""

from __future__ import annotations

from typing import Any

import pytest

from sync.connections.connectors.netsuite import NetSuiteConnector
from sync.connections.connectors.salesforce import SalesforceConnector
from sync.connections.models import Connection
from sync.exceptions.models import ExceptionItem, ExceptionStatus
from sync.mappings.engine import StaticLookups
from sync.pipeline import sources
from sync.pipeline.failures import sync_dedup_key
from sync.pipeline.models import RecordStatus
from sync.pipeline.runner import run_batch
from tests.sync.full_graph import FULL_GRAPH
from tests.sync.pipeline.conftest import THREADED_DB

pytestmark = THREADED_DB


def test_a_missing_subsidiary_is_titled_by_account_and_country_and_follows_the_account(
    seeded_connections: tuple[Connection, Connection],
    sf: SalesforceConnector,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    salesforce, netsuite = seeded_connections
    rows = sf.query("SELECT Id FROM Opportunity WHERE IsWon = true ORDER BY Id LIMIT 20")
    graphs = sf.fetch_opportunity_graphs([row["Id"] for row in rows], FULL_GRAPH)
    deal = next(g for g in graphs.values() if g["Account"]["BillingCountry"] == "JP")
    live_lookups = sources.live_lookups

    def japan_unmapped(netsuite: NetSuiteConnector, chosen: Any = None, integration: Any = None) -> Any:
        lookups, dynamic = live_lookups(netsuite, chosen, integration)
        tables = {name: dict(lookups._tables[name]) for name in lookups.tables()}
        tables["country_to_subsidiary"].pop("JP", None)
        return StaticLookups(tables, dynamic), dynamic

    monkeypatch.setattr(sources, "live_lookups", japan_unmapped)
    job = run_batch(salesforce=salesforce, netsuite=netsuite, opportunity_ids=[deal["Id"]])
    assert job.records.get().status == RecordStatus.FAILED
    item = ExceptionItem.objects.get(
        dedup_key=sync_dedup_key(netsuite_connection_id=netsuite.pk, opportunity_id=deal["Id"])
    )
    name = deal["Account"]["Name"]
    assert item.title == f"Account {name}: no NetSuite subsidiary for billing country JP"
    assert item.details["engine_message"].startswith(
        "customer / subsidiary / subsidiary.id: no 'JP' in lookup table 'country_to_subsidiary'"
    )
    assert item.mapping_row == "customer/subsidiary"

    # The second day: the account is renamed in Salesforce and the deal synced again, still unmapped:
    # the same exception, counted again, says the account's new name.
    sf.update("Account", deal["AccountId"], {"Name": f"{name} (Japan)"})
    run_batch(salesforce=salesforce, netsuite=netsuite, opportunity_ids=[deal["Id"]])
    item.refresh_from_db()
    assert (item.occurrence_count, item.status) == (2, ExceptionStatus.OPEN)
    assert item.title == f"Account {name} (Japan): no NetSuite subsidiary for billing country JP"
