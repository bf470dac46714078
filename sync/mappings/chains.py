"""The transform chain editor: steps picked from the registry, each with a small form for its parameters.

A chain travels through the row form as numbered fields, ``steps`` (how many), ``step-0-fn``,
``step-0-length``...: :func:`steps_from_data` reads them as typed (raw text, kept even when wrong, so
nothing typed is lost), :func:`chain_from_steps` turns them into the engine's JSON (``[{"fn": "truncate",
"length": 83}]``) with a clear message per bad parameter, and :func:`steps_from_chain` goes back for a
stored row. The engine still checks the result when the row is saved. The kinds of parameters the
registry knows become inputs: whole numbers and numbers, text, a choice, yes/no, a lookup table picked
from the tables that exist, and JSON for the structured ones (maps, conditions, branches).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation
from typing import Any

from core.json_input import JsonTooDeep, json_loads_bounded
from sync.mappings.engine import TRANSFORMS
from sync.mappings.engine.transforms import Param
from sync.mappings.presentation import step_words

MAX_STEPS = 50  # the engine's MAX_CHAIN
JSON_KINDS = ("any", "map", "condition", "expressions", "branch")
CATEGORY_ORDER = ("text", "number", "date", "value")
PLACEHOLDERS = {
    "format": "%Y-%m-%d",
    "timezone": "Europe/Paris",
    "path": "Account.CurrencyIsoCode",
    "map": '{"Gold": "1"}',
    "condition": '{"field": "@value", "op": "empty"}',
    "branch": '["trim"] or {"constant": ""}',
    "expressions": '[{"source": "Name"}]',
    "any": '"text", 0 or true',
}
KNOWN_DYNAMIC_SOURCES = ("netsuite_item_by_sku",)

RawStep = dict[str, str]


class ChainError(ValueError):
    """A step's parameter that cannot become JSON; the message names the step and the parameter."""


@dataclass(frozen=True)
class ParamInput:
    """One parameter's input: what kind of control, its current raw value, and what to tell the person."""

    name: str
    field: str  # the form field name, step-<n>-<param>
    control: str  # int, number, text, select, json
    value: str
    required: bool
    help: str
    options: tuple[tuple[str, str], ...] = ()  # (value, label) for a select
    placeholder: str = ""
    minimum: int | None = None
    maximum: int | None = None


@dataclass(frozen=True)
class StepView:
    index: int
    fn: str
    summary: str
    words: str  # the step in words, or why it is incomplete
    params: tuple[ParamInput, ...]
    first: bool
    last: bool


def plain_summary(summary: str) -> str:
    """A registry summary as plain text for a list or a tooltip (its Markdown code marks dropped)."""
    return summary.replace("`", "")


def transform_catalog() -> list[tuple[str, list[tuple[str, str]]]]:
    """The registry by category, for the "add a step" list: (category, [(name, summary)])."""
    by_category: dict[str, list[tuple[str, str]]] = {}
    for definition in TRANSFORMS.values():
        by_category.setdefault(definition.category, []).append(
            (definition.name, plain_summary(definition.summary))
        )
    order = [c for c in CATEGORY_ORDER if c in by_category] + sorted(set(by_category) - set(CATEGORY_ORDER))
    return [(category, sorted(by_category[category])) for category in order]


def steps_from_data(data: Mapping[str, Any]) -> list[RawStep]:
    """The steps as typed in the form (``steps`` then ``step-<n>-*``); steps without a name are dropped."""
    try:
        count = min(int(str(data.get("steps", "0")) or 0), MAX_STEPS)
    except ValueError:
        count = 0
    steps = []
    for index in range(count):
        fn = str(data.get(f"step-{index}-fn", "")).strip()
        if not fn:
            continue
        step = {"fn": fn}
        definition = TRANSFORMS.get(fn)
        for param in definition.params if definition else ():
            step[param.name] = str(data.get(f"step-{index}-{param.name}", ""))
        steps.append(step)
    return steps


def steps_from_chain(chain: Any) -> list[RawStep]:
    """A stored chain as form steps (raw text per parameter)."""
    steps = []
    for item in chain if isinstance(chain, list) else []:
        if isinstance(item, str):
            item = {"fn": item}
        if not isinstance(item, dict) or not isinstance(item.get("fn"), str):
            continue
        step = {"fn": item["fn"]}
        definition = TRANSFORMS.get(item["fn"])
        for param in definition.params if definition else ():
            step[param.name] = _raw(param, item[param.name]) if param.name in item else ""
        steps.append(step)
    return steps


def _raw(param: Param, value: Any) -> str:
    if param.kind in JSON_KINDS:
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def chain_from_steps(steps: Sequence[RawStep]) -> list[Any]:
    """The engine's chain for the steps; raises :class:`ChainError` naming the first bad parameter."""
    chain: list[Any] = []
    for position, step in enumerate(steps, start=1):
        definition = TRANSFORMS.get(step.get("fn", ""))
        if definition is None:
            raise ChainError(f"step {position}: there is no transform {step.get('fn')!r}")
        item: dict[str, Any] = {"fn": definition.name}
        for param in definition.params:
            raw = step.get(param.name, "")
            if (raw if param.kind == "text" else raw.strip()) == "":
                if param.required:
                    raise ChainError(f"step {position} ({definition.name}): {param.name} is needed")
                continue
            try:
                item[param.name] = _value(param, raw)
            except ChainError as error:
                raise ChainError(f"step {position} ({definition.name}): {param.name} {error}") from None
        chain.append(definition.name if len(item) == 1 else item)
    return chain


def _value(param: Param, raw: str) -> Any:
    convert = _CONVERTERS.get(param.kind)
    if convert is not None:
        return convert(raw.strip())
    if param.kind in JSON_KINDS:
        return _json_value(raw.strip())
    return raw if param.kind == "text" else raw.strip()


def _int_value(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise ChainError("must be a whole number") from None


def _number_value(text: str) -> int | float:
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise ChainError("must be a number") from None
    if not number.is_finite():
        raise ChainError("must be a finite number")
    return int(number) if number == number.to_integral_value() else float(text)


def _bool_value(text: str) -> bool:
    if text not in ("true", "false"):
        raise ChainError("must be yes or no")
    return text == "true"


def _json_value(text: str) -> Any:
    try:
        return json_loads_bounded(text)
    except JsonTooDeep as error:
        raise ChainError(f"is refused: {error}") from None
    except json.JSONDecodeError as error:
        raise ChainError(f"must be JSON ({error.msg} at column {error.colno})") from None


_CONVERTERS: dict[str, Callable[[str], Any]] = {
    "int": _int_value,
    "number": _number_value,
    "bool": _bool_value,
}


def steps_apply(steps: list[RawStep], op: str, *, add: str = "") -> list[RawStep]:
    """Apply ``op``: ``add`` (the transform named ``add``), ``remove-<n>``, ``up-<n>`` or ``down-<n>``."""
    steps = [dict(step) for step in steps]
    if op == "add":
        definition = TRANSFORMS.get(add)
        if definition is not None and len(steps) < MAX_STEPS:
            steps.append({"fn": add, **{param.name: _default(param) for param in definition.params}})
        return steps
    action, _, number = op.partition("-")
    if not number.isdigit() or int(number) >= len(steps):
        return steps
    index = int(number)
    if action == "remove":
        del steps[index]
    elif action in ("up", "down"):
        other = index - 1 if action == "up" else index + 1
        if 0 <= other < len(steps):
            steps[index], steps[other] = steps[other], steps[index]
    return steps


def _default(param: Param) -> str:
    return "" if param.default is None or not param.required else _raw(param, param.default)


def step_views(steps: Sequence[RawStep], tables: Mapping[str, str]) -> list[StepView]:
    """What the chain editor shows for each step: its inputs and its meaning in words."""
    views = []
    for index, step in enumerate(steps):
        definition = TRANSFORMS.get(step["fn"])
        if definition is None:
            views.append(
                StepView(
                    index,
                    step["fn"],
                    "",
                    "unknown transform: remove it",
                    (),
                    index == 0,
                    index == len(steps) - 1,
                )
            )
            continue
        try:
            (item,) = chain_from_steps([step])
            words = step_words(item, tables)
        except ChainError as error:
            words = "incomplete: " + str(error).split(": ", 1)[-1]
        params = tuple(
            _input(index, param, step.get(param.name, ""), step["fn"], tables) for param in definition.params
        )
        views.append(
            StepView(
                index=index,
                fn=definition.name,
                summary=plain_summary(definition.summary),
                words=words,
                params=params,
                first=index == 0,
                last=index == len(steps) - 1,
            )
        )
    return views


def _input(index: int, param: Param, value: str, fn: str, tables: Mapping[str, str]) -> ParamInput:
    field = f"step-{index}-{param.name}"
    base = ParamInput(param.name, field, "text", value, param.required, param.help)
    default = "" if param.default is None else f" ({_raw(param, param.default)})"
    blank = ("", f"default{default}" if not param.required else "choose…")
    if fn == "lookup" and param.name == "table":
        options = [(name, f"{name}: {tables[name]}" if tables.get(name) else name) for name in sorted(tables)]
        if value and value not in tables:
            options.append((value, f"{value} (no such table)"))
        return replace(base, control="select", options=(("", "choose a table…"), *options))
    if fn == "dynamic_lookup" and param.name == "source":
        options = [(name, name) for name in KNOWN_DYNAMIC_SOURCES]
        if value and value not in KNOWN_DYNAMIC_SOURCES:
            options.append((value, value))
        return replace(base, control="select", options=(("", "choose a source…"), *options))
    if param.kind == "choice":
        words = tuple((choice, choice.replace("_", " ")) for choice in param.choices)
        return replace(base, control="select", options=(blank, *words))
    if param.kind == "bool":
        return replace(base, control="select", options=(blank, ("true", "yes"), ("false", "no")))
    if param.kind == "int":
        return replace(base, control="int", minimum=param.minimum, maximum=param.maximum)
    if param.kind == "number":
        return replace(base, control="number", placeholder="100")
    if param.kind in JSON_KINDS:
        return replace(base, control="json", placeholder=PLACEHOLDERS.get(param.kind, ""))
    return replace(base, control="text", placeholder=PLACEHOLDERS.get(param.kind, ""))


@dataclass(frozen=True)
class ChainEditor:
    """Everything the chain editor fragment shows."""

    steps: tuple[StepView, ...]
    catalog: list[tuple[str, list[tuple[str, str]]]]
    json: str  # the advanced box's text
    use_json: bool
    error: str = ""


def chain_editor(
    *,
    tables: Mapping[str, str],
    chain: Any = None,
    data: Mapping[str, Any] | None = None,
    op: str = "",
) -> ChainEditor:
    """The editor for a stored ``chain``, or for the form ``data`` as posted after the action ``op``."""
    error = ""
    use_json = False
    if data is None:
        steps = steps_from_chain(chain)
        text = json.dumps(chain, ensure_ascii=False) if chain else ""
    else:
        use_json = bool(data.get("transforms_json")) and op != "from_json"
        text = str(data.get("transforms", ""))
        steps = steps_from_data(data) if "steps" in data else []
        if op == "from_json" or ("steps" not in data and text.strip()):
            try:
                steps = steps_from_chain(json_loads_bounded(text) if text.strip() else [])
            except (json.JSONDecodeError, JsonTooDeep) as failure:
                error = f"The JSON is not read: {failure}"
        elif op:
            steps = steps_apply(steps, op, add=str(data.get("add_fn", "")))
        if not use_json and not error:
            try:
                built = chain_from_steps(steps)
                text = json.dumps(built, ensure_ascii=False) if built else ""
            except ChainError:
                pass  # the steps are half-typed: the JSON box keeps its text
    return ChainEditor(
        steps=tuple(step_views(steps, tables)),
        catalog=transform_catalog(),
        json=text,
        use_json=use_json,
        error=error,
    )
