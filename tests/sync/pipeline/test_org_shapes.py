"""The whole Closed Won flow in the shapes customers have (integration, over HTTPS with the simulators).

Two shapes run it end to end: a multi-currency Salesforce org beside a OneWorld NetSuite account (the
simulators' defaults), and a single-currency org (no ``CurrencyIsoCode`` anywhere) beside a
single-entity account (no ``subsidiary`` field on any record). In each, the shipped mapping is checked
against the metadata the connections read from the systems themselves: it fits both shapes as shipped (in
the second, Concord supplies the org's one currency where the mapping reads ``CurrencyIsoCode``, and
leaves the subsidiary rows, optional, out of the payload), and the flow runs. Then the second day: the
account and the deal change in Salesforce and the re-run updates the same NetSuite records, creating
nothing twice. An org without CPQ cannot run the shipped mapping (its lines, plans and subscriptions come
from the CPQ quote): the check says so for each row.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User

from simulators.core.runner import RunningSimulator, start_in_thread
from simulators.netsuite.seed import seed as seed_netsuite
from simulators.netsuite.spec import SPEC as NETSUITE_SPEC
from simulators.salesforce.seed import seed as seed_salesforce
from simulators.salesforce.spec import SPEC as SALESFORCE_SPEC
from sync.connections.connectors.netsuite import NetSuiteConnector
from sync.connections.connectors.salesforce import SalesforceConnector
from sync.connections.metadata.selectors import connection_metadata
from sync.connections.metadata.services import metadata_refresh
from sync.connections.models import Connection
from sync.connections.services import netsuite_connector, salesforce_connector
from sync.mappings.engine.defaults import load_default
from sync.mappings.metadata_check import mapping_metadata_problems
from sync.mappings.models import Flow, MappingVersion
from sync.mappings.selectors import published_mapping
from sync.mappings.services.seed import mapping_seed_defaults
from sync.mappings.services.specs import version_spec
from sync.mappings.services.versions import (
    version_approve,
    version_create_draft,
    version_import,
    version_publish,
    version_submit,
)
from sync.pipeline.models import JobStatus, RecordStatus
from sync.pipeline.runner import run_batch
from tests.sync.conftest import SEEDED, netsuite_connection_for, salesforce_connection_for
from tests.sync.pipeline.conftest import THREADED_DB

pytestmark = THREADED_DB
FLOW = "opportunity_to_netsuite"
ORG_CURRENCY = "USD"  # the single-currency simulator org's corporate currency (Organization)


@dataclass(frozen=True)
class Shape:
    name: str
    currencies: str
    one_world: bool


SHAPES = [
    Shape("multi-currency org, OneWorld account", "multi", True),
    Shape("single-currency org, single-entity account", "single", False),
]


@dataclass
class Shaped:
    shape: Shape
    salesforce: Connection
    netsuite: Connection
    sf: SalesforceConnector
    ns: NetSuiteConnector


@pytest.fixture(params=SHAPES, ids=lambda shape: f"{shape.currencies}-currency-oneworld-{shape.one_world}")
def shaped(request: pytest.FixtureRequest, db: None, tmp_path: Path) -> Iterator[Shaped]:
    shape: Shape = request.param
    data_dir = tmp_path / "shaped"
    seed_salesforce(data_dir, SEEDED, currencies=shape.currencies)
    seed_netsuite(data_dir, SEEDED)
    simulators: list[RunningSimulator] = [
        start_in_thread(SALESFORCE_SPEC, data_dir, currencies=shape.currencies),
        start_in_thread(NETSUITE_SPEC, data_dir, one_world=shape.one_world),
    ]
    salesforce = salesforce_connection_for(simulators[0])
    netsuite = netsuite_connection_for(simulators[1])
    yield Shaped(
        shape,
        salesforce,
        netsuite,
        salesforce_connector(salesforce),
        netsuite_connector(netsuite, limited=False),
    )
    for running in simulators:
        running.stop()


def as_advised(spec: dict[str, Any], currency: str = ORG_CURRENCY) -> dict[str, Any]:
    """The shipped spec with the org's one ``currency`` as a constant wherever a part of a value or a
    transform option reads ``CurrencyIsoCode`` (what a single-currency org needed before Concord supplied
    its currency; such a mapping still runs the same)."""
    changed = copy.deepcopy(spec)

    def visit(node: Any) -> None:
        if isinstance(node, dict):
            parts = node.get("concat")
            if isinstance(parts, list):
                node["concat"] = [
                    {"constant": currency}
                    if isinstance(part, dict) and str(part.get("source", "")).endswith("CurrencyIsoCode")
                    else part
                    for part in parts
                ]
            if node.get("fn") == "currency_precision" and "currency_field" in node:
                del node["currency_field"]
                node["currency"] = currency
            for value in node.values():
                visit(value)
        elif isinstance(node, list):
            for value in node:
                visit(value)

    visit(changed)
    return changed


def errors_of(spec: dict[str, Any], shaped: Shaped) -> set[tuple[str, str]]:
    problems = mapping_metadata_problems(
        spec, connection_metadata(shaped.salesforce), connection_metadata(shaped.netsuite)
    )
    return {(p.object_key, p.field) for p in problems if p.severity == "error"}


def publish_reviewed(spec: dict[str, Any], maker: User, checker: User) -> MappingVersion:
    draft = version_create_draft(flow=Flow.objects.get(key=FLOW), user=maker)
    version_import(version=draft, spec=spec, user=maker)
    version_submit(version=draft, user=maker)
    version_approve(version=draft, user=checker)
    return version_publish(version=draft, user=checker)


def one_won_per_account(sf: SalesforceConnector, count: int) -> list[str]:
    rows = sf.query("SELECT Id, AccountId FROM Opportunity WHERE IsWon = true ORDER BY Id")
    return list({row["AccountId"]: row["Id"] for row in reversed(list(rows))}.values())[:count]


def test_the_closed_won_flow_runs_in_each_shape_and_again_after_a_change(
    shaped: Shaped, revops: User, finance: User
) -> None:
    mapping_seed_defaults()
    ids = one_won_per_account(shaped.sf, 3)

    # The first batch reads both connections' metadata (never read before) and runs filtered by it.
    # Both shapes run the shipped mapping unedited: a single-currency org's currency is supplied.
    shipped = version_spec(published_mapping(FLOW)[0])
    first = run_batch(salesforce=shaped.salesforce, netsuite=shaped.netsuite, opportunity_ids=ids)
    assert first.status == JobStatus.SUCCEEDED, [r.message for r in first.records.all()]
    assert errors_of(shipped, shaped) == set()
    if shaped.shape.currencies == "single":
        assert connection_metadata(shaped.salesforce).supplied_currency == ORG_CURRENCY
    assert (
        connection_metadata(shaped.salesforce).fetched_at and connection_metadata(shaped.netsuite).fetched_at
    )

    job = run_batch(salesforce=shaped.salesforce, netsuite=shaped.netsuite, opportunity_ids=ids)
    records = {r.opportunity_id: r for r in job.records.all()}
    assert job.status == JobStatus.SUCCEEDED, [(r.status, r.message) for r in records.values()]
    assert set(records) == set(ids) and all(r.status == RecordStatus.SYNCED for r in records.values())

    currency_ids = {row["symbol"]: row["id"] for row in shaped.ns.suiteql("SELECT id, symbol FROM currency")}
    for opportunity_id, record in records.items():
        order = shaped.ns.get("salesOrder", record.netsuite_ids["sales_order"])
        customer = shaped.ns.get("customer", record.netsuite_ids["customer"])
        billing = shaped.ns.get("billingAccount", record.netsuite_ids["billing_account"])
        assert order["externalId"] == opportunity_id
        if shaped.shape.one_world:
            assert customer["subsidiary"]["id"] and order["subsidiary"]["id"] == customer["subsidiary"]["id"]
        else:
            assert "subsidiary" not in customer and "subsidiary" not in order
        if shaped.shape.currencies == "multi":
            code = shaped.sf.get_records("Opportunity", [opportunity_id], ["CurrencyIsoCode"])[opportunity_id]
            assert order["currency"]["id"] == currency_ids[code["CurrencyIsoCode"]]
        else:
            assert billing["externalId"].endswith("-" + ORG_CURRENCY)
            assert order["currency"]["id"] == currency_ids[ORG_CURRENCY]

    # The second day: the deal and its account change in Salesforce; the re-run updates the same records.
    changed = ids[0]
    account_id = shaped.sf.get_records("Opportunity", [changed], ["AccountId"])[changed]["AccountId"]
    shaped.sf.update("Opportunity", changed, {"Name": "Renamed on day two"})
    shaped.sf.update("Account", account_id, {"Phone": "+1 555 0100"})
    counts = {t: len(list(shaped.ns.suiteql(f"SELECT id FROM {t}"))) for t in ("customer", "transaction")}  # noqa: S608

    again = run_batch(salesforce=shaped.salesforce, netsuite=shaped.netsuite, opportunity_ids=ids)
    assert again.status == JobStatus.SUCCEEDED, [r.message for r in again.records.all()]
    record = again.records.get(opportunity_id=changed)
    assert record.netsuite_ids["sales_order"] == records[changed].netsuite_ids["sales_order"]
    assert shaped.ns.get("salesOrder", record.netsuite_ids["sales_order"])["memo"] == "Renamed on day two"
    assert shaped.ns.get("customer", record.netsuite_ids["customer"])["phone"] == "+1 555 0100"
    assert {t: len(list(shaped.ns.suiteql(f"SELECT id FROM {t}"))) for t in counts} == counts  # noqa: S608


def test_in_an_org_without_cpq_the_check_names_each_row_that_reads_the_quote_and_what_to_do(
    db: None, tmp_path: Path
) -> None:
    seed_salesforce(tmp_path / "no-cpq", SEEDED, cpq=False)
    running = start_in_thread(SALESFORCE_SPEC, tmp_path / "no-cpq", cpq=False)
    try:
        salesforce = salesforce_connection_for(running, name="sf-no-cpq")
        assert "SBQQ__Quote__c" in metadata_refresh(connection=salesforce).missing
        spec = load_default(FLOW)
        problems = mapping_metadata_problems(spec, connection_metadata(salesforce), None)
    finally:
        running.stop()
    errors = [p for p in problems if p.severity == "error"]
    # Every error is a read of the quote, says why and what to do; nothing else is flagged.
    assert errors and all("Salesforce CPQ is not installed" in p.message for p in errors)
    assert all("map the value from the opportunity" in p.message for p in errors)
    flagged = {p.object_key for p in errors}
    assert {"subscription_plan", "subscription", "sales_order", "billing_account"} <= flagged
    assert not flagged & {"customer", "contact"}
    named = {(p.object_key, p.field) for p in errors}
    assert {("sales_order", "lines/line_quantity"), ("sales_order", "sf_quote_id")} <= named
