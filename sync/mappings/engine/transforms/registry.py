"""The fixed registry of transforms: names, typed parameters, and the builders that compile them.

A transform in a spec is ``{"fn": "truncate", "length": 40}`` (or just ``"trim"`` when it takes no
parameters). Only names registered here exist: a mapping can never run code of its own, and every
parameter is checked at compile time, so a malformed mapping fails when it is saved, not mid-sync.

Every transform lets None through unchanged unless its summary says otherwise (``default``, ``if``,
``concat``): an empty source field stays empty, and ``required`` decides whether that is a problem.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sync.mappings.engine.coerce import is_number, to_decimal
from sync.mappings.engine.problems import SpecError
from sync.mappings.engine.runtime import Frame

Step = Callable[[Any, Frame], Any]
Getter = Callable[[Frame], Any]
Condition = Callable[[Frame, Any], bool]
MAX_CHAIN = 50

KINDS = {
    "int": "whole number",
    "text": "text",
    "number": "number",
    "bool": "true/false",
    "any": "any JSON value",
    "choice": "one of the listed words",
    "map": "object of text keys to values",
    "timezone": "IANA time zone (Europe/Paris)",
    "format": "strftime format (%Y-%m-%d)",
    "path": "source path",
    "condition": "condition",
    "expressions": "list of value expressions",
    "branch": 'list of transforms, or {"constant": value}',
}


class Builder(Protocol):
    """What a transform's builder may compile; the engine supplies it for the field being compiled."""

    def value(self, spec: Any) -> Getter: ...

    def steps(self, spec: Any) -> tuple[Step, ...]: ...

    def condition(self, spec: Any) -> Condition: ...

    def path(self, text: Any) -> Getter: ...

    def use_table(self, name: str) -> None: ...

    def use_dynamic(self, name: str) -> None: ...


@dataclass(frozen=True)
class Param:
    name: str
    kind: str
    required: bool = True
    default: Any = None
    choices: tuple[str, ...] = ()
    minimum: int | None = None
    maximum: int | None = None
    help: str = ""


@dataclass(frozen=True)
class TransformDef:
    name: str
    summary: str
    category: str
    params: tuple[Param, ...]
    build: Callable[[dict[str, Any], Builder], Step]

    @property
    def doc(self) -> str:
        return (self.build.__doc__ or self.summary).strip()


TRANSFORMS: dict[str, TransformDef] = {}


def transform(name: str, summary: str, *params: Param, category: str) -> Callable[[Any], Any]:
    """Register a builder under ``name``; its docstring is the transform's documentation."""

    def register(
        build: Callable[[dict[str, Any], Builder], Step],
    ) -> Callable[[dict[str, Any], Builder], Step]:
        if name in TRANSFORMS:  # pragma: no cover - a programming error caught by the first import
            raise RuntimeError(f"transform {name!r} registered twice")
        TRANSFORMS[name] = TransformDef(name, summary, category, params, build)
        return build

    return register


def compile_steps(spec: Any, builder: Builder) -> tuple[Step, ...]:
    """Compile a transform chain (a list); raises :class:`SpecError` naming the failing transform."""
    if spec is None:
        return ()
    if not isinstance(spec, list):
        raise SpecError("'transforms' is a list of transforms")
    if len(spec) > MAX_CHAIN:
        raise SpecError(f"a transform chain has at most {MAX_CHAIN} steps")
    steps = []
    for position, item in enumerate(spec, start=1):
        name = item if isinstance(item, str) else item.get("fn") if isinstance(item, dict) else None
        label = f"transform #{position}" + (
            f" ({name})" if isinstance(name, str) and name in TRANSFORMS else ""
        )
        try:
            steps.append(compile_one(item, builder))
        except SpecError as exc:
            raise SpecError(f"{label}: {exc}") from None
    return tuple(steps)


def compile_one(item: Any, builder: Builder) -> Step:
    if isinstance(item, str):
        item = {"fn": item}
    if not isinstance(item, dict) or not isinstance(item.get("fn"), str):
        raise SpecError('a transform is {"fn": name, ...parameters} or the name of one without parameters')
    definition = TRANSFORMS.get(item["fn"])
    if definition is None:
        raise SpecError(f"unknown transform {item['fn']!r}; see docs/mapping-transforms.md for the list")
    return definition.build(check_params(definition, item), builder)


def check_params(definition: TransformDef, item: dict[str, Any]) -> dict[str, Any]:
    """The parameters, type-checked, with defaults filled in; raw values for the builder to compile."""
    known = {param.name for param in definition.params}
    extra = sorted(set(item) - known - {"fn"})
    if extra:
        names = ", ".join(sorted(known)) or "none"
        raise SpecError(f"unknown parameter(s) {', '.join(map(repr, extra))} (parameters: {names})")
    values: dict[str, Any] = {}
    for param in definition.params:
        if param.name not in item:
            if param.required:
                raise SpecError(f"missing parameter {param.name!r} ({KINDS[param.kind]})")
            values[param.name] = _check(param, param.default) if param.default is not None else None
            continue
        values[param.name] = _check(param, item[param.name])
    return values


def _check(param: Param, value: Any) -> Any:
    """``value`` checked against the parameter's kind (and converted, for numbers, zones and formats).

    Kinds without a check (any, path, condition, expressions, branch) are compiled by the builder.
    """
    check = _CHECKS.get(param.kind)
    return value if check is None else check(param, value)


def _bad(param: Param, value: Any, expected: str) -> SpecError:
    return SpecError(f"parameter {param.name!r} must be {expected}, not {_short(value)}")


def _check_int(param: Param, value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise _bad(param, value, "a whole number")
    if param.minimum is not None and value < param.minimum:
        raise _bad(param, value, f"at least {param.minimum}")
    if param.maximum is not None and value > param.maximum:
        raise _bad(param, value, f"at most {param.maximum}")
    return value


def _check_text(param: Param, value: Any) -> str:
    if not isinstance(value, str):
        raise _bad(param, value, "text")
    if param.minimum is not None and len(value) < param.minimum:
        raise _bad(param, value, f"text of at least {param.minimum} character(s)")
    return value


def _check_number(param: Param, value: Any) -> Decimal:
    number = to_decimal(value) if is_number(value) or isinstance(value, str) else None
    if number is None:
        raise _bad(param, value, "a finite number")
    return number


def _check_bool(param: Param, value: Any) -> bool:
    if not isinstance(value, bool):
        raise _bad(param, value, "true or false")
    return value


def _check_choice(param: Param, value: Any) -> Any:
    if value not in param.choices:
        raise _bad(param, value, "one of " + ", ".join(param.choices))
    return value


def _check_map(param: Param, value: Any) -> dict[Any, Any]:
    if not isinstance(value, dict):
        raise _bad(param, value, "an object of text keys to values")
    return value


_CHECKS: dict[str, Callable[[Param, Any], Any]] = {
    "int": _check_int,
    "text": _check_text,
    "number": _check_number,
    "bool": _check_bool,
    "choice": _check_choice,
    "map": _check_map,
    "timezone": lambda param, value: timezone(value, param.name),
    "format": lambda param, value: strftime_format(value, param.name),
}


def timezone(value: Any, name: str = "timezone") -> ZoneInfo:
    if not isinstance(value, str) or not re.fullmatch(r"[A-Za-z][A-Za-z0-9_+\-]*(/[A-Za-z0-9_+\-]+)*", value):
        raise SpecError(f"parameter {name!r} must be an IANA time zone such as Europe/Paris")
    try:
        return ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise SpecError(f"parameter {name!r}: unknown time zone {value!r}") from None


_DIRECTIVES = set("aAbBcdfGHIjmMpSuUVwWxXyYzZ%")


def strftime_format(value: Any, name: str = "format") -> str:
    """Accept only the portable strftime directives, so a format behaves the same on every platform."""
    if not isinstance(value, str) or not value or len(value) > 100:
        raise SpecError(f"parameter {name!r} must be a strftime format such as %Y-%m-%d")
    position = 0
    while position < len(value):
        if value[position] == "%":
            directive = value[position + 1 : position + 2]
            if directive not in _DIRECTIVES or not directive:
                raise SpecError(f"parameter {name!r}: %{directive} is not a supported strftime directive")
            position += 2
        else:
            position += 1
    return value


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:39] + "…"


def decimal_param(values: dict[str, Any], name: str) -> Decimal:
    number = values[name]
    if not isinstance(number, Decimal):  # pragma: no cover - check_params converts "number" parameters
        raise SpecError(f"parameter {name!r} must be a number")
    return number
