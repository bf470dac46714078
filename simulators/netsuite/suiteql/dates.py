"""Oracle date formats in SuiteQL: TO_DATE / TO_TIMESTAMP parsing and TO_CHAR rendering.

Dates are stored as ``YYYY-MM-DD`` and date-times as ``YYYY-MM-DD HH:MM:SS`` (UTC), so a parsed literal
becomes a string in the same form and compares correctly; TO_CHAR becomes SQLite's ``strftime``.
"""

from __future__ import annotations

import datetime as dt
import re

from simulators.netsuite.suiteql.lexer import SuiteQLError

_ELEMENT = re.compile(
    r'"[^"]*"|YYYY|HH24|HH12|HH|MI|SS|MM|DD|MONTH|MON|AM|PM|[^A-Za-z"]+|[A-Za-z]+', re.IGNORECASE
)
_PARSE = {
    "YYYY": "%Y",
    "MM": "%m",
    "DD": "%d",
    "HH24": "%H",
    "HH": "%I",
    "HH12": "%I",
    "MI": "%M",
    "SS": "%S",
    "AM": "%p",
    "PM": "%p",
    "MON": "%b",
    "MONTH": "%B",
}
_RENDER = {"YYYY": "%Y", "MM": "%m", "DD": "%d", "HH24": "%H", "MI": "%M", "SS": "%S"}
_TIME_ELEMENTS = {"HH24", "HH", "HH12", "MI", "SS", "AM", "PM"}


def _elements(fmt: str) -> list[str]:
    elements = _ELEMENT.findall(fmt)
    if "".join(elements) != fmt:
        raise SuiteQLError(f"Unsupported date format {fmt!r}.")
    return elements


def parse_with_format(text: str, fmt: str, *, timestamp: bool) -> tuple[str, str]:
    """TO_DATE/TO_TIMESTAMP of a literal: (stored value, "date" or "datetime")."""
    pattern = []
    has_time = False
    for element in _elements(fmt):
        upper = element.upper()
        if element.startswith('"'):
            pattern.append(element[1:-1].replace("%", "%%"))
        elif upper in _PARSE:
            pattern.append(_PARSE[upper])
            has_time = has_time or upper in _TIME_ELEMENTS
        elif element.isalpha():
            raise SuiteQLError(f"Date format element {element!r} is not supported.")
        else:
            pattern.append(element.replace("%", "%%"))
    try:
        moment = dt.datetime.strptime(text.strip(), "".join(pattern))
    except ValueError:
        raise SuiteQLError(f"The value {text!r} does not match the date format {fmt!r}.") from None
    if timestamp or has_time:
        return moment.strftime("%Y-%m-%d %H:%M:%S"), "datetime"
    return moment.strftime("%Y-%m-%d"), "date"


def strftime_format(fmt: str) -> str:
    """An Oracle TO_CHAR date format as a SQLite strftime format."""
    out = []
    for element in _elements(fmt):
        upper = element.upper()
        if element.startswith('"'):
            out.append(element[1:-1].replace("%", "%%"))
        elif upper in _RENDER:
            out.append(_RENDER[upper])
        elif element.isalpha():
            hint = " (use HH24)" if upper in ("HH", "HH12", "AM", "PM") else ""
            raise SuiteQLError(
                f"TO_CHAR format element {element!r} is not supported by this simulator{hint}."
            )
        else:
            out.append(element.replace("%", "%%"))
    return "".join(out)


_LITERAL_FORMATS = (
    "%Y-%m-%d",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%dT%H:%M:%SZ",
    "%m/%d/%Y",
    "%m/%d/%Y %I:%M %p",
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y %I:%M:%S %p",
)


def implicit_date(text: str) -> str | None:
    """A string compared with a date column, read as Oracle would with the account's formats."""
    for fmt in _LITERAL_FORMATS:
        try:
            moment = dt.datetime.strptime(text.strip(), fmt)
        except ValueError:
            continue
        if fmt in ("%Y-%m-%d", "%m/%d/%Y"):
            return moment.strftime("%Y-%m-%d")
        return moment.strftime("%Y-%m-%d %H:%M:%S")
    return None
