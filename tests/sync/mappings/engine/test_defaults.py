"""The shipped default mappings compile and map realistic graphs to the expected payloads."""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from typing import Any

import pytest

from simulators.dataset import COUNTRIES, CURRENCIES, PACKAGES, SUBSIDIARIES, currency_precision
from sync.mappings.engine import CachedDynamicLookup, MappingResult, compile_mapping
from sync.mappings.engine.defaults import (
    DEFAULT_FLOWS,
    compile_default,
    default_lookups,
    load_default,
    load_default_lookups,
    lookup_descriptions,
)
from tests.sync.mappings.engine.graphs import ITEM_IDS, dataset_graphs, item_fetch

GRAPHS = dataset_graphs(accounts=60)


def lookups() -> Any:
    return default_lookups(netsuite_item_by_sku=CachedDynamicLookup(item_fetch))


def refs_for(graph: dict[str, Any]) -> dict[str, str]:
    refs = {"customer": "101", "billing_account": "201"}
    for line in (graph["primary_quote"] or {}).get("lines", []):
        refs[f"subscription_plan[{line['Id']}]"] = "301"
    return refs


def apply(graph: dict[str, Any]) -> MappingResult:
    mapping = compile_default("opportunity_to_netsuite")
    return mapping.apply(graph, refs=refs_for(graph), lookups=lookups())


@pytest.mark.parametrize("flow", DEFAULT_FLOWS)
def test_it_compiles_every_default_and_round_trips_through_json(flow: str) -> None:
    spec = load_default(flow)
    assert spec["flow"] == flow
    mapping = compile_default(flow)
    assert mapping.lookup_tables() <= set(load_default_lookups())
    again = compile_mapping(json.loads(json.dumps(spec)))
    assert again.dependency_order() == mapping.dependency_order()


def test_it_describes_every_default_lookup_table() -> None:
    descriptions = lookup_descriptions()
    assert set(descriptions) == set(load_default_lookups())
    assert all(descriptions.values())


def test_it_ships_lookup_ids_matching_the_netsuite_seed() -> None:
    tables = load_default_lookups()
    subsidiary_ids = {subsidiary.key: str(number) for number, subsidiary in enumerate(SUBSIDIARIES, start=1)}
    assert tables["country_to_subsidiary"] == {
        country: subsidiary_ids[sub] for country, (sub, _, _) in COUNTRIES.items()
    }
    assert tables["currency_code_to_id"] == {c.code: str(n) for n, c in enumerate(CURRENCIES, start=1)}
    assert {code: key for key, code in tables["currency_id_to_code"].items()} == tables["currency_code_to_id"]
    books = tables["price_book_by_plan_currency"]
    assert len(books) == len(PACKAGES) * len(CURRENCIES)


def test_it_orders_the_opportunity_flow_by_its_refs() -> None:
    assert compile_default("opportunity_to_netsuite").dependency_order() == [
        "customer",
        "contact",
        "billing_account",
        "subscription_plan",
        "subscription",
        "sales_order",
    ]


def test_it_maps_the_account_to_a_customer() -> None:
    account, _, graph = next(item for item in GRAPHS if item[0].country == "GB")
    customer = apply(graph).for_object("customer")[0]
    assert customer.external_id == graph["Account"]["Id"]
    assert customer.body["companyName"] == account.name
    assert customer.body["subsidiary"] == {"id": "2"}  # GB -> Concord Software Ltd
    assert customer.body["currency"] == {"id": "3"}  # GBP
    assert customer.body["terms"] == {"id": "3"}  # Net 30
    assert customer.body["addressBook"]["items"][0]["addressBookAddress"] == {
        "addr1": account.street,
        "city": account.city,
        "zip": account.postal_code,
        "country": "GB",
    }
    assert customer.body["custentity_sf_account_id"] == graph["Account"]["Id"]
    assert customer.body["externalId"] == graph["Account"]["Id"]
    assert set(customer.update_body()) >= {"companyName", "custentity_sf_account_id"}
    # Set on creation only: NetSuite keeps a customer's primary currency and subsidiary once it has
    # transactions, and a customer another integration created keeps those it gave it.
    assert not {"subsidiary", "currency", "addressBook"} & set(customer.update_body())


def test_it_maps_each_contact_role_to_a_contact_of_the_customer() -> None:
    account, _, graph = next(item for item in GRAPHS if len(item[0].contacts) == 3)
    contacts = apply(graph).for_object("contact")
    assert [c.body["lastName"] for c in contacts] == [contact.last_name for contact in account.contacts]
    assert all(c.body["company"] == {"id": "101"} for c in contacts)
    assert contacts[0].ref_key == f"contact[{contacts[0].external_id}]"


@pytest.mark.parametrize("index", range(0, 120, 7))
def test_it_maps_the_sales_order_lines_without_package_headers(index: int) -> None:
    account, opportunity, graph = GRAPHS[index]
    result = apply(graph)
    if not account.country:  # every 41st account has no billing country: the subsidiary lookup fails
        assert {problem.field_id for problem in result.problems} >= {"subsidiary"}
        return
    assert result.ok, result.problems
    order = result.for_object("sales_order")[0]
    lines = order.body["item"]["items"]
    headers = [line for line in opportunity.quote.lines if line.sku.startswith("PKG-")]
    assert len(lines) == len(opportunity.quote.lines) - len(headers) == len(opportunity.quote.lines) - 1
    places = Decimal(1).scaleb(-currency_precision(opportunity.currency))
    expected = [line for line in opportunity.quote.lines if not line.sku.startswith("PKG-")]
    assert [line["amount"] for line in lines] == [line.net_total.quantize(places) for line in expected]
    assert [line["rate"] for line in lines] == [line.net_price.quantize(places) for line in expected]
    assert [line["item"]["id"] for line in lines] == [ITEM_IDS[line.sku] for line in expected]
    assert sum(line["amount"] for line in lines) == opportunity.quote.net_amount
    assert order.body["tranDate"] == opportunity.close_date.isoformat()
    assert order.body["entity"] == {"id": "101"}
    assert order.body["custbody_sf_opportunity_id"] == graph["Id"]


def test_it_rounds_yen_to_whole_amounts_and_keeps_decimals_exact() -> None:
    _, opportunity, graph = next(item for item in GRAPHS if item[1].currency == "JPY" and item[0].country)
    lines = apply(graph).for_object("sales_order")[0].body["item"]["items"]
    assert all(
        isinstance(line["amount"], Decimal) and line["amount"].as_tuple().exponent == 0 for line in lines
    )
    _, opportunity, graph = next(item for item in GRAPHS if item[1].currency == "USD" and item[0].country)
    lines = apply(graph).for_object("sales_order")[0].body["item"]["items"]
    assert all(line["amount"].as_tuple().exponent == -2 for line in lines)


def test_it_maps_tax_codes_and_revenue_treatment_from_the_product() -> None:
    _, opportunity, graph = next(
        item
        for item in GRAPHS
        if item[0].country and any(line.sku == "SVC-ONB" for line in item[1].quote.lines)
    )
    lines = apply(graph).for_object("sales_order")[0].body["item"]["items"]
    onboarding = next(line for line in lines if line["item"]["id"] == ITEM_IDS["SVC-ONB"])
    assert onboarding["taxCode"] == {"id": "2"}  # TAX-RED
    assert onboarding["custcol_revenue_treatment"] == "point_in_time"
    core = next(line for line in lines if line["item"]["id"] == ITEM_IDS["PLAT-CORE"])
    assert core["custcol_revenue_treatment"] == "ratable"


def test_it_maps_packages_to_plans_and_subscriptions() -> None:
    _, opportunity, graph = next(item for item in GRAPHS if item[0].country)
    package = next(p for p in PACKAGES if p.sku == opportunity.quote.lines[0].sku)
    result = apply(graph)
    (plan,) = result.for_object("subscription_plan")
    assert plan.external_id == package.sku
    assert plan.mode == "create_only"
    assert [member["item"]["id"] for member in plan.body["member"]["items"]] == [
        ITEM_IDS[sku] for sku in package.members
    ]
    (subscription,) = result.for_object("subscription")
    header_id = graph["primary_quote"]["lines"][0]["Id"]
    assert subscription.ref_key == plan.ref_key.replace("subscription_plan", "subscription")
    assert subscription.body["subscriptionPlan"] == {"id": "301"}
    assert subscription.body["billingAccount"] == {"id": "201"}
    assert subscription.body["startDate"] == opportunity.quote.start_date.isoformat()
    assert subscription.external_id == f"SUB-{header_id}"
    term = {"12": "1", "24": "2", "36": "3"}[str(package.term_months)]
    assert subscription.body["initialTerm"] == {"id": term}
    (billing,) = result.for_object("billing_account")
    assert billing.external_id == f"BA-{graph['Account']['Id']}-{opportunity.currency}"
    assert billing.body["billingSchedule"] == {"id": "1"}


def test_it_reports_an_unknown_sku_as_a_problem_of_that_line() -> None:
    graph = copy.deepcopy(next(item for item in GRAPHS if item[0].country)[2])
    graph["primary_quote"]["lines"][1]["SBQQ__ProductCode__c"] = "NOPE-1"
    result = apply(graph)
    problems = result.problems_for("sales_order")
    assert [(p.field_id, p.message) for p in problems] == [
        ("lines/line_item", "netsuite_item_by_sku: nothing found for 'NOPE-1'"),
    ]
    assert problems[0].source_id == graph["Id"]
    assert result.for_object("sales_order") == [] and len(result.for_object("customer")) == 1


def test_it_needs_a_quote_for_a_sales_order() -> None:
    graph = copy.deepcopy(next(item for item in GRAPHS if item[0].country)[2])
    graph["primary_quote"] = None
    result = apply(graph)
    assert [(p.object_key, p.field_id) for p in result.problems] == [("sales_order", "lines")]
    assert result.for_object("billing_account") == [] and result.for_object("subscription") == []


def test_it_maps_an_invoice_back_to_salesforce() -> None:
    invoice = {
        "id": "907",
        "tranId": "INV-907",
        "tranDate": "2026-11-23",
        "dueDate": "2026-12-23",
        "entity": {"id": "101", "refName": "Acme"},
        "currency": {"id": "6", "refName": "Yen"},
        "total": 12690600.0,
        "amountPaid": 690600.0,
        "amountRemaining": 12000000.0,
        "status": {"id": "A", "refName": "Open"},
        "custbody_sf_opportunity_id": None,
        "salesOrder": {"id": "55", "custbody_sf_opportunity_id": "006S00000000000000"},
        "customer": {"id": "101", "custentity_sf_account_id": "001S00000000000000"},
    }
    mapping = compile_default("netsuite_invoice_to_salesforce")
    (payload,) = mapping.apply(invoice, lookups=default_lookups()).payloads
    assert payload.external_id == "907" and payload.external_id_field == "NetSuite_Invoice_Id__c"
    assert payload.body == {
        "Name": "INV-907",
        "Opportunity__c": "006S00000000000000",
        "Account__c": "001S00000000000000",
        "Invoice_Date__c": "2026-11-23",
        "Due_Date__c": "2026-12-23",
        "Amount__c": Decimal("12690600.0"),
        "Amount_Paid__c": Decimal("690600.0"),
        "Amount_Remaining__c": Decimal("12000000.0"),
        "Status__c": "Partially Paid",
        "CurrencyIsoCode": "JPY",
        "NetSuite_Invoice_Id__c": "907",
    }
    paid = {**invoice, "status": {"id": "B"}, "amountRemaining": 0, "amountPaid": 12690600.0}
    assert mapping.apply(paid, lookups=default_lookups()).payloads[0].body["Status__c"] == "Paid"


def test_it_maps_a_payment_to_the_invoices_it_pays() -> None:
    payment = {
        "id": "77",
        "payment": 150.0,
        "apply": {
            "items": [
                {
                    "doc": {"id": "907"},
                    "apply": True,
                    "amount": 100.0,
                    "invoice": {"amountPaid": 100.0, "amountRemaining": 0.0, "status": {"id": "B"}},
                },
                {
                    "doc": {"id": "908"},
                    "apply": True,
                    "amount": 50.0,
                    "invoice": {"amountPaid": 50.0, "amountRemaining": 25.5, "status": {"id": "A"}},
                },
                {"doc": {"id": "909"}, "apply": False, "amount": 0.0},
            ]
        },
    }
    result = compile_default("netsuite_payment_to_salesforce").apply(
        payment, existing={"invoice_payment[907]"}
    )
    assert [(p.external_id, p.body["Status__c"], p.body["Amount_Remaining__c"]) for p in result.payloads] == [
        ("907", "Paid", Decimal("0.0")),
    ]  # 908 is not known to exist: an update_only object skips it
    result = compile_default("netsuite_payment_to_salesforce").apply(payment)
    assert [p.body["Status__c"] for p in result.payloads] == ["Paid", "Partially Paid"]


def test_it_writes_the_order_status_back_to_the_opportunity() -> None:
    order = {
        "id": "55",
        "orderStatus": {"id": "B", "refName": "Pending Fulfillment"},
        "custbody_sf_opportunity_id": "006S00000000000000",
    }
    (payload,) = compile_default("netsuite_order_status_to_salesforce").apply(order).payloads
    assert payload.mode == "update_only" and payload.external_id_field == "Id"
    assert payload.body == {
        "NetSuite_Sales_Order_Id__c": "55",
        "NetSuite_Order_Status__c": "Pending Fulfillment",
        "Id": "006S00000000000000",
    }
    assert compile_default("netsuite_order_status_to_salesforce").apply({"id": "56"}).payloads == []


def test_it_maps_a_netsuite_item_to_a_product_and_its_price() -> None:
    item = {
        "id": "6",
        "itemId": "SVC-ONB",
        "displayName": "Onboarding Services",
        "basePrice": 4500.0,
        "salesTaxCode": {"id": "2", "refName": "TAX-RED"},
        "custitem_revenue_treatment": "point_in_time",
        "isInactive": False,
    }
    mapping = compile_default("netsuite_item_to_salesforce")
    assert mapping.dependency_order() == ["product", "price"]
    product = mapping.apply_object("product", item, lookups=default_lookups()).payloads[0]
    assert product.body == {
        "ProductCode": "SVC-ONB",
        "Name": "Onboarding Services",
        "Tax_Code__c": "TAX-RED",
        "Revenue_Treatment__c": "point_in_time",
        "IsActive": True,
        "NetSuite_Item_Id__c": "6",
    }
    refs = {"product": "01tX"}
    assert mapping.apply_object("price", item, refs=refs, lookups=default_lookups()).payloads == []
    # The catalogue sync (sync/catalogue) gives the item its prices, each with its Salesforce price book.
    item["prices"] = [
        {
            "key": "1:USD",
            "priceLevel": "1",
            "priceLevelName": "Base Price",
            "currency": "USD",
            "price": "4500",
            "pricebook": "01sSTD",
        },
        {
            "key": "1:JPY",
            "priceLevel": "1",
            "priceLevelName": "Base Price",
            "currency": "JPY",
            "price": "640000.4",
            "pricebook": "01sSTD",
        },
    ]
    usd, jpy = mapping.apply_object("price", item, refs=refs, lookups=default_lookups()).payloads
    assert usd.external_id == "SVC-ONB:Base Price:USD"
    assert usd.body == {
        "Product2Id": "01tX",
        "Pricebook2Id": "01sSTD",
        "CurrencyIsoCode": "USD",
        "UnitPrice": Decimal("4500.00"),
        "IsActive": True,
    }
    assert usd.update_body() == {"UnitPrice": Decimal("4500.00"), "IsActive": True}
    assert jpy.to_json()["UnitPrice"] == 640000  # yen have no decimals
