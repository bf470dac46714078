"""Opportunity graphs built from the shared data set, shaped exactly as fetch_opportunity_graphs returns them.

Salesforce sends numbers as JSON numbers (floats), dates as ``YYYY-MM-DD``, parent relationships as
nested records (null when empty) and child subqueries as ``{"totalSize", "done", "records"}`` wrappers;
``primary_quote`` and its ``lines`` are added by the connector.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from simulators.dataset import PRODUCTS_BY_SKU, Account, Dataset, Opportunity


def account_id(index: int) -> str:
    return f"001S{index:014d}"


def opportunity_id(index: int) -> str:
    return f"006S{index:014d}"


def contact_id(index: int) -> str:
    return f"003S{index:014d}"


def quote_id(index: int) -> str:
    return f"a0xS{index:014d}"


def line_id(opportunity: int, number: int) -> str:
    return f"a0yS{opportunity:010d}{number:04d}"


def product_id(sku: str) -> str:
    return f"01tS{sorted(PRODUCTS_BY_SKU).index(sku):014d}"


def opportunity_graph(account: Account, opportunity: Opportunity) -> dict[str, Any]:
    quote = opportunity.quote
    qid = quote_id(opportunity.index)
    lines = []
    for line in quote.lines:
        product = PRODUCTS_BY_SKU[line.sku]
        lines.append(
            {
                "attributes": {"type": "SBQQ__QuoteLine__c"},
                "Id": line_id(opportunity.index, line.number),
                "SBQQ__Quote__c": qid,
                "SBQQ__Number__c": float(line.number),
                "SBQQ__Product__c": product_id(line.sku),
                "SBQQ__ProductCode__c": line.sku,
                "SBQQ__Quantity__c": float(line.quantity),
                "SBQQ__ListPrice__c": float(line.list_price),
                "SBQQ__NetPrice__c": float(line.net_price),
                "SBQQ__NetTotal__c": float(line.net_total),
                "SBQQ__AdditionalDiscount__c": float(line.discount_percent),
                "SBQQ__RequiredBy__c": (
                    line_id(opportunity.index, line.required_by + 1) if line.required_by is not None else None
                ),
                "SBQQ__Product__r": {
                    "attributes": {"type": "Product2"},
                    "Name": product.name,
                    "Taxable__c": product.taxable,
                    "Tax_Code__c": product.tax_code,
                    "Revenue_Treatment__c": product.revenue_treatment,
                    "Product_Type__c": product.kind,
                },
            }
        )
    roles = [
        {
            "attributes": {"type": "OpportunityContactRole"},
            "ContactId": contact_id(contact.index),
            "Role": contact.role,
            "IsPrimary": contact.is_primary,
            "Contact": {
                "attributes": {"type": "Contact"},
                "FirstName": contact.first_name,
                "LastName": contact.last_name,
                "Email": contact.email,
                "Phone": contact.phone,
                "Title": contact.title,
            },
        }
        for contact in account.contacts
    ]
    primary = {
        "attributes": {"type": "SBQQ__Quote__c"},
        "Id": qid,
        "Name": f"Q-{opportunity.index + 1:05d}",
        "SBQQ__Primary__c": True,
        "SBQQ__StartDate__c": quote.start_date.isoformat(),
        "SBQQ__EndDate__c": quote.end_date.isoformat(),
        "SBQQ__SubscriptionTerm__c": float(quote.term_months),
        "SBQQ__NetAmount__c": float(quote.net_amount),
        "Discount_Approved__c": quote.discount_approved,
    }
    return {
        "attributes": {"type": "Opportunity"},
        "Id": opportunity_id(opportunity.index),
        "Name": opportunity.name,
        "StageName": opportunity.stage,
        "Amount": float(opportunity.amount),
        "CloseDate": opportunity.close_date.isoformat(),
        "CurrencyIsoCode": opportunity.currency,
        "IsWon": opportunity.stage == "Closed Won",
        "IsClosed": opportunity.stage.startswith("Closed"),
        "SystemModstamp": "2026-01-02T00:00:00.000+0000",
        "AccountId": account_id(account.index),
        "Account": {
            "attributes": {"type": "Account"},
            "Id": account_id(account.index),
            "Name": account.name,
            "BillingStreet": account.street,
            "BillingCity": account.city,
            "BillingPostalCode": account.postal_code,
            "BillingCountry": account.country or None,
            "CurrencyIsoCode": account.currency,
            "Phone": account.phone,
            "Website": account.website,
            "NetSuite_Id__c": None,
        },
        "OpportunityContactRoles": {"totalSize": len(roles), "done": True, "records": roles}
        if roles
        else None,
        "SBQQ__Quotes2__r": {"totalSize": 1, "done": True, "records": [primary]},
        "primary_quote": {**primary, "lines": lines},
    }


def dataset_graphs(accounts: int = 60, seed: int = 1) -> list[tuple[Account, Opportunity, dict[str, Any]]]:
    """Every opportunity of a small data set with its account and graph."""
    found = []
    for account in Dataset(seed=seed, accounts=accounts).accounts():
        for opportunity in account.opportunities:
            found.append((account, opportunity, opportunity_graph(account, opportunity)))
    return found


ITEM_IDS = {sku: str(number) for number, sku in enumerate(PRODUCTS_BY_SKU, start=1)}


def item_fetch(keys: Sequence[str]) -> dict[str, str]:
    """What the SuiteQL item query answers against the NetSuite simulator's seed (item n = SKU n)."""
    return {key: ITEM_IDS[key] for key in keys if key in ITEM_IDS}
