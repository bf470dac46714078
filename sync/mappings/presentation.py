"""Mappings in words: transform chains, conditions and row values as a person reads them.

``{"fn": "lookup", "table": "payment_terms_to_id"}`` reads "look up in Payment terms name → NetSuite term
id"; ``{"fn": "truncate", "length": 83}`` reads "cut to 83 characters". Every registered transform has a
phrase in :data:`PHRASES` (a test keeps it so); anything the registry does not know is shown as compact
JSON, never as a Python repr. Lookup tables are named by their description, which the caller passes in
(:func:`lookup_table_titles` reads them), so the phrases themselves need no database.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any

from sync.mappings.engine import TRANSFORMS
from sync.mappings.models import LookupTable

Titles = Mapping[str, str]
ON_MISSING = {"null": "empty when not found", "keep": "unchanged when not found"}
ROUNDING = {"half_even": "half to even", "down": "towards zero", "up": "away from zero"}
OPERATORS = {
    "eq": "is",
    "ne": "is not",
    "in": "is one of",
    "not_in": "is none of",
    "empty": "is empty",
    "not_empty": "is not empty",
    "gt": "is more than",
    "gte": "is at least",
    "lt": "is less than",
    "lte": "is at most",
    "contains": "contains",
}
# strftime directives as people write dates; the rest are shown as typed.
DIRECTIVES = {
    "%Y": "YYYY",
    "%y": "YY",
    "%m": "MM",
    "%d": "DD",
    "%H": "hh",
    "%M": "mm",
    "%S": "ss",
    "%b": "Mon",
    "%B": "Month",
    "%z": "±hhmm",
}
MAX_MAP_ITEMS = 3


def as_json(value: Any) -> str:
    """Compact JSON (``{"fn": "x"}``, ``true``), for values without words of their own."""
    try:
        return json.dumps(value, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        return str(value)


def literal(value: Any) -> str:
    """A constant as typed: text in quotes, numbers and true/false/null as JSON."""
    if isinstance(value, str):
        return f"“{value}”"
    return as_json(value)


def date_format(text: Any) -> str:
    """``%Y-%m-%d`` as ``YYYY-MM-DD``."""
    if not isinstance(text, str):
        return as_json(text)
    return re.sub(r"%[a-zA-Z%]", lambda match: DIRECTIVES.get(match.group(0), match.group(0)), text)


def table_title(name: str, titles: Titles) -> str:
    """A lookup table as its description says it (``Payment terms name → NetSuite term id``)."""
    description = titles.get(name, "")
    if not description:
        return name
    text = re.sub(r"\s*\([^)]*\)", "", description).strip().rstrip(".")
    return text.replace("->", "→") or name


def lookup_table_titles() -> dict[str, str]:
    """Each lookup table's description by name, for :func:`table_title`."""
    return dict(LookupTable.objects.values_list("name", "description"))


def path_words(path: Any) -> str:
    """A source path as shown: the path itself, with ``$.`` read as "the opportunity's"."""
    if not isinstance(path, str):
        return as_json(path)
    return path


def _missing(params: Mapping[str, Any]) -> str:
    if "default" in params and params["default"] is not None:
        return f", {literal(params['default'])} when not found"
    phrase = ON_MISSING.get(str(params.get("on_missing") or ""))
    return f", {phrase}" if phrase else ""


def _round(params: Mapping[str, Any]) -> str:
    places = params.get("places")
    unit = "decimal" if places == 1 else "decimals"
    mode = ROUNDING.get(str(params.get("mode") or ""))
    return f"round to {as_json(places)} {unit}" + (f" ({mode})" if mode else "")


def _currency_precision(params: Mapping[str, Any]) -> str:
    text = "round to the currency's decimals"
    if params.get("currency"):
        text += f" of {params['currency']}"
    elif params.get("currency_field"):
        text += f" (currency from {path_words(params['currency_field'])})"
    mode = ROUNDING.get(str(params.get("mode") or ""))
    return text + (f", {mode}" if mode else "")


def _split(params: Mapping[str, Any]) -> str:
    index = params.get("index")
    part = {0: "the first part", -1: "the last part"}.get(index) if isinstance(index, int) else None
    if part is None:
        part = f"part {as_json(index)}"
    return f"split on {literal(params.get('separator'))}, keep {part}"


def _date(params: Mapping[str, Any]) -> str:
    text = f"as a date ({date_format(params.get('output') or '%Y-%m-%d')})"
    if params.get("input"):
        text += f", read as {date_format(params['input'])}"
    return text


def _datetime(params: Mapping[str, Any]) -> str:
    output = date_format(params["output"]) if params.get("output") else "ISO 8601"
    return f"as a date-time in {params.get('timezone') or 'UTC'} ({output})"


def _concat(params: Mapping[str, Any]) -> str:
    parts = params.get("parts")
    words = ", ".join(expression_words(part) for part in parts) if isinstance(parts, list) else as_json(parts)
    separator = params.get("separator")
    return f"join with {words}" + (f", separated by {literal(separator)}" if separator else "")


def _default(params: Mapping[str, Any]) -> str:
    if params.get("field"):
        return f"if empty, use {path_words(params['field'])}"
    return f"if empty, use {literal(params.get('value'))}"


def _value_map(params: Mapping[str, Any]) -> str:
    mapping = params.get("map")
    if not isinstance(mapping, dict):
        return f"translate with {as_json(mapping)}"
    pairs = [f"{literal(key)} → {literal(value)}" for key, value in list(mapping.items())[:MAX_MAP_ITEMS]]
    more = len(mapping) - MAX_MAP_ITEMS
    return "translate " + ", ".join(pairs) + (f" and {more} more" if more > 0 else "") + _missing(params)


def _if(params: Mapping[str, Any], titles: Titles) -> str:
    text = f"if {condition_words(params.get('condition'))}, then {branch_words(params.get('then'), titles)}"
    if params.get("else") is not None:
        text += f", else {branch_words(params.get('else'), titles)}"
    return text


Phrase = Callable[[Mapping[str, Any], Titles], str]

PHRASES: dict[str, Phrase] = {
    "date_format": lambda p, t: _date(p),
    "datetime_format": lambda p, t: _datetime(p),
    "to_timezone": lambda p, t: f"in time zone {p.get('timezone')}",
    "to_number": lambda p, t: "as a number",
    "to_integer": lambda p, t: "as a whole number",
    "round": lambda p, t: _round(p),
    "currency_precision": lambda p, t: _currency_precision(p),
    "multiply": lambda p, t: f"multiply by {as_json(p.get('by'))}",
    "trim": lambda p, t: "trim spaces",
    "upper": lambda p, t: "upper case",
    "lower": lambda p, t: "lower case",
    "title": lambda p, t: "capitalise each word",
    "truncate": lambda p, t: f"cut to {as_json(p.get('length'))} characters",
    "prefix": lambda p, t: f"put {literal(p.get('text'))} in front",
    "suffix": lambda p, t: f"add {literal(p.get('text'))} after",
    "replace": lambda p, t: f"replace {literal(p.get('old'))} with {literal(p.get('new'))}",
    "split": lambda p, t: _split(p),
    "to_string": lambda p, t: "as text",
    "concat": lambda p, t: _concat(p),
    "default": lambda p, t: _default(p),
    "to_boolean": lambda p, t: "as true/false",
    "value_map": lambda p, t: _value_map(p),
    "lookup": lambda p, t: f"look up in {table_title(str(p.get('table')), t)}{_missing(p)}",
    "dynamic_lookup": lambda p, t: f"look up live in {p.get('source')}{_missing(p)}",
    "if": _if,
}


def step_words(step: Any, titles: Titles | None = None) -> str:
    """One transform in words; what the registry does not know, as JSON."""
    params: Mapping[str, Any]
    if isinstance(step, str):
        name, params = step, {}
    elif isinstance(step, dict) and isinstance(step.get("fn"), str):
        name, params = step["fn"], step
    else:
        return as_json(step)
    phrase = PHRASES.get(name)
    if phrase is None or name not in TRANSFORMS:
        return f"unknown transform {as_json(step)}"
    return phrase(params, titles or {})


def chain_steps(chain: Any, titles: Titles | None = None) -> list[str]:
    """Each step of a transform chain in words (a chain that is not a list is one JSON item)."""
    if not chain:
        return []
    if not isinstance(chain, list):
        return [as_json(chain)]
    return [step_words(step, titles) for step in chain]


def chain_words(chain: Any, titles: Titles | None = None) -> str:
    return " → ".join(chain_steps(chain, titles))


def branch_words(branch: Any, titles: Titles) -> str:
    if isinstance(branch, dict) and set(branch) == {"constant"}:
        return f"use {literal(branch['constant'])}"
    if isinstance(branch, list):
        return chain_words(branch, titles) or "leave it"
    return as_json(branch)


def expression_words(expression: Any, titles: Titles | None = None) -> str:
    """A value expression (``{"source": ...}``, ``{"constant": ...}``, ``{"concat": [...]}``, each with
    optional ``transforms``) in words, as an object's external id or a concat's parts are written."""
    if not isinstance(expression, dict):
        return as_json(expression)
    known = {"source", "constant", "concat", "separator", "transforms"}
    if set(expression) - known:
        return as_json(expression)
    if "source" in expression:
        text = path_words(expression["source"])
    elif "constant" in expression:
        text = literal(expression["constant"])
    elif isinstance(expression.get("concat"), list):
        text = " + ".join(expression_words(part, titles) for part in expression["concat"])
        if expression.get("separator"):
            text += f", separated by {literal(expression['separator'])}"
    else:
        return as_json(expression)
    steps = chain_words(expression.get("transforms"), titles)
    return f"{text}, then {steps}" if steps else text


def condition_words(condition: Any) -> str:
    """A condition (``{"field": ..., "op": ...}``, ``all``/``any``/``not``) in words."""
    if not isinstance(condition, dict):
        return as_json(condition)
    for combinator, joiner in (("all", " and "), ("any", " or ")):
        if combinator in condition and isinstance(condition[combinator], list):
            parts = [condition_words(part) for part in condition[combinator]]
            return "(" + joiner.join(parts) + ")" if len(parts) > 1 else "".join(parts)
    if "not" in condition:
        return f"not {condition_words(condition['not'])}"
    if "field" in condition and "op" in condition:
        field = path_words(condition["field"])
        operator = OPERATORS.get(str(condition["op"]), str(condition["op"]))
        if "value_from" in condition:
            return f"{field} {operator} {path_words(condition['value_from'])}"
        if "value" in condition:
            value = condition["value"]
            shown = ", ".join(map(literal, value)) if isinstance(value, list) else literal(value)
            return f"{field} {operator} {shown}"
        return f"{field} {operator}"
    return as_json(condition)


def row_value_words(row: Any) -> str:
    """What a field row maps, in words (its source, constant, reference, concatenation or group)."""
    kind = row.kind
    if kind == "source":
        return path_words(row.source)
    if kind == "constant":
        return f"always {literal(row.constant)}"
    if kind == "ref":
        return f"id of {row.ref}" + (f" (item {row.ref_item})" if row.ref_item else "")
    if kind == "group":
        text = f"each {path_words(row.each)}"
        return text + (f" where {condition_words(row.where)}" if row.where else "")
    parts = row.concat if isinstance(row.concat, list) else []
    joined = " + ".join(expression_words(part) for part in parts) or as_json(row.concat)
    return joined + (f", separated by {literal(row.separator)}" if row.separator else "")


def diff_value_words(attribute: str, value: Any, titles: Titles | None = None) -> str:
    """A value on the diff page: transforms and conditions in words, the rest as compact JSON."""
    if value is None:
        return ""
    if attribute == "transforms":
        return chain_words(value, titles) or "none"
    if attribute in ("where", "condition"):
        return condition_words(value)
    if attribute == "external_id":
        return expression_words(value, titles)
    if isinstance(value, str):
        return value
    return as_json(value)
