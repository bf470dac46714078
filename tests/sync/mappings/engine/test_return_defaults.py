"""The shipped return mappings of issue 22: credit memos, refunds, fulfilment and subscription status."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sync.mappings.engine.defaults import compile_default, default_lookups

ACCOUNT = "001S00000000000001"
OPPORTUNITY = "006S00000000000001"


def credit_memo(**changes: Any) -> dict[str, Any]:
    memo = {
        "id": "950",
        "tranId": "CM-950",
        "tranDate": "2026-12-01",
        "entity": {"id": "101"},
        "currency": {"id": "1"},
        "total": 300.0,
        "amountRemaining": 100.0,
        "status": {"id": "A", "refName": "Open"},
        "custbody_sf_opportunity_id": None,
        "amountApplied": Decimal("200.0"),
        "amountRefunded": Decimal(0),
        "customer": {"id": "101", "custentity_sf_account_id": "001S0000000000000X"},
        "invoice": {"id": "907", "custbody_sf_opportunity_id": OPPORTUNITY},
        "salesforce": {"Account": ACCOUNT, "Opportunity": "", "Invoice__c": "a01S00000000000001"},
    }
    memo.update(changes)
    return memo


def test_it_maps_a_credit_memo_linked_to_its_account_opportunity_and_invoice() -> None:
    mapping = compile_default("netsuite_credit_memo_to_salesforce")
    (payload,) = mapping.apply(credit_memo(), lookups=default_lookups()).payloads
    assert payload.mode == "upsert" and payload.external_id_field == "NetSuite_Credit_Memo_Id__c"
    assert payload.body == {
        "Name": "CM-950",
        "Account__c": ACCOUNT,  # the cross-reference wins over the customer's own field
        "Opportunity__c": OPPORTUNITY,  # from its invoice
        "Invoice__c": "a01S00000000000001",
        "Credit_Date__c": "2026-12-01",
        "Amount__c": Decimal("300.0"),
        "Amount_Applied__c": Decimal("200.0"),
        "Amount_Remaining__c": Decimal("100.0"),
        "Amount_Refunded__c": Decimal(0),
        "Status__c": "Open",
        "CurrencyIsoCode": "USD",
        "NetSuite_Credit_Memo_Id__c": "950",
    }
    assert "CurrencyIsoCode" not in payload.update_body()


def test_it_says_refunded_when_refunds_took_what_a_credit_memo_held() -> None:
    mapping = compile_default("netsuite_credit_memo_to_salesforce")

    def status(**changes: Any) -> str:
        (payload,) = mapping.apply(credit_memo(**changes), lookups=default_lookups()).payloads
        return str(payload.body["Status__c"])

    refunded = {"amountRemaining": 0, "amountApplied": Decimal(0), "amountRefunded": Decimal(300)}
    assert status(status={"id": "B"}, **refunded) == "Refunded"
    assert status(status={"id": "B"}, amountRemaining=0, amountApplied=Decimal(300)) == "Fully Applied"
    assert status(amountApplied=Decimal(0), amountRefunded=Decimal(200)) == "Partially Refunded"
    bare = credit_memo(salesforce={}, invoice={}, custbody_sf_opportunity_id=None)
    (payload,) = mapping.apply(bare, lookups=default_lookups()).payloads
    assert payload.body["Account__c"] == "001S0000000000000X"  # the customer's own account id
    assert "Opportunity__c" not in payload.body and "Invoice__c" not in payload.body
    unknown = mapping.apply(credit_memo(status={"id": "Z"}), lookups=default_lookups())
    assert [problem.field_id for problem in unknown.problems] == ["status"]


def test_it_maps_a_refund_and_the_credit_memos_it_pays_out() -> None:
    refund = {
        "id": "970",
        "tranId": "RF-970",
        "tranDate": "2026-12-03",
        "currency": {"id": "3"},
        "total": 120.0,
        "customer": {"id": "101", "custentity_sf_account_id": ACCOUNT},
        "salesforce": {"Account": "", "Credit_Memo__c": "a0CS00000000000001"},
        "apply": {
            "items": [
                {
                    "doc": {"id": "950"},
                    "apply": True,
                    "amount": 120.0,
                    "creditMemo": {
                        "id": "950",
                        "amountRemaining": 0,
                        "status": {"id": "B"},
                        "amountApplied": Decimal(0),
                        "amountRefunded": Decimal(120),
                    },
                },
                {"doc": {"id": "77"}, "apply": True, "amount": 10.0},  # a payment: no credit memo
                {"doc": {"id": "951"}, "apply": False, "amount": 0.0, "creditMemo": {"id": "951"}},
            ]
        },
    }
    mapping = compile_default("netsuite_refund_to_salesforce")
    result = mapping.apply(refund, lookups=default_lookups())
    assert result.ok, result.problems
    refund_payload, memo = result.payloads
    assert refund_payload.external_id_field == "NetSuite_Refund_Id__c" and refund_payload.mode == "upsert"
    assert refund_payload.body == {
        "Name": "RF-970",
        "Account__c": ACCOUNT,
        "Credit_Memo__c": "a0CS00000000000001",
        "Refund_Date__c": "2026-12-03",
        "Amount__c": Decimal("120.0"),
        "CurrencyIsoCode": "GBP",
        "NetSuite_Refund_Id__c": "970",
    }
    assert memo.mode == "update_only" and memo.external_id == "950"
    assert memo.body == {
        "Amount_Refunded__c": Decimal(120),
        "Amount_Remaining__c": Decimal(0),
        "Status__c": "Refunded",
        "NetSuite_Credit_Memo_Id__c": "950",
    }


def test_it_words_the_fulfilment_status_of_the_opportunity() -> None:
    mapping = compile_default("netsuite_fulfillment_to_salesforce")
    fulfilment: dict[str, Any] = {
        "id": "980",
        "tranDate": "2026-12-04",
        "createdFrom": {"id": "55"},
        "salesOrder": {
            "id": "55",
            "custbody_sf_opportunity_id": OPPORTUNITY,
            "fulfilment": "partial",
            "lastFulfilledDate": "2026-12-05",
        },
        "salesforce": {"Opportunity": ""},
    }
    (payload,) = mapping.apply(fulfilment).payloads
    assert payload.mode == "update_only" and payload.external_id_field == "Id"
    assert payload.body == {
        "NetSuite_Fulfillment_Status__c": "Partially fulfilled",
        "NetSuite_Fulfilled_Date__c": "2026-12-05",
        "Id": OPPORTUNITY,
    }
    words = {}
    for state in ("none", "partial", "full"):
        order = {**fulfilment["salesOrder"], "fulfilment": state, "lastFulfilledDate": None}
        (payload,) = mapping.apply({**fulfilment, "salesOrder": order}).payloads
        words[state] = payload.body["NetSuite_Fulfillment_Status__c"]
        assert payload.body["NetSuite_Fulfilled_Date__c"] == "2026-12-04"  # the fulfilment's own date
    assert words == {"none": "Not fulfilled", "partial": "Partially fulfilled", "full": "Fulfilled"}
    # An order Concord did not make (no opportunity id, no cross-reference) writes nothing.
    orphan = {**fulfilment, "salesOrder": {"id": "56", "fulfilment": "full"}}
    assert mapping.apply(orphan).payloads == []
    # The cross-reference finds the opportunity when the order lacks the id.
    linked = {**orphan, "salesforce": {"Opportunity": OPPORTUNITY}}
    assert [p.external_id for p in mapping.apply(linked).payloads] == [OPPORTUNITY]


def test_it_maps_subscription_status_to_the_contract_and_its_subscriptions() -> None:
    mapping = compile_default("netsuite_subscription_to_salesforce")
    subscription = {
        "id": "12",
        "name": "Acme - Growth",
        "subscriptionStatus": {"id": "TERMINATED", "refName": "Terminated"},
        "contract": {"Id": "800S00000000000001", "subscriptionIds": "12,15", "status": "ACTIVE"},
        "salesforceSubscriptions": [
            {"Id": "a0zS00000000000001", "status": "TERMINATED", "lineId": ""},
            {"Id": "a0zS00000000000002", "status": "TERMINATED", "lineId": "31"},
            {"Id": "a0zS00000000000003", "status": "NOT_INCLUDED", "lineId": "32"},
        ],
    }
    result = mapping.apply(subscription)
    assert result.ok, result.problems
    contract, *lines = result.payloads
    assert contract.target_type == "Contract" and contract.mode == "update_only"
    assert contract.body == {
        "NetSuite_Subscription_Id__c": "12,15",
        "NetSuite_Subscription_Status__c": "Active",  # another subscription of the contract is active
        "Id": "800S00000000000001",
    }
    assert [
        (p.external_id, p.body.get("NetSuite_Status__c"), p.body.get("NetSuite_Subscription_Line_Id__c"))
        for p in lines
    ] == [
        ("a0zS00000000000001", "Terminated", None),
        ("a0zS00000000000002", "Terminated", "31"),
        ("a0zS00000000000003", "Not Included", "32"),
    ]
    assert all(p.target_type == "SBQQ__Subscription__c" and p.external_id_field == "Id" for p in lines)
    # No contract found: nothing to write (not a failure).
    assert mapping.apply({**subscription, "contract": {}, "salesforceSubscriptions": []}).payloads == []
