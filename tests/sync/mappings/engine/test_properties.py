"""Properties: no spec crashes compile_mapping, no graph crashes apply (only validation errors, problems)."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sync.mappings.engine import (
    CachedDynamicLookup,
    MappingResult,
    MappingValidationError,
    StaticLookups,
    compile_mapping,
)
from sync.mappings.engine.defaults import DEFAULT_FLOWS, compile_default, load_default_lookups
from sync.mappings.engine.spec import _EXPRESSION_KEYS, _FIELD_KEYS, _OBJECT_KEYS
from sync.mappings.engine.transforms import TRANSFORMS

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

NAMES = st.sampled_from(
    [
        "Id",
        "id",
        "Name",
        "Account",
        "lines",
        "records",
        "SBQQ__RequiredBy__c",
        "status",
        "CurrencyIsoCode",
        "amount",
        "v",
        "x",
        "primary_quote",
        "OpportunityContactRoles",
    ]
)
PATHS = st.one_of(
    st.lists(NAMES, min_size=1, max_size=4).map(".".join),
    st.sampled_from(
        [
            "$",
            "^",
            "^.Id",
            "$.Account.Name",
            "@value",
            "@children_of(SBQQ__RequiredBy__c)",
            "@children_of(Parent, Id)",
            "lines[0].Id",
            "a..b",
            "",
            " x",
            "^.^.^.Id",
            "records[99]",
        ]
    ),
    st.text(max_size=12),
)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**40), 10**40),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.sampled_from(
        [
            "2026-11-23",
            "2026-11-23T07:30:00.000+0000",
            "USD",
            "JPY",
            "12.50",
            "1e999",
            "Net 30",
            "true",
            "PKG-STARTER",
        ]
    ),
)
JSON = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.one_of(NAMES, st.text(max_size=6)), inner, max_size=5)
    ),
    max_leaves=20,
)
PARAM_VALUES = st.one_of(
    SCALARS, PATHS, st.lists(SCALARS, max_size=3), st.dictionaries(st.text(max_size=5), SCALARS, max_size=3)
)


@st.composite
def transforms(draw: st.DrawFn) -> Any:
    name = draw(st.one_of(st.sampled_from(sorted(TRANSFORMS)), st.text(max_size=8)))
    if draw(st.booleans()):
        return name
    keys = [param.name for param in TRANSFORMS[name].params] if name in TRANSFORMS else []
    params = draw(
        st.dictionaries(
            st.one_of(st.sampled_from(keys or ["x"]), st.text(max_size=6)), PARAM_VALUES, max_size=4
        )
    )
    if name in ("if", "concat") and draw(st.booleans()):
        params = {
            "condition": {"field": draw(PATHS), "op": "eq", "value": draw(SCALARS)},
            "then": {"constant": 1},
            "parts": [{"source": draw(PATHS)}],
        }
    return {"fn": name, **params}


@st.composite
def rows(draw: st.DrawFn, depth: int = 0) -> Any:
    if draw(st.integers(0, 9)) == 0:
        return draw(JSON)
    keys = draw(st.sets(st.sampled_from(sorted(_FIELD_KEYS | {"junk"})), max_size=5))
    row: dict[str, Any] = {"target": draw(st.one_of(PATHS, st.just("item.items[]")))}
    for key in keys:
        if key == "transforms":
            row[key] = draw(st.lists(transforms(), max_size=3))
        elif key == "fields" and depth < 2:
            row[key] = draw(st.lists(rows(depth + 1), max_size=3))
        elif key in ("source", "each", "ref_item"):
            row[key] = draw(PATHS)
        elif key == "where":
            row[key] = {
                "field": draw(PATHS),
                "op": draw(st.sampled_from(["eq", "empty", "gt", "in"])),
                "value": draw(SCALARS),
            }
        elif key == "ref":
            row[key] = draw(st.sampled_from(["customer", "order", "nobody"]))
        elif key == "concat":
            row[key] = draw(st.lists(st.fixed_dictionaries({"source": PATHS}), max_size=2))
        else:
            row[key] = draw(PARAM_VALUES)
    return row


@st.composite
def specs(draw: st.DrawFn) -> Any:
    if draw(st.integers(0, 9)) == 0:
        return draw(JSON)
    objects = []
    for key in draw(
        st.lists(st.sampled_from(["customer", "order", "line", "bad key"]), min_size=1, max_size=3)
    ):
        obj: dict[str, Any] = {"key": key, "target": draw(st.sampled_from(["customer", "salesOrder", "x y"]))}
        for option in draw(
            st.sets(st.sampled_from(sorted(_OBJECT_KEYS - {"key", "target", "fields"})), max_size=4)
        ):
            if option == "external_id":
                obj[option] = {draw(st.sampled_from(sorted(_EXPRESSION_KEYS))): draw(PATHS)}
            elif option == "depends_on":
                obj[option] = draw(st.lists(st.sampled_from(["customer", "order", "zzz"]), max_size=2))
            elif option == "mode":
                obj[option] = draw(st.sampled_from(["upsert", "create_only", "update_only", "other"]))
            elif option in ("source_path", "for_each", "source_id"):
                obj[option] = draw(PATHS)
            else:
                obj[option] = draw(PARAM_VALUES)
        obj["fields"] = draw(st.lists(rows(), max_size=4))
        objects.append(obj)
    return {"flow": "fuzz", "source": "Opportunity", "objects": objects}


@SETTINGS
@given(specs())
def test_it_never_crashes_on_any_spec(spec: Any) -> None:
    try:
        mapping = compile_mapping(spec)
    except MappingValidationError as error:
        assert error.problems and all(problem.message for problem in error.problems)
        return
    result = mapping.apply({"Id": "1", "v": 1, "lines": [{"Id": "L1"}]}, refs={"customer": "9"})
    assert isinstance(result, MappingResult)


ITEMS = CachedDynamicLookup(lambda keys: {key: "7" for key in keys if key.startswith("P")})
LOOKUPS = StaticLookups(load_default_lookups(), {"netsuite_item_by_sku": ITEMS})
DEFAULTS = [compile_default(flow) for flow in DEFAULT_FLOWS]


@SETTINGS
@given(st.one_of(JSON, st.dictionaries(NAMES, JSON, max_size=8)))
def test_it_never_crashes_on_any_graph(graph: Any) -> None:
    for mapping in DEFAULTS:
        result = mapping.apply(graph, refs={"customer": "1", "billing_account": "2"}, lookups=LOOKUPS)
        for payload in result.payloads:
            json.dumps(payload.to_json())
            json.dumps(payload.to_json(update=True))
        for problem in result.problems:
            assert problem.message and str(problem)


EVERY_TRANSFORM = compile_mapping(
    {
        "flow": "all",
        "source": "X",
        "objects": [
            {
                "key": "o",
                "target": "t",
                "mode": "create_only",
                "fields": [
                    {"id": name, "target": f"out_{name}", "source": "v", "transforms": [step]}
                    for name, step in [
                        ("trim", "trim"),
                        ("upper", "upper"),
                        ("lower", "lower"),
                        ("title", "title"),
                        ("truncate", {"fn": "truncate", "length": 3}),
                        ("default", {"fn": "default", "value": "d"}),
                        ("to_string", "to_string"),
                        ("to_number", "to_number"),
                        ("to_integer", "to_integer"),
                        ("to_boolean", "to_boolean"),
                        ("round", {"fn": "round", "places": 2, "mode": "half_even"}),
                        ("currency_precision", {"fn": "currency_precision", "currency_field": "cur"}),
                        ("multiply", {"fn": "multiply", "by": "1.5"}),
                        ("date_format", "date_format"),
                        (
                            "datetime_format",
                            {"fn": "datetime_format", "timezone": "Asia/Tokyo", "output": "%Y-%m-%d %H"},
                        ),
                        ("to_timezone", {"fn": "to_timezone", "timezone": "America/New_York"}),
                        ("concat", {"fn": "concat", "parts": [{"source": "cur"}], "separator": "-"}),
                        ("split", {"fn": "split", "separator": "-", "index": 1}),
                        ("prefix", {"fn": "prefix", "text": "P"}),
                        ("suffix", {"fn": "suffix", "text": "S"}),
                        ("replace", {"fn": "replace", "old": "1", "new": "one"}),
                        ("value_map", {"fn": "value_map", "map": {"1": "one"}, "on_missing": "keep"}),
                        ("lookup", {"fn": "lookup", "table": "currency_code_to_id"}),
                        ("dynamic_lookup", {"fn": "dynamic_lookup", "source": "netsuite_item_by_sku"}),
                        (
                            "if",
                            {
                                "fn": "if",
                                "condition": {"field": "@value", "op": "gt", "value": 1},
                                "then": [{"fn": "multiply", "by": 2}],
                                "else": {"constant": "small"},
                            },
                        ),
                    ]
                ],
            }
        ],
    }
)


@SETTINGS
@given(JSON, JSON)
def test_it_turns_any_bad_value_into_problems_in_every_transform(value: Any, currency: Any) -> None:
    result = EVERY_TRANSFORM.apply({"v": value, "cur": currency}, lookups=LOOKUPS)
    assert len(result.payloads) + (1 if result.problems else 0) == 1
    assert {problem.field_id for problem in result.problems} <= set(TRANSFORMS)


def test_it_covers_every_transform_in_the_property() -> None:
    assert {row["id"] for row in EVERY_TRANSFORM.spec["objects"][0]["fields"]} == set(TRANSFORMS)
