"""SOQL date literals (TODAY, LAST_N_DAYS:30 ...) as half-open date ranges, in UTC.

``CloseDate = THIS_MONTH`` means "within the range"; ``<`` means before its start, ``>`` after its end.
Weeks start on Sunday, as in the default (en_US) locale.
"""

from __future__ import annotations

import datetime as dt

DATE_LITERALS = frozenset(
    {
        "YESTERDAY",
        "TODAY",
        "TOMORROW",
        "LAST_WEEK",
        "THIS_WEEK",
        "NEXT_WEEK",
        "LAST_MONTH",
        "THIS_MONTH",
        "NEXT_MONTH",
        "LAST_90_DAYS",
        "NEXT_90_DAYS",
        "THIS_QUARTER",
        "LAST_QUARTER",
        "NEXT_QUARTER",
        "THIS_YEAR",
        "LAST_YEAR",
        "NEXT_YEAR",
    }
)
N_DATE_LITERALS = frozenset(
    {
        "LAST_N_DAYS",
        "NEXT_N_DAYS",
        "N_DAYS_AGO",
        "LAST_N_WEEKS",
        "NEXT_N_WEEKS",
        "LAST_N_MONTHS",
        "NEXT_N_MONTHS",
        "LAST_N_YEARS",
        "NEXT_N_YEARS",
    }
)


def _add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def date_range(name: str, n: int, today: dt.date) -> tuple[dt.date, dt.date]:
    """The [start, end) dates that the literal ``name`` (with ``n`` for the ``_N_`` forms) covers."""
    one = dt.timedelta(days=1)
    week = today - dt.timedelta(days=(today.weekday() + 1) % 7)
    month = today.replace(day=1)
    quarter = dt.date(today.year, (today.month - 1) // 3 * 3 + 1, 1)
    year = dt.date(today.year, 1, 1)
    simple = {
        "YESTERDAY": (today - one, today),
        "TODAY": (today, today + one),
        "TOMORROW": (today + one, today + 2 * one),
        "LAST_WEEK": (week - 7 * one, week),
        "THIS_WEEK": (week, week + 7 * one),
        "NEXT_WEEK": (week + 7 * one, week + 14 * one),
        "LAST_MONTH": (_add_months(month, -1), month),
        "THIS_MONTH": (month, _add_months(month, 1)),
        "NEXT_MONTH": (_add_months(month, 1), _add_months(month, 2)),
        "LAST_90_DAYS": (today - 90 * one, today + one),
        "NEXT_90_DAYS": (today + one, today + 91 * one),
        "THIS_QUARTER": (quarter, _add_months(quarter, 3)),
        "LAST_QUARTER": (_add_months(quarter, -3), quarter),
        "NEXT_QUARTER": (_add_months(quarter, 3), _add_months(quarter, 6)),
        "THIS_YEAR": (year, year.replace(year=year.year + 1)),
        "LAST_YEAR": (year.replace(year=year.year - 1), year),
        "NEXT_YEAR": (year.replace(year=year.year + 1), year.replace(year=year.year + 2)),
    }
    if name in simple:
        return simple[name]
    n = min(n, 10000)
    if name == "LAST_N_DAYS":
        return today - n * one, today + one
    if name == "NEXT_N_DAYS":
        return today + one, today + (n + 1) * one
    if name == "N_DAYS_AGO":
        return today - n * one, today - (n - 1) * one
    if name == "LAST_N_WEEKS":
        return week - 7 * n * one, week
    if name == "NEXT_N_WEEKS":
        return week + 7 * one, week + 7 * (n + 1) * one
    if name == "LAST_N_MONTHS":
        return _add_months(month, -n), month
    if name == "NEXT_N_MONTHS":
        return _add_months(month, 1), _add_months(month, n + 1)
    if name == "LAST_N_YEARS":
        return year.replace(year=max(1, year.year - n)), year
    if name == "NEXT_N_YEARS":
        return year.replace(year=year.year + 1), year.replace(year=min(9999, year.year + n + 1))
    raise ValueError(f"unknown date literal {name}")
