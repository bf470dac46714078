"""The two-org harness comes up: two differently shaped Salesforce orgs and one NetSuite account over HTTPS,
stored connections, the primary integration and ``acme``; Concord's connection test and metadata refresh
pass against every system through the real connectors, and Concord sees org B's own fields."""
# ruff: noqa: S608 - the f-strings build SOQL for the simulators

from __future__ import annotations

from typing import Any

import pytest

from sync.connections.checks import connection_test
from sync.connections.metadata.selectors import connection_metadata
from sync.connections.metadata.services import metadata_refresh
from sync.connections.metadata.types import SystemMetadata
from sync.integrations.namespacing import eid_namespaced
from sync.integrations.selectors import integration_by_name, integration_for_connection, integration_for_pair
from sync.mappings.metadata_check import mapping_metadata_problems
from sync.mappings.selectors import published_mapping
from sync.mappings.services.specs import version_spec
from sync.pipeline.reads import FieldsMissing, read_plan
from sync.pipeline.sync_status import StatusFields
from tests.sync.integrations.conftest import ACME_NAMESPACE, Org, TwoOrgs

FLOW = "opportunity_to_netsuite"

pytestmark = pytest.mark.django_db


def test_the_fixture_wires_two_integrations_over_one_netsuite_account(two_orgs: TwoOrgs) -> None:
    a, b, netsuite = two_orgs.connections
    assert len({a.pk, b.pk, netsuite.pk}) == 3
    assert (a.kind, b.kind, netsuite.kind) == ("salesforce", "salesforce", "netsuite")
    assert a.base_url != b.base_url
    primary, acme = two_orgs.primary, two_orgs.acme
    assert primary.is_primary and primary.namespace == ""
    assert (primary.salesforce_connection_id, primary.netsuite_connection_id) == (a.pk, netsuite.pk)
    assert (acme.name, acme.namespace, acme.is_primary) == ("acme", ACME_NAMESPACE, False)
    assert (acme.salesforce_connection_id, acme.netsuite_connection_id) == (b.pk, netsuite.pk)
    # The org decides which integration a pair runs under.
    assert integration_for_connection(a.pk) == primary
    assert integration_for_pair(b.pk, netsuite.pk) == acme
    assert integration_by_name("acme") == acme
    assert eid_namespaced(acme.namespace, "006000000000001") == "ACQ-006000000000001"


def test_concords_connection_test_passes_against_every_system(two_orgs: TwoOrgs) -> None:
    for connection in two_orgs.connections:
        result = connection_test(connection=connection)
        assert result.ok, (connection.name, result.message, result.diagnosis)
        connection.refresh_from_db()
        assert connection.last_test_ok is True


def test_both_orgs_hand_out_the_same_ids_for_different_deals(two_orgs: TwoOrgs) -> None:
    seeded_a = list(two_orgs.a.connector().query("SELECT Id, Name FROM Account ORDER BY Id"))
    seeded_b = list(two_orgs.b.connector().query("SELECT Id, Name FROM Account ORDER BY Id"))
    assert [row["Id"] for row in seeded_a] == [row["Id"] for row in seeded_b]
    assert [row["Name"] for row in seeded_a] != [row["Name"] for row in seeded_b]
    deal_a = two_orgs.a.closed_won("Alpha Widgets")
    deal_b = two_orgs.b.closed_won("Muster Maschinenbau", country="DE", deal_code="AD-77001")
    assert deal_a.opportunity == deal_b.opportunity
    assert deal_a.account == deal_b.account
    assert deal_a.lines == {code: line for code, line in deal_b.lines.items()}
    won_a = two_orgs.a.client.Opportunity.get(deal_a.opportunity)
    won_b = two_orgs.b.client.Opportunity.get(deal_b.opportunity)
    assert (won_a["IsWon"], won_a["Name"], won_a["CurrencyIsoCode"]) == (True, "Alpha Widgets - New", "USD")
    assert (won_b["IsWon"], won_b["Name"], won_b["Acme_Deal_Code__c"]) == (
        True,
        "Muster Maschinenbau - New",
        "AD-77001",
    )
    assert "CurrencyIsoCode" not in won_b
    assert two_orgs.b.client.Account.get(deal_b.account)["Region__c"] == "DACH"
    # Concord's connector reads each org's deal, with its quote lines.
    graph = list(
        two_orgs.b.connector().query(
            "SELECT Id, Amount, (SELECT Id FROM SBQQ__Quotes2__r) FROM Opportunity "
            f"WHERE Id = '{deal_b.opportunity}'"
        )
    )
    assert graph[0]["Amount"] == 600.0
    assert [quote["Id"] for quote in graph[0]["SBQQ__Quotes2__r"]["records"]] == [deal_b.quote]


def test_metadata_refresh_reads_each_orgs_own_shape(two_orgs: TwoOrgs) -> None:
    for connection in two_orgs.connections:
        result = metadata_refresh(connection=connection)
        assert result.objects, connection.name
    org_a = connection_metadata(two_orgs.a.connection)
    org_b = connection_metadata(two_orgs.b.connection)
    # The currencies, learnt from each org (CurrencyType in A, Organization.DefaultCurrencyIsoCode in B).
    assert (org_a.multi_currency, org_a.corporate_currency, org_a.supplied_currency) == (True, "USD", "")
    assert (org_b.multi_currency, org_b.corporate_currency, org_b.supplied_currency) == (False, "EUR", "EUR")
    assert "Currencies: single-currency (EUR)." in metadata_refresh(connection=two_orgs.b.connection).message

    def names(metadata: SystemMetadata, sobject: str) -> set[str]:
        return set(metadata.objects[sobject].fields)

    # Org B: its own custom fields and status fields, no currency field, none of org A's fields.
    assert {"Region__c"} <= names(org_b, "Account") and "Subsidiary__c" not in names(org_b, "Account")
    opportunity_b = org_b.objects["Opportunity"]
    code = opportunity_b.field("Acme_Deal_Code__c")
    assert code is not None and code.custom and code.length == 20
    status = opportunity_b.field("ERP_Sync_Status__c")
    assert status is not None and "Synced" in status.picklist
    for sobject in ("Account", "Contact", "Opportunity"):
        assert "Concord_Sync_Status__c" not in names(org_b, sobject)
        assert "CurrencyIsoCode" not in names(org_b, sobject)
        assert {"Concord_Sync_Status__c", "CurrencyIsoCode"} <= names(org_a, sobject)
    region = org_b.objects["Account"].field("Region__c")
    assert region is not None and "DACH" in region.picklist
    assert "Region__c" not in names(org_a, "Account")
    # Both have CPQ; the NetSuite account lists its OneWorld subsidiary field.
    assert "SBQQ__Quote__c" in org_b.objects
    customer = connection_metadata(two_orgs.netsuite_connection).objects["customer"]
    assert customer.field("subsidiary") is not None


def test_a_batch_plan_against_org_b_needs_its_own_status_field_names(two_orgs: TwoOrgs) -> None:
    """Concord's read plan checks the batch's fields against org B's cached metadata: Concord's status
    field names are not there (the batch would fail before any Salesforce call, naming them); org B's
    own names are."""
    metadata_refresh(connection=two_orgs.b.connection)
    org_b = connection_metadata(two_orgs.b.connection)
    with pytest.raises(FieldsMissing) as missing:
        read_plan(None, salesforce=org_b)
    assert any("Opportunity.Concord_Sync_Status__c" in text for text in missing.value.missing)
    acme_status = StatusFields(
        status="ERP_Sync_Status__c", message="ERP_Sync_Error__c", time="ERP_Last_Synced__c"
    )
    plan = read_plan(
        None, salesforce=org_b, status={name: acme_status for name in ("Opportunity", "Account", "Contact")}
    )
    assert plan.filtered
    assert "ERP_Sync_Status__c" in plan.query.opportunity


def test_the_shipped_mapping_checked_against_each_orgs_metadata(two_orgs: TwoOrgs) -> None:
    """Org A and org B (single-currency) both run the shipped mapping as it is: against org B the check
    finds nothing to change and says, once, that the org's currency (``EUR``) is supplied."""
    for connection in two_orgs.connections:
        metadata_refresh(connection=connection)
    shipped = version_spec(published_mapping(FLOW)[0])
    netsuite = connection_metadata(two_orgs.netsuite_connection)

    def problems(org: Org) -> list[Any]:
        return mapping_metadata_problems(shipped, connection_metadata(org.connection), netsuite)

    assert [p for p in problems(two_orgs.a) if p.severity == "error"] == []
    assert [p for p in problems(two_orgs.b) if p.severity == "error"] == []
    supplied = [p.message for p in problems(two_orgs.b) if "single-currency" in p.message]
    assert len(supplied) == 1 and "Concord supplies EUR" in supplied[0]
    assert not any("single-currency" in p.message for p in problems(two_orgs.a))


def test_the_netsuite_account_has_a_subsidiary_per_currency(two_orgs: TwoOrgs) -> None:
    subsidiaries = {row["name"]: row for row in two_orgs.ns().subsidiaries() or []}
    assert (
        subsidiaries["Concord Software Inc."]["currency"],
        subsidiaries["Concord Software Inc."]["country"],
    ) == (
        "US Dollar",
        "US",
    )
    parent = subsidiaries["Concord Software Inc."]["id"]
    children = {name: row["currency"] for name, row in subsidiaries.items() if row.get("parent") == parent}
    assert children.items() >= {("Concord Software Ltd", "British Pound"), ("Concord Software GmbH", "Euro")}
