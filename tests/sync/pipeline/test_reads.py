"""The Salesforce query is derived (mapping, rules, trigger, write-back) and filtered by cached metadata."""

from __future__ import annotations

import copy
from dataclasses import replace
from typing import Any

import pytest

from sync.connections.connectors.salesforce import GraphQuery, graph_supply
from sync.mappings.engine.defaults import load_default
from sync.pipeline.reads import STRUCTURE, FieldsMissing, batch_needs, read_plan
from sync.pipeline.sync_status import StatusFields
from sync.rules.engine import RuleSpec, compile_rule
from sync.rules.engine.shipped import shipped_rules
from tests.sync.mappings.metadata_shapes import field, netsuite_metadata, salesforce_metadata

NO_STATUS: dict[str, StatusFields] = {}


def soql(query: GraphQuery) -> str:
    """The opportunity query's select list for ``query``, as fetch_opportunity_graphs builds it."""
    return ", ".join(
        [
            *query.opportunity,
            *(f"Account.{name}" for name in query.account),
            f"(SELECT {', '.join(query.contact_roles)} FROM OpportunityContactRoles)",  # noqa: S608
            f"(SELECT {', '.join(query.quote)} FROM SBQQ__Quotes2__r WHERE SBQQ__Primary__c = true)",  # noqa: S608
        ]
    )


def rule(key: str, condition: str, subject: str = "opportunity") -> Any:
    return compile_rule(
        RuleSpec(
            key=key,
            name=key,
            subject=subject,
            placement="pre_sale",
            severity="block",
            message="no",
            condition=condition,
        )
    )


def spec_with(*rows: dict[str, Any], key: str = "customer", source_path: str = "Account") -> dict[str, Any]:
    return {
        "flow": "opportunity_to_netsuite",
        "source": "Opportunity",
        "objects": [
            {
                "key": key,
                "target": "customer",
                "source_path": source_path,
                "external_id": {"source": "Id"},
                "fields": list(rows),
            }
        ],
    }


def test_with_no_mapping_it_reads_the_structure_and_the_write_back_fields_only() -> None:
    query = read_plan(None, status=NO_STATUS).query
    # IsClosed and CloseDate: a deal lost after it synced is a cancellation (issue 22).
    assert query.opportunity == (
        *STRUCTURE["opportunity"],
        "IsClosed",
        "CloseDate",
        "NetSuite_Sales_Order_Id__c",
    )
    assert query.account == ("Id", "BillingCountry", "NetSuite_Id__c")
    assert query.contact_roles == ("ContactId", "Contact.NetSuite_Id__c")
    assert query.quote == ("Id",)
    assert query.quote_line == ("Id", "SBQQ__Quote__c", "SBQQ__Number__c")
    assert "CurrencyIsoCode" not in soql(query)


def test_a_new_row_on_a_new_custom_field_is_read_with_no_code_change() -> None:
    spec = spec_with(
        {"id": "region", "target": "custentity_region", "source": "Region__c"},
        {"id": "segment", "target": "custentity_segment", "source": "$.Segment__c"},
    )
    query = read_plan(spec, status=NO_STATUS).query
    assert "Account.Region__c" in soql(query)
    assert query.opportunity[-1] == "Segment__c"


def test_conditions_transform_options_and_external_ids_are_read() -> None:
    spec = {
        "objects": [
            {
                "key": "order",
                "target": "salesOrder",
                "where": {"field": "Type", "op": "eq", "value": "New Business"},
                "external_id": {"concat": [{"source": "Id"}, {"source": "Order_Ref__c"}]},
                "fields": [
                    {
                        "id": "memo",
                        "target": "memo",
                        "source": "Name",
                        "transforms": [
                            {"fn": "default", "field": "Description"},
                            {
                                "fn": "if",
                                "condition": {
                                    "field": "$.Account.Rating",
                                    "op": "eq",
                                    "value_from": "LeadSource",
                                },
                                "then": [{"fn": "concat", "parts": [{"source": "NextStep"}]}],
                            },
                        ],
                    },
                    {
                        "id": "lines",
                        "target": "item.items[]",
                        "each": "$.primary_quote.lines",
                        "where": {"not": {"field": "SBQQ__Optional__c", "op": "eq", "value": True}},
                        "fields": [
                            {
                                "id": "rate",
                                "target": "rate",
                                "source": "SBQQ__NetPrice__c",
                                "transforms": [
                                    {"fn": "currency_precision", "currency_field": "^.Currency_Code__c"}
                                ],
                            }
                        ],
                    },
                ],
            }
        ]
    }
    query = read_plan(spec, status=NO_STATUS).query
    for name in ("Type", "Order_Ref__c", "Name", "Description", "LeadSource", "NextStep", "Currency_Code__c"):
        assert name in query.opportunity
    assert "Rating" in query.account
    assert "SBQQ__Optional__c" in query.quote_line


def test_rules_status_fields_and_the_trigger_add_what_they_read() -> None:
    rules = [
        rule("amount", "empty(primary_quote) or Amount == primary_quote.SBQQ__NetAmount__c"),
        rule("discount", "all(primary_quote.lines, coalesce(SBQQ__AdditionalDiscount__c, 0) <= 20)"),
        rule("tax", "SBQQ__Product__r.Taxable__c != true or ^.Account.Tier__c == 'gold'", "quote_line"),
    ]
    status = {
        "Opportunity": StatusFields(status="Sync_Status__c", message="Sync_Message__c"),
        "Contact": StatusFields(status="Sync_Status__c"),
    }
    query = read_plan(None, rules=rules, trigger_fields=("Send_to_NetSuite__c",), status=status).query
    assert {"Amount", "Sync_Status__c", "Sync_Message__c", "Send_to_NetSuite__c"} <= set(query.opportunity)
    assert "SBQQ__NetAmount__c" in query.quote
    assert {"SBQQ__AdditionalDiscount__c", "SBQQ__Product__r.Taxable__c"} <= set(query.quote_line)
    assert "Tier__c" in query.account
    assert "Contact.Sync_Status__c" in query.contact_roles


def test_the_shipped_mapping_and_rules_read_what_the_old_fixed_lists_held_for_them() -> None:
    rules = [compile_rule(spec) for spec in shipped_rules()]
    query = read_plan(load_default("opportunity_to_netsuite"), rules=rules).query
    assert {"CurrencyIsoCode", "CloseDate", "Amount", "Name"} <= set(query.opportunity)
    assert {"SBQQ__NetAmount__c", "Discount_Approved__c", "SBQQ__StartDate__c"} <= set(query.quote)
    assert "SBQQ__Product__r.Revenue_Treatment__c" in query.quote_line
    # Each field once, whoever reads it (SOQL refuses a field selected twice).
    for section in ("opportunity", "account", "contact_roles", "quote", "quote_line"):
        names = [name.lower() for name in getattr(query, section)]
        assert len(names) == len(set(names)), section


def test_without_cached_metadata_nothing_is_filtered() -> None:
    spec = spec_with({"id": "region", "target": "custentity_region", "source": "Region__c"})
    empty = salesforce_metadata().__class__(system="salesforce", objects={})
    plan = read_plan(spec, salesforce=empty, status=NO_STATUS)
    assert not plan.filtered and "Region__c" in plan.query.account


def test_a_field_only_a_default_wants_is_dropped_where_the_org_lacks_it() -> None:
    bare = salesforce_metadata()
    account = bare.objects["Account"]
    fields = {name: info for name, info in account.fields.items() if name != "BillingCountry"}
    objects = {**bare.objects, "Account": account.__class__("salesforce", "Account", "Account", fields)}
    plan = read_plan(None, salesforce=bare.__class__("salesforce", objects, "now"), status=NO_STATUS)
    assert plan.filtered and "BillingCountry" not in plan.query.account


def test_a_field_a_row_needs_that_the_org_lacks_fails_before_any_call_naming_row_and_field() -> None:
    spec = spec_with({"id": "region", "target": "custentity_region", "source": "Region__c"})
    with pytest.raises(FieldsMissing) as raised:
        read_plan(spec, salesforce=salesforce_metadata(), status=NO_STATUS)
    assert raised.value.transient and raised.value.code == "FIELD_MISSING_IN_ORG"
    assert "Account.Region__c (mapping row customer / region): Account has no field Region__c" in str(
        raised.value
    )
    # Once the org has it (and the metadata is refreshed), it is read.
    org = salesforce_metadata(extra={"Account": [field("Region__c")]})
    assert "Region__c" in read_plan(spec, salesforce=org, status=NO_STATUS).query.account


def test_a_field_a_rule_needs_that_the_org_lacks_fails_naming_the_rule() -> None:
    with pytest.raises(FieldsMissing, match=r"Opportunity.Margin__c \(rule margin\)"):
        read_plan(
            None, rules=[rule("margin", "Margin__c > 0")], salesforce=salesforce_metadata(), status=NO_STATUS
        )


def test_an_org_without_cpq_fails_naming_the_missing_object() -> None:
    with pytest.raises(FieldsMissing, match="the org has no SBQQ__Quote__c object"):
        read_plan(None, salesforce=salesforce_metadata(cpq=False), status=NO_STATUS)


def test_optional_rows_are_left_out_where_the_systems_lack_their_fields() -> None:
    spec = load_default("opportunity_to_netsuite")
    # The default's currency rows stay the only readers of CurrencyIsoCode once the concat rows give a
    # fixed currency (what validation tells a single-currency org to do).
    spec = copy.deepcopy(spec)
    for obj in spec["objects"]:
        for row in obj["fields"]:
            _fixed_currency(row)
        if isinstance(obj.get("external_id"), dict):
            _fixed_currency(obj["external_id"])
    plan = read_plan(
        spec,
        salesforce=salesforce_metadata(multi_currency=False),
        netsuite=netsuite_metadata(one_world=False),
    )
    assert "CurrencyIsoCode" not in soql(plan.query) + " ".join(plan.query.quote_line)
    pruned = {(key, row) for key, row in plan.pruned}
    assert ("customer", "currency") in pruned and ("sales_order", "currency") in pruned
    assert ("customer", "subsidiary") in pruned and ("sales_order", "subsidiary") in pruned
    kept = {row["id"] for obj in plan.spec["objects"] for row in obj["fields"]}
    assert "currency" not in kept and "subsidiary" not in kept and "company_name" in kept
    # The full shape keeps every row.
    full = read_plan(spec, salesforce=salesforce_metadata(), netsuite=netsuite_metadata())
    assert not full.pruned and "CurrencyIsoCode" in full.query.opportunity


def _fixed_currency(data: dict[str, Any]) -> None:
    for part in data.get("concat") or []:
        if str(part.get("source", "")).endswith("CurrencyIsoCode"):
            part.pop("source")
            part["constant"] = "USD"
    for transform in data.get("transforms") or []:
        if isinstance(transform, dict) and transform.get("currency_field"):
            transform.pop("currency_field")
            transform["currency"] = "USD"
    for child in data.get("fields") or []:
        _fixed_currency(child)


def test_needs_say_who_needs_each_field() -> None:
    spec = spec_with({"id": "region", "target": "x", "source": "Region__c", "optional": True})
    needs = {(need.section, need.field): need for need in batch_needs(spec, status=NO_STATUS)}
    assert needs[("account", "Region__c")].droppable and needs[("account", "Region__c")].row == (
        "customer",
        "region",
    )
    assert needs[("opportunity", "NetSuite_Sales_Order_Id__c")].why == "write-back of NetSuite ids"
    assert not needs[("opportunity", "Id")].droppable


def test_an_optional_line_row_whose_sublist_field_the_account_lacks_is_not_sent() -> None:
    spec = load_default("opportunity_to_netsuite")
    order = next(obj for obj in spec["objects"] if obj["key"] == "sales_order")
    lines = next(row for row in order["fields"] if row["id"] == "lines")
    treatment = next(row for row in lines["fields"] if row["id"] == "line_revenue_treatment")
    treatment["optional"] = True
    account = netsuite_metadata()
    sales_order = account.objects["salesOrder"]
    item = sales_order.fields["item"]
    narrower = {k: v for k, v in item.sublist_fields.items() if k != "custcol_revenue_treatment"}
    fields = {**sales_order.fields, "item": replace(item, sublist_fields=narrower)}
    objects = {**account.objects, "salesOrder": replace(sales_order, fields=fields)}
    plan = read_plan(spec, netsuite=replace(account, objects=objects), status=NO_STATUS)
    assert plan.pruned == {("sales_order", "lines/line_revenue_treatment")}
    kept = next(obj for obj in plan.spec["objects"] if obj["key"] == "sales_order")
    kept_lines = next(row for row in kept["fields"] if row["id"] == "lines")
    assert "line_revenue_treatment" not in [row["id"] for row in kept_lines["fields"]]
    assert "line_tax_code" in [row["id"] for row in kept_lines["fields"]]


def test_a_single_currency_orgs_currency_is_supplied_not_queried_nor_pruned() -> None:
    """The shipped mapping and rules, unedited, on an org the refresh found single-currency in EUR: no
    query names CurrencyIsoCode, no row is left out, and every record of the graph carries EUR."""
    spec = load_default("opportunity_to_netsuite")
    rules = [compile_rule(rule) for rule in shipped_rules()]
    plan = read_plan(
        spec,
        salesforce=salesforce_metadata(multi_currency=False, currency="EUR"),
        netsuite=netsuite_metadata(),
        rules=rules,
    )
    assert "CurrencyIsoCode" not in soql(plan.query) + " ".join(plan.query.quote_line)
    assert not plan.pruned and plan.spec == spec
    assert ("opportunity", "CurrencyIsoCode", "EUR") in plan.query.supplied
    assert ("account", "CurrencyIsoCode", "EUR") in plan.query.supplied  # the shipped currency rule's
    graph: dict[str, Any] = {
        "Id": "006A",
        "Account": {"Id": "001A"},
        "OpportunityContactRoles": {"records": [{"Contact": {"Id": "003A"}}]},
        "primary_quote": {"Id": "a0qA", "lines": [{"Id": "a0rA"}, {"Id": "a0rB"}]},
    }
    graph_supply(graph, (*plan.query.supplied, ("quote_line", "CurrencyIsoCode", "EUR")))
    assert graph["CurrencyIsoCode"] == graph["Account"]["CurrencyIsoCode"] == "EUR"
    assert [line["CurrencyIsoCode"] for line in graph["primary_quote"]["lines"]] == ["EUR", "EUR"]
    bare = {"Id": "006B", "Account": None, "primary_quote": None}
    graph_supply(bare, plan.query.supplied)  # what the graph lacks stays absent
    assert bare == {"Id": "006B", "Account": None, "primary_quote": None, "CurrencyIsoCode": "EUR"}
    # A multi-currency org reads it as before.
    assert not read_plan(spec, salesforce=salesforce_metadata(), netsuite=netsuite_metadata()).query.supplied
