"""The PostgreSQL stage's selection (``CONCORD_DB_TESTS_ONLY=1``, tests/database_stage.py): it keeps every
test that can reach the database, however it gets there, and drops the rest; a module that reads the
stage's environment without the ``database`` marker stops the run instead of losing its tests."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

from tests.database_stage import unmarked_stage_modules

ROOT = Path(__file__).resolve().parents[1]
# The samples' tell-tale calls, split so that this module itself does not look like one that reads the
# stage's environment (its tests need no database and run in the SQLite stage only).
READS_THE_URL = "os.environ" + '.get("DATABASE_URL", "")'
OPENS_REDIS = "redis.Redis" + '.from_url("redis://127.0.0.1:6379/0")'

SAMPLE = """
import pytest
from django.test import SimpleTestCase, TestCase, TransactionTestCase


@pytest.fixture
def world(db):
    return None


def test_plain():
    assert True


def test_with_db(db):
    pass


def test_with_transactional_db(transactional_db):
    pass


def test_through_a_fixture(world):
    pass


def test_through_a_persona(revops):
    pass


@pytest.mark.django_db
def test_with_the_marker():
    pass


@pytest.mark.database
def test_marked_for_the_stage():
    pass


@pytest.mark.parametrize("n", [1, 2])
def test_plain_parametrized(n):
    pass


class TestInACase(TestCase):
    def test_case(self):
        pass


class TestInATransactionCase(TransactionTestCase):
    def test_case(self):
        pass


class TestInASimpleCase(SimpleTestCase):
    def test_case(self):
        pass
"""


def collect(tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """``CONCORD_DB_TESTS_ONLY=1 pytest --collect-only`` of the modules in ``tmp_path``, with the suite's
    conftest (its hook and personas)."""
    (tmp_path / "conftest.py").write_text("from tests.conftest import *  # noqa: F403\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "PYTEST_XDIST_WORKER")}
    env.update(PYTHONPATH=str(ROOT), CONCORD_DB_TESTS_ONLY="1")
    return subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-c", str(ROOT / "pyproject.toml"),
         "--rootdir", str(tmp_path), str(tmp_path)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip


def collected(result: subprocess.CompletedProcess[str]) -> set[str]:
    return {line.split("::", 1)[1] for line in result.stdout.splitlines() if "::" in line}


def test_the_stage_keeps_the_tests_that_can_reach_the_database_and_drops_the_others(tmp_path: Path) -> None:
    (tmp_path / "test_sample.py").write_text(SAMPLE, encoding="utf-8")

    selected = collect(tmp_path)

    assert selected.returncode == 0, selected.stdout + selected.stderr
    assert collected(selected) == {
        "test_with_db",
        "test_with_transactional_db",
        "test_through_a_fixture",
        "test_through_a_persona",
        "test_with_the_marker",
        "test_marked_for_the_stage",
        "TestInACase::test_case",
        "TestInATransactionCase::test_case",
    }
    assert "8/12 tests collected (4 deselected)" in selected.stdout


def test_a_module_reading_the_stage_s_database_url_without_the_marker_stops_the_run(tmp_path: Path) -> None:
    reads = f"import os\nURL = {READS_THE_URL}\n\n\ndef test_it():\n    assert URL\n"
    (tmp_path / "test_stage.py").write_text(reads, encoding="utf-8")

    result = collect(tmp_path)

    assert result.returncode == 4, result.stdout + result.stderr
    assert "mark them pytest.mark.database" in result.stderr and "test_stage.py" in result.stderr


def test_the_safety_net_names_only_modules_that_read_the_stage_s_environment(tmp_path: Path) -> None:
    reads = tmp_path / "test_reads.py"
    reads.write_text(f"import redis\nBROKER = {OPENS_REDIS}\n", encoding="utf-8")
    plain = tmp_path / "test_plain.py"
    plain.write_text("def test_it():\n    assert 1 + 1 == 2\n", encoding="utf-8")

    dropped = [SimpleNamespace(path=plain), SimpleNamespace(path=reads), SimpleNamespace(path=reads)]

    assert unmarked_stage_modules(dropped) == [reads]  # type: ignore[arg-type]
    assert unmarked_stage_modules([SimpleNamespace(path=plain)]) == []  # type: ignore[list-item]
