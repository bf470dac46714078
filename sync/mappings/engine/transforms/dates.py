"""Date and time transforms: date_format, datetime_format, to_timezone (zoneinfo, no third party)."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from sync.mappings.engine.problems import TransformFailure, describe
from sync.mappings.engine.runtime import Frame
from sync.mappings.engine.transforms.registry import Builder, Param, Step, transform

UTC = ZoneInfo("UTC")
ISO_DATE = "%Y-%m-%d"


def parse_datetime(value: Any, input_format: str | None, assume: dt.tzinfo) -> dt.datetime:
    """An aware datetime from ISO 8601 text (Salesforce's ``2026-11-23T07:30:00.000+0000``, NetSuite's
    ``2026-11-23T07:30:51Z``, a plain date) or from text in ``input_format``. Naive values are taken to
    be in ``assume``; a plain date is midnight there."""
    if not isinstance(value, str):
        raise TransformFailure(f"expected a date-time as text, got {describe(value)}", value)
    try:
        if input_format:
            moment = dt.datetime.strptime(value, input_format)  # noqa: DTZ007 - naive on purpose, see assume
        elif len(value) <= 10:
            moment = dt.datetime.combine(dt.date.fromisoformat(value), dt.time())
        else:
            moment = dt.datetime.fromisoformat(value)
    except ValueError:
        expected = f"in the format {input_format}" if input_format else "an ISO 8601 date-time"
        raise TransformFailure(f"not {expected}: {describe(value)}", value) from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=assume)


def parse_date(value: Any, input_format: str | None) -> dt.date:
    """A date as written: a date-time's date part is taken without converting its time zone."""
    if not isinstance(value, str):
        raise TransformFailure(f"expected a date as text, got {describe(value)}", value)
    try:
        if input_format:
            return dt.datetime.strptime(value, input_format).date()  # noqa: DTZ007 - a calendar date
        if len(value) <= 10:
            return dt.date.fromisoformat(value)
        return dt.datetime.fromisoformat(value).date()
    except ValueError:
        expected = f"in the format {input_format}" if input_format else "an ISO 8601 date (YYYY-MM-DD)"
        raise TransformFailure(f"not {expected}: {describe(value)}", value) from None


def iso(moment: dt.datetime) -> str:
    text = moment.isoformat(timespec="seconds")
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _convert(moment: dt.datetime, zone: dt.tzinfo, value: Any) -> dt.datetime:
    try:
        return moment.astimezone(zone)
    except (OverflowError, ValueError):
        raise TransformFailure(f"{describe(value)} is out of range in {zone}", value) from None


def _format(moment: dt.date, output: str, value: Any) -> str:
    try:
        return moment.strftime(output)
    except (ValueError, OverflowError):
        raise TransformFailure(f"{describe(value)} cannot be written as {output}", value) from None


@transform(
    "date_format",
    "Reformat a date: ISO 8601 (or `input`) in, `output` out (default %Y-%m-%d).",
    Param("input", "format", required=False, help="strftime format of the source; ISO 8601 when omitted"),
    Param("output", "format", required=False, default=ISO_DATE),
    category="date",
)
def _date_format(params: dict[str, Any], builder: Builder) -> Step:
    """For calendar dates (Salesforce ``CloseDate``, NetSuite ``tranDate``): a date-time's date part is
    kept as written, with no time-zone shift (use ``datetime_format`` with an output of ``%Y-%m-%d`` to
    take the date in a given zone). ``{"fn": "date_format", "input": "%m/%d/%Y"}`` reads ``11/23/2026``.
    Text that is not a date is a problem."""
    input_format, output = params["input"], params["output"]
    if input_format is None and output == ISO_DATE:
        return _iso_date_step

    def step(value: Any, frame: Frame) -> Any:
        if value is None or value == "":
            return None
        return _format(parse_date(value, input_format), output, value)

    return step


# ISO dates met before, as date_format writes them: an order's close, start and end dates repeat
# across its objects and across a batch. Filled up to the limit and then only read.
_ISO_DATE_OF: dict[str, str] = {}
_ISO_DATE_MEMO_LIMIT = 4096


def _iso_date_step(value: Any, frame: Frame) -> Any:
    """``date_format`` with its defaults (ISO in, ``%Y-%m-%d`` out), on several rows of every order:
    ``isoformat`` writes the same text as ``strftime`` for years from 1000 on, at a tenth of the cost
    (``strftime`` builds a time tuple and calls the C library)."""
    if value.__class__ is str:
        known = _ISO_DATE_OF.get(value)
        if known is not None:
            return known
        if len(value) == 10:
            try:
                day = dt.date.fromisoformat(value)
            except ValueError:
                day = None
            if day is not None and day.year >= 1000:
                text = day.isoformat()
                if len(_ISO_DATE_OF) < _ISO_DATE_MEMO_LIMIT:
                    _ISO_DATE_OF[value] = text
                return text
    if value is None or value == "":
        return None
    return _format(parse_date(value, None), ISO_DATE, value)


@transform(
    "datetime_format",
    "Convert a date-time to `timezone` and write it in `output` (ISO 8601 when omitted).",
    Param("timezone", "timezone", required=False, default="UTC"),
    Param("output", "format", required=False, help="strftime format; ISO 8601 with offset when omitted"),
    Param("input", "format", required=False, help="strftime format of the source; ISO 8601 when omitted"),
    Param("assume", "timezone", required=False, default="UTC", help="zone of source values without one"),
    category="date",
)
def _datetime_format(params: dict[str, Any], builder: Builder) -> Step:
    """Reads ISO 8601 with any offset (``2026-11-23T07:30:00.000+0000``, ``...Z``, ``...+01:00``);
    values without an offset are taken to be in ``assume`` (UTC by default). ``{"fn":
    "datetime_format", "timezone": "America/New_York", "output": "%Y-%m-%d"}`` gives the New York
    calendar date of a UTC moment. UTC results end in ``Z``."""
    zone, assume = params["timezone"], params["assume"]
    output, input_format = params["output"], params["input"]

    def step(value: Any, frame: Frame) -> Any:
        if value is None or value == "":
            return None
        moment = _convert(parse_datetime(value, input_format, assume), zone, value)
        return _format(moment, output, value) if output else iso(moment)

    return step


@transform(
    "to_timezone",
    "Express a date-time in another time zone, as ISO 8601 with its offset.",
    Param("timezone", "timezone"),
    category="date",
)
def _to_timezone(params: dict[str, Any], builder: Builder) -> Step:
    """``2026-11-23T07:30:00Z`` to ``Europe/Paris`` gives ``2026-11-23T08:30:00+01:00``: the same
    moment, written in that zone (daylight saving from the IANA database). Naive input is taken as UTC."""
    zone = params["timezone"]

    def step(value: Any, frame: Frame) -> Any:
        if value is None or value == "":
            return None
        return iso(_convert(parse_datetime(value, None, UTC), zone, value))

    return step
