"""docs/delivery-guarantees.md has a row for every task type of core/tasks_inventory.py, and names the
recovery kind the inventory gives it: the page and the code cannot drift apart."""

from __future__ import annotations

import re
from pathlib import Path

from core.tasks_inventory import TASK_TYPES

DOC = Path(__file__).resolve().parents[2] / "docs" / "delivery-guarantees.md"


def _rows() -> dict[str, str]:
    """Task path -> the recovery column of its row in the per-task table."""
    rows = {}
    for line in DOC.read_text().splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 4 and "`" in cells[0]:
            for task in re.findall(r"`([\w.]+)`", cells[0]):
                rows[task] = cells[3]
    return rows


def test_every_task_type_has_a_row_with_its_recovery() -> None:
    rows = _rows()
    assert len(rows) >= 20
    for entry in TASK_TYPES:
        assert entry.func in rows, f"docs/delivery-guarantees.md has no row for {entry.func}"
        assert rows[entry.func] == entry.recovery.value, entry.func
    assert sorted(set(rows) - {t.func for t in TASK_TYPES}) == []
