"""Salesforce simulator rows through unmodified simple-salesforce: create, get, update, delete, upsert."""
# ruff: noqa: S608 - the f-strings build SOQL for the simulator, not SQL

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import (
    SalesforceMalformedRequest,
    SalesforceMoreThanOneRecord,
    SalesforceResourceNotFound,
)

from simulators.core.runner import RunningSimulator, start_in_thread
from simulators.salesforce import login
from simulators.salesforce.spec import SPEC
from tests.simulators.conftest import https_session

# simple-salesforce resolves sObject attributes (sf.Account) dynamically: its type stubs cannot follow.
Client = Any


def _body(raised: pytest.ExceptionInfo[Any]) -> Any:
    """The decoded JSON error body (simple-salesforce types ``content`` as bytes)."""
    return raised.value.content


STAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}\+0000$")


def client(sim: RunningSimulator, version: str = "62.0") -> Client:
    session = https_session(sim.ca_file)
    token = login.password_token(session, sim.url)
    return Salesforce(
        instance_url=token["instance_url"], session_id=token["access_token"], session=session, version=version
    )


@pytest.fixture
def sf(salesforce_sim: RunningSimulator) -> Client:
    return client(salesforce_sim)


def _error(raised: Any) -> dict[str, Any]:
    return dict(_body(raised)[0])


def test_it_creates_reads_updates_and_deletes_an_account(sf: Client) -> None:
    created = sf.Account.create({"Name": "Acme Corp", "BillingCountry": "DE", "CurrencyIsoCode": "EUR"})
    assert created == {"id": created["id"], "success": True, "errors": []}
    assert created["id"].startswith("001") and len(created["id"]) == 18
    record = sf.Account.get(created["id"])
    assert record["attributes"] == {
        "type": "Account",
        "url": f"/services/data/v62.0/sobjects/Account/{created['id']}",
    }
    assert (record["Name"], record["CurrencyIsoCode"], record["IsDeleted"]) == ("Acme Corp", "EUR", False)
    assert STAMP.match(record["SystemModstamp"]) and record["CreatedDate"] == record["SystemModstamp"]
    assert sf.Account.update(created["id"], {"Phone": "+49 30 1234", "Website": ""}) == 204
    updated = sf.Account.get(created["id"][:15])  # a 15-character id works too
    assert updated["Phone"] == "+49 30 1234" and updated["Website"] is None
    assert updated["SystemModstamp"] >= record["SystemModstamp"]
    assert sf.Account.delete(created["id"]) == 204
    with pytest.raises(SalesforceResourceNotFound):
        sf.Account.get(created["id"])
    with pytest.raises(SalesforceResourceNotFound) as raised:
        sf.Account.update(created["id"], {"Phone": "1"})
    assert _error(raised)["errorCode"] == "ENTITY_IS_DELETED"
    deleted = sf.query_all(
        f"SELECT Id, IsDeleted FROM Account WHERE Id = '{created['id']}'", include_deleted=True
    )
    assert deleted["records"][0]["IsDeleted"] is True


def test_it_reads_only_the_fields_asked_for(sf: Client) -> None:
    account_id = sf.Account.create({"Name": "Globex"})["id"]
    answer = sf.Account.get(account_id, params={"fields": "Name,BillingCountry"})
    assert list(answer) == ["attributes", "Name", "BillingCountry"]


def test_it_derives_won_and_closed_from_the_stage(sf: Client) -> None:
    account_id = sf.Account.create({"Name": "Initech"})["id"]
    opportunity_id = sf.Opportunity.create(
        {
            "Name": "Deal",
            "AccountId": account_id,
            "StageName": "Prospecting",
            "CloseDate": "2026-12-31",
            "Amount": 1000,
        }
    )["id"]
    assert (
        sf.Opportunity.get(opportunity_id)["IsWon"],
        sf.Opportunity.get(opportunity_id)["Probability"],
    ) == (False, 10.0)
    sf.Opportunity.update(opportunity_id, {"StageName": "Closed Won"})
    won = sf.Opportunity.get(opportunity_id)
    assert (won["IsClosed"], won["IsWon"], won["Probability"]) == (True, True, 100.0)
    sf.Opportunity.update(opportunity_id, {"StageName": "Closed Lost"})
    lost = sf.Opportunity.get(opportunity_id)
    assert (lost["IsClosed"], lost["IsWon"]) == (True, False)
    with pytest.raises(SalesforceMalformedRequest) as raised:
        sf.Opportunity.update(opportunity_id, {"IsWon": True})
    assert _error(raised) == {
        "message": "Unable to create/update fields: IsWon. Please check the security settings of this field "
        "and verify that it is read/write for your profile or permission set.",
        "errorCode": "INVALID_FIELD_FOR_INSERT_UPDATE",
        "fields": ["IsWon"],
    }


@pytest.mark.parametrize(
    ("body", "code", "message"),
    [
        ({"Name": "X", "Id": "001000000000001AAA"}, "INVALID_FIELD", "cannot specify Id in an insert call"),
        ({"BillingCity": "Paris"}, "REQUIRED_FIELD_MISSING", "Required fields are missing: [Name]"),
        ({"Name": "X", "Foo__c": 1}, "INVALID_FIELD", "No such column 'Foo__c' on sobject of type Account"),
        (
            {"Name": "X", "ParentId": "nonsense"},
            "MALFORMED_ID",
            "Parent Account ID: id value of incorrect type: nonsense",
        ),
        (
            {"Name": "X", "ParentId": "001000000000001"},
            "INVALID_CROSS_REFERENCE_KEY",
            "invalid cross reference id",
        ),
        (
            {"Name": "X", "ParentId": "003000000000001"},
            "FIELD_INTEGRITY_EXCEPTION",
            "field integrity exception: ParentId (id value of incorrect type: 003000000000001AAA)",
        ),
        (
            {"Name": "X", "CurrencyIsoCode": "XXX"},
            "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
            "Currency ISO Code: bad value for restricted picklist field: XXX",
        ),
        (
            {"Name": "X" * 256},
            "STRING_TOO_LONG",
            "Account Name: data value too large: " + "X" * 40 + " (max length=255)",
        ),
        (
            {"Name": "X", "Concord_Last_Sync__c": "yesterday"},
            "JSON_PARSER_ERROR",
            "Cannot deserialize instance of datetime from VALUE_STRING value yesterday or request may be "
            "missing a required field",
        ),
    ],
)
def test_it_rejects_bad_creates_with_salesforce_error_codes(
    sf: Client, body: dict[str, Any], code: str, message: str
) -> None:
    with pytest.raises(SalesforceMalformedRequest) as raised:
        sf.Account.create(body)
    assert _error(raised)["errorCode"] == code
    assert _error(raised)["message"] == message


def test_it_refuses_a_duplicate_value_on_a_unique_external_id(sf: Client) -> None:
    first = sf.Account.create({"Name": "A", "NetSuite_Id__c": "C-1"})["id"]
    with pytest.raises(SalesforceMalformedRequest) as raised:
        sf.Account.create({"Name": "B", "NetSuite_Id__c": "c-1"})  # external ids compare case-insensitively
    assert _error(raised) == {
        "message": f"duplicate value found: NetSuite_Id__c duplicates value on record with id: {first}",
        "errorCode": "DUPLICATE_VALUE",
    }


def test_it_upserts_by_external_id_with_201_and_200(sf: Client) -> None:
    created = sf.Account.upsert("NetSuite_Id__c/CUST-7", {"Name": "Umbrella"}, raw_response=True)
    assert created.status_code == 201
    assert created.json() == {"id": created.json()["id"], "success": True, "errors": [], "created": True}
    again = sf.Account.upsert("NetSuite_Id__c/CUST-7", {"Name": "Umbrella Corp"}, raw_response=True)
    assert again.status_code == 200
    assert again.json() == {"id": created.json()["id"], "success": True, "errors": [], "created": False}
    assert sf.Account.get_by_custom_id("NetSuite_Id__c", "CUST-7")["Name"] == "Umbrella Corp"


def test_it_answers_an_upsert_update_with_204_before_v46(salesforce_sim: RunningSimulator) -> None:
    old = client(salesforce_sim, version="45.0")
    assert old.Account.upsert("NetSuite_Id__c/OLD-1", {"Name": "Old"}) == 201
    assert old.Account.upsert("NetSuite_Id__c/OLD-1", {"Name": "Older"}) == 204


def test_it_answers_300_with_the_urls_when_an_external_id_matches_several(sf: Client) -> None:
    ids = [sf.Contact.create({"LastName": name, "Legacy_Id__c": "L-1"})["id"] for name in ("Ada", "Alan")]
    with pytest.raises(SalesforceMoreThanOneRecord) as raised:
        sf.Contact.upsert("Legacy_Id__c/L-1", {"Title": "CFO"})
    assert _body(raised) == [f"/services/data/v62.0/sobjects/Contact/{record_id}" for record_id in ids]
    with pytest.raises(SalesforceMoreThanOneRecord):
        sf.Contact.get_by_custom_id("Legacy_Id__c", "L-1")


def test_it_answers_404_for_an_unknown_external_id_field_or_update_only(sf: Client) -> None:
    with pytest.raises(SalesforceResourceNotFound) as raised:
        sf.Account.upsert("Nope__c/1", {"Name": "X"})
    assert _error(raised) == {
        "message": "Provided external ID field does not exist or is not accessible: Nope__c",
        "errorCode": "NOT_FOUND",
    }
    with pytest.raises(SalesforceResourceNotFound):
        sf.Account.upsert("NetSuite_Id__c/ABSENT?updateOnly=true", {"Name": "X"})
    assert sf.query("SELECT COUNT() FROM Account")["totalSize"] == 0


def test_it_sets_a_lookup_through_a_parent_external_id(sf: Client) -> None:
    account_id = sf.Account.upsert("NetSuite_Id__c/C-9", {"Name": "Hooli"}, raw_response=True).json()["id"]
    invoice = sf.Invoice__c.upsert(
        "NetSuite_Invoice_Id__c/INV-1",
        {"Name": "INV-1", "Account__r": {"NetSuite_Id__c": "C-9"}, "Amount__c": 99.5},
        raw_response=True,
    ).json()
    assert sf.Invoice__c.get(invoice["id"])["Account__c"] == account_id
    with pytest.raises(SalesforceMalformedRequest) as raised:
        sf.Invoice__c.create({"Name": "INV-2", "Account__r": {"NetSuite_Id__c": "missing"}})
    assert "Foreign key external ID: missing not found" in _error(raised)["message"]


def test_it_prices_line_items_from_the_price_book_entry(sf: Client) -> None:
    product_id = sf.Product2.create({"Name": "Widget", "ProductCode": "W-1", "IsActive": True})["id"]
    book = sf.query("SELECT Id FROM Pricebook2 WHERE IsStandard = true")["records"][0]["Id"]
    entry_id = sf.PricebookEntry.create(
        {
            "Pricebook2Id": book,
            "Product2Id": product_id,
            "UnitPrice": 40,
            "CurrencyIsoCode": "USD",
            "IsActive": True,
        }
    )["id"]
    with pytest.raises(SalesforceMalformedRequest) as raised:
        sf.PricebookEntry.create(
            {"Pricebook2Id": book, "Product2Id": product_id, "UnitPrice": 41, "CurrencyIsoCode": "USD"}
        )
    assert _error(raised)["errorCode"] == "DUPLICATE_VALUE"
    opportunity_id = sf.Opportunity.create(
        {"Name": "Deal", "StageName": "Qualification", "CloseDate": "2026-06-30"}
    )["id"]
    line_id = sf.OpportunityLineItem.create(
        {"OpportunityId": opportunity_id, "PricebookEntryId": entry_id, "Quantity": 3, "UnitPrice": 35.5}
    )["id"]
    line = sf.OpportunityLineItem.get(line_id)
    assert (line["TotalPrice"], line["ListPrice"], line["Product2Id"], line["ProductCode"]) == (
        106.5,
        40.0,
        product_id,
        "W-1",
    )
    assert sf.Opportunity.get(opportunity_id)["Pricebook2Id"] == book
    euro = sf.Opportunity.create(
        {
            "Name": "EUR deal",
            "StageName": "Qualification",
            "CloseDate": "2026-06-30",
            "CurrencyIsoCode": "EUR",
        }
    )["id"]
    with pytest.raises(SalesforceMalformedRequest) as raised:
        sf.OpportunityLineItem.create(
            {"OpportunityId": euro, "PricebookEntryId": entry_id, "Quantity": 1, "UnitPrice": 1}
        )
    assert _error(raised)["errorCode"] == "FIELD_INTEGRITY_EXCEPTION"
    by_product = sf.OpportunityLineItem.create(
        {"OpportunityId": opportunity_id, "Product2Id": product_id, "Quantity": 2, "TotalPrice": 70}
    )["id"]
    line = sf.OpportunityLineItem.get(by_product)
    assert (line["PricebookEntryId"], line["UnitPrice"]) == (entry_id, 35.0)
    with pytest.raises(SalesforceMalformedRequest) as raised:
        sf.OpportunityLineItem.create(
            {"OpportunityId": euro, "Product2Id": product_id, "Quantity": 1, "UnitPrice": 1}
        )
    assert _error(raised)["fields"] == ["Product2Id"]


def test_it_keeps_one_primary_quote_per_opportunity(sf: Client) -> None:
    account_id = sf.Account.create({"Name": "Stark", "CurrencyIsoCode": "GBP"})["id"]
    opportunity_id = sf.Opportunity.create(
        {
            "Name": "Deal",
            "AccountId": account_id,
            "StageName": "Qualification",
            "CloseDate": "2026-06-30",
            "CurrencyIsoCode": "GBP",
        }
    )["id"]
    first = sf.SBQQ__Quote__c.create({"SBQQ__Opportunity2__c": opportunity_id, "SBQQ__Primary__c": True})[
        "id"
    ]
    second = sf.SBQQ__Quote__c.create({"SBQQ__Opportunity2__c": opportunity_id, "SBQQ__Primary__c": True})[
        "id"
    ]
    quotes = {
        q["Id"]: q
        for q in sf.query(
            f"SELECT Id, Name, SBQQ__Primary__c, SBQQ__Account__c, CurrencyIsoCode "
            f"FROM SBQQ__Quote__c WHERE SBQQ__Opportunity2__c = '{opportunity_id}'"
        )["records"]
    }
    assert (quotes[first]["SBQQ__Primary__c"], quotes[second]["SBQQ__Primary__c"]) == (False, True)
    assert quotes[second]["SBQQ__Account__c"] == account_id and quotes[second]["CurrencyIsoCode"] == "GBP"
    assert re.match(r"^Q-\d{5}$", quotes[second]["Name"])
    assert sf.Opportunity.get(opportunity_id)["SBQQ__PrimaryQuote__c"] == second
    parent = sf.SBQQ__QuoteLine__c.create({"SBQQ__Quote__c": second, "SBQQ__Quantity__c": 1})["id"]
    child = sf.SBQQ__QuoteLine__c.create({"SBQQ__Quote__c": second, "SBQQ__RequiredBy__c": parent})["id"]
    assert sf.SBQQ__QuoteLine__c.get(child)["CurrencyIsoCode"] == "GBP"
    with pytest.raises(SalesforceMalformedRequest):
        sf.SBQQ__QuoteLine__c.create({"SBQQ__Quote__c": first, "SBQQ__RequiredBy__c": parent})
    sf.Opportunity.delete(opportunity_id)  # quotes stay, their opportunity lookup is cleared
    assert sf.SBQQ__Quote__c.get(second)["SBQQ__Opportunity2__c"] is None


def test_it_deletes_master_detail_children_with_their_parent(sf: Client) -> None:
    account_id = sf.Account.create({"Name": "Wayne"})["id"]
    contact_id = sf.Contact.create({"LastName": "Fox", "AccountId": account_id})["id"]
    opportunity_id = sf.Opportunity.create(
        {"Name": "D", "AccountId": account_id, "StageName": "Qualification", "CloseDate": "2026-06-30"}
    )["id"]
    sf.OpportunityContactRole.create(
        {"OpportunityId": opportunity_id, "ContactId": contact_id, "Role": "Evaluator"}
    )
    sf.Account.delete(account_id)
    left = sf.query("SELECT COUNT() FROM OpportunityContactRole")["totalSize"]
    assert (sf.query("SELECT COUNT() FROM Contact")["totalSize"], left) == (0, 0)
    assert sf.query("SELECT COUNT() FROM Opportunity", include_deleted=True)["totalSize"] == 1


def test_it_describes_objects_for_the_mapping_editor(sf: Client) -> None:
    described = sf.Account.describe()
    fields = {f["name"]: f for f in described["fields"]}
    assert described["keyPrefix"] == "001"
    assert fields["NetSuite_Id__c"]["externalId"] and fields["NetSuite_Id__c"]["unique"]
    assert fields["Name"]["createable"] and not fields["Name"]["nillable"]
    assert fields["SystemModstamp"]["type"] == "datetime" and not fields["SystemModstamp"]["updateable"]
    assert (
        fields["ParentId"]["referenceTo"] == ["Account"]
        and fields["ParentId"]["relationshipName"] == "Parent"
    )
    children = {child["relationshipName"]: child for child in described["childRelationships"]}
    assert children["Contacts"]["childSObject"] == "Contact" and children["Contacts"]["cascadeDelete"]
    opportunity = {c["relationshipName"] for c in sf.Opportunity.describe()["childRelationships"]}
    assert {
        "OpportunityLineItems",
        "OpportunityContactRoles",
        "SBQQ__Quotes2__r",
        "Invoices__r",
    } <= opportunity
    names = {entry["name"] for entry in sf.describe()["sobjects"]}
    assert {"Account", "SBQQ__Quote__c", "SBQQ__QuoteLine__c", "Invoice__c", "PricebookEntry"} <= names


def test_it_lists_api_versions_and_refuses_unknown_ones(salesforce_sim: RunningSimulator) -> None:
    session = https_session(salesforce_sim.ca_file)
    versions = session.get(salesforce_sim.url + "/services/data/").json()
    assert versions[0] == {"label": "Summer '17", "url": "/services/data/v40.0", "version": "40.0"}
    assert versions[-1] == {"label": "Winter '25", "url": "/services/data/v62.0", "version": "62.0"}
    headers = login.bearer_headers(session, salesforce_sim.url)
    assert (
        session.get(salesforce_sim.url + "/services/data/v39.0/limits/", headers=headers).status_code == 404
    )
    assert session.get(
        salesforce_sim.url + "/services/data/v62.0/sobjects/Nope/", headers=headers
    ).json() == [{"message": "The requested resource does not exist", "errorCode": "NOT_FOUND"}]


def test_it_keeps_records_across_a_restart(simulator_dir: Path) -> None:
    first = start_in_thread(SPEC, simulator_dir)
    account_id = client(first).Account.create({"Name": "Persistent"})["id"]
    first.stop()
    second = start_in_thread(SPEC, simulator_dir)
    try:
        sf = client(second)
        assert sf.Account.get(account_id)["Name"] == "Persistent"
        assert sf.Account.create({"Name": "Next"})["id"] != account_id
    finally:
        second.stop()
