"""Reading what NetSuite changed since a watermark: SuiteQL keyset pages on (lastmodifieddate, id).

Shared by the return flow (:mod:`sync.pipeline.returns`) and the catalogue sync (:mod:`sync.catalogue`).
Pages are keyset pages on (lastmodifieddate to the second, id), so records sharing a second across a page
boundary are all read; callers start a little before their watermark, so a record saved late with an
earlier stamp is still read, and re-reading is harmless because they write only what differs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from sync.connections.connectors.netsuite import NetSuiteConnector

PAGE_SIZE = 1000
STAMP = "YYYY-MM-DD HH24:MI:SS"
STAMP_FORMAT = "%Y-%m-%d %H:%M:%S"


def keyset_rows(
    netsuite: NetSuiteConnector, since: dt.datetime, table: str, columns: str, condition: str, page_size: int
) -> Iterator[dict[str, Any]]:
    """Rows of ``table`` (``columns``, plus ``modified``: the stamp as text) with ``lastmodifieddate >=
    since`` and ``condition``, in (second, id) order. ``columns`` and ``condition`` are the caller's SQL."""
    stamp_of = f"TO_CHAR(lastmodifieddate, '{STAMP}')"
    start = since.astimezone(dt.UTC).strftime(STAMP_FORMAT)
    after: tuple[str, int] | None = None
    while True:
        where = f"{condition + ' AND ' if condition else ''}{stamp_of} >= '{start}'"
        if after is not None:
            # Strictly after the last row read: a later second, or the same second and a greater id.
            where += f" AND ({stamp_of} > '{after[0]}' OR ({stamp_of} = '{after[0]}' AND id > {after[1]}))"
        page = netsuite.suiteql_page(
            f"SELECT {columns}, {stamp_of} AS modified FROM {table} WHERE {where} "  # noqa: S608
            f"ORDER BY {stamp_of}, id",
            limit=page_size,
        )
        yield from page.items
        if not page.has_more or not page.items:
            return
        last = page.items[-1]
        following = (stamp_text(last["modified"]), int(last["id"]))
        if following == after:
            raise RuntimeError(f"keyset paging made no progress at {following}")
        after = following


def stamp_text(value: Any) -> str:
    """A row's ``modified`` stamp, checked to be a plain stamp (it goes back into SQL)."""
    text = str(value)
    dt.datetime.strptime(text, STAMP_FORMAT)  # refuses anything that is not a plain stamp
    return text


def stamp_time(value: Any) -> dt.datetime:
    """A row's ``modified`` stamp as an aware UTC date-time."""
    return dt.datetime.strptime(stamp_text(value), STAMP_FORMAT).replace(tzinfo=dt.UTC)
