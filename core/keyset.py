"""Keyset pages, newest first, for lists that grow without bound (jobs, inbox messages).

A page is read as ``WHERE (stamp, id) < (cursor) ORDER BY stamp DESC, id DESC LIMIT size + 1``: with an
index ending in (stamp, id) the database reads ``size + 1`` index entries whatever the page's depth,
where OFFSET would read and drop every row before it. The cursor is the last row's stamp and id as text
(``2026-12-07T04:51:35.123456+00:00_1234``); one that does not parse gives the first page, never an
error, like the other filters of a query string.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Generic, TypeVar

from django.db.models import Model, Q, QuerySet

PAGE_SIZE = 50
Row = TypeVar("Row", bound=Model)


@dataclass(frozen=True)
class KeysetPage(Generic[Row]):
    rows: list[Row]
    older: str  # the cursor of the next (older) page; "" on the last page


def cursor_text(stamp: dt.datetime, pk: int) -> str:
    return f"{stamp.isoformat()}_{pk}"


def cursor_parse(text: str) -> tuple[dt.datetime, int] | None:
    """(stamp, id) from a cursor, or None when it is empty or not one (aware stamps only)."""
    stamp_text, _, pk_text = text.rpartition("_")
    try:
        stamp = dt.datetime.fromisoformat(stamp_text)
    except ValueError:
        return None
    if stamp.tzinfo is None or not pk_text.isdigit():
        return None
    return stamp, int(pk_text)


def newest_first_page(
    rows: QuerySet[Row], *, stamp: str, cursor: str = "", size: int = PAGE_SIZE
) -> KeysetPage[Row]:
    """The page of ``rows`` after ``cursor``, newest ``stamp`` first (ties by id, newest first)."""
    after = cursor_parse(cursor)
    if after is not None:
        at, pk = after
        # "stamp <= at" bounds the index scan; the OR only drops the rows sharing the cursor's stamp.
        rows = rows.filter(Q(**{f"{stamp}__lte": at}) & (Q(**{f"{stamp}__lt": at}) | Q(pk__lt=pk)))
    found = list(rows.order_by(f"-{stamp}", "-pk")[: size + 1])
    last = found[size - 1] if len(found) > size else None
    return KeysetPage(rows=found[:size], older=cursor_text(getattr(last, stamp), last.pk) if last else "")
