"""Per-field owner in the spec: defaults to the flow's source side, checked, compiled into the payloads."""

from __future__ import annotations

from typing import Any

from sync.mappings.engine import compile_mapping
from tests.sync.mappings.engine.helpers import invalid


def spec(target_system: str, *rows: dict[str, Any]) -> dict[str, Any]:
    obj = {"key": "account", "target": "record", "external_id": {"source": "Id"}, "fields": list(rows)}
    return {"flow": "test", "source": "Thing", "target_system": target_system, "objects": [obj]}


PHONE = {"id": "phone", "target": "phone", "source": "Phone"}
TERMS = {"id": "terms", "target": "terms.id", "source": "Terms"}
RECORD = {"Id": "1", "Phone": "555", "Terms": "3"}


def test_it_defaults_each_row_to_the_source_side_and_leaves_target_owned_rows_out_of_updates() -> None:
    forward = compile_mapping(spec("netsuite", PHONE, {**TERMS, "owner": "netsuite"}))
    assert forward.target_owned_fields("account") == ("terms.id",)
    (payload,) = forward.apply(RECORD).payloads
    assert payload.body == {"phone": "555", "terms": {"id": "3"}}  # a create sends both
    assert payload.to_json(update=True) == {"phone": "555"}  # an update never sends NetSuite's field
    (existing,) = forward.apply(RECORD, existing={"account"}).payloads
    assert existing.body == {"phone": "555"}

    back = compile_mapping(spec("salesforce", {**PHONE, "owner": "salesforce"}, TERMS))
    assert back.target_owned_fields("account") == ("phone",)
    (payload,) = back.apply(RECORD).payloads
    assert payload.target_owned_fields == ("phone",)
    assert payload.to_json(update=True) == {"terms": {"id": "3"}}


def test_it_names_the_source_side_explicitly_without_changing_anything() -> None:
    explicit = compile_mapping(spec("netsuite", {**PHONE, "owner": "salesforce"}))
    assert explicit.target_owned_fields("account") == ()


def test_it_refuses_an_unknown_owner_and_an_owner_inside_a_group() -> None:
    group = {
        "id": "lines",
        "target": "item.items[]",
        "each": "Lines",
        "owner": "netsuite",
        "fields": [{"id": "qty", "target": "quantity", "source": "Qty", "owner": "salesforce"}],
    }
    assert invalid(spec("netsuite", {**PHONE, "owner": "Salesforce"}, group)) == [
        "account / phone / phone: 'owner' must be one of salesforce, netsuite, not 'Salesforce'",
        "account / lines/qty / quantity: a group's rows take the group's 'owner': set it on the group row",
    ]
    fine = compile_mapping(
        spec("netsuite", {**group, "fields": [{"id": "qty", "target": "quantity", "source": "Qty"}]})
    )
    assert fine.target_owned_fields("account") == ("item.items[]",)


def test_it_compiles_record_only_rows_and_checks_on_conflict() -> None:
    mapping = compile_mapping(
        spec("salesforce", {**PHONE, "owner": "salesforce", "on_conflict": "record_only"}, TERMS)
    )
    (payload,) = mapping.apply(RECORD).payloads
    assert payload.record_only_fields == ("phone",) and payload.target_owned_fields == ("phone",)
    assert invalid(spec("salesforce", {**PHONE, "on_conflict": "ask"})) == [
        "account / phone / phone: 'on_conflict' must be one of owner_wins, record_only"
    ]
