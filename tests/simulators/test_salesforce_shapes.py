"""Salesforce orgs of the shapes customers have (single or multi-currency, with or without CPQ) and custom
fields added while the org runs, over HTTPS through unmodified simple-salesforce."""
# ruff: noqa: S608 - the f-strings build SOQL for the simulator, not SQL

from __future__ import annotations

import argparse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceMalformedRequest, SalesforceResourceNotFound

from simulators.__main__ import main
from simulators.core.runner import RunningSimulator, add_common_arguments, start_in_thread
from simulators.dataset import Dataset
from simulators.salesforce import login
from simulators.salesforce.seed import opportunity_id, seed
from simulators.salesforce.spec import SPEC
from tests.simulators.conftest import https_session

Client = Any
DATASET = Dataset(seed=5, accounts=4)


def client(sim: RunningSimulator) -> Client:
    session = https_session(sim.ca_file)
    token = login.password_token(session, sim.url)
    return Salesforce(
        instance_url=token["instance_url"], session_id=token["access_token"], session=session, version="62.0"
    )


def control(sim: RunningSimulator, method: str, path: str, **kwargs: Any) -> requests.Response:
    return https_session(sim.ca_file).request(method, f"{sim.url}/_control/salesforce/{path}", **kwargs)


def _error(raised: pytest.ExceptionInfo[Any]) -> dict[str, Any]:
    return dict(raised.value.content[0])


@pytest.fixture
def single_no_cpq(tmp_path: Path) -> Iterator[RunningSimulator]:
    seed(tmp_path / "sf", DATASET, currencies="single", cpq=False)
    running = start_in_thread(SPEC, tmp_path / "sf", currencies="single", cpq=False)
    yield running
    running.stop()


@pytest.fixture
def default_org(tmp_path: Path) -> Iterator[RunningSimulator]:
    seed(tmp_path / "sf", DATASET)
    running = start_in_thread(SPEC, tmp_path / "sf")
    yield running
    running.stop()


def test_a_single_currency_org_has_no_currency_iso_code_anywhere(single_no_cpq: RunningSimulator) -> None:
    sf = client(single_no_cpq)
    described = sf.Opportunity.describe()
    names = {f["name"] for f in described["fields"]}
    assert {"Amount", "StageName", "CloseDate"} <= names
    assert "CurrencyIsoCode" not in names
    for sobject in sf.describe()["sobjects"]:
        fields = getattr(sf, sobject["name"]).describe()["fields"]
        assert "CurrencyIsoCode" not in {f["name"] for f in fields}, sobject["name"]
    with pytest.raises(SalesforceMalformedRequest) as raised:
        sf.query("SELECT Id, CurrencyIsoCode FROM Opportunity")
    assert _error(raised)["errorCode"] == "INVALID_FIELD"
    assert "No such column 'CurrencyIsoCode' on entity 'Opportunity'" in _error(raised)["message"]
    with pytest.raises(SalesforceMalformedRequest) as raised:
        sf.Account.create({"Name": "Euro GmbH", "CurrencyIsoCode": "EUR"})
    assert _error(raised)["errorCode"] == "INVALID_FIELD"
    # The corporate currency is the org's only one, in both shapes.
    org = sf.query("SELECT DefaultCurrencyIsoCode FROM Organization")["records"][0]
    assert org["DefaultCurrencyIsoCode"] == "USD"


def test_a_single_currency_org_still_prices_lines_and_sells(single_no_cpq: RunningSimulator) -> None:
    sf = client(single_no_cpq)
    account = sf.Account.create({"Name": "Single Currency Ltd"})["id"]
    opportunity = sf.Opportunity.create(
        {"Name": "Deal", "AccountId": account, "StageName": "Prospecting", "CloseDate": "2026-12-31"}
    )["id"]
    entry = sf.query("SELECT Id, Product2Id, UnitPrice FROM PricebookEntry LIMIT 1")["records"][0]
    # One standard price per product: no currency to choose between.
    same_product = sf.query(f"SELECT COUNT() FROM PricebookEntry WHERE Product2Id = '{entry['Product2Id']}'")
    assert same_product["totalSize"] == 1
    sf.OpportunityLineItem.create(
        {"OpportunityId": opportunity, "Product2Id": entry["Product2Id"], "Quantity": 2, "UnitPrice": 10}
    )
    lines = sf.query(
        f"SELECT TotalPrice, PricebookEntryId FROM OpportunityLineItem WHERE OpportunityId = '{opportunity}'"
    )
    assert [(r["TotalPrice"], r["PricebookEntryId"]) for r in lines["records"]] == [(20.0, entry["Id"])]
    # Seeded deals and their lines are there too.
    seeded = sf.query(
        f"SELECT Id, (SELECT Id FROM OpportunityLineItems) FROM Opportunity WHERE Id = '{opportunity_id(0)}'"
    )
    assert seeded["records"][0]["OpportunityLineItems"]["totalSize"] >= 1


def test_an_org_without_cpq_has_no_sbqq_objects_or_fields(single_no_cpq: RunningSimulator) -> None:
    sf = client(single_no_cpq)
    objects = {sobject["name"] for sobject in sf.describe()["sobjects"]}
    assert "Opportunity" in objects
    assert not {name for name in objects if name.startswith("SBQQ__")}
    opportunity_fields = {f["name"] for f in sf.Opportunity.describe()["fields"]}
    assert not {name for name in opportunity_fields if name.startswith("SBQQ__")}
    children = {c["childSObject"] for c in sf.Opportunity.describe()["childRelationships"]}
    assert "SBQQ__Quote__c" not in children
    with pytest.raises(SalesforceMalformedRequest) as raised:
        sf.query("SELECT Id FROM SBQQ__Quote__c")
    assert _error(raised)["errorCode"] == "INVALID_TYPE"
    with pytest.raises(SalesforceMalformedRequest) as raised:
        sf.query("SELECT Id, SBQQ__PrimaryQuote__c FROM Opportunity")
    assert _error(raised)["errorCode"] == "INVALID_FIELD"
    with pytest.raises(SalesforceResourceNotFound):
        sf.SBQQ__Quote__c.describe()
    with pytest.raises(SalesforceMalformedRequest) as raised:
        sf.Opportunity.update(opportunity_id(0), {"SBQQ__PrimaryQuote__c": None})
    assert _error(raised)["errorCode"] == "INVALID_FIELD"
    # The seed wrote the deals without quotes.
    assert sf.query("SELECT COUNT() FROM Opportunity")["totalSize"] == DATASET.account_count * 2


def test_the_default_org_is_multi_currency_with_cpq(default_org: RunningSimulator) -> None:
    sf = client(default_org)
    assert "CurrencyIsoCode" in {f["name"] for f in sf.Opportunity.describe()["fields"]}
    assert "SBQQ__Quote__c" in {sobject["name"] for sobject in sf.describe()["sobjects"]}
    org = sf.query("SELECT DefaultCurrencyIsoCode FROM Organization")["records"][0]
    assert org["DefaultCurrencyIsoCode"] == "USD"
    quotes = sf.query("SELECT COUNT() FROM SBQQ__Quote__c")
    assert quotes["totalSize"] == DATASET.account_count * 2


def test_the_shape_stays_with_the_data_directory_until_a_flag_changes_it(tmp_path: Path) -> None:
    running = start_in_thread(SPEC, tmp_path / "sf", currencies="single", cpq=False)
    running.stop()
    running = start_in_thread(SPEC, tmp_path / "sf")  # no flag: the org keeps its shape
    try:
        sf = client(running)
        assert "CurrencyIsoCode" not in {f["name"] for f in sf.Account.describe()["fields"]}
        assert "SBQQ__Quote__c" not in {s["name"] for s in sf.describe()["sobjects"]}
    finally:
        running.stop()
    running = start_in_thread(SPEC, tmp_path / "sf", currencies="multi", cpq=True)
    try:
        sf = client(running)
        assert "CurrencyIsoCode" in {f["name"] for f in sf.Account.describe()["fields"]}
        assert "SBQQ__Quote__c" in {s["name"] for s in sf.describe()["sobjects"]}
    finally:
        running.stop()


def test_the_command_line_takes_the_shape_flags(tmp_path: Path) -> None:
    parser = argparse.ArgumentParser()
    add_common_arguments(parser, 0)
    SPEC.add_arguments(parser)
    options = vars(parser.parse_args(["--currencies", "single", "--no-cpq"]))
    assert (options["currencies"], options["cpq"]) == ("single", False)
    assert vars(parser.parse_args([]))["currencies"] is None
    with pytest.raises(SystemExit):
        parser.parse_args(["--currencies", "several"])
    assert (
        main(
            [
                "seed",
                "--data-dir",
                str(tmp_path),
                "--accounts",
                "2",
                "--only",
                "salesforce",
                "--currencies",
                "single",
                "--no-cpq",
            ]
        )
        == 0
    )
    running = start_in_thread(SPEC, tmp_path)  # the seed's shape is the org's
    try:
        assert "CurrencyIsoCode" not in {f["name"] for f in client(running).Contact.describe()["fields"]}
    finally:
        running.stop()


def test_a_custom_field_added_while_running_is_described_queried_written_and_kept(tmp_path: Path) -> None:
    seed(tmp_path / "sf", DATASET)
    running = start_in_thread(SPEC, tmp_path / "sf")
    try:
        sf = client(running)
        # A query naming the field before it exists fails as for any unknown field.
        with pytest.raises(SalesforceMalformedRequest):
            sf.query("SELECT Region__c FROM Opportunity LIMIT 1")
        added = control(
            running,
            "POST",
            "custom-fields",
            json={
                "object": "Opportunity",
                "name": "Region__c",
                "label": "Sales Region",
                "type": "Picklist",
                "values": ["EMEA", "AMER", "APAC"],
                "restricted": True,
            },
        )
        assert added.status_code == 201, added.text
        assert added.json()["type"] == "picklist" and added.json()["custom"] is True
        for body in (
            {"object": "Opportunity", "name": "Seats__c", "type": "Number", "precision": 6, "scale": 0},
            {"object": "Account", "name": "Tier__c", "type": "Text", "length": 20, "label": "Tier"},
            {"object": "Opportunity", "name": "Renewal_Date__c", "type": "Date"},
            {"object": "Opportunity", "name": "Strategic__c", "type": "Checkbox"},
        ):
            answer = control(running, "POST", "custom-fields", json=body)
            assert answer.status_code == 201, answer.text
        fields = {f["name"]: f for f in sf.Opportunity.describe()["fields"]}
        region = fields["Region__c"]
        assert region["label"] == "Sales Region" and region["custom"] and region["createable"]
        assert [value["value"] for value in region["picklistValues"]] == ["EMEA", "AMER", "APAC"]
        assert fields["Seats__c"]["type"] == "double" and fields["Strategic__c"]["type"] == "boolean"
        record = opportunity_id(0)
        sf.Opportunity.update(
            record,
            {"Region__c": "EMEA", "Seats__c": 25, "Renewal_Date__c": "2027-01-31", "Strategic__c": True},
        )
        with pytest.raises(SalesforceMalformedRequest) as raised:
            sf.Opportunity.update(record, {"Region__c": "Mars"})  # a restricted picklist
        assert _error(raised)["errorCode"] == "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"
        row = sf.query(
            "SELECT Region__c, Seats__c, Renewal_Date__c, Strategic__c FROM Opportunity "
            f"WHERE Id = '{record}'"
        )["records"][0]
        assert (row["Region__c"], row["Seats__c"], row["Renewal_Date__c"], row["Strategic__c"]) == (
            "EMEA",
            25.0,
            "2027-01-31",
            True,
        )
        assert sf.query("SELECT COUNT() FROM Opportunity WHERE Region__c = 'EMEA'")["totalSize"] == 1
        everything = sf.query(f"SELECT FIELDS(ALL) FROM Opportunity WHERE Id = '{record}' LIMIT 1")
        assert everything["records"][0]["Region__c"] == "EMEA"
        assert sf.Opportunity.get(record)["Strategic__c"] is True
        created = sf.Account.create({"Name": "Tiered Inc", "Tier__c": "Gold"})["id"]
        assert sf.Account.get(created)["Tier__c"] == "Gold"
        listed = control(running, "GET", "custom-fields").json()
        assert [(f["object"], f["name"]) for f in listed][:2] == [
            ("Opportunity", "Region__c"),
            ("Opportunity", "Seats__c"),
        ]
    finally:
        running.stop()
    # A restart on the same data directory keeps the fields and their values.
    running = start_in_thread(SPEC, tmp_path / "sf")
    try:
        sf = client(running)
        assert "Region__c" in {f["name"] for f in sf.Opportunity.describe()["fields"]}
        row = sf.query(f"SELECT Region__c, Seats__c FROM Opportunity WHERE Id = '{opportunity_id(0)}'")
        assert row["records"][0]["Region__c"] == "EMEA" and row["records"][0]["Seats__c"] == 25.0
    finally:
        running.stop()


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ({"object": "Opportunity", "name": "Region", "type": "Text"}, "ending in __c"),
        ({"object": "Opportunity", "name": "Bad__Name__c", "type": "Text"}, "ending in __c"),
        ({"object": "Nope__c", "name": "Region__c", "type": "Text"}, "no object"),
        ({"name": "Region__c", "type": "Text"}, "object is required"),
        ({"object": "Opportunity", "name": "Region__c", "type": "Blob"}, "type must be one of"),
        ({"object": "Opportunity", "name": "Region__c", "type": "Picklist"}, "needs values"),
        (
            {"object": "Opportunity", "name": "Region__c", "type": "Picklist", "values": ["A", "a"]},
            "distinct",
        ),
        ({"object": "Opportunity", "name": "Region__c", "type": "Text", "length": 300}, "length"),
        ({"object": "Opportunity", "name": "Region__c", "type": "Number", "scale": 30}, "scale"),
        ({"object": "Opportunity", "name": "Region__c", "type": "Date", "externalId": True}, "externalId"),
        ({"object": "Account", "name": "NetSuite_Id__c", "type": "Text"}, "already has"),
        ({"object": "Opportunity", "name": "Region__c", "type": "Text", "label": ""}, "label"),
    ],
)
def test_a_bad_custom_field_definition_is_refused_with_the_reason(
    salesforce_sim: RunningSimulator, body: dict[str, Any], says: str
) -> None:
    answer = control(salesforce_sim, "POST", "custom-fields", json=body)
    assert answer.status_code == 400
    assert says in answer.json()["error"]
    described = {f["name"] for f in client(salesforce_sim).Opportunity.describe()["fields"]}
    assert "Region__c" not in described


def test_a_custom_field_on_a_cpq_object_waits_for_cpq(tmp_path: Path) -> None:
    running = start_in_thread(SPEC, tmp_path / "sf")
    try:
        answer = control(
            running,
            "POST",
            "custom-fields",
            json={"object": "SBQQ__Quote__c", "name": "Deal_Desk__c", "type": "Checkbox"},
        )
        assert answer.status_code == 201
    finally:
        running.stop()
    running = start_in_thread(SPEC, tmp_path / "sf", cpq=False)
    try:
        assert "SBQQ__Quote__c" not in {s["name"] for s in client(running).describe()["sobjects"]}
    finally:
        running.stop()
    running = start_in_thread(SPEC, tmp_path / "sf", cpq=True)
    try:
        fields = {f["name"] for f in client(running).SBQQ__Quote__c.describe()["fields"]}
        assert "Deal_Desk__c" in fields
    finally:
        running.stop()
