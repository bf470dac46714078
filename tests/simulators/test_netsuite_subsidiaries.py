"""A OneWorld account's subsidiaries, each in its own currency, as the integrations of several Salesforce
orgs route to them: a parent in the US (USD) and children in the UK (GBP) and Germany (EUR), among others.
Read over SuiteQL and REST, and what a customer and its order take from their subsidiary."""
# ruff: noqa: S608 - the f-strings build SuiteQL for the simulator, not SQL

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from simulators.core.runner import RunningSimulator, start_in_thread
from simulators.dataset import SUBSIDIARIES, Dataset
from simulators.netsuite.client import RestClient
from simulators.netsuite.seed import seed
from simulators.netsuite.spec import SPEC


@pytest.fixture
def account(tmp_path: Path) -> Iterator[RestClient]:
    seed(tmp_path / "ns", Dataset(seed=1, accounts=1, opportunities_per_account=1))
    running: RunningSimulator = start_in_thread(SPEC, tmp_path / "ns")
    yield RestClient(running.url, running.ca_file)
    running.stop()


def _subsidiary_id(ns: RestClient, key: str) -> str:
    rows = ns.suiteql(f"SELECT id FROM subsidiary WHERE externalid = '{key}'").json()["items"]
    return str(rows[0]["id"])


def test_the_subsidiaries_have_a_parent_a_country_and_a_currency(account: RestClient) -> None:
    answer = account.suiteql(
        "SELECT s.id, s.name, s.parent, s.country, s.isinactive, c.symbol AS currency "
        "FROM subsidiary s JOIN currency c ON s.currency = c.id ORDER BY s.id"
    )
    assert answer.status_code == 200, answer.text
    rows = {row["name"]: row for row in answer.json()["items"]}
    assert set(rows) == {subsidiary.name for subsidiary in SUBSIDIARIES}
    parent = rows["Concord Software Inc."]
    assert (parent["country"], parent["currency"], parent.get("parent")) == ("US", "USD", None)
    expected = {"Concord Software Ltd": ("GB", "GBP"), "Concord Software GmbH": ("DE", "EUR")}
    for name, (country, currency) in expected.items():
        row = rows[name]
        assert (row["country"], row["currency"], row["parent"], row["isinactive"]) == (
            country,
            currency,
            parent["id"],
            "F",
        )
    # The REST record says the same, with references.
    germany = account.get("subsidiary", _subsidiary_id(account, "DE"))
    assert germany["currency"]["refName"] == "Euro"
    assert germany["parent"]["id"] == str(parent["id"])
    listed = account.request("GET", "record/v1/subsidiary").json()
    assert listed["totalResults"] == len(SUBSIDIARIES)


def test_a_customer_and_its_order_take_their_subsidiarys_currency(account: RestClient) -> None:
    currencies = {}
    for key, name in (("DE", "Muster GmbH"), ("UK", "Widgets Ltd")):
        subsidiary = _subsidiary_id(account, key)
        customer = account.create(
            "customer", {"companyName": name, "externalId": f"ACQ-{key}", "subsidiary": {"id": subsidiary}}
        )
        record = account.get("customer", customer)
        assert record["subsidiary"]["id"] == subsidiary
        currencies[key] = record["currency"]["refName"]
        item = account.suiteql("SELECT id FROM item WHERE itemid = 'PLAT-CORE'").json()["items"][0]["id"]
        order = account.create(
            "salesOrder",
            {
                "entity": {"id": customer},
                "item": {"items": [{"item": {"id": str(item)}, "quantity": 1, "rate": 10}]},
            },
        )
        written = account.get("salesOrder", order)
        assert written["subsidiary"]["id"] == subsidiary
        assert written["currency"]["refName"] == currencies[key]
    assert currencies == {"DE": "Euro", "UK": "British Pound"}
    by_subsidiary = account.suiteql(
        "SELECT BUILTIN.DF(subsidiary) AS subsidiary, COUNT(*) AS n FROM customer "
        "WHERE externalid LIKE 'ACQ-%' GROUP BY BUILTIN.DF(subsidiary) ORDER BY 1"
    )
    assert by_subsidiary.status_code == 200, by_subsidiary.text
    # SuiteQL answers numbers as text.
    assert [(row["subsidiary"], row["n"]) for row in by_subsidiary.json()["items"]] == [
        ("Concord Software GmbH", "1"),
        ("Concord Software Ltd", "1"),
    ]
