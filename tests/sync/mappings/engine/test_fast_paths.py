"""The engine's fast paths give exactly what the general paths give (issue 26 point 5).

Each test puts values on both sides of a fast path's edge (ISO dates vs other date shapes, currency
codes in any case, remembered float Decimals, whole floats, shared selections) and compares with what
the general code computes.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from typing import Any

from sync.mappings.engine import StaticLookups, compile_mapping
from sync.mappings.engine.coerce import key_text, number_text, to_decimal, to_text
from sync.mappings.engine.problems import describe
from sync.mappings.engine.transforms import dates, numbers
from tests.sync.mappings.engine.helpers import one_row, transformed


def out(transforms: list[Any], value: Any, **record: Any) -> Any:
    result, problems = transformed(transforms, value, **record)
    assert problems == [], problems
    return result


def test_iso_date_format_writes_what_strftime_writes() -> None:
    for text in ("2026-11-24", "2026-W48-2", "20261124", "2026-11-23T07:30:00.000+0000", "0999-01-02"):
        moment = dt.date.fromisoformat(text) if len(text) <= 10 else dt.datetime.fromisoformat(text).date()
        assert out(["date_format"], text) == moment.strftime("%Y-%m-%d"), text
    assert out(["date_format"], "") is None
    result, problems = transformed(["date_format"], "2026-02-30")
    assert result is None and problems[0].message.startswith("not an ISO 8601 date")


def test_currency_codes_round_the_same_in_any_case_and_after_being_remembered() -> None:
    rounding = [{"fn": "currency_precision", "currency_field": "cur"}]
    for _ in range(2):  # the second pass reads the remembered quanta
        assert out(rounding, 99.555, cur="usd") == Decimal("99.56")
        assert out(rounding, 99.555, cur="USD") == Decimal("99.56")
        assert out(rounding, 99.5, cur="jpy") == Decimal("100")
        assert out(rounding, 99.5, cur="JPY") == Decimal("100")
        assert out(rounding, 1.0005, cur="kwd") == Decimal("1.001")
    result, problems = transformed(rounding, 1.5, cur="")
    assert result is None and problems[0].message == "no currency code to round by"


def test_remembered_float_decimals_equal_fresh_ones_and_keep_the_sign_of_zero() -> None:
    for value in (12.5, 0.1, 5.0, 1e-7, -3.25, 12.5):
        got = out(["to_number"], value)
        assert got == Decimal(repr(value)) and str(got) == str(Decimal(repr(value)))
    assert value in numbers._DECIMAL_OF
    assert str(out(["to_number"], -0.0)) == "-0.0"
    assert str(out(["to_number"], 0.0)) == "0.0"
    assert 0.0 not in numbers._DECIMAL_OF


def test_to_integer_of_whole_floats_and_of_the_rest() -> None:
    assert out(["to_integer"], 12.0) == 12 and isinstance(out(["to_integer"], 12.0), int)
    assert out(["to_integer"], -0.0) == 0
    assert out(["to_integer"], 1e20) == 10**20  # past the float fast path: through Decimal
    assert out(["to_integer"], "12") == 12
    result, problems = transformed(["to_integer"], 12.5)
    assert result is None and problems[0].message == "not a whole number: 12.5"


def _two_objects(first_where: Any, second_where: Any) -> dict[str, Any]:
    def obj(key: str, where: Any) -> dict[str, Any]:
        return {
            "key": key,
            "target": key,
            "mode": "create_only",
            "for_each": "lines",
            "where": where,
            "fields": [{"id": "name", "target": "name", "source": "Name"}],
        }

    return {"flow": "test", "source": "Thing", "objects": [obj("one", first_where), obj("two", second_where)]}


def test_objects_with_the_same_list_and_where_share_the_selection_but_report_their_own_problems() -> None:
    graph = {"Id": "g", "lines": [{"Id": "a", "Name": "A", "n": 1}, "oops", {"Id": "b", "Name": "B", "n": 0}]}
    where = {"field": "n", "op": "eq", "value": 1}
    mapping = compile_mapping(_two_objects(where, dict(where)))
    result = mapping.apply(graph)
    assert [(p.object_key, p.body) for p in result.payloads] == [
        ("one", {"name": "A"}),
        ("two", {"name": "A"}),
    ]
    assert [problem.object_key for problem in result.problems] == ["one", "two"]
    assert mapping.apply({"Id": "h", "lines": [{"Id": "c", "Name": "C", "n": 1.0}]}).payloads[0].body == {
        "name": "C"
    }  # a second apply selects afresh


def test_objects_with_different_wheres_select_on_their_own() -> None:
    graph = {"Id": "g", "lines": [{"Id": "a", "Name": "A", "n": 1}, {"Id": "b", "Name": "B", "n": "x"}]}
    mapping = compile_mapping(
        _two_objects({"field": "n", "op": "eq", "value": 1}, {"field": "n", "op": "eq", "value": "x"})
    )
    result = mapping.apply(graph)
    assert [(p.object_key, p.body["name"]) for p in result.payloads] == [("one", "A"), ("two", "B")]


def test_field_equals_number_compares_floats_ints_and_text_as_before() -> None:
    mapping = compile_mapping(
        _two_objects({"field": "n", "op": "eq", "value": 0}, {"field": "n", "op": "eq", "value": 0.1})
    )
    lines = [
        {"Id": str(i), "Name": str(n), "n": n} for i, n in enumerate((0.0, 0, "0", True, 0.1, "0.10", None))
    ]
    names = [(p.object_key, p.body["name"]) for p in mapping.apply({"Id": "g", "lines": lines}).payloads]
    assert names == [("one", "0.0"), ("one", "0"), ("one", "0"), ("two", "0.1"), ("two", "0.10")]


def test_lookups_read_inline_and_through_a_resolver_agree() -> None:
    class Wrapped(StaticLookups):  # a subclass: asked through its methods, not read inline
        pass

    tables = {"t": {"A": "1"}}
    for lookups in (StaticLookups(tables), Wrapped(tables)):
        assert out([{"fn": "lookup", "table": "t"}], "A", lookups=lookups) == "1"
        result, problems = transformed([{"fn": "lookup", "table": "t"}], "B", lookups=lookups)
        assert result is None and problems[0].message == "no 'B' in lookup table 't'"


def _rounded_lines(values: list[tuple[Any, str]], mode: str) -> list[Any]:
    """currency_precision (``currency_field``) applied to each (amount, code), one record per pair."""
    spec = {
        "flow": "test",
        "source": "Thing",
        "objects": [
            {
                "key": "line",
                "target": "line",
                "mode": "create_only",
                "for_each": "lines",
                "fields": [
                    {
                        "id": "amount",
                        "target": "amount",
                        "source": "v",
                        "transforms": [
                            {
                                "fn": "currency_precision",
                                "currency_field": "cur",
                                "mode": mode,
                                "precisions": {"XTS": 4},
                            }
                        ],
                    }
                ],
            }
        ],
    }
    lines = [{"Id": str(n), "v": value, "cur": code} for n, (value, code) in enumerate(values)]
    result = compile_mapping(spec).apply({"Id": "g", "lines": lines})
    assert result.problems == []
    return [payload.body.get("amount") for payload in result.payloads]


def test_currency_amounts_on_the_grid_round_exactly_as_through_their_text() -> None:
    rng = random.Random(26)
    places = {"USD": 2, "usd": 2, "JPY": 0, "KWD": 3, "XTS": 4, "ZZZ": 2}
    values: list[tuple[Any, str]] = []
    for code in places:
        for digits in range(6):
            values += [(round(rng.uniform(-1e6, 1e6), digits), code) for _ in range(150)]
        values += [(round(rng.uniform(0, 10), 2) * 10.0**power, code) for power in range(-8, 17)]
        # ties, both zeros, the smallest Decimal-able magnitude and the edge of the exact path
        values += [(value, code) for value in (2.675, 0.125, 1.005, -1.005, 0.0, -0.0, 1e-30, -1e-30)]
        values += [(2.0**50 / 10 ** places[code] + step, code) for step in (-1.0, -0.5, -0.01, 0.0, 1.0)]
    for mode, rounding in numbers.ROUNDING.items():
        got = _rounded_lines(values, mode)
        for (value, code), amount in zip(values, got, strict=True):
            quantum = Decimal(1).scaleb(-places[code])
            wanted = Decimal(repr(value)).quantize(quantum, rounding)
            assert amount is not None and amount.as_tuple() == wanted.as_tuple(), (value, code, mode)
    for value in (5e-324, 1e31, float("inf"), float("nan")):  # no Decimal: a problem, on any path
        result, problems = transformed(
            [{"fn": "currency_precision", "currency_field": "cur"}], value, cur="USD"
        )
        assert result is None and problems[0].message == f"not a number: {value!r}"


def test_dates_remembered_read_like_fresh_ones() -> None:
    for _ in range(2):  # the second pass reads the remembered texts
        assert out(["date_format"], "2026-11-24") == "2026-11-24"
        assert out(["date_format"], "2026-W48-2") == "2026-11-24"
        result, problems = transformed(["date_format"], "2026-02-30")
        assert result is None and problems[0].message.startswith("not an ISO 8601 date")
        assert out(["date_format"], "0999-01-02") == dt.date(999, 1, 2).strftime("%Y-%m-%d")
    assert dates._ISO_DATE_OF["2026-W48-2"] == "2026-11-24"
    assert "2026-02-30" not in dates._ISO_DATE_OF and "0999-01-02" not in dates._ISO_DATE_OF


def test_whole_number_keys_are_the_text_of_their_decimal() -> None:
    for value in (0, 12, -7, 10**29, -(10**29), 10**30, -(10**30), 10**40, True, False):
        if isinstance(value, bool):
            general = to_text(value)
        else:
            number = to_decimal(value)
            general = number_text(number) if number is not None else None
        assert key_text(value) == general, value
    term = StaticLookups({"t": {"12": "twelve"}})
    assert out(["to_integer", {"fn": "lookup", "table": "t"}], 12.0, lookups=term) == "twelve"


def test_concat_joins_text_numbers_and_skips_empty_pieces_as_before() -> None:
    def joined(**record: Any) -> tuple[Any, list[str]]:
        spec = one_row(
            {
                "id": "row",
                "target": "out",
                "concat": [{"source": "a"}, {"source": "b"}, {"source": "c"}],
                "separator": " - ",
            }
        )
        result = compile_mapping(spec).apply({"Id": "1", **record})
        body = result.payloads[0].body if result.payloads else {}
        return body.get("out"), [problem.message for problem in result.problems]

    assert joined(a="A", b=12.50, c=Decimal("3")) == ("A - 12.5 - 3", [])
    assert joined(a="", b=None, c="C") == ("C", [])
    assert joined(a=None, b="", c=None) == (None, [])
    assert joined(a=True, b=7) == ("true - 7", [])
    value, messages = joined(a="x" * 500_000, b="y" * 499_998)
    assert value is None and messages == [
        "the result would be 1,000,001 characters long, more than the 1,000,000 allowed"
    ]
    assert joined(a="x" * 500_000, b="y" * 499_997)[0] == "x" * 500_000 + " - " + "y" * 499_997
    assert joined(a="A", b={"nested": 1})[1] == [f"cannot join {describe({'nested': 1})} into text"]


def test_source_ids_read_inline_are_the_text_of_id_or_else_id() -> None:
    lines = [{"Id": "a1"}, {"Id": "", "id": "b2"}, {"Id": 7}, {"Id": 7.0}, {"id": "c3"}, {"Id": None}, {}]
    spec = _two_objects({"field": "Name", "op": "empty"}, {"field": "Name", "op": "empty"})
    mapping = compile_mapping(spec)
    payloads = mapping.apply({"Id": "g", "lines": lines}).payloads
    wanted = ["a1", "b2", "7", "7.0", "c3", None, None]  # numbers as to_text writes them
    assert [p.source_id for p in payloads if p.object_key == "one"] == wanted
    assert [p.ref_key for p in payloads if p.object_key == "two"] == [f"two[{w}]" for w in wanted]
    spec["objects"][0]["source_id"] = "Key"
    keyed_lines = [{"Id": "x", "Key": 12}, {"Id": "y", "Key": ""}]
    keyed = compile_mapping(spec).apply({"Id": "g", "lines": keyed_lines})
    assert [p.source_id for p in keyed.payloads if p.object_key == "one"] == ["12", None]


def test_an_update_body_as_json_is_the_json_of_the_update_body_and_leaves_the_body_alone() -> None:
    from sync.mappings.engine.result import ObjectPayload, json_ready

    body = {
        "companyName": "Acme",
        "subsidiary": {"id": "1"},
        "currency": {"id": "2", "refName": "USD"},
        "addressBook": {"items": [{"addr1": "1 Main St", "zip": "10001"}, {"addr1": "2 Side St"}]},
        "creditLimit": Decimal("1500.00"),
        "startDate": dt.date(2026, 12, 7),
        "item": {"items": [{"item": {"id": "9"}, "rate": Decimal("12.5"), "note": "keep"}]},
    }
    paths = (  # as the engine compiles them: (name, index), -1 for every element of a group
        (("subsidiary", None),),
        (("currency", None), ("id", None)),
        (("addressBook", None), ("items", -1), ("zip", None)),
        (("item", None), ("items", -1), ("note", None)),
    )
    payload = ObjectPayload(
        object_key="customer",
        target_type="customer",
        mode="upsert",
        external_id="001A",
        external_id_field="externalId",
        ref_key="customer",
        source_id="001A",
        body=body,
        create_only_fields=("subsidiary", "currency.id", "addressBook.items[].zip", "item.items[].note"),
        create_only_paths=paths,
    )
    before = repr(body)
    update = payload.to_json(update=True)
    assert update == json_ready(payload.update_body())
    assert "subsidiary" not in update and update["currency"] == {"refName": "USD"}
    assert update["addressBook"] == {"items": [{"addr1": "1 Main St"}, {"addr1": "2 Side St"}]}
    assert update["creditLimit"] == 1500 and update["item"]["items"][0] == {"item": {"id": "9"}, "rate": 12.5}
    assert repr(body) == before  # the payload's own body is untouched
    assert payload.to_json() == json_ready(body)
