"""Field values between the wire and storage.

Stored forms: text, numbers and booleans as themselves; dates ``YYYY-MM-DD``; date-times in UTC as
``YYYY-MM-DD HH:MM:SS`` (sortable, and what SuiteQL compares against); references as the integer id;
selects and countries as their id. On the wire references and selects are ``{"id", "refName"}``
objects and date-times ISO 8601 in UTC (``2026-11-23T07:30:51Z``).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass
from typing import Any

from simulators.netsuite.errors import NetSuiteError, invalid_content, nonexistent_field
from simulators.netsuite.schema import Field

COUNTRY_NAMES = {
    "US": "United States",
    "CA": "Canada",
    "GB": "United Kingdom",
    "IE": "Ireland",
    "DE": "Germany",
    "FR": "France",
    "NL": "Netherlands",
    "ES": "Spain",
    "IT": "Italy",
    "AU": "Australia",
    "NZ": "New Zealand",
    "JP": "Japan",
    "SG": "Singapore",
    "IN": "India",
    "BR": "Brazil",
    "MX": "Mexico",
    "CH": "Switzerland",
}
_COUNTRY = re.compile(r"^[A-Z]{2}$")


@dataclass(frozen=True)
class Reference:
    """A reference as written (``{"id"}`` or ``{"externalId"}``), resolved against the store later."""

    id: int | None
    external_id: str | None
    path: str


def _bad(field: Field, value: Any, path: str, expected: str) -> NetSuiteError:
    shown = str(value)[:60]
    return invalid_content(
        f"Error while accessing a resource. You have entered an Invalid Field Value {shown} "
        f"for the following field: {field.name} ({expected} expected).",
        path,
    )


def _number(field: Field, value: Any, path: str) -> float | int:
    if isinstance(value, bool):
        raise _bad(field, value, path, "a number")
    if isinstance(value, str):
        try:
            value = float(value) if any(ch in value for ch in ".eE") else int(value)
        except ValueError:
            raise _bad(field, value, path, "a number") from None
    if not isinstance(value, int | float) or (isinstance(value, float) and not math.isfinite(value)):
        raise _bad(field, value, path, "a number")
    return value


def _id_of(field: Field, value: Any, path: str) -> Any:
    if isinstance(value, dict):
        unknown = set(value) - {"id", "refName", "links", "externalId"}
        if unknown:
            raise nonexistent_field(field.name, f"{path}.{sorted(unknown)[0]}")
        return value.get("id")
    return value


def coerce(field: Field, value: Any, path: str) -> Any:
    """The stored form of ``value`` written to ``field``; ``None`` clears.

    References come back as :class:`Reference`, resolved against the store by the writer.
    """
    if value is None:
        return None
    kind = field.kind
    if kind == "text":
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise _bad(field, value, path, "text")
        return str(value)
    if kind == "bool":
        if not isinstance(value, bool):
            raise _bad(field, value, path, "true or false")
        return value
    if kind == "float":
        return _number(field, value, path)
    if kind == "int":
        number = _number(field, value, path)
        if isinstance(number, float) and not number.is_integer():
            raise _bad(field, value, path, "a whole number")
        return int(number)
    if kind == "date":
        try:
            return dt.date.fromisoformat(str(value)[:10]).isoformat() if isinstance(value, str) else _fail()
        except ValueError:
            raise _bad(field, value, path, "a date YYYY-MM-DD") from None
    if kind == "datetime":
        try:
            return stored_datetime(value) if isinstance(value, str) else _fail()
        except ValueError:
            raise _bad(field, value, path, "an ISO 8601 date-time") from None
    if kind == "ref":
        if not isinstance(value, dict) or not ({"id", "externalId"} & set(value)):
            raise _bad(field, value, path, 'a reference {"id": "..."} or {"externalId": "..."}')
        raw_id = _id_of(field, value, path)
        if raw_id is not None:
            try:
                return Reference(int(str(raw_id)), None, path)
            except ValueError:
                raise _bad(field, raw_id, path, "an internal id") from None
        external = value.get("externalId")
        if not isinstance(external, str | int) or isinstance(external, bool) or str(external) == "":
            raise _bad(field, value, path, "an external id")
        return Reference(None, str(external), path)
    if kind == "select":
        option = _id_of(field, value, path)
        option = str(option) if isinstance(option, str | int) and not isinstance(option, bool) else None
        if option is None or not any(option == option_id for option_id, _ in field.options):
            allowed = ", ".join(option_id for option_id, _ in field.options)
            raise _bad(field, value, path, f"one of {allowed}")
        return option
    if kind == "country":
        code = _id_of(field, value, path)
        if not isinstance(code, str) or not _COUNTRY.match(code.upper()):
            raise _bad(field, value, path, "a two-letter country code")
        return code.upper()
    if kind == "address":
        if not isinstance(value, dict):
            raise _bad(field, value, path, "an address object")
        address: dict[str, Any] = {}
        for name, item in value.items():
            if name in ("links", "addrText"):
                continue
            sub = next((f for f in field.subfields if f.name.lower() == name.lower()), None)
            if sub is None:
                raise nonexistent_field("address", f"{path}.{name}")
            stored = coerce(sub, item, f"{path}.{sub.name}")
            if stored is not None:
                address[sub.name] = stored
        return address
    raise AssertionError(f"unhandled kind {kind}")


def _fail() -> Any:
    raise ValueError("wrong type")


def stored_datetime(text: str) -> str:
    """ISO 8601 (with ``Z``, an offset, or none meaning UTC) to the stored UTC form."""
    moment = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC).replace(tzinfo=None)
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def iso_datetime(stored: str) -> str:
    """Stored UTC ``YYYY-MM-DD HH:MM:SS`` to the wire's ``YYYY-MM-DDTHH:MM:SSZ``."""
    return stored[:10] + "T" + stored[11:19] + "Z"


def account_date(stored: str) -> str:
    """A stored date or date-time in the account's date format (M/D/YYYY, US English default)."""
    year, month, day = stored[:4], stored[5:7], stored[8:10]
    return f"{int(month)}/{int(day)}/{year}"


def address_text(address: dict[str, Any]) -> str:
    city_line = " ".join(str(address[k]) for k in ("city", "state", "zip") if address.get(k))
    parts = [
        address.get("attention"),
        address.get("addressee"),
        address.get("addr1"),
        address.get("addr2"),
        address.get("addr3"),
        city_line,
        COUNTRY_NAMES.get(str(address.get("country")), address.get("country")),
    ]
    return "\n".join(str(part) for part in parts if part)
