"""The shared CSV writer: a cell a spreadsheet would run as a formula is shown as text (OWASP)."""

from __future__ import annotations

import csv
import io

import pytest

from core.csv_export import csv_response, spreadsheet_safe


@pytest.mark.parametrize("value", ["=1+2", "+SUM(A1)", "-2+3", "@SUM(A1)", "\tcmd", "\rcmd"])
def test_it_prefixes_a_formula_looking_cell_with_a_quote(value: str) -> None:
    assert spreadsheet_safe(value) == "'" + value


@pytest.mark.parametrize(
    ("value", "cell"), [("Acme", "Acme"), ("", ""), (None, ""), (12, "12"), ("a=b", "a=b")]
)
def test_it_leaves_other_cells_as_they_are(value: object, cell: str) -> None:
    assert spreadsheet_safe(value) == cell


def test_it_streams_every_row_made_safe() -> None:
    response = csv_response([["name", "value"], ['=HYPERLINK("x")', "-1"], ["plain", None]], filename="x.csv")
    assert response.streaming and response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"] == 'attachment; filename="x.csv"'
    rows = list(csv.reader(io.StringIO(response.getvalue().decode())))
    assert rows == [["name", "value"], ['\'=HYPERLINK("x")', "'-1"], ["plain", ""]]
