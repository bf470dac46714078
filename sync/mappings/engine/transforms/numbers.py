"""Number transforms, all in Decimal: to_number, to_integer, round, currency_precision, multiply."""

from __future__ import annotations

from collections.abc import Callable
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, ROUND_HALF_UP, ROUND_UP, Decimal, DecimalException
from typing import Any

from sync.mappings.engine.coerce import key_text, to_decimal
from sync.mappings.engine.problems import SpecError, TransformFailure, describe
from sync.mappings.engine.runtime import Frame
from sync.mappings.engine.transforms.registry import Builder, Getter, Param, Step, decimal_param, transform

ROUNDING = {"half_up": ROUND_HALF_UP, "half_even": ROUND_HALF_EVEN, "down": ROUND_DOWN, "up": ROUND_UP}
ROUNDING_MODES = tuple(ROUNDING)

# ISO 4217 minor units where they are not 2. NetSuite's currency records carry the same figure
# (currencyPrecision); a mapping can override it with the transform's `precisions` parameter.
CURRENCY_PLACES: dict[str, int] = {
    **dict.fromkeys(
        (
            "BIF",
            "CLP",
            "DJF",
            "GNF",
            "ISK",
            "JPY",
            "KMF",
            "KRW",
            "PYG",
            "RWF",
            "UGX",
            "UYI",
            "VND",
            "VUV",
            "XAF",
            "XOF",
            "XPF",
        ),
        0,
    ),
    **dict.fromkeys(("BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"), 3),
}
DEFAULT_PLACES = 2


_FLOAT_LIMIT = 1e30
# Decimals of the floats met most (quantities 1.0, 5.0, 12.0; list prices): ``Decimal(repr(x))``
# costs as much as ten dict reads. Filled up to the limit and then only read; 0.0 is left out (-0.0 ==
# 0.0 as a key, but the two Decimals differ). Decimals are immutable, so sharing them is safe.
_DECIMAL_OF: dict[float, Decimal] = {}
_DECIMAL_MEMO_LIMIT = 4096


def float_decimal(value: float) -> Decimal:
    """``Decimal(repr(value))`` for a finite float inside number_of's range, remembered."""
    number = Decimal(repr(value))
    if value and len(_DECIMAL_OF) < _DECIMAL_MEMO_LIMIT:
        _DECIMAL_OF[value] = number
    return number


def number_of(value: Any) -> Decimal:
    """A Decimal from a number or numeric text, or a problem naming the value."""
    if (
        value.__class__ is float
        and -_FLOAT_LIMIT < value < _FLOAT_LIMIT
        and (value >= 1e-30 or value <= -1e-30 or value == 0)
    ):
        return Decimal(repr(value))  # the JSON-number fast path of to_decimal, without the call
    number = to_decimal(value)
    if number is None:
        raise TransformFailure(f"not a number: {describe(value)}", value)
    return number


def quantize(number: Decimal, quantum: Decimal, rounding: str) -> Decimal:
    try:
        return number.quantize(quantum, rounding)
    except DecimalException:
        raise TransformFailure(f"{describe(number)} is too large to round", number) from None


@transform(
    "to_number", "Read a number (from a number or numeric text) as an exact Decimal.", category="number"
)
def _to_number(params: dict[str, Any], builder: Builder) -> Step:
    """``"1234.50"``, ``1234.5`` and ``1234.50`` all become exact Decimals (a float goes through its
    shortest text, so 0.1 stays 0.1). Empty text gives None. Text with thousands separators
    (``"1,234.50"``) is a problem, not a guess: a comma is a decimal mark in half the world."""

    memo = _DECIMAL_OF

    def step(value: Any, frame: Frame) -> Any:
        if value.__class__ is float:
            number = memo.get(value)
            if number is not None:
                return number
            if -_FLOAT_LIMIT < value < _FLOAT_LIMIT and (value >= 1e-30 or value <= -1e-30 or value == 0):
                return float_decimal(value)  # number_of's float path, inlined (quantities on every line)
        if value is None or value == "":
            return None
        return number_of(value)

    return step


@transform("to_integer", "Read a whole number; a fraction is a problem (round it first).", category="number")
def _to_integer(params: dict[str, Any], builder: Builder) -> Step:
    """``12.0`` (Salesforce's form of a whole-number field) becomes ``12``; ``12.5`` is a problem rather
    than a silent truncation: put ``round`` before it when dropping the fraction is meant."""

    def step(value: Any, frame: Frame) -> Any:
        if value.__class__ is float and -1e15 < value < 1e15 and value.is_integer():
            return int(value)  # 12.0, a term in months: exact as a float, so no Decimal is needed
        if value is None or value == "":
            return None
        number = number_of(value)
        if number != number.to_integral_value() or abs(number.adjusted()) > 30:
            raise TransformFailure(f"not a whole number: {describe(value)}", value)
        return int(number)

    return step


@transform(
    "round",
    "Round to `places` decimals (`mode`: half_up, half_even, down, up).",
    Param("places", "int", minimum=0, maximum=12),
    Param("mode", "choice", required=False, default="half_up", choices=ROUNDING_MODES),
    category="number",
)
def _round(params: dict[str, Any], builder: Builder) -> Step:
    """Decimal rounding: ``half_up`` (commercial, the default), ``half_even`` (banker's), ``down``
    (towards zero) or ``up`` (away from zero). ``2.345`` with 2 places, half_up, gives ``2.35``."""
    quantum = Decimal(1).scaleb(-params["places"])
    rounding = ROUNDING[params["mode"]]

    def step(value: Any, frame: Frame) -> Any:
        if value is None or value == "":
            return None
        return quantize(number_of(value), quantum, rounding)

    return step


@transform(
    "currency_precision",
    "Round a money amount to its currency's decimals (JPY 0, most 2, KWD 3).",
    Param("currency", "text", required=False, help="a fixed currency code, e.g. USD"),
    Param(
        "currency_field", "path", required=False, help="a path to the currency code, e.g. ^.CurrencyIsoCode"
    ),
    Param("mode", "choice", required=False, default="half_up", choices=ROUNDING_MODES),
    Param("precisions", "map", required=False, default=None, help='overrides: {"code": places}'),
    category="number",
)
def _currency_precision(params: dict[str, Any], builder: Builder) -> Step:
    """Give exactly one of ``currency`` (a code) or ``currency_field`` (a path to the code, such as
    ``$.CurrencyIsoCode``). Places follow ISO 4217 (``precisions`` overrides them, for an account whose
    currency records say otherwise); an unknown code rounds to 2 places. A missing currency code is a
    problem: rounding money without knowing its currency is a guess."""
    if (params["currency"] is None) == (params["currency_field"] is None):
        raise SpecError("give exactly one of 'currency' (a code) or 'currency_field' (a path)")
    quanta = _currency_quanta(params["precisions"] or {})
    fallback = Decimal(1).scaleb(-DEFAULT_PLACES)
    rounding = ROUNDING[params["mode"]]
    if params["currency"] is not None:
        return _fixed_currency_step(quanta.get(params["currency"].upper(), fallback), rounding)
    return _field_currency_step(builder.path(params["currency_field"]), quanta, fallback, rounding)


def _currency_quanta(precisions: dict[str, Any]) -> dict[str, Decimal]:
    """The quantum of each currency code (``0.01`` for 2 places): ISO 4217 with ``precisions`` over it."""
    places = dict(CURRENCY_PLACES)
    for code, count in precisions.items():
        if not isinstance(count, int) or isinstance(count, bool) or not 0 <= count <= 6:
            raise SpecError(f"'precisions': {code!r} must map to a whole number of places from 0 to 6")
        places[code] = count
    return {code: Decimal(1).scaleb(-count) for code, count in places.items()}


def _fixed_currency_step(fixed: Decimal, rounding: str) -> Step:
    def fixed_step(value: Any, frame: Frame) -> Any:
        if value is None or value == "":
            return None
        return quantize(number_of(value), fixed, rounding)

    return fixed_step


_KNOWN_CODES = 512  # currency codes a step remembers the quantum of; ISO 4217 has fewer than 200
# Below 2**50 / 10**places a float's neighbours are less than a quantum apart and its scaled value is an
# exact float integer: see _field_currency_step.
_EXACT_SCALE = 2.0**50


def _rounding(quantum: Decimal) -> tuple[Decimal, int, float]:
    """A currency's quantum (``0.01``), the scale of its grid (100) and the exact path's limit."""
    scale = 10 ** -int(quantum.as_tuple().exponent)
    return quantum, scale, _EXACT_SCALE / scale


def _code_roundings(
    quanta: dict[str, Decimal], fallback: Decimal
) -> tuple[dict[Any, tuple[Decimal, int, float]], Callable[[Any, Any], tuple[Decimal, int, float]]]:
    """The roundings of the codes met so far (:func:`_rounding`; the ISO ones to begin with), and the
    function that finds a code's rounding (and remembers it)."""
    known = {code: _rounding(quantum) for code, quantum in quanta.items()}

    def rounding_for(code: Any, value: Any) -> tuple[Decimal, int, float]:
        entry = known.get(code) if code.__class__ is str else None
        if entry is None:
            text = key_text(code)
            if not text:
                raise TransformFailure("no currency code to round by", value)
            entry = _rounding(quanta.get(text.upper(), fallback))
            if code.__class__ is str and len(known) < _KNOWN_CODES:
                known[code] = entry  # "USD" is not in quanta (2 places): resolved once, not per line
        return entry

    return known, rounding_for


def _field_currency_step(
    read_code: Getter, quanta: dict[str, Decimal], fallback: Decimal, rounding: str
) -> Step:
    known, rounding_for = _code_roundings(quanta, fallback)
    memo = _DECIMAL_OF

    def step(value: Any, frame: Frame, _float: type = float, _round: Any = round) -> Any:
        # Two rows per order line use this step, with amounts that rarely repeat. A float already on
        # its currency's grid (12.5 or 12.34 for USD: nearly every amount) is the float nearest to
        # ``whole / scale`` for a whole number (``/`` of two ints rounds correctly), and under the
        # limit no other number of the grid is that near; so its shortest text is that number, and
        # the general path's Decimal, quantized, is exactly ``Decimal(whole) * quantum``: no text,
        # no rounding. 0.0 is left out (-0.0 keeps its sign on the general path), and so is anything
        # off the grid or past the limit.
        if (
            value.__class__ is _float
            and -1e30 < value < 1e30
            and (value >= 1e-30 or value <= -1e-30 or value == 0)
        ):
            code = read_code(frame)
            entry = known.get(code) if code.__class__ is str else None
            quantum, scale, limit = entry if entry is not None else rounding_for(code, value)
            if -limit < value < limit and value:
                whole = _round(value * scale)
                if whole / scale == value:
                    return Decimal(whole) * quantum  # exact: 16 digits at most
            number = memo.get(value)
            if number is None:
                number = float_decimal(value)
        elif value is None or value == "":
            return None
        else:
            number = number_of(value)
            quantum = rounding_for(read_code(frame), value)[0]
        try:
            return number.quantize(quantum, rounding)
        except DecimalException:
            raise TransformFailure(f"{describe(number)} is too large to round", number) from None

    return step


@transform(
    "multiply",
    "Multiply by the number `by` (exact decimal arithmetic).",
    Param("by", "number"),
    category="number",
)
def _multiply(params: dict[str, Any], builder: Builder) -> Step:
    """``{"fn": "multiply", "by": 100}`` turns a fraction into a percentage; ``by`` may be ``"0.01"``
    (text, for an exact decimal) or a number. Follow it with ``round`` or ``currency_precision``."""
    factor = decimal_param(params, "by")

    def step(value: Any, frame: Frame) -> Any:
        if value is None or value == "":
            return None
        try:
            return number_of(value) * factor
        except DecimalException:
            raise TransformFailure(f"{describe(value)} times {factor} is out of range", value) from None

    return step
