"""The classification lists (departments, classes, locations) and subsidiaries over SuiteQL, and an account
without OneWorld, whose SuiteQL has no subsidiary table."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from simulators.core.runner import RunningSimulator, start_in_thread
from simulators.dataset import Dataset
from simulators.netsuite.client import RestClient
from simulators.netsuite.seed import CLASSIFICATION_LISTS, seed
from simulators.netsuite.spec import SPEC


def _start(tmp_path: Path, **overrides: object) -> Iterator[RunningSimulator]:
    seed(tmp_path / "ns", Dataset(seed=1, accounts=1, opportunities_per_account=1))
    running = start_in_thread(SPEC, tmp_path / "ns", **overrides)
    yield running
    running.stop()


@pytest.fixture
def one_world(tmp_path: Path) -> Iterator[RunningSimulator]:
    yield from _start(tmp_path)


@pytest.fixture
def single_entity(tmp_path: Path) -> Iterator[RunningSimulator]:
    yield from _start(tmp_path, one_world=False)


def test_the_lists_are_tables_with_names_parents_and_an_inactive_flag(one_world: RunningSimulator) -> None:
    ns = RestClient(one_world.url, one_world.ca_file)
    for table, names in CLASSIFICATION_LISTS.items():
        answer = ns.suiteql(f"SELECT id, name, parent, isinactive FROM {table} WHERE id > -1 ORDER BY id")  # noqa: S608
        assert answer.status_code == 200, answer.text
        rows = answer.json()["items"]
        assert [row["name"] for row in rows] == [name for name, _ in names]
        assert all(row["isinactive"] == "F" for row in rows)
    emea = ns.suiteql("SELECT parent, BUILTIN.DF(parent) AS up FROM department WHERE id = 2").json()["items"]
    assert emea[0]["parent"] == "1" and emea[0]["up"] == "Sales"
    # A rename over REST shows in the next query.
    assert (
        ns.request("PATCH", "record/v1/location/2", json={"name": "London (Shoreditch)"}).status_code == 204
    )
    renamed = ns.suiteql("SELECT name FROM location WHERE id = 2").json()["items"]
    assert [row["name"] for row in renamed] == ["London (Shoreditch)"]
    subsidiary = ns.suiteql(
        "SELECT name, country, BUILTIN.DF(currency) AS currency FROM subsidiary WHERE id = 2"
    )
    row = subsidiary.json()["items"][0]
    assert (row["name"], row["country"], row["currency"]) == ("Concord Software Ltd", "GB", "British Pound")


def test_an_account_without_oneworld_has_no_subsidiary_table(single_entity: RunningSimulator) -> None:
    ns = RestClient(single_entity.url, single_entity.ca_file)
    refused = ns.suiteql("SELECT id, name FROM subsidiary")
    assert refused.status_code == 400
    assert "Record 'subsidiary' was not found" in refused.text
    assert ns.suiteql("SELECT id, name FROM department").status_code == 200
