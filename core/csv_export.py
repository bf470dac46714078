"""The one CSV writer every export uses: cells a spreadsheet would run as a formula are neutralised.

A value from a remote system or a person (an account name, a mismatch value, an audit change) may
start with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return; Excel, LibreOffice and Google Sheets
treat such a cell as a formula (CSV injection, OWASP). Following OWASP's guidance the cell is prefixed
with a single quote, which the spreadsheet shows as text. Exports build rows of plain values and hand
them to :func:`csv_response`; nothing else in the code base calls :mod:`csv` to write.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator, Sequence

from django.http import StreamingHttpResponse

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: object) -> str:
    """``value`` as a CSV cell a spreadsheet shows as text (``None`` is an empty cell)."""
    cell = "" if value is None else str(value)
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell


class _Echo:
    """csv.writer wants a file; this one hands each written line back instead of storing it."""

    def write(self, value: str) -> str:
        return value


def csv_lines(rows: Iterable[Sequence[object]]) -> Iterator[str]:
    """Each row as one CSV line, every cell made spreadsheet-safe (lazy: rows are read as lines go out)."""
    writer = csv.writer(_Echo())
    for row in rows:
        yield writer.writerow([spreadsheet_safe(cell) for cell in row])


def csv_response(rows: Iterable[Sequence[object]], *, filename: str) -> StreamingHttpResponse:
    """A streamed CSV download of ``rows`` (header first) named ``filename``."""
    response = StreamingHttpResponse(csv_lines(rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
