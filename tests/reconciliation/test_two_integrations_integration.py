"""Two integrations feeding one NetSuite account, over HTTPS: two Salesforce simulators holding the same
ids (as two orgs' can) and one NetSuite simulator. Each integration's runs compare its org with its own
NetSuite records only (``ACQ-`` external ids for the acquired one), and neither's finding becomes the
other's exception."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from reconciliation.models import Mismatch, ReconciliationRun, RunStatus
from reconciliation.services import reconciliation_run
from simulators.core.runner import RunningSimulator, start_in_thread
from simulators.salesforce.seed import seed as seed_salesforce
from simulators.salesforce.spec import SPEC as SALESFORCE_SPEC
from sync.connections.models import Connection
from sync.connections.services import netsuite_connector, salesforce_connector
from sync.exceptions.models import ExceptionItem
from sync.integrations.models import Integration
from sync.integrations.selectors import primary_integration
from tests.reconciliation.test_integration import ACC, OPP, World
from tests.sync.conftest import SEEDED, salesforce_connection_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def second_org(tmp_path: Path) -> Iterator[RunningSimulator]:
    """The acquired company's org: seeded alike, so its records have the same ids as the first's."""
    data_dir = tmp_path / "acme-org"
    seed_salesforce(data_dir, SEEDED)
    running = start_in_thread(SALESFORCE_SPEC, data_dir)
    yield running
    running.stop()


@pytest.fixture
def worlds(
    seeded_connections: tuple[Connection, Connection], second_org: RunningSimulator
) -> tuple[World, World, Integration]:
    salesforce, netsuite = seeded_connections
    acme_org = salesforce_connection_for(second_org, name="sf-acme")
    primary = primary_integration()
    primary.salesforce_connection, primary.netsuite_connection = salesforce, netsuite
    primary.save()
    acme = Integration.objects.create(
        name="acme", namespace="ACQ", salesforce_connection=acme_org, netsuite_connection=netsuite
    )
    ns = netsuite_connector(netsuite)
    return World(salesforce_connector(salesforce), ns), World(salesforce_connector(acme_org), ns), acme


def keys(run: ReconciliationRun) -> set[tuple[str, str, str]]:
    return {(m.kind, m.key, m.field) for m in Mismatch.objects.filter(run=run)}


def test_each_integration_reconciles_its_own_records_of_one_netsuite_account(
    worlds: tuple[World, World, Integration],
) -> None:
    first, second, acme = worlds
    # The first org's customers and order, by Salesforce id; the acquired org's, the same Salesforce ids
    # under its namespace, with a different name and amount: the two never mix.
    first.customer(ACC(1))
    first.customer(ACC(8))
    first.sales_order(OPP(1))
    second.customer(ACC(1), external_id=f"ACQ-{ACC(1)}", companyName="ACME-ONLY Corp")
    second.sales_order(OPP(1), external_id=f"ACQ-{OPP(1)}", adjust=7.0)

    accounts = reconciliation_run(check="accounts")
    acme_accounts = reconciliation_run(check="accounts", integration=acme)
    assert accounts.status == acme_accounts.status == RunStatus.SUCCEEDED, (
        accounts.error,
        acme_accounts.error,
    )
    # Each side holds its own customers only: no duplicate claim of ACC(1), no name from the other org.
    assert accounts.counts["netsuite_records"] == 2 and acme_accounts.counts["netsuite_records"] == 1
    assert not {key for key in keys(accounts) if key[1] in (ACC(1), ACC(8))}
    assert ("field_differs", ACC(1), "name") in keys(acme_accounts)
    assert ("missing_in_netsuite", ACC(8), "") in keys(acme_accounts)
    assert not [key for key in keys(accounts) | keys(acme_accounts) if key[0] == "duplicate"]

    orders = reconciliation_run(check="opportunities")
    acme_orders = reconciliation_run(check="opportunities", integration=acme)
    assert not {key for key in keys(orders) if key[1] == OPP(1)}
    assert {key for key in keys(acme_orders) if key[1] == OPP(1)} == {
        ("field_differs", OPP(1), "amount"),
        ("field_differs", OPP(1), "line_total"),
    }

    # Period totals: each integration's NetSuite total of OPP(1)'s month is its own order alone.
    totals = reconciliation_run(check="period_totals")
    acme_totals = reconciliation_run(check="period_totals", integration=acme)
    currency = first.opportunities[OPP(1)]["CurrencyIsoCode"]
    assert totals.totals[currency]["ordered"] + 7.0 == pytest.approx(acme_totals.totals[currency]["ordered"])
    assert totals.status == acme_totals.status == RunStatus.SUCCEEDED

    # The same Salesforce id in both orgs is two exceptions, one per integration.
    name_finding = Mismatch.objects.get(run=acme_accounts, key=ACC(1), field="name")
    assert name_finding.dedup_key.startswith("recon:ACQ:accounts:")
    assert ExceptionItem.objects.filter(dedup_key=name_finding.dedup_key).count() == 1
    assert not ExceptionItem.objects.filter(dedup_key=f"recon:accounts:{ACC(1)}:name").exists()

    # The second day: the acquired org's customer is put right; only its exception resolves.
    second.ns.upsert("customer", f"ACQ-{ACC(1)}", {"companyName": second.accounts[ACC(1)]["Name"]})
    again = reconciliation_run(check="accounts", integration=acme)
    assert ("field_differs", ACC(1), "name") not in keys(again)
    assert ExceptionItem.objects.get(dedup_key=name_finding.dedup_key).status == "resolved"
    assert ExceptionItem.objects.filter(dedup_key=f"recon:ACQ:accounts:{ACC(8)}:").get().status == "open"
