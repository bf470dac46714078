"""A second, differently shaped org beside the default one: an acquired company's, single-currency in EUR,
with its own custom fields and its own names for the sync status fields, handing out the same record ids
as the first org. Over HTTPS through unmodified simple-salesforce."""
# ruff: noqa: S608 - the f-strings build SOQL for the simulator, not SQL

from __future__ import annotations

import argparse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from simple_salesforce.exceptions import SalesforceMalformedRequest

from simulators.__main__ import main
from simulators.core.runner import RunningSimulator, add_common_arguments, start_in_thread
from simulators.dataset import Dataset
from simulators.salesforce import ids
from simulators.salesforce.fieldsets import ACME_REGION_OF_COUNTRY, ACME_SYNC_FIELDS, CONCORD_SYNC_FIELDS
from simulators.salesforce.seed import account_id, opportunity_id, seed
from simulators.salesforce.shape import ACME_SHAPE
from simulators.salesforce.spec import SPEC
from tests.simulators.test_salesforce_shapes import client

# Different companies (names, countries), the same number of records: the seeded ids are the same.
DEFAULT_DATA = Dataset(seed=5, accounts=4)
ACME_DATA = Dataset(seed=6, accounts=4)
ACME_ORG_ID = ids.make_id("00D", 2_000_002, pod="7x")


@pytest.fixture
def orgs(tmp_path: Path) -> Iterator[tuple[RunningSimulator, RunningSimulator]]:
    seed(tmp_path / "a", DEFAULT_DATA)
    seed(tmp_path / "b", ACME_DATA, **ACME_SHAPE)
    first = start_in_thread(SPEC, tmp_path / "a")
    second = start_in_thread(SPEC, tmp_path / "b", org_id=ACME_ORG_ID, **ACME_SHAPE)
    yield first, second
    first.stop()
    second.stop()


def _names(sf: Any, sobject: str) -> set[str]:
    return {f["name"] for f in getattr(sf, sobject).describe()["fields"]}


def _error(raised: pytest.ExceptionInfo[Any]) -> dict[str, Any]:
    return dict(raised.value.content[0])


def test_describe_differs_between_the_orgs(orgs: tuple[RunningSimulator, RunningSimulator]) -> None:
    a, b = (client(sim) for sim in orgs)
    for sobject in ("Account", "Contact", "Opportunity"):
        assert set(CONCORD_SYNC_FIELDS) <= _names(a, sobject)
        assert not set(ACME_SYNC_FIELDS) & _names(a, sobject)
        assert set(ACME_SYNC_FIELDS) <= _names(b, sobject), sobject
        assert not set(CONCORD_SYNC_FIELDS) & _names(b, sobject), sobject
    assert "Subsidiary__c" in _names(a, "Account") and "Region__c" not in _names(a, "Account")
    assert "Region__c" in _names(b, "Account") and "Subsidiary__c" not in _names(b, "Account")
    region = next(f for f in b.Account.describe()["fields"] if f["name"] == "Region__c")
    assert region["type"] == "picklist" and region["custom"] is True
    assert {value["value"] for value in region["picklistValues"]} >= {"DACH", "UK&I", "Nordics"}
    code = next(f for f in b.Opportunity.describe()["fields"] if f["name"] == "Acme_Deal_Code__c")
    assert (code["type"], code["externalId"], code["unique"], code["length"]) == ("string", True, True, 20)
    assert "Acme_Deal_Code__c" not in _names(a, "Opportunity")
    status = next(f for f in b.Opportunity.describe()["fields"] if f["name"] == "ERP_Sync_Status__c")
    assert [value["value"] for value in status["picklistValues"]] == ["Pending", "Synced", "Error", "Skipped"]
    # What Concord writes back exists in both: the admins added it for Concord.
    for sf in (a, b):
        assert "NetSuite_Id__c" in _names(sf, "Account")
        assert {"NetSuite_Sales_Order_Id__c", "Send_to_NetSuite__c"} <= _names(sf, "Opportunity")
    # Both have CPQ.
    assert "SBQQ__Quote__c" in {s["name"] for s in b.describe()["sobjects"]}


def test_the_second_org_is_single_currency_in_eur(orgs: tuple[RunningSimulator, RunningSimulator]) -> None:
    a, b = (client(sim) for sim in orgs)
    for sobject in b.describe()["sobjects"]:
        assert "CurrencyIsoCode" not in _names(b, sobject["name"]), sobject["name"]
    assert "CurrencyIsoCode" in _names(a, "Opportunity")
    with pytest.raises(SalesforceMalformedRequest) as raised:
        b.query("SELECT Id, CurrencyIsoCode FROM Opportunity")
    assert _error(raised)["errorCode"] == "INVALID_FIELD"
    with pytest.raises(SalesforceMalformedRequest) as raised:
        b.Account.create({"Name": "Dollar Inc", "CurrencyIsoCode": "USD"})
    assert _error(raised)["errorCode"] == "INVALID_FIELD"
    organization = "SELECT Id, DefaultCurrencyIsoCode FROM Organization"
    assert a.query(organization)["records"][0]["DefaultCurrencyIsoCode"] == "USD"
    second = b.query(organization)["records"][0]
    assert (second["DefaultCurrencyIsoCode"], second["Id"]) == ("EUR", ACME_ORG_ID)
    # CurrencyType exists only where multiple currencies are enabled: the corporate one is marked there.
    corporate = "SELECT IsoCode FROM CurrencyType WHERE IsCorporate = true"
    assert [row["IsoCode"] for row in a.query(corporate)["records"]] == ["USD"]
    assert "CurrencyType" in {s["name"] for s in a.describe()["sobjects"]}
    assert "CurrencyType" not in {s["name"] for s in b.describe()["sobjects"]}
    with pytest.raises(SalesforceMalformedRequest) as raised:
        b.query(corporate)
    assert _error(raised)["errorCode"] == "INVALID_TYPE"
    # Prices are the euro list prices, one per product; a new line is priced from it.
    entries = b.query("SELECT Product2Id, UnitPrice FROM PricebookEntry")["records"]
    assert len({row["Product2Id"] for row in entries}) == len(entries) > 0
    euro = a.query("SELECT Product2Id, UnitPrice FROM PricebookEntry WHERE CurrencyIsoCode = 'EUR'")
    assert {(r["Product2Id"], r["UnitPrice"]) for r in entries} == {
        (r["Product2Id"], r["UnitPrice"]) for r in euro["records"]
    }
    account = b.Account.create({"Name": "Muster GmbH", "BillingCountry": "DE", "Region__c": "DACH"})["id"]
    deal = b.Opportunity.create(
        {"Name": "Muster", "AccountId": account, "StageName": "Prospecting", "CloseDate": "2026-12-31"}
    )["id"]
    entry = entries[0]
    b.OpportunityLineItem.create(
        {"OpportunityId": deal, "Product2Id": entry["Product2Id"], "Quantity": 3, "UnitPrice": 9.5}
    )
    line = b.query(f"SELECT ListPrice, TotalPrice FROM OpportunityLineItem WHERE OpportunityId = '{deal}'")
    assert (line["records"][0]["ListPrice"], line["records"][0]["TotalPrice"]) == (entry["UnitPrice"], 28.5)


def test_both_orgs_hand_out_the_same_ids(orgs: tuple[RunningSimulator, RunningSimulator]) -> None:
    a, b = (client(sim) for sim in orgs)
    # Seeded records: the same ids, different companies behind them.
    first = a.Account.get(account_id(0))
    second = b.Account.get(account_id(0))
    assert first["Id"] == second["Id"] and first["Name"] != second["Name"]
    assert a.Opportunity.get(opportunity_id(0))["Id"] == b.Opportunity.get(opportunity_id(0))["Id"]
    # Records created through the API: the same ids again, in the same order.
    made_a = [a.Account.create({"Name": f"Alpha {n}"})["id"] for n in range(2)]
    made_b = [b.Account.create({"Name": f"Acme {n}"})["id"] for n in range(2)]
    assert made_a == made_b
    deal_a = a.Opportunity.create(
        {"Name": "A deal", "AccountId": made_a[0], "StageName": "Closed Won", "CloseDate": "2026-12-01"}
    )["id"]
    deal_b = b.Opportunity.create(
        {"Name": "B deal", "AccountId": made_b[0], "StageName": "Closed Won", "CloseDate": "2026-12-01"}
    )["id"]
    assert deal_a == deal_b
    assert a.Opportunity.get(deal_a)["Name"] == "A deal" and b.Opportunity.get(deal_b)["Name"] == "B deal"


def test_the_second_orgs_custom_fields_are_queried_filtered_and_written(
    orgs: tuple[RunningSimulator, RunningSimulator],
) -> None:
    a, b = (client(sim) for sim in orgs)
    # The seed gave accounts their region by country and deals a code.
    seeded = b.query("SELECT Id, BillingCountry, Region__c FROM Account")["records"]
    assert seeded
    for row in seeded:
        assert row["Region__c"] == ACME_REGION_OF_COUNTRY.get(row["BillingCountry"]), row
    codes = b.query("SELECT Acme_Deal_Code__c FROM Opportunity WHERE Acme_Deal_Code__c LIKE 'AD-%'")
    assert codes["totalSize"] == ACME_DATA.account_count * ACME_DATA.opportunities_per_account
    nordic = b.Account.create({"Name": "Fjord AS", "BillingCountry": "NO", "Region__c": "Nordics"})["id"]
    found = b.query("SELECT Id, Name FROM Account WHERE Region__c = 'Nordics'")["records"]
    assert [row["Id"] for row in found] == [nordic]
    assert (
        "Region__c"
        in b.query(f"SELECT FIELDS(CUSTOM) FROM Account WHERE Id = '{nordic}' LIMIT 1")["records"][0]
    )
    # The deal code is an external id: upsert by it creates, then updates.
    created = b.Opportunity.upsert(
        "Acme_Deal_Code__c/AD-900001",
        {"Name": "Fjord", "AccountId": nordic, "StageName": "Prospecting", "CloseDate": "2026-12-31"},
    )
    assert created == 201
    assert b.Opportunity.upsert("Acme_Deal_Code__c/AD-900001", {"StageName": "Closed Won"}) == 200
    won = b.query("SELECT Id, IsWon FROM Opportunity WHERE Acme_Deal_Code__c = 'AD-900001'")["records"]
    assert won[0]["IsWon"] is True
    # The status fields are written and read under the second org's names.
    b.Opportunity.update(won[0]["Id"], {"ERP_Sync_Status__c": "Synced", "ERP_Sync_Error__c": None})
    status = b.query(f"SELECT ERP_Sync_Status__c FROM Opportunity WHERE Id = '{won[0]['Id']}'")
    assert status["records"][0]["ERP_Sync_Status__c"] == "Synced"
    # Each org refuses the other's fields.
    with pytest.raises(SalesforceMalformedRequest) as raised:
        b.query("SELECT Id, Concord_Sync_Status__c FROM Opportunity")
    assert _error(raised)["errorCode"] == "INVALID_FIELD"
    with pytest.raises(SalesforceMalformedRequest) as raised:
        b.Opportunity.update(won[0]["Id"], {"Concord_Sync_Status__c": "Synced"})
    assert _error(raised)["errorCode"] == "INVALID_FIELD"
    with pytest.raises(SalesforceMalformedRequest) as raised:
        a.query("SELECT Id FROM Account WHERE Region__c = 'DACH'")
    assert _error(raised)["errorCode"] == "INVALID_FIELD"
    with pytest.raises(SalesforceMalformedRequest) as raised:
        a.Account.create({"Name": "Nope", "Region__c": "DACH"})
    assert _error(raised)["errorCode"] == "INVALID_FIELD"


def test_the_second_shape_stays_with_its_data_directory(tmp_path: Path) -> None:
    running = start_in_thread(SPEC, tmp_path / "b", **ACME_SHAPE)
    account = client(running).Account.create({"Name": "Kept GmbH", "Region__c": "DACH"})["id"]
    running.stop()
    running = start_in_thread(SPEC, tmp_path / "b")  # no flag: the org keeps its shape and its values
    try:
        sf = client(running)
        assert "Region__c" in _names(sf, "Account") and "CurrencyIsoCode" not in _names(sf, "Account")
        assert sf.Account.get(account)["Region__c"] == "DACH"
        org = sf.query("SELECT DefaultCurrencyIsoCode FROM Organization")["records"][0]
        assert org["DefaultCurrencyIsoCode"] == "EUR"
    finally:
        running.stop()
    # Started as Concord's org, the acquired fields are hidden (kept in the file) and USD is back.
    running = start_in_thread(
        SPEC, tmp_path / "b", currencies="multi", corporate_currency="USD", field_set="concord"
    )
    try:
        sf = client(running)
        assert "Region__c" not in _names(sf, "Account") and "Concord_Sync_Status__c" in _names(sf, "Account")
        assert sf.Account.create({"Name": "Dollar Inc"})["id"]
    finally:
        running.stop()
    with pytest.raises(ValueError, match="corporate currency"):
        start_in_thread(SPEC, tmp_path / "c", corporate_currency="XYZ")


def test_a_multi_currency_org_takes_its_corporate_currency_as_the_default(tmp_path: Path) -> None:
    running = start_in_thread(SPEC, tmp_path / "gbp", currencies="multi", corporate_currency="GBP")
    try:
        sf = client(running)
        account = sf.Account.create({"Name": "London Ltd"})["id"]
        assert sf.Account.get(account)["CurrencyIsoCode"] == "GBP"
        currency = next(f for f in sf.Account.describe()["fields"] if f["name"] == "CurrencyIsoCode")
        assert [v["value"] for v in currency["picklistValues"] if v["defaultValue"]] == ["GBP"]
    finally:
        running.stop()


def test_the_command_line_takes_the_second_shape(tmp_path: Path) -> None:
    parser = argparse.ArgumentParser()
    add_common_arguments(parser, 0)
    SPEC.add_arguments(parser)
    options = vars(
        parser.parse_args(["--currencies", "single", "--corporate-currency", "EUR", "--field-set", "acme"])
    )
    assert (options["corporate_currency"], options["field_set"]) == ("EUR", "acme")
    assert vars(parser.parse_args([]))["field_set"] is None
    with pytest.raises(SystemExit):
        parser.parse_args(["--field-set", "other"])
    command = ["seed", "--data-dir", str(tmp_path), "--accounts", "2", "--only", "salesforce"]
    assert (
        main([*command, "--currencies", "single", "--corporate-currency", "EUR", "--field-set", "acme"]) == 0
    )
    running = start_in_thread(SPEC, tmp_path)  # the seed's shape is the org's
    try:
        sf = client(running)
        assert "Acme_Deal_Code__c" in _names(sf, "Opportunity")
        assert sf.query("SELECT COUNT() FROM Opportunity WHERE Acme_Deal_Code__c != null")["totalSize"] == 4
    finally:
        running.stop()
