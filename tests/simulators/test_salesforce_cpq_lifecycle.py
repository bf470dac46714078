"""CPQ's contract life cycle in the Salesforce simulator, over HTTPS through unmodified simple-salesforce:
contracting a won deal, amending (+quantity, -quantity to zero, a product added) and renewing through
CPQ's ContractManipulationAPI, the new fields, credit memos and refunds, in each org shape."""
# ruff: noqa: S608 - the f-strings build SOQL for the simulator, not SQL

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import (
    SalesforceGeneralError,
    SalesforceMalformedRequest,
    SalesforceResourceNotFound,
)

from simulators.core.runner import RunningSimulator, start_in_thread
from simulators.dataset import Dataset
from simulators.salesforce import login
from simulators.salesforce.seed import seed
from simulators.salesforce.spec import SPEC
from tests.simulators.conftest import https_session

DATASET = Dataset(seed=5, accounts=4)  # three of its eight deals are won
AMENDER = "SBQQ/ServiceRouter?loader=SBQQ.ContractManipulationAPI.ContractAmender&uid="
RENEWER = "SBQQ/ServiceRouter?loader=SBQQ.ContractManipulationAPI.ContractRenewer"
Client = Any


def client(sim: RunningSimulator) -> Client:
    session = https_session(sim.ca_file)
    token = login.password_token(session, sim.url)
    return Salesforce(
        instance_url=token["instance_url"], session_id=token["access_token"], session=session, version="62.0"
    )


def _org(tmp_path: Path, **shape: Any) -> RunningSimulator:
    seed(tmp_path / "sf", DATASET, **shape)
    return start_in_thread(SPEC, tmp_path / "sf", **shape)


@pytest.fixture
def org(tmp_path: Path) -> Iterator[RunningSimulator]:
    running = _org(tmp_path)
    yield running
    running.stop()


@pytest.fixture(params=["multi", "single"])
def cpq_org(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[RunningSimulator]:
    running = _org(tmp_path, currencies=request.param, cpq=True)
    yield running
    running.stop()


@dataclass
class Deal:
    opportunity: str
    quote: str
    lines: dict[str, str]  # product code -> quote line id


def _error(raised: pytest.ExceptionInfo[Any]) -> dict[str, Any]:
    return dict(raised.value.content[0])


def records(sf: Client, soql: str) -> list[dict[str, Any]]:
    return list(sf.query_all(soql)["records"])


def new_deal(
    sf: Client, *, start: str = "2026-01-01", term: int = 12, seats: int = 10, currency: str | None = None
) -> Deal:
    """A Starter package (platform + support seats) and onboarding, quoted, not yet won or contracted."""
    products = {r["ProductCode"]: r["Id"] for r in records(sf, "SELECT Id, ProductCode FROM Product2")}
    account = sf.Account.create({"Name": "Lifecycle Ltd"})["id"]
    in_currency = {"CurrencyIsoCode": currency} if currency else {}
    opportunity = sf.Opportunity.create(
        {
            "Name": "Lifecycle - New",
            "AccountId": account,
            "StageName": "Prospecting",
            "CloseDate": start,
            **in_currency,
        }
    )["id"]
    end = {12: "2026-12-31", 24: "2027-12-31"}[term] if start == "2026-01-01" else None
    quote = sf.SBQQ__Quote__c.create(
        {
            "SBQQ__Opportunity2__c": opportunity,
            "SBQQ__Primary__c": True,
            "SBQQ__StartDate__c": start,
            "SBQQ__EndDate__c": end,
            "SBQQ__SubscriptionTerm__c": term,
            "SBQQ__BillingFrequency__c": "Annual",
        }
    )["id"]
    lines: dict[str, str] = {}

    def line(code: str, quantity: float, price: float, parent: str | None, subscription: bool) -> None:
        lines[code] = sf.SBQQ__QuoteLine__c.create(
            {
                "SBQQ__Quote__c": quote,
                "SBQQ__Product__c": products[code],
                "SBQQ__Number__c": len(lines) + 1,
                "SBQQ__Quantity__c": quantity,
                "SBQQ__NetPrice__c": price,
                "SBQQ__RequiredBy__c": lines[parent] if parent else None,
                "SBQQ__SubscriptionTerm__c": term if subscription else None,
            }
        )["id"]

    line("PKG-STARTER", 1, 0.0, None, True)
    line("PLAT-CORE", seats, 50.0, "PKG-STARTER", True)
    line("SUP-STD", seats, 10.0, "PKG-STARTER", True)
    line("SVC-ONB", 1, 4500.0, None, False)
    return Deal(opportunity, quote, lines)


def win_and_contract(sf: Client, opportunity: str) -> None:
    sf.Opportunity.update(opportunity, {"StageName": "Closed Won", "SBQQ__Contracted__c": True})


def contract_of(sf: Client, opportunity: str) -> dict[str, Any]:
    found = records(
        sf,
        "SELECT Id, ContractNumber, Status, StartDate, EndDate, ContractTerm, AccountId, SBQQ__Quote__c, "
        "SBQQ__RenewalOpportunity__c, SBQQ__RenewalQuoted__c, "
        "(SELECT Id, Name, SBQQ__ProductCode__c, SBQQ__Quantity__c, SBQQ__QuoteLine__c, "
        "SBQQ__OriginalQuoteLine__c, SBQQ__RequiredById__c, SBQQ__RevisedSubscription__c, "
        "SBQQ__StartDate__c, SBQQ__EndDate__c, SBQQ__TerminatedDate__c, SBQQ__NetPrice__c, "
        "SBQQ__BillingFrequency__c FROM SBQQ__Subscriptions__r ORDER BY Name) "
        f"FROM Contract WHERE SBQQ__Opportunity__c = '{opportunity}'",
    )
    assert len(found) == 1, found
    return found[0]


def subscriptions(contract: dict[str, Any]) -> list[dict[str, Any]]:
    related = contract["SBQQ__Subscriptions__r"]
    return list(related["records"]) if related else []


def apex(sf: Client, action: str, data: dict[str, Any] | None = None) -> Any:
    """Call the ServiceRouter; its answer is a JSON string holding the model, as in CPQ."""
    answer = sf.apexecute(action, method="PATCH", data=data)
    assert isinstance(answer, str), answer
    return json.loads(answer)


def quote_lines(sf: Client, quote: str) -> dict[str, dict[str, Any]]:
    rows = records(
        sf,
        "SELECT Id, SBQQ__ProductCode__c, SBQQ__Quantity__c, SBQQ__PriorQuantity__c, "
        "SBQQ__EffectiveQuantity__c, SBQQ__UpgradedSubscription__c, SBQQ__RenewedSubscription__c, "
        "SBQQ__RequiredBy__c, SBQQ__EffectiveStartDate__c, SBQQ__NetPrice__c, SBQQ__SubscriptionTerm__c "
        f"FROM SBQQ__QuoteLine__c WHERE SBQQ__Quote__c = '{quote}'",
    )
    return {row["SBQQ__ProductCode__c"]: row for row in rows}


# -- the objects and fields -----------------------------------------------------------------------


def test_the_new_fields_and_objects_are_described(org: RunningSimulator) -> None:
    sf = client(org)
    opportunity = {f["name"]: f for f in sf.Opportunity.describe()["fields"]}
    assert opportunity["SBQQ__AmendedContract__c"]["referenceTo"] == ["Contract"]
    assert opportunity["SBQQ__RenewedContract__c"]["referenceTo"] == ["Contract"]
    assert opportunity["SBQQ__Contracted__c"]["type"] == "boolean"
    assert opportunity["NetSuite_Fulfillment_Status__c"]["length"] == 80
    assert opportunity["NetSuite_Fulfilled_Date__c"]["type"] == "date"
    assert "Amendment" in [value["value"] for value in opportunity["Type"]["picklistValues"]]
    quote = {f["name"]: f for f in sf.SBQQ__Quote__c.describe()["fields"]}
    assert [v["value"] for v in quote["SBQQ__BillingFrequency__c"]["picklistValues"]] == [
        "Monthly",
        "Quarterly",
        "Semiannual",
        "Annual",
        "Invoice Plan",
    ]
    assert quote["SBQQ__MasterContract__c"]["referenceTo"] == ["Contract"]
    line = {f["name"]: f for f in sf.SBQQ__QuoteLine__c.describe()["fields"]}
    effective = line["SBQQ__EffectiveQuantity__c"]
    assert (effective["createable"], effective["updateable"], effective["calculated"]) == (False, False, True)
    assert line["SBQQ__UpgradedSubscription__c"]["referenceTo"] == ["SBQQ__Subscription__c"]
    assert line["SBQQ__RenewedSubscription__c"]["referenceTo"] == ["SBQQ__Subscription__c"]
    assert line["SBQQ__PriorQuantity__c"]["type"] == "double"
    assert line["SBQQ__EffectiveStartDate__c"]["type"] == "date"
    contract = sf.Contract.describe()
    assert contract["keyPrefix"] == "800"
    fields = {f["name"]: f for f in contract["fields"]}
    assert fields["EndDate"]["createable"] is False and fields["ContractNumber"]["updateable"] is False
    assert {
        "SBQQ__Opportunity__c",
        "SBQQ__Quote__c",
        "SBQQ__RenewalOpportunity__c",
        "SBQQ__RenewalQuoted__c",
    } <= (fields.keys())
    assert fields["NetSuite_Subscription_Id__c"]["length"] == 255
    assert fields["CurrencyIsoCode"]["type"] == "picklist"
    assert [c["relationshipName"] for c in contract["childRelationships"]] == ["SBQQ__Subscriptions__r"]
    subscription = sf.SBQQ__Subscription__c.describe()
    assert subscription["keyPrefix"] == "a0z"
    names = {f["name"] for f in subscription["fields"]}
    assert {
        "SBQQ__Contract__c",
        "SBQQ__OriginalQuoteLine__c",
        "SBQQ__RequiredById__c",
        "SBQQ__RevisedSubscription__c",
        "SBQQ__TerminatedDate__c",
        "NetSuite_Subscription_Line_Id__c",
        "NetSuite_Status__c",
    } <= names
    memo = {f["name"]: f for f in sf.Credit_Memo__c.describe()["fields"]}
    assert memo["NetSuite_Credit_Memo_Id__c"]["externalId"] and memo["NetSuite_Credit_Memo_Id__c"]["unique"]
    assert memo["Invoice__c"]["referenceTo"] == ["Invoice__c"]
    refund = {f["name"]: f for f in sf.Refund__c.describe()["fields"]}
    assert refund["Credit_Memo__c"]["referenceTo"] == ["Credit_Memo__c"]


def test_effective_quantity_is_a_formula_on_amendment_quotes(org: RunningSimulator) -> None:
    sf = client(org)
    deal = new_deal(sf)
    lines = quote_lines(sf, deal.quote)
    assert lines["PLAT-CORE"]["SBQQ__EffectiveQuantity__c"] == 10.0
    assert lines["PLAT-CORE"]["SBQQ__EffectiveStartDate__c"] == "2026-01-01"
    with pytest.raises(SalesforceMalformedRequest) as raised:
        sf.SBQQ__QuoteLine__c.update(deal.lines["PLAT-CORE"], {"SBQQ__EffectiveQuantity__c": 3})
    assert _error(raised)["errorCode"] == "INVALID_FIELD_FOR_INSERT_UPDATE"
    sf.SBQQ__QuoteLine__c.update(deal.lines["PLAT-CORE"], {"SBQQ__PriorQuantity__c": 4})
    assert quote_lines(sf, deal.quote)["PLAT-CORE"]["SBQQ__EffectiveQuantity__c"] == 10.0  # not an amendment
    sf.SBQQ__Quote__c.update(deal.quote, {"SBQQ__Type__c": "Amendment", "SBQQ__StartDate__c": "2026-03-01"})
    lines = quote_lines(sf, deal.quote)
    assert lines["PLAT-CORE"]["SBQQ__EffectiveQuantity__c"] == 6.0
    assert lines["PLAT-CORE"]["SBQQ__EffectiveStartDate__c"] == "2026-03-01"


def test_credit_memos_and_refunds_upsert_by_their_netsuite_ids(org: RunningSimulator) -> None:
    sf = client(org)
    account = sf.Account.create({"Name": "Refunded Inc", "NetSuite_Id__c": "C-77"})["id"]
    invoice = sf.Invoice__c.create({"Name": "INV-1", "NetSuite_Invoice_Id__c": "901"})["id"]
    body = {
        "Name": "CM-1",
        "Account__r": {"NetSuite_Id__c": "C-77"},
        "Invoice__r": {"NetSuite_Invoice_Id__c": "901"},
        "Credit_Date__c": "2026-02-01",
        "Amount__c": 300.0,
        "Amount_Applied__c": 0.0,
        "Amount_Remaining__c": 300.0,
        "Amount_Refunded__c": 0.0,
        "Status__c": "Open",
        "CurrencyIsoCode": "EUR",
    }
    assert sf.Credit_Memo__c.upsert("NetSuite_Credit_Memo_Id__c/CM901", body) == 201
    # The second day: the same upsert changes nothing and makes no second record.
    sf.Credit_Memo__c.upsert("NetSuite_Credit_Memo_Id__c/CM901", {**body, "Amount_Refunded__c": 100.0})
    memo = records(
        sf, "SELECT Id, Account__c, Invoice__c, Amount_Refunded__c, CurrencyIsoCode FROM Credit_Memo__c"
    )
    assert [
        (m["Account__c"], m["Invoice__c"], m["Amount_Refunded__c"], m["CurrencyIsoCode"]) for m in memo
    ] == [(account, invoice, 100.0, "EUR")]
    sf.Refund__c.upsert(
        "NetSuite_Refund_Id__c/RF5",
        {
            "Name": "RF-5",
            "Credit_Memo__r": {"NetSuite_Credit_Memo_Id__c": "CM901"},
            "Account__c": account,
            "Refund_Date__c": "2026-02-03",
            "Amount__c": 100.0,
        },
    )
    refunds = records(sf, "SELECT Name, Credit_Memo__r.Name FROM Refund__c")
    assert [(r["Name"], r["Credit_Memo__r"]["Name"]) for r in refunds] == [("RF-5", "CM-1")]
    children = records(sf, "SELECT Id, (SELECT Name FROM Refunds__r) FROM Credit_Memo__c")
    assert children[0]["Refunds__r"]["totalSize"] == 1


# -- contracting ----------------------------------------------------------------------------------


def test_a_won_contracted_deal_gets_a_contract_and_one_subscription_per_subscription_line(
    cpq_org: RunningSimulator,
) -> None:
    sf = client(cpq_org)
    deal = new_deal(sf)
    sf.Opportunity.update(deal.opportunity, {"SBQQ__Contracted__c": True})
    assert records(sf, f"SELECT Id FROM Contract WHERE SBQQ__Opportunity__c = '{deal.opportunity}'") == []
    sf.Opportunity.update(deal.opportunity, {"StageName": "Closed Won"})  # won after ticking: contracted now
    contract = contract_of(sf, deal.opportunity)
    assert contract["Status"] == "Activated"
    assert (contract["StartDate"], contract["EndDate"], contract["ContractTerm"]) == (
        "2026-01-01",
        "2026-12-31",
        12,
    )
    assert contract["SBQQ__Quote__c"] == deal.quote and len(contract["ContractNumber"]) == 8
    subs = {s["SBQQ__ProductCode__c"]: s for s in subscriptions(contract)}
    assert sorted(subs) == ["PKG-STARTER", "PLAT-CORE", "SUP-STD"]  # onboarding is not a subscription
    package = subs["PKG-STARTER"]
    assert package["SBQQ__RequiredById__c"] is None
    for code in ("PLAT-CORE", "SUP-STD"):
        member = subs[code]
        assert member["SBQQ__RequiredById__c"] == package["Id"]
        assert member["SBQQ__QuoteLine__c"] == member["SBQQ__OriginalQuoteLine__c"] == deal.lines[code]
        assert (member["SBQQ__Quantity__c"], member["SBQQ__StartDate__c"], member["SBQQ__EndDate__c"]) == (
            10.0,
            "2026-01-01",
            "2026-12-31",
        )
        assert member["SBQQ__BillingFrequency__c"] == "Annual"
        assert member["Name"].startswith("SUB-")
    # The second day: unticking and ticking again, or saving the won deal again, contracts nothing more.
    sf.Opportunity.update(deal.opportunity, {"SBQQ__Contracted__c": False})
    win_and_contract(sf, deal.opportunity)
    assert len(subscriptions(contract_of(sf, deal.opportunity))) == 3
    # A lost deal is never contracted.
    lost = new_deal(sf)
    sf.Opportunity.update(lost.opportunity, {"StageName": "Closed Lost", "SBQQ__Contracted__c": True})
    assert records(sf, f"SELECT Id FROM Contract WHERE SBQQ__Opportunity__c = '{lost.opportunity}'") == []


def test_ticking_contracted_on_a_seeded_won_deal_contracts_it(org: RunningSimulator) -> None:
    sf = client(org)
    won = records(
        sf,
        "SELECT Id, SBQQ__PrimaryQuote__r.SBQQ__StartDate__c, "
        "SBQQ__PrimaryQuote__r.SBQQ__SubscriptionTerm__c FROM Opportunity "
        "WHERE IsWon = true ORDER BY Id LIMIT 1",
    )[0]
    sf.Opportunity.update(won["Id"], {"SBQQ__Contracted__c": True})
    contract = contract_of(sf, won["Id"])
    quote = won["SBQQ__PrimaryQuote__r"]
    assert (contract["StartDate"], contract["ContractTerm"]) == (
        quote["SBQQ__StartDate__c"],
        int(quote["SBQQ__SubscriptionTerm__c"]),
    )
    seeded_lines = records(
        sf,
        "SELECT Id, SBQQ__RequiredBy__c FROM SBQQ__QuoteLine__c WHERE SBQQ__SubscriptionTerm__c != null "
        f"AND SBQQ__Quote__r.SBQQ__Opportunity2__c = '{won['Id']}'",
    )
    subs = subscriptions(contract)
    assert sorted(s["SBQQ__QuoteLine__c"] for s in subs) == sorted(line["Id"] for line in seeded_lines)
    package = [s for s in subs if s["SBQQ__RequiredById__c"] is None]
    assert len(package) == 1
    assert all(s["SBQQ__RequiredById__c"] == package[0]["Id"] for s in subs if s is not package[0])


def test_amend_then_contract_the_amendment_on_the_same_contract(cpq_org: RunningSimulator) -> None:
    sf = client(cpq_org)
    deal = new_deal(sf)
    win_and_contract(sf, deal.opportunity)
    contract = contract_of(sf, deal.opportunity)
    originals = {s["SBQQ__ProductCode__c"]: s for s in subscriptions(contract)}
    sf.Contract.update(contract["Id"], {"SBQQ__AmendmentStartDate__c": "2026-04-01"})

    model = apex(sf, AMENDER + contract["Id"])
    quote_id = model["record"]["Id"]
    assert model["record"]["attributes"]["type"] == "SBQQ__Quote__c"
    assert [item["record"]["SBQQ__ProductCode__c"] for item in model["lineItems"]] == [
        "PKG-STARTER",
        "PLAT-CORE",
        "SUP-STD",
    ]
    assert [item["parentItemKey"] for item in model["lineItems"]] == [None, 1, 1]
    quote = sf.SBQQ__Quote__c.get(quote_id)
    assert (quote["SBQQ__Type__c"], quote["SBQQ__Primary__c"], quote["SBQQ__MasterContract__c"]) == (
        "Amendment",
        True,
        contract["Id"],
    )
    assert (quote["SBQQ__StartDate__c"], quote["SBQQ__EndDate__c"]) == ("2026-04-01", "2026-12-31")
    opportunity = sf.Opportunity.get(quote["SBQQ__Opportunity2__c"])
    assert (opportunity["Type"], opportunity["SBQQ__AmendedContract__c"], opportunity["StageName"]) == (
        "Amendment",
        contract["Id"],
        "Prospecting",
    )
    assert opportunity["AccountId"] == contract["AccountId"]
    assert opportunity["SBQQ__PrimaryQuote__c"] == quote_id
    lines = quote_lines(sf, quote_id)
    for code, original in originals.items():
        line = lines[code]
        assert line["SBQQ__UpgradedSubscription__c"] == original["Id"]
        assert line["SBQQ__Quantity__c"] == line["SBQQ__PriorQuantity__c"] == original["SBQQ__Quantity__c"]
        assert line["SBQQ__EffectiveQuantity__c"] == 0.0
        assert line["SBQQ__EffectiveStartDate__c"] == "2026-04-01"
    assert lines["PLAT-CORE"]["SBQQ__RequiredBy__c"] == lines["PKG-STARTER"]["Id"]
    # A consumer walks from an amendment line to the package line that first sold it, in one query.
    walked = records(
        sf,
        "SELECT SBQQ__UpgradedSubscription__r.SBQQ__OriginalQuoteLine__r.SBQQ__RequiredBy__c "
        f"FROM SBQQ__QuoteLine__c WHERE Id = '{lines['SUP-STD']['Id']}'",
    )[0]
    upgraded = walked["SBQQ__UpgradedSubscription__r"]
    assert upgraded["SBQQ__OriginalQuoteLine__r"]["SBQQ__RequiredBy__c"] == deal.lines["PKG-STARTER"]

    # The rep edits the amendment with plain REST: +5 platform seats, support cancelled, analytics added.
    sf.SBQQ__QuoteLine__c.update(lines["PLAT-CORE"]["Id"], {"SBQQ__Quantity__c": 15})
    sf.SBQQ__QuoteLine__c.update(lines["SUP-STD"]["Id"], {"SBQQ__Quantity__c": 0})
    analytics = records(sf, "SELECT Id FROM Product2 WHERE ProductCode = 'PLAT-ANL'")[0]["Id"]
    added = sf.SBQQ__QuoteLine__c.create(
        {
            "SBQQ__Quote__c": quote_id,
            "SBQQ__Product__c": analytics,
            "SBQQ__Quantity__c": 5,
            "SBQQ__NetPrice__c": 20.0,
            "SBQQ__RequiredBy__c": lines["PKG-STARTER"]["Id"],
            "SBQQ__SubscriptionTerm__c": 9,
        }
    )["id"]
    assert quote_lines(sf, quote_id)["PLAT-CORE"]["SBQQ__EffectiveQuantity__c"] == 5.0
    assert quote_lines(sf, quote_id)["SUP-STD"]["SBQQ__EffectiveQuantity__c"] == -10.0
    assert quote_lines(sf, quote_id)["PLAT-ANL"]["SBQQ__EffectiveQuantity__c"] == 5.0
    win_and_contract(sf, opportunity["Id"])

    assert records(sf, f"SELECT Id FROM Contract WHERE SBQQ__Opportunity__c = '{opportunity['Id']}'") == []
    after = contract_of(sf, deal.opportunity)
    subs = subscriptions(after)
    assert len(subs) == 6
    revisions = {s["SBQQ__ProductCode__c"]: s for s in subs if s["SBQQ__RevisedSubscription__c"]}
    assert sorted(revisions) == ["PLAT-CORE", "SUP-STD"]  # the package did not change: no revision
    platform = revisions["PLAT-CORE"]
    assert platform["SBQQ__Quantity__c"] == 5.0
    assert platform["SBQQ__RevisedSubscription__c"] == originals["PLAT-CORE"]["Id"]
    assert platform["SBQQ__OriginalQuoteLine__c"] == deal.lines["PLAT-CORE"]
    assert platform["SBQQ__QuoteLine__c"] == lines["PLAT-CORE"]["Id"]
    assert platform["SBQQ__RequiredById__c"] == originals["PKG-STARTER"]["Id"]
    assert (platform["SBQQ__StartDate__c"], platform["SBQQ__EndDate__c"]) == ("2026-04-01", "2026-12-31")
    assert platform["SBQQ__TerminatedDate__c"] is None
    support = [s for s in subs if s["SBQQ__ProductCode__c"] == "SUP-STD"]
    assert sorted(s["SBQQ__Quantity__c"] for s in support) == [-10.0, 10.0]
    assert {s["SBQQ__TerminatedDate__c"] for s in support} == {"2026-04-01"}
    new = next(s for s in subs if s["SBQQ__ProductCode__c"] == "PLAT-ANL")
    assert new["SBQQ__RevisedSubscription__c"] is None and new["SBQQ__OriginalQuoteLine__c"] == added
    assert new["SBQQ__RequiredById__c"] == originals["PKG-STARTER"]["Id"]
    assert new["SBQQ__EndDate__c"] == "2026-12-31"  # co-termed with the contract
    # The second day: contracting the amendment again adds nothing.
    sf.Opportunity.update(opportunity["Id"], {"SBQQ__Contracted__c": False})
    win_and_contract(sf, opportunity["Id"])
    assert len(subscriptions(contract_of(sf, deal.opportunity))) == 6

    # A second amendment starts from the current state: summed quantities, the cancelled line gone.
    second = apex(sf, AMENDER + contract["Id"])
    lines = quote_lines(sf, second["record"]["Id"])
    assert sorted(lines) == ["PKG-STARTER", "PLAT-ANL", "PLAT-CORE"]
    assert lines["PLAT-CORE"]["SBQQ__PriorQuantity__c"] == 15.0
    assert lines["PLAT-CORE"]["SBQQ__UpgradedSubscription__c"] == originals["PLAT-CORE"]["Id"]
    assert lines["PLAT-ANL"]["SBQQ__UpgradedSubscription__c"] == new["Id"]
    assert lines["PLAT-ANL"]["SBQQ__RequiredBy__c"] == lines["PKG-STARTER"]["Id"]


def test_renew_a_contract_and_contract_the_renewal(cpq_org: RunningSimulator) -> None:
    sf = client(cpq_org)
    deal = new_deal(sf, seats=25)
    win_and_contract(sf, deal.opportunity)
    contract = contract_of(sf, deal.opportunity)
    context = json.dumps(
        {
            "masterContractId": None,
            "renewedContracts": [{"attributes": {"type": "Contract"}, "Id": contract["Id"]}],
        }
    )
    models = apex(sf, RENEWER, {"context": context})
    assert isinstance(models, list) and len(models) == 1
    quote = sf.SBQQ__Quote__c.get(models[0]["record"]["Id"])
    assert (quote["SBQQ__Type__c"], quote["SBQQ__StartDate__c"], quote["SBQQ__EndDate__c"]) == (
        "Renewal",
        "2027-01-01",
        "2027-12-31",
    )
    assert (quote["SBQQ__SubscriptionTerm__c"], quote["SBQQ__BillingFrequency__c"]) == (12.0, "Annual")
    renewal = sf.Opportunity.get(quote["SBQQ__Opportunity2__c"])
    assert (renewal["Type"], renewal["SBQQ__RenewedContract__c"], renewal["CloseDate"]) == (
        "Renewal",
        contract["Id"],
        "2026-12-31",
    )
    renewed = contract_of(sf, deal.opportunity)
    assert (renewed["SBQQ__RenewalOpportunity__c"], renewed["SBQQ__RenewalQuoted__c"]) == (
        renewal["Id"],
        True,
    )
    originals = {s["SBQQ__ProductCode__c"]: s for s in subscriptions(contract)}
    lines = quote_lines(sf, quote["Id"])
    assert sorted(lines) == ["PKG-STARTER", "PLAT-CORE", "SUP-STD"]
    for code, original in originals.items():
        assert lines[code]["SBQQ__RenewedSubscription__c"] == original["Id"]
        assert lines[code]["SBQQ__Quantity__c"] == lines[code]["SBQQ__EffectiveQuantity__c"]
    assert lines["PLAT-CORE"]["SBQQ__Quantity__c"] == 25.0
    assert lines["SUP-STD"]["SBQQ__RequiredBy__c"] == lines["PKG-STARTER"]["Id"]

    # Renewing again re-quotes on the same renewal opportunity; the new quote is the primary one.
    again = apex(sf, RENEWER, {"context": context})
    assert sf.SBQQ__Quote__c.get(again[0]["record"]["Id"])["SBQQ__Opportunity2__c"] == renewal["Id"]
    assert (
        sf.query(f"SELECT COUNT() FROM Opportunity WHERE SBQQ__RenewedContract__c = '{contract['Id']}'")[
            "totalSize"
        ]
        == 1
    )
    assert sf.Opportunity.get(renewal["Id"])["SBQQ__PrimaryQuote__c"] == again[0]["record"]["Id"]
    only_ids = apex(
        sf,
        RENEWER,
        {"context": json.dumps({"renewedContracts": [{"Id": contract["Id"]}], "returnOnlyQuoteId": True})},
    )
    assert isinstance(only_ids, list) and only_ids[0].startswith("a0x")

    # Won and contracted, the renewal is a new contract starting the day after the old one ends.
    win_and_contract(sf, renewal["Id"])
    follow_on = contract_of(sf, renewal["Id"])
    assert follow_on["Id"] != contract["Id"]
    assert (follow_on["StartDate"], follow_on["EndDate"], follow_on["ContractTerm"]) == (
        "2027-01-01",
        "2027-12-31",
        12,
    )
    subs = {s["SBQQ__ProductCode__c"]: s for s in subscriptions(follow_on)}
    assert subs["PLAT-CORE"]["SBQQ__Quantity__c"] == 25.0
    assert subs["PLAT-CORE"]["SBQQ__RequiredById__c"] == subs["PKG-STARTER"]["Id"]
    assert subs["PLAT-CORE"]["SBQQ__OriginalQuoteLine__c"] == subs["PLAT-CORE"]["SBQQ__QuoteLine__c"]


def test_a_euro_deal_contracted_through_collections_stays_in_euros(org: RunningSimulator) -> None:
    sf = client(org)
    deal = new_deal(sf, currency="EUR")
    answer = sf.restful(
        "composite/sobjects",
        method="PATCH",
        data=json.dumps(
            {
                "allOrNone": True,
                "records": [
                    {
                        "attributes": {"type": "Opportunity"},
                        "id": deal.opportunity,
                        "StageName": "Closed Won",
                        "SBQQ__Contracted__c": True,
                    }
                ],
            }
        ),
    )
    assert answer[0]["success"] is True, answer
    contract = records(
        sf,
        "SELECT Id, CurrencyIsoCode, (SELECT CurrencyIsoCode FROM SBQQ__Subscriptions__r) FROM Contract "
        f"WHERE SBQQ__Opportunity__c = '{deal.opportunity}'",
    )[0]
    assert contract["CurrencyIsoCode"] == "EUR"
    assert {s["CurrencyIsoCode"] for s in contract["SBQQ__Subscriptions__r"]["records"]} == {"EUR"}
    model = apex(sf, AMENDER + contract["Id"])
    assert model["record"]["CurrencyIsoCode"] == "EUR"
    assert {item["record"]["CurrencyIsoCode"] for item in model["lineItems"]} == {"EUR"}
    amendment = sf.Opportunity.get(model["record"]["SBQQ__Opportunity2__c"])
    assert (amendment["CurrencyIsoCode"], amendment["Pricebook2Id"]) == (
        "EUR",
        sf.Opportunity.get(deal.opportunity)["Pricebook2Id"],
    )


def test_the_contract_apis_refuse_what_cpq_refuses(org: RunningSimulator) -> None:
    sf = client(org)
    account = sf.Account.create({"Name": "Drafty"})["id"]
    draft = sf.Contract.create({"AccountId": account, "StartDate": "2026-01-01", "ContractTerm": 6})["id"]
    assert sf.Contract.get(draft)["EndDate"] == "2026-06-30"
    with pytest.raises(SalesforceGeneralError) as raised:
        sf.apexecute(AMENDER + draft, method="PATCH")
    assert raised.value.status == 500
    assert _error(raised)["errorCode"] == "APEX_ERROR"
    assert "not activated" in _error(raised)["message"]
    with pytest.raises(SalesforceGeneralError):
        sf.apexecute(AMENDER + "001000000000000AAA", method="PATCH")
    with pytest.raises(SalesforceGeneralError):
        sf.apexecute(RENEWER, method="PATCH", data={"context": "{}"})
    with pytest.raises(SalesforceGeneralError):
        sf.apexecute("SBQQ/ServiceRouter?loader=SBQQ.QuoteAPI.QuoteReader", method="PATCH")
    with pytest.raises(SalesforceResourceNotFound):
        sf.apexecute("Nope/Thing", method="GET")
    assert records(sf, "SELECT Id FROM Opportunity WHERE Type = 'Amendment'") == []


def test_without_cpq_the_contract_is_plain_and_there_is_no_service_router(tmp_path: Path) -> None:
    running = _org(tmp_path, currencies="single", cpq=False)
    try:
        sf = client(running)
        fields = {f["name"] for f in sf.Contract.describe()["fields"]}
        assert {"AccountId", "Status", "StartDate", "EndDate", "NetSuite_Subscription_Id__c"} <= fields
        assert not {name for name in fields if name.startswith("SBQQ__")}
        assert "CurrencyIsoCode" not in fields
        assert "SBQQ__Subscription__c" not in {s["name"] for s in sf.describe()["sobjects"]}
        assert "SBQQ__Contracted__c" not in {f["name"] for f in sf.Opportunity.describe()["fields"]}
        assert "NetSuite_Fulfillment_Status__c" in {f["name"] for f in sf.Opportunity.describe()["fields"]}
        assert "Credit_Memo__c" in {s["name"] for s in sf.describe()["sobjects"]}
        with pytest.raises(SalesforceMalformedRequest):
            sf.query("SELECT Id FROM SBQQ__Subscription__c")
        with pytest.raises(SalesforceResourceNotFound):
            sf.apexecute(AMENDER + "800000000000000AAA", method="PATCH")
    finally:
        running.stop()
