"""Field values between JSON, SQLite and SOAP: write-time checks in Salesforce's words, read-time shapes."""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable
from typing import Any

from simulators.salesforce import ids
from simulators.salesforce.errors import ApiError, json_parser_error
from simulators.salesforce.schema import NUMBER_TYPES, TEXT_TYPES, Field

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATETIME = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})?$"
)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def format_datetime(moment: dt.datetime) -> str:
    """The REST API's date-time form, always UTC with milliseconds: ``2026-11-23T07:30:00.000+0000``."""
    moment = moment.astimezone(dt.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"


def now_stamp() -> str:
    return format_datetime(dt.datetime.now(dt.UTC))


def parse_datetime(text: str) -> dt.datetime | None:
    """An ISO 8601 date-time (``Z``, ``+hh:mm``, ``+hhmm`` or no zone, meaning UTC), or None."""
    match = _DATETIME.match(text.strip()) if isinstance(text, str) else None
    if not match:
        return None
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    try:
        micro = int((fraction or "0")[:6].ljust(6, "0"))
        tz = dt.UTC
        if zone and zone != "Z":
            sign = -1 if zone[0] == "-" else 1
            digits = zone[1:].replace(":", "")
            tz = dt.timezone(sign * dt.timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))
        return dt.datetime(
            int(year), int(month), int(day), int(hour), int(minute), int(second or 0), micro, tzinfo=tz
        )
    except ValueError:
        return None


def stored_datetime(text: str) -> str | None:
    moment = parse_datetime(text)
    return None if moment is None else format_datetime(moment)


def parse_date(text: str) -> dt.date | None:
    if not isinstance(text, str) or not _DATE.match(text):
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


def _json_kind(value: Any) -> str:
    if isinstance(value, bool):
        return "VALUE_TRUE" if value else "VALUE_FALSE"
    if isinstance(value, int):
        return "VALUE_NUMBER_INT"
    if isinstance(value, float):
        return "VALUE_NUMBER_FLOAT"
    if isinstance(value, str):
        return "VALUE_STRING"
    return "START_OBJECT" if isinstance(value, dict) else "START_ARRAY"


def _cannot_deserialize(kind: str, value: Any) -> ApiError:
    return json_parser_error(
        f"Cannot deserialize instance of {kind} from {_json_kind(value)} value {value} "
        "or request may be missing a required field"
    )


def coerce(f: Field, value: Any) -> Any:
    """The stored form of ``value`` for field ``f``; raises :class:`ApiError` as Salesforce would."""
    if f.type == "boolean":
        if value is None:
            return 0
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return int(value.lower() == "true")
        if not isinstance(value, bool):
            raise _cannot_deserialize("boolean", value)
        return int(value)
    if value is None:
        return None
    if isinstance(value, dict | list):
        raise _cannot_deserialize(f.type, value)
    if f.type in TEXT_TYPES:
        return _text(f, value)
    if f.type in NUMBER_TYPES:
        return _number(f, value)
    if f.type == "date":
        if parse_date(value) is None:
            raise _cannot_deserialize("date", value)
        return value
    if f.type == "datetime":
        stored = stored_datetime(value) if isinstance(value, str) else None
        if stored is None:
            raise _cannot_deserialize("datetime", value)
        return stored
    if f.type in ("reference", "id"):
        if value == "":
            return None
        normalized = ids.normalize(value)
        if normalized is None:
            raise ApiError(400, "MALFORMED_ID", f"{f.label}: id value of incorrect type: {value}", [f.name])
        return normalized
    raise _cannot_deserialize(f.type, value)


def _text(f: Field, value: Any) -> str | None:
    if isinstance(value, bool):
        raise _cannot_deserialize("string", value)
    text = value if isinstance(value, str) else str(value)
    if text == "":
        return None  # Salesforce stores an empty string as null
    if f.length and len(text) > f.length:
        raise ApiError(
            400,
            "STRING_TOO_LONG",
            f"{f.label}: data value too large: {text[:40]} (max length={f.length})",
            [f.name],
        )
    if f.type == "email" and not _EMAIL.match(text):
        raise ApiError(400, "INVALID_EMAIL_ADDRESS", f"{f.label}: invalid email address: {text}", [f.name])
    if f.type == "picklist" and f.restricted:
        canonical = next((option for option in f.picklist if option.lower() == text.lower()), None)
        if canonical is None:
            raise ApiError(
                400,
                "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
                f"{f.label}: bad value for restricted picklist field: {text}",
                [f.name],
            )
        return canonical
    return text


def _number(f: Field, value: Any) -> int | float:
    if isinstance(value, bool):
        raise _cannot_deserialize("double", value)
    number: float
    if isinstance(value, int | float):
        number = float(value)
    else:
        try:
            number = float(str(value).strip())
        except ValueError:
            raise _cannot_deserialize("double", value) from None
    if math.isnan(number) or math.isinf(number) or abs(number) >= 10 ** (f.precision - f.scale):
        raise ApiError(
            400,
            "NUMBER_OUTSIDE_VALID_RANGE",
            f"{f.label}: value outside of valid range on numeric field: {value}",
            [f.name],
        )
    if f.type == "int":
        return int(number)
    return round(number, f.scale)


def _as_bool(value: Any) -> bool:
    return bool(value)


def _as_float(value: Any) -> float | None:
    return None if value is None else float(value)


def _as_int(value: Any) -> int | None:
    return None if value is None else int(value)


def _as_is(value: Any) -> Any:
    return value


def output(f: Field) -> Callable[[Any], Any]:
    """The function turning a stored value of ``f`` into its JSON value."""
    if f.type == "boolean":
        return _as_bool
    if f.type == "int":
        return _as_int
    if f.type in NUMBER_TYPES:
        return _as_float
    return _as_is


def soap_value(f: Field, value: Any) -> str:
    """A stored value as the enterprise WSDL writes it in an outbound message."""
    if f.type == "boolean":
        return "true" if value else "false"
    if f.type == "datetime":
        return str(value).replace("+0000", "Z")
    if f.type in NUMBER_TYPES:
        return str(int(value)) if f.type == "int" else repr(float(value))
    return str(value)
