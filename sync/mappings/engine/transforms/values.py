"""Value transforms: default, to_boolean, value_map, lookup, dynamic_lookup and the conditional ``if``."""

from __future__ import annotations

from typing import Any

from sync.mappings.engine.coerce import key_text
from sync.mappings.engine.lookups import MISSING
from sync.mappings.engine.problems import SpecError, TransformFailure, describe
from sync.mappings.engine.runtime import Frame
from sync.mappings.engine.transforms.registry import Builder, Param, Step, transform

ON_MISSING = ("error", "null", "keep")
_TRUE = frozenset(("true", "t", "yes", "y", "1", "on"))
_FALSE = frozenset(("false", "f", "no", "n", "0", "off"))


def _miss_policy(params: dict[str, Any]) -> tuple[str, Any]:
    if params["default"] is not None and params["on_missing"] is not None:
        raise SpecError("give 'default' (the value for a miss) or 'on_missing', not both")
    if params["default"] is not None:
        return "default", params["default"]
    return params["on_missing"] or "error", None


def _missed(policy: str, fallback: Any, value: Any, message: str) -> Any:
    if policy == "default":
        return fallback
    if policy == "keep":
        return value
    if policy == "null":
        return None
    raise TransformFailure(message, value)


def _key(value: Any) -> str:
    key = key_text(value)
    if key is None:
        raise TransformFailure(f"cannot look up {describe(value)}: expected text or a number", value)
    return key


_MISS_PARAMS = (
    Param(
        "on_missing",
        "choice",
        required=False,
        choices=ON_MISSING,
        help="error (the default): a problem; null: empty; keep: the value unchanged",
    ),
    Param("default", "any", required=False, help="the value for a miss (instead of on_missing)"),
)


@transform(
    "default",
    "Use `value` (or the field at `field`) when the value is empty; works on an empty value.",
    Param("value", "any", required=False),
    Param("field", "path", required=False, help="a source path read when the value is empty"),
    category="value",
)
def _default(params: dict[str, Any], builder: Builder) -> Step:
    """Empty means None or ``""``. ``{"fn": "default", "value": "Net 30"}`` or ``{"fn": "default",
    "field": "salesOrder.custbody_sf_opportunity_id"}`` (a fallback field)."""
    if (params["value"] is None) == (params["field"] is None):
        raise SpecError("give exactly one of 'value' or 'field'")
    if params["field"] is not None:
        read = builder.path(params["field"])

        def from_field(value: Any, frame: Frame) -> Any:
            return read(frame) if value is None or value == "" else value

        return from_field
    fallback = params["value"]
    return lambda value, frame: fallback if value is None or value == "" else value


@transform(
    "to_boolean", "Read true/false from a boolean, 1/0, or words like yes/no, on/off.", category="value"
)
def _to_boolean(params: dict[str, Any], builder: Builder) -> Step:
    """Accepts booleans, the numbers 1 and 0, and (any case) true/false, t/f, yes/no, y/n, on/off,
    1/0. Empty stays empty; anything else is a problem."""

    def step(value: Any, frame: Frame) -> Any:
        if value is None or value == "" or isinstance(value, bool):
            return None if value == "" else value
        if isinstance(value, str):
            word = value.strip().lower()
            if word in _TRUE:
                return True
            if word in _FALSE:
                return False
        elif isinstance(value, int | float) and value in (0, 1):
            return bool(value)
        raise TransformFailure(f"not a true/false value: {describe(value)}", value)

    return step


@transform(
    "value_map",
    "Translate values with a fixed `map` (a Salesforce picklist value to a NetSuite id, say).",
    Param("map", "map", help='{"source value": target value}'),
    *_MISS_PARAMS,
    category="value",
)
def _value_map(params: dict[str, Any], builder: Builder) -> Step:
    """Keys are text; numbers match without a zero fraction (12.0 finds ``"12"``) and booleans as
    ``true``/``false``. A value not in the map is a problem unless ``default`` or ``on_missing`` says
    otherwise. Use a lookup table instead when the values differ per NetSuite account."""
    table = dict(params["map"])
    policy, fallback = _miss_policy(params)
    shown = ", ".join(sorted(table)[:8]) + (", …" if len(table) > 8 else "")

    def step(value: Any, frame: Frame) -> Any:
        if value is None:
            return None
        key = value if value.__class__ is str else _key(value)
        found = table.get(key, MISSING)
        if found is MISSING:
            return _missed(policy, fallback, value, f"{describe(key)} is not in the value map ({shown})")
        return found

    return step


@transform(
    "lookup",
    "Translate through the lookup table `table` (currency code -> NetSuite currency id, say).",
    Param("table", "text", minimum=1),
    *_MISS_PARAMS,
    category="value",
)
def _lookup(params: dict[str, Any], builder: Builder) -> Step:
    """Lookup tables are edited in the console apart from the mapping, because their values (NetSuite
    internal ids) differ from one account to the next. Keys match like ``value_map`` keys. A miss is a
    problem unless ``default`` or ``on_missing`` says otherwise."""
    table = params["table"]
    builder.use_table(table)
    policy, fallback = _miss_policy(params)

    def step(value: Any, frame: Frame) -> Any:
        if value is None:
            return None
        key = value if value.__class__ is str else _key(value)
        tables = frame.run.tables
        if tables is not None:
            values = tables.get(table)
            found = MISSING if values is None else values.get(key, MISSING)
        else:
            found = frame.run.lookups.lookup(table, key)
        if found is MISSING:
            return _missed(policy, fallback, value, f"no {describe(key)} in lookup table {table!r}")
        return found

    return step


@transform(
    "dynamic_lookup",
    "Look the value up in a live source such as netsuite_item_by_sku (cached, refreshable).",
    Param("source", "text", minimum=1),
    *_MISS_PARAMS,
    category="value",
)
def _dynamic_lookup(params: dict[str, Any], builder: Builder) -> Step:
    """The source is configured on the connection (``netsuite_item_by_sku`` runs one SuiteQL query per
    batch of SKUs and caches the answers). A miss is a problem unless ``default`` or ``on_missing`` says
    otherwise: an order line for an item NetSuite does not have cannot be created."""
    source = params["source"]
    builder.use_dynamic(source)
    policy, fallback = _miss_policy(params)

    def step(value: Any, frame: Frame) -> Any:
        if value is None:
            return None
        key = value if value.__class__ is str else _key(value)
        sources = frame.run.sources
        if sources is not None:
            resolver = sources.get(source)
            found = MISSING if resolver is None else resolver.get(key)
        else:
            found = frame.run.lookups.dynamic(source, key)
        if found is MISSING:
            return _missed(policy, fallback, value, f"{source}: nothing found for {describe(key)}")
        return found

    return step


def _branch(spec: Any, builder: Builder, name: str) -> Step | None:
    if spec is None:
        return None
    if isinstance(spec, dict) and set(spec) == {"constant"}:
        constant = spec["constant"]
        return lambda value, frame: constant
    if isinstance(spec, list):
        steps = builder.steps(spec)

        def chain(value: Any, frame: Frame) -> Any:
            for step in steps:
                value = step(value, frame)
            return value

        return chain
    raise SpecError(f"'{name}' is a list of transforms or {{\"constant\": value}}")


@transform(
    "if",
    "Apply `then` when `condition` holds, else `else` (each a transform list or a constant).",
    Param("condition", "condition", help="a condition; @value is the value being transformed"),
    Param("then", "branch"),
    Param("else", "branch", required=False),
    category="value",
)
def _if(params: dict[str, Any], builder: Builder) -> Step:
    """``{"fn": "if", "condition": {"field": "SBQQ__Product__r.Taxable__c", "op": "eq", "value": false},
    "then": {"constant": "TAX-EXEMPT"}}``. Without ``else`` the value passes unchanged when the
    condition does not hold. The condition reads fields of the current record, or ``@value``."""
    test = builder.condition(params["condition"])
    then = _branch(params["then"], builder, "then")
    otherwise = _branch(params["else"], builder, "else")
    if then is None:
        raise SpecError("'then' is a list of transforms or {\"constant\": value}")

    def step(value: Any, frame: Frame) -> Any:
        if test(frame, value):
            return then(value, frame)
        return otherwise(value, frame) if otherwise is not None else value

    return step
