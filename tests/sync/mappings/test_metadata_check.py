"""Each row checked against the systems' metadata: sources, types, targets, required fields, values."""

from __future__ import annotations

import copy
from typing import Any

from sync.connections.metadata.types import BOOLEAN, DATE, NUMBER, PICKLIST, REFERENCE, SystemMetadata
from sync.mappings.engine.defaults import load_default
from sync.mappings.metadata_check import ERROR, INFO, WARNING, mapping_metadata_problems, metadata_errors
from tests.sync.mappings.metadata_shapes import field, netsuite_metadata, salesforce_metadata

SF = salesforce_metadata()
NS = netsuite_metadata()


def order(*rows: dict[str, Any], mode: str = "upsert") -> dict[str, Any]:
    """A sales order mapping: entity and the given rows (entity is required by the account)."""
    return {
        "flow": "opportunity_to_netsuite",
        "source": "Opportunity",
        "objects": [
            {
                "key": "sales_order",
                "target": "salesOrder",
                "external_id": {"source": "Id"},
                "mode": mode,
                "fields": [
                    {"id": "entity", "target": "entity.id", "constant": "1"},
                    {"id": "subsidiary", "target": "subsidiary.id", "constant": "1"},
                    *rows,
                ],
            }
        ],
    }


def found(
    spec: dict[str, Any], source: SystemMetadata | None = SF, target: SystemMetadata | None = NS
) -> list[Any]:
    return mapping_metadata_problems(spec, source, target)


def only(spec: dict[str, Any], **sides: Any) -> Any:
    problems = found(spec, **sides)
    assert len(problems) == 1, [str(p) for p in problems]
    return problems[0]


def test_the_shipped_default_checks_clean_against_the_full_shape() -> None:
    assert found(load_default("opportunity_to_netsuite")) == []


def test_a_source_field_missing_in_the_org_is_an_error_naming_object_row_and_field() -> None:
    problem = only(order({"id": "segment", "target": "memo", "source": "Segment__c"}))
    assert (problem.severity, problem.object_key, problem.field) == (ERROR, "sales_order", "segment")
    assert "reads 'Segment__c', but Opportunity has no field Segment__c" in problem.message
    assert "Create the field in Salesforce" in problem.message and "optional" in problem.message
    org = salesforce_metadata(extra={"Opportunity": [field("Segment__c")]})
    assert found(order({"id": "segment", "target": "memo", "source": "Segment__c"}), source=org) == []


def test_relationships_are_walked_through_the_graph() -> None:
    rows: list[dict[str, Any]] = [
        {"id": "a", "target": "memo", "source": "Account.Industry"},
        {"id": "b", "target": "otherRefNum", "source": "OpportunityContactRoles.records[0].Contact.Email"},
        {"id": "c", "target": "endDate", "source": "primary_quote.SBQQ__EndDate__c"},
        {
            "id": "lines",
            "target": "item.items[]",
            "each": "$.primary_quote.lines",
            "fields": [{"id": "d", "target": "description", "source": "SBQQ__Product__r.Name"}],
        },
    ]
    assert found(order(*rows)) == []
    broken: list[dict[str, Any]] = [
        {"id": "a", "target": "memo", "source": "Account.Nope__c"},
        {"id": "b", "target": "otherRefNum", "source": "OpportunityContactRoles.records[0].Contact.Nope__c"},
        {
            "id": "lines",
            "target": "item.items[]",
            "each": "$.primary_quote.lines",
            "fields": [{"id": "d", "target": "description", "source": "SBQQ__Product__r.Nope__c"}],
        },
    ]
    messages = {p.field: p.message for p in found(order(*broken))}
    assert "Account has no field Nope__c" in messages["a"]
    assert "Contact has no field Nope__c" in messages["b"]
    assert "Product2 has no field Nope__c" in messages["lines/d"]


def test_paths_in_conditions_and_transform_options_are_checked_too() -> None:
    row = {
        "id": "memo",
        "target": "memo",
        "source": "Name",
        "transforms": [{"fn": "if", "condition": {"field": "Rating__c", "op": "empty"}, "then": ["trim"]}],
    }
    problem = only(order(row))
    assert problem.field == "memo" and "Rating__c" in problem.message


def test_types_must_fit_after_the_transforms() -> None:
    text_into_number: dict[str, Any] = {
        "id": "q",
        "target": "item.items[]",
        "each": "$.primary_quote.lines",
        "fields": [{"id": "qty", "target": "quantity", "source": "SBQQ__ProductCode__c"}],
    }
    problem = only(order(text_into_number))
    assert (problem.severity, problem.field) == (ERROR, "q/qty")
    assert "a text value into quantity (number): add a to_number transform" in problem.message
    converted = copy.deepcopy(text_into_number)
    converted["fields"][0]["transforms"] = ["to_number"]
    assert found(order(converted)) == []
    # A date into a date fits; a number into a date does not; text into a date wants date_format.
    assert found(order({"id": "d", "target": "tranDate", "source": "CloseDate"})) == []
    assert only(order({"id": "d", "target": "tranDate", "source": "Amount"})).severity == ERROR
    assert only(order({"id": "d", "target": "tranDate", "source": "Name"})).severity == WARNING
    assert (
        found(order({"id": "d", "target": "tranDate", "source": "Name", "transforms": ["date_format"]})) == []
    )
    # A lookup gives an id: text into a reference is fine through it, flagged without it.
    assert (
        found(
            order(
                {
                    "id": "c",
                    "target": "currency.id",
                    "source": "Name",
                    "transforms": [{"fn": "lookup", "table": "currency_code_to_id"}],
                }
            )
        )
        == []
    )
    assert (
        "add a lookup transform"
        in only(order({"id": "c", "target": "currency.id", "source": "Name"})).message
    )


def test_a_target_missing_or_read_only_is_an_error_and_create_or_update_is_respected() -> None:
    missing = only(order({"id": "x", "target": "custbody_nope", "constant": "1"}))
    assert missing.severity == ERROR and "salesOrder records have no field custbody_nope" in missing.message
    read_only = only(order({"id": "x", "target": "tranId", "constant": 1}))
    assert "read-only" in read_only.message
    extra = {"salesOrder": [field("createOnly", updateable=False), field("updateOnly", createable=False)]}
    account = netsuite_metadata(extra=extra)
    assert (
        "set 'apply' to create_only"
        in only(order({"id": "x", "target": "createOnly", "constant": "a"}), target=account).message
    )
    assert (
        found(
            order({"id": "x", "target": "createOnly", "constant": "a", "apply": "create_only"}),
            target=account,
        )
        == []
    )
    wrong = only(
        order({"id": "x", "target": "updateOnly", "constant": "a", "apply": "create_only"}), target=account
    )
    assert wrong.severity == ERROR and "cannot be set when a record is created" in wrong.message


def test_required_targets_must_be_mapped() -> None:
    spec = order()
    spec["objects"][0]["fields"] = [{"id": "subsidiary", "target": "subsidiary.id", "constant": "1"}]
    problem = only(spec)
    assert problem.severity == ERROR and problem.target == "entity"
    assert "add a row with target entity.id" in problem.message
    spec["objects"][0]["mode"] = "update_only"  # an update need not carry what creation requires
    assert found(spec) == []


def test_constants_and_value_maps_are_checked_against_picklists() -> None:
    extra = {"salesOrder": [field("status", PICKLIST, picklist=("pending", "approved"))]}
    account = netsuite_metadata(extra=extra)
    assert (
        "pick one of them"
        in only(order({"id": "s", "target": "status", "constant": "open"}), target=account).message
    )
    assert found(order({"id": "s", "target": "status", "constant": "pending"}), target=account) == []
    value_map = {
        "fn": "value_map",
        "map": {"Technology": "pending", "Retail": "shipped", "Mining": "approved"},
    }
    problems = found(
        order({"id": "s", "target": "status", "source": "Account.Industry", "transforms": [value_map]}),
        target=account,
    )
    messages = sorted((p.severity, p.message) for p in problems)
    assert messages[0][0] == ERROR and "'shipped'" in messages[0][1]
    assert any(s == WARNING and "'Mining'" in m and "never match" in m for s, m in messages)
    assert any(s == WARNING and "'Other'" in m and "does not translate" in m for s, m in messages)


def test_optional_rows_missing_a_field_are_information_not_errors() -> None:
    spec = load_default("opportunity_to_netsuite")
    problems = found(
        spec, source=salesforce_metadata(multi_currency=False), target=netsuite_metadata(one_world=False)
    )
    by_row = {(p.object_key, p.field): p for p in problems}
    assert by_row[("customer", "currency")].severity == INFO
    assert by_row[("sales_order", "subsidiary")].severity == INFO
    assert "optional: not sent to this account" in by_row[("sales_order", "subsidiary")].message
    # What still reads CurrencyIsoCode (a concat part, a transform option) is an error saying what to change.
    errors = {(p.object_key, p.field) for p in metadata_errors(problems)}
    assert errors == {
        ("billing_account", "external_id"),
        ("billing_account", "name"),
        ("subscription", "price_book"),
        ("sales_order", "lines/line_rate"),
        ("sales_order", "lines/line_amount"),
    }
    assert all("multi-currency" in p.message for p in metadata_errors(problems))
    # Its currencies not known yet (metadata read before Concord learnt them): refresh, no mapping edit.
    advice = {p.field: p.message for p in metadata_errors(problems)}
    assert "(a part of its value)" in advice["name"]
    assert "its currency_precision.currency_field option" in advice["lines/line_rate"]
    assert all("Refresh the connection's metadata" in text for text in advice.values())
    assert not any("constant" in text or "Mark the row optional" in text for text in advice.values())


def test_a_single_currency_orgs_currency_is_supplied_not_an_edit() -> None:
    """Known single-currency (the refresh read EUR): every read of CurrencyIsoCode resolves to the supplied
    currency, nothing is an error or pruned, and one info says so; a return flow writing it is info too."""
    source = salesforce_metadata(multi_currency=False, currency="EUR")
    problems = found(
        load_default("opportunity_to_netsuite"), source=source, target=netsuite_metadata(one_world=False)
    )
    assert not metadata_errors(problems)
    rows = {(p.object_key, p.field) for p in problems}
    assert ("customer", "currency") not in rows and ("billing_account", "name") not in rows
    supplied = [p for p in problems if "single-currency (EUR)" in p.message]
    assert [(p.severity, p.object_key) for p in supplied] == [(INFO, "")]
    assert "Concord supplies EUR" in supplied[0].message and "no mapping edit" in supplied[0].message
    back_spec = {
        "flow": "netsuite_invoice_to_salesforce",
        "source": "invoice",
        "target_system": "salesforce",
        "objects": [
            {
                "key": "deal",
                "target": "Opportunity",
                "external_id": {"source": "id"},
                "fields": [
                    {"id": "memo", "target": "Description", "source": "memo"},
                    {
                        "id": "currency",
                        "target": "CurrencyIsoCode",
                        "source": "currency.id",
                        "required": True,
                    },
                ],
            }
        ],
    }
    back = found(back_spec, source=None, target=salesforce_metadata(multi_currency=False, currency="EUR"))
    currency = [p for p in back if p.target == "CurrencyIsoCode"]
    assert [p.severity for p in currency] == [INFO]
    assert "is not written" in currency[0].message and "exception" in currency[0].message
    assert not [p for p in metadata_errors(back) if "CurrencyIsoCode" in p.message]


def test_a_side_never_read_is_skipped_and_said_once() -> None:
    spec = order({"id": "segment", "target": "memo", "source": "Segment__c"})
    empty = SystemMetadata(system="netsuite", objects={})
    problems = found(spec, target=empty)
    assert [str(p) for p in problems if p.severity == INFO] == [
        "Info: NetSuite metadata not read yet: refresh the connection; its checks were skipped"
    ]
    assert [p.field for p in problems if p.severity == ERROR] == ["segment"]  # Salesforce is still checked
    assert [p.severity for p in found(spec, source=None, target=None)] == [INFO, INFO]


def test_an_unknown_record_type_is_an_error() -> None:
    spec = order()
    spec["objects"][0]["target"] = "salesorderx"
    assert "NetSuite has no record type 'salesorderx'" in only(spec).message


def test_typed_metadata_shapes_stay_consistent() -> None:
    # The builders the tests rely on: a boolean is BOOLEAN, a date DATE, a reference points somewhere.
    assert SF.objects["Opportunity"].field("iswon").type == BOOLEAN  # type: ignore[union-attr]
    assert SF.objects["Opportunity"].field("CloseDate").type == DATE  # type: ignore[union-attr]
    assert NS.objects["salesOrder"].field("entity").type == REFERENCE  # type: ignore[union-attr]
    assert SF.objects["SBQQ__QuoteLine__c"].field("SBQQ__Quantity__c").type == NUMBER  # type: ignore[union-attr]
