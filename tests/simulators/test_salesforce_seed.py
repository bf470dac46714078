"""The Salesforce seed: deterministic, idempotent, realistic, and readable by the running simulator."""
# ruff: noqa: S608 - table names in the SQL below come from the seed's own table list

from __future__ import annotations

import sqlite3
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from simple_salesforce import Salesforce

from simulators.core.runner import start_in_thread
from simulators.dataset import Dataset
from simulators.salesforce import ids, login
from simulators.salesforce import seed as seeding
from simulators.salesforce.seed import TABLE_ORDER, account_id, opportunity_id, seed
from simulators.salesforce.spec import SPEC
from simulators.salesforce.store import database_path
from tests.simulators.conftest import https_session

DATASET = Dataset(seed=11, accounts=300)


def _dump(data_dir: Path) -> dict[str, list[tuple[Any, ...]]]:
    with sqlite3.connect(database_path(data_dir)) as connection:
        return {
            table: connection.execute(f'SELECT * FROM "{table}" ORDER BY "Id"').fetchall()
            for table in (*TABLE_ORDER, "User", "Pricebook2")
        }


def _rows(data_dir: Path, sql: str) -> list[sqlite3.Row]:
    connection = sqlite3.connect(database_path(data_dir))
    connection.row_factory = sqlite3.Row
    with connection:
        return connection.execute(sql).fetchall()


def test_it_writes_the_same_records_for_the_same_seed_and_again_changes_nothing(tmp_path: Path) -> None:
    counts = seed(tmp_path / "a", DATASET)
    seed(tmp_path / "b", DATASET)
    first = _dump(tmp_path / "a")
    assert first == _dump(tmp_path / "b")
    assert seed(tmp_path / "a", DATASET) == counts
    again = _dump(tmp_path / "a")
    assert {table: [row[1:] for row in rows] for table, rows in again.items()} == {
        table: [row[1:] for row in rows] for table, rows in first.items()
    }
    other = Dataset(seed=12, accounts=300)
    seed(tmp_path / "c", other)
    assert _dump(tmp_path / "c")["Account"] != first["Account"]


def test_it_seeds_a_realistic_multi_country_org_with_cpq_bundles(tmp_path: Path) -> None:
    counts = seed(tmp_path, DATASET)
    assert counts["Account"] == 300 and counts["Opportunity"] == 600 and counts["SBQQ__Quote__c"] == 600
    assert counts["SBQQ__QuoteLine__c"] == counts["OpportunityLineItem"] > 3 * 600
    assert 300 <= counts["Contact"] <= 900 and counts["PricebookEntry"] == counts["Product2"] * 6
    countries = Counter(row[0] for row in _rows(tmp_path, 'SELECT "BillingCountry" FROM "Account"'))
    currencies = Counter(row[0] for row in _rows(tmp_path, 'SELECT "CurrencyIsoCode" FROM "Opportunity"'))
    assert len(countries) >= 6 and None in countries and len(currencies) >= 5
    bundles = _rows(
        tmp_path,
        'SELECT child."SBQQ__Quote__c" AS quote, parent."SBQQ__Quote__c" AS parent_quote, '
        'parent."SBQQ__ProductCode__c" AS package FROM "SBQQ__QuoteLine__c" child '
        'JOIN "SBQQ__QuoteLine__c" parent ON parent."Id" = child."SBQQ__RequiredBy__c"',
    )
    assert bundles and all(row["quote"] == row["parent_quote"] for row in bundles)
    assert {row["package"] for row in bundles} == {"PKG-STARTER", "PKG-GROWTH"}
    stages = _rows(tmp_path, 'SELECT "StageName", "IsWon", "IsClosed" FROM "Opportunity"')
    assert all(row["IsWon"] == (row["StageName"] == "Closed Won") for row in stages)
    assert all(row["IsClosed"] == row["StageName"].startswith("Closed") for row in stages)
    mismatched = _rows(
        tmp_path,
        'SELECT o."Id" FROM "Opportunity" o JOIN "SBQQ__Quote__c" q ON q."Id" = o."SBQQ__PrimaryQuote__c" '
        'WHERE abs(o."Amount" - q."SBQQ__NetAmount__c") > 0.001',
    )
    assert len(mismatched) == len([n for n in range(600) if n % 23 == 22])


def test_it_gives_the_simulator_records_it_serves_and_continues_from(tmp_path: Path) -> None:
    seed(tmp_path, Dataset(seed=11, accounts=20))
    sim = start_in_thread(SPEC, tmp_path)
    try:
        session = https_session(sim.ca_file)
        token = login.password_token(session, sim.url)
        sf: Any = Salesforce(
            instance_url=token["instance_url"], session_id=token["access_token"], session=session
        )
        account = DATASET.account(3)
        assert sf.Account.get(account_id(3))["Name"] == account.name
        assert ids.normalize(account_id(3)[:15]) == account_id(3)
        opportunity = sf.Opportunity.get(opportunity_id(7))
        assert opportunity["SBQQ__PrimaryQuote__c"] and opportunity["Pricebook2Id"]
        created = sf.Account.create({"Name": "After the seed"})["id"]
        assert created not in {account_id(n) for n in range(20)}
        quote = sf.SBQQ__Quote__c.create({"SBQQ__Opportunity2__c": opportunity_id(7)})["id"]
        names = [r["Name"] for r in sf.query("SELECT Name FROM SBQQ__Quote__c ORDER BY Name")["records"]]
        assert sf.SBQQ__Quote__c.get(quote)["Name"] == names[-1] and len(set(names)) == len(names)
    finally:
        sim.stop()


def test_it_seeds_a_large_set_through_a_worker_and_rebuilds_the_indexes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(seeding, "PARALLEL_FROM", 10)
    monkeypatch.setattr(seeding, "CHUNK_ACCOUNTS", 7)
    small = Dataset(seed=11, accounts=30)
    seed(tmp_path / "worker", small)
    monkeypatch.setattr(seeding, "PARALLEL_FROM", 1_000_000)
    seed(tmp_path / "inline", small)
    assert _dump(tmp_path / "worker") == _dump(tmp_path / "inline")
    indexes = "SELECT name FROM sqlite_master WHERE type = 'index' ORDER BY name"
    assert [r[0] for r in _rows(tmp_path / "worker", indexes)] == [
        r[0] for r in _rows(tmp_path / "inline", indexes)
    ]
