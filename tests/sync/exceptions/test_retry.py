"""Stored retry paths keep working after the code they name has moved."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.utils.module_loading import import_string

from sync.exceptions.retry import MOVED_RETRY_TASKS, retry_function

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.parametrize("old", sorted(MOVED_RETRY_TASKS))
def test_a_path_stored_before_a_move_resolves_to_the_function_at_its_new_place(old: str) -> None:
    with pytest.raises(ImportError):
        import_string(old)  # the old module is gone: without the table the retry would fail
    assert retry_function(old) is import_string(MOVED_RETRY_TASKS[old])
    assert retry_function(old).exception_retryable  # type: ignore[attr-defined]


def test_every_retry_path_the_code_stores_names_a_retryable_function() -> None:
    stored = {
        match
        for path in (ROOT / "sync").rglob("*.py")
        for match in re.findall(r'retry_task="([\w.]+)"', path.read_text())
    }
    assert len(stored) >= 4
    for path in stored:
        assert retry_function(path).exception_retryable  # type: ignore[attr-defined]
    assert not stored & set(MOVED_RETRY_TASKS)  # new exceptions store the new paths
