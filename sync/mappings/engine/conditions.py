"""Conditions: the ``where`` of objects and groups, and the test of the ``if`` transform.

A condition is plain data::

    {"field": "SBQQ__RequiredBy__c", "op": "empty"}
    {"field": "SBQQ__NetTotal__c", "op": "gt", "value": 0}
    {"field": "SBQQ__RequiredBy__c", "op": "eq", "value_from": "^.Id"}     compare with another path
    {"all": [...]}  {"any": [...]}  {"not": {...}}

Operators: eq, ne, in, not_in, empty, not_empty, gt, gte, lt, lte, contains. Numbers compare as
numbers whatever their JSON form (12, 12.0, "12.00"); text compares as text (ISO dates order
correctly); a comparison between things that do not compare (a number and a word) is simply false.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from sync.mappings.engine.coerce import is_empty, is_number, to_decimal
from sync.mappings.engine.paths import compile_getter, parse_source, simple_name
from sync.mappings.engine.problems import SpecError
from sync.mappings.engine.runtime import Frame

Condition = Callable[[Frame, Any], bool]
OPERATORS = ("eq", "ne", "in", "not_in", "empty", "not_empty", "gt", "gte", "lt", "lte", "contains")
_UNARY = ("empty", "not_empty")
_MAX_NESTING = 20


def compile_condition(spec: Any, *, allow_value: bool = False, depth: int = 0) -> Condition:
    """Compile a condition; raises :class:`SpecError` naming what is wrong.

    The compiled condition takes the frame and the value being transformed (``@value``).
    """
    if depth > _MAX_NESTING:
        raise SpecError(f"conditions are nested deeper than {_MAX_NESTING} levels")
    if not isinstance(spec, dict):
        raise SpecError(
            f"a condition is an object like {{'field': ..., 'op': ...}}, not {type(spec).__name__}"
        )
    for combinator in ("all", "any"):
        if combinator in spec:
            _only(spec, {combinator})
            parts = spec[combinator]
            if not isinstance(parts, list) or not parts:
                raise SpecError(f"'{combinator}' takes a non-empty list of conditions")
            compiled = tuple(
                compile_condition(part, allow_value=allow_value, depth=depth + 1) for part in parts
            )
            return _combine(combinator, compiled)
    if "not" in spec:
        _only(spec, {"not"})
        inner_spec = spec["not"]
        if (
            isinstance(inner_spec, dict)
            and set(inner_spec) == {"all"}
            and isinstance(inner_spec["all"], list)
        ):
            parts = inner_spec["all"]
            if len(parts) == 2:  # "not (a and b)", the shape of the default line filter, in one closure
                first, second = (
                    compile_condition(part, allow_value=allow_value, depth=depth + 2) for part in parts
                )
                return lambda frame, value: not (first(frame, value) and second(frame, value))
        inner = compile_condition(inner_spec, allow_value=allow_value, depth=depth + 1)
        return lambda frame, value: not inner(frame, value)
    return _comparison(spec, allow_value)


def _only(spec: dict[str, Any], allowed: set[str]) -> None:
    extra = sorted(set(spec) - allowed)
    if extra:
        raise SpecError(f"unexpected key(s) {', '.join(map(repr, extra))} in a condition")


def _combine(combinator: str, tests: tuple[Condition, ...]) -> Condition:
    """``all``/``any``, with the one- and two-part cases as plain ``and``/``or`` (no generator)."""
    if len(tests) == 1:
        return tests[0]
    if len(tests) == 2:
        first, second = tests
        if combinator == "all":
            return lambda frame, value: first(frame, value) and second(frame, value)
        return lambda frame, value: first(frame, value) or second(frame, value)
    if combinator == "all":
        return lambda frame, value: all(test(frame, value) for test in tests)
    return lambda frame, value: any(test(frame, value) for test in tests)


def _comparison(spec: dict[str, Any], allow_value: bool) -> Condition:
    _only(spec, {"field", "op", "value", "value_from"})
    if "field" not in spec or "op" not in spec:
        raise SpecError("a condition needs 'field' and 'op' (or 'all', 'any', 'not')")
    op = spec["op"]
    if op not in OPERATORS:
        raise SpecError(f"unknown operator {op!r}; use one of {', '.join(OPERATORS)}")
    get = _getter(spec["field"], allow_value)
    name = _simple(spec["field"], allow_value)
    if op in _UNARY:
        if "value" in spec or "value_from" in spec:
            raise SpecError(f"'{op}' takes no value")
        return _emptiness(spec, op == "empty", get, name, allow_value)
    if ("value" in spec) == ("value_from" in spec):
        raise SpecError(f"'{op}' needs exactly one of 'value' or 'value_from' (a path)")
    if "value_from" in spec:
        if op in ("in", "not_in"):
            raise SpecError(f"'{op}' compares with a fixed list: use 'value'")
        other = _getter(spec["value_from"], allow_value)
        test = _dynamic_test(op)
        left = (lambda frame, value: value) if get is None else (lambda frame, value: get(frame))
        right = (lambda frame, value: value) if other is None else (lambda frame, value: other(frame))
        return lambda frame, value: test(left(frame, value), right(frame, value))
    expected = spec["value"]
    if op == "eq" and name is not None and is_number(expected) and not isinstance(expected, bool):
        return _field_equals_number(name, _predicate(op, expected), expected)
    return _on(get, _predicate(op, expected), name)


def _field_equals_number(name: str, match: Callable[[Any], bool], expected: Any) -> Condition:
    """``{"field": name, "op": "eq", "value": <number>}`` with a float field (JSON's numbers) compared
    inline: the line filter of every order tests the line's net total like this."""
    number = to_decimal(expected)
    as_float = float(number) if number is not None else 0.0
    float_exact = number is not None and to_decimal(as_float) == number

    def field_equals(frame: Frame, value: Any) -> bool:
        actual = frame.item.get(name)
        if actual.__class__ is float:
            return float_exact and actual == as_float
        return match(actual)

    return field_equals


def _getter(path: Any, allow_value: bool) -> Callable[[Frame], Any] | None:
    """The path's getter, or None for ``@value`` (the value being transformed)."""
    parsed = parse_source(path, allow_value=allow_value)
    return None if parsed.is_value else compile_getter(parsed)


def _simple(path: Any, allow_value: bool) -> str | None:
    return simple_name(parse_source(path, allow_value=allow_value))


def _emptiness(
    spec: dict[str, Any], empty: bool, get: Callable[[Frame], Any] | None, name: str | None, allow_value: bool
) -> Condition:
    if get is not None and parse_source(spec["field"], allow_value=allow_value).children is not None:
        # The children getter always answers a list: empty exactly when the list is.
        children = get
        if empty:
            return lambda frame, value: not children(frame)
        return lambda frame, value: bool(children(frame))
    if name is not None:
        return _field_emptiness(name, empty)
    return _on(get, is_empty if empty else lambda actual: not is_empty(actual), name)


def _field_emptiness(name: str, empty: bool) -> Condition:
    """``empty``/``not_empty`` of one field of the current record, with the usual values (None, text)
    decided inline: every line of a quote is tested like this by the package filters."""

    def field_empty(frame: Frame, value: Any) -> bool:
        actual = frame.item.get(name)
        if actual is None:
            return True
        if actual.__class__ is str:
            return not actual
        return is_empty(actual)

    def field_not_empty(frame: Frame, value: Any) -> bool:
        actual = frame.item.get(name)
        if actual is None:
            return False
        if actual.__class__ is str:
            return bool(actual)
        return not is_empty(actual)

    return field_empty if empty else field_not_empty


def _on(get: Callable[[Frame], Any] | None, predicate: Callable[[Any], bool], name: str | None) -> Condition:
    if get is None:
        return lambda frame, value: predicate(value)
    if name is not None:  # one field of the current record: read inline, one call fewer per test
        return lambda frame, value: predicate(frame.item.get(name))
    return lambda frame, value: predicate(get(frame))


def _predicate(op: str, expected: Any) -> Callable[[Any], bool]:
    """A test of one actual value against the fixed ``expected``, decided at compile time."""
    if op in ("in", "not_in"):
        if not isinstance(expected, list):
            raise SpecError(f"'{op}' takes a list as 'value'")
        matchers = tuple(_matcher(item) for item in expected)
        if op == "in":
            return lambda actual: any(match(actual) for match in matchers)
        return lambda actual: not any(match(actual) for match in matchers)
    if isinstance(expected, dict | list) and op != "eq" and op != "ne":
        raise SpecError(f"'{op}' compares with a single value, not a list or object")
    if op in ("eq", "ne"):
        match = _matcher(expected)
        return match if op == "eq" else lambda actual: not match(actual)
    if op == "contains":
        return lambda actual: _contains(actual, expected)
    order = _ORDER[op]
    number = to_decimal(expected) if is_number(expected) else None
    if is_number(expected) and number is None:
        raise SpecError(f"'{op}' needs a finite number or text, not {expected!r}")
    if number is not None:
        limit = number
        return lambda actual: _numeric_order(actual, limit, order)
    if not isinstance(expected, str):
        raise SpecError(f"'{op}' compares with a number or text, not {expected!r}")
    return lambda actual: _text_order(actual, expected, order)


def _matcher(expected: Any) -> Callable[[Any], bool]:
    """Equality with ``expected`` decided once: numbers numerically, bools strictly, the rest by ==."""
    if expected is None:
        return lambda actual: actual is None
    if isinstance(expected, bool):
        return lambda actual: isinstance(actual, bool) and actual is expected
    if is_number(expected):
        number = to_decimal(expected)
        if number is None:
            raise SpecError(f"{expected!r} is not a finite number")
        # A JSON float equals ``number`` exactly when it is the float nearest to it and that float's
        # shortest text is ``number`` itself: decided once here, so floats compare without a Decimal.
        as_float = float(number)
        float_exact = to_decimal(as_float) == number

        def match_number(actual: Any) -> bool:
            if actual.__class__ is float:
                return float_exact and actual == as_float
            return (not isinstance(actual, bool)) and to_decimal(actual) == number

        return match_number
    if isinstance(expected, str):
        return lambda actual: actual == expected
    return lambda actual: type(actual) is type(expected) and actual == expected


def _dynamic_test(op: str) -> Callable[[Any, Any], bool]:
    if op == "eq":
        return _equal
    if op == "ne":
        return lambda left, right: not _equal(left, right)
    if op == "contains":
        return _contains
    order = _ORDER[op]

    def compare(left: Any, right: Any) -> bool:
        if is_number(right) or (is_number(left) and isinstance(right, str)):
            number = to_decimal(right)
            return number is not None and _numeric_order(left, number, order)
        return isinstance(right, str) and _text_order(left, right, order)

    return compare


def _equal(left: Any, right: Any) -> bool:
    if left is None or right is None:
        return left is None and right is None
    if isinstance(left, bool) or isinstance(right, bool):
        return left is right
    if is_number(left) or is_number(right):
        a, b = to_decimal(left), to_decimal(right)
        return a is not None and a == b
    return type(left) is type(right) and bool(left == right)


def _contains(haystack: Any, needle: Any) -> bool:
    if isinstance(haystack, str):
        return isinstance(needle, str) and needle in haystack
    if isinstance(haystack, list):
        return any(_equal(item, needle) for item in haystack)
    return False


_ORDER: dict[str, Callable[[int], bool]] = {
    "gt": lambda sign: sign > 0,
    "gte": lambda sign: sign >= 0,
    "lt": lambda sign: sign < 0,
    "lte": lambda sign: sign <= 0,
}


def _numeric_order(actual: Any, expected: Decimal, order: Callable[[int], bool]) -> bool:
    number = to_decimal(actual)
    if number is None:
        return False
    return order((number > expected) - (number < expected))


def _text_order(actual: Any, expected: str, order: Callable[[int], bool]) -> bool:
    if not isinstance(actual, str):
        return False
    return order((actual > expected) - (actual < expected))
