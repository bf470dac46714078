"""bench/order_checks.py: what a throughput run left in NetSuite, against what was seeded in Salesforce.

Two tiny stores stand in for the simulators' files (only the columns the checks read): one opportunity
whose quote has a package header without a price, two member lines and a priced line, and two contact
roles. The correct NetSuite side passes; each kind of damage is reported."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from bench.order_checks import check_netsuite

OPPORTUNITY = "006A"


def _salesforce(path: Path) -> None:
    with sqlite3.connect(path) as sf:
        sf.executescript(
            """
            CREATE TABLE "Opportunity" ("Id" TEXT, "AccountId" TEXT, "CurrencyIsoCode" TEXT);
            CREATE TABLE "SBQQ__Quote__c" ("Id" TEXT, "SBQQ__Opportunity2__c" TEXT, "SBQQ__Primary__c" INT);
            CREATE TABLE "SBQQ__QuoteLine__c" ("Id" TEXT, "SBQQ__Quote__c" TEXT, "SBQQ__ProductCode__c" TEXT,
                "SBQQ__Quantity__c" REAL, "SBQQ__NetTotal__c" REAL, "SBQQ__RequiredBy__c" TEXT);
            CREATE TABLE "OpportunityContactRole" ("OpportunityId" TEXT, "ContactId" TEXT, "IsDeleted" INT);
            INSERT INTO "Opportunity" VALUES ('006A', '001A', 'JPY');
            INSERT INTO "SBQQ__Quote__c" VALUES ('Q1', '006A', 1), ('Q0', '006A', 0);
            INSERT INTO "SBQQ__QuoteLine__c" VALUES
                ('L0', 'Q1', 'PKG', 1, 0, NULL), ('L1', 'Q1', 'core', 10, 1234.4, 'L0'),
                ('L2', 'Q1', 'ANL', 5, 500, 'L0'), ('L3', 'Q1', 'SUP', 1, 99.6, NULL),
                ('LX', 'Q0', 'SUP', 99, 1, NULL);
            INSERT INTO "OpportunityContactRole" VALUES ('006A', '003A', 0), ('006A', '003B', 0),
                ('006A', '003Z', 1);
            """
        )
    sf.close()


def _netsuite(path: Path, damage: str = "") -> None:
    lines = [("L1", 1, 10, 1234.0), ("L2", 2, 5, 500.0), ("L3", 3, 1, 100.0)]
    if damage == "quantity":
        lines[0] = ("L1", 1, 11, 1234.0)
    if damage == "amount":
        lines[2] = ("L3", 3, 1, 99.0)
    if damage == "item":
        lines[1] = ("L2", 3, 5, 500.0)
    if damage == "missing line":
        lines.pop()
    with sqlite3.connect(path) as ns:
        ns.executescript(
            """
            CREATE TABLE ns_customer (id INTEGER PRIMARY KEY, externalid TEXT);
            CREATE TABLE ns_contact (id INTEGER PRIMARY KEY, externalid TEXT, company INT);
            CREATE TABLE ns_item (id INTEGER PRIMARY KEY, itemid TEXT);
            CREATE TABLE ns_transaction (id INTEGER PRIMARY KEY, externalid TEXT, entity INT, typecode TEXT);
            CREATE TABLE ns_transactionline ("transaction" INT, item INT, quantity REAL, netamount REAL,
                body TEXT, mainline TEXT);
            INSERT INTO ns_customer VALUES (7, '001A');
            INSERT INTO ns_item VALUES (1, 'CORE'), (2, 'ANL'), (3, 'SUP'), (4, 'PKG');
            INSERT INTO ns_contact VALUES (1, '003A', 7), (2, '003B', 7);
            INSERT INTO ns_transaction VALUES (50, '006A', 7, 'SalesOrd');
            INSERT INTO ns_transactionline VALUES (50, NULL, NULL, 1734, '{}', 'T');
            """
        )
        ns.executemany(
            "INSERT INTO ns_transactionline VALUES (50, ?, ?, ?, ?, 'F')",
            [
                (item, qty, amount, json.dumps({"custcol_sf_quote_line_id": i}))
                for i, item, qty, amount in lines
            ],
        )
        extra = {
            "duplicate customer": "INSERT INTO ns_customer VALUES (8, NULL)",
            "duplicate contact": "INSERT INTO ns_contact VALUES (3, NULL, 7)",
            "missing contact": "DELETE FROM ns_contact WHERE id = 2",
            "contact elsewhere": "UPDATE ns_contact SET company = 9 WHERE id = 2",
            "wrong customer": "UPDATE ns_transaction SET entity = 9",
            "second order": "INSERT INTO ns_transaction VALUES (51, '006B', 7, 'SalesOrd')",
            "no order": "DELETE FROM ns_transaction",
        }.get(damage)
        if extra:
            ns.execute(extra)
    ns.close()


@pytest.fixture
def check(tmp_path: Path) -> Callable[[str], list[str]]:
    _salesforce(tmp_path / "sf.sqlite3")

    def run(damage: str) -> list[str]:
        ns = tmp_path / f"ns-{damage.replace(' ', '-') or 'ok'}.sqlite3"
        _netsuite(ns, damage)
        return list(check_netsuite(tmp_path / "sf.sqlite3", ns, [OPPORTUNITY])["problems"])

    return run


def test_what_was_seeded_passes(check: Callable[[str], list[str]], tmp_path: Path) -> None:
    assert check("") == []
    result = check_netsuite(tmp_path / "sf.sqlite3", tmp_path / "ns-ok.sqlite3", [OPPORTUNITY])
    # The package header without a price is left out; the amounts at JPY's precision (0 decimals).
    assert result["order_lines_checked"] == 3 and result["contacts_seeded"] == 2


@pytest.mark.parametrize(
    ("damage", "kind"),
    [
        ("quantity", "sales_order_lines_differ"),
        ("amount", "sales_order_lines_differ"),
        ("item", "sales_order_lines_differ"),
        ("missing line", "sales_order_lines_differ"),
        ("wrong customer", "sales_order_wrong_customer"),
        ("second order", "sales_order_unexpected"),
        ("no order", "sales_order_not_exactly_one"),
        ("duplicate customer", "customer_count"),
        ("duplicate contact", "contact_count"),
        ("missing contact", "contact_not_exactly_one"),
        ("contact elsewhere", "contact_wrong_customer"),
    ],
)
def test_each_kind_of_damage_is_reported(check: Callable[[str], list[str]], damage: str, kind: str) -> None:
    problems = check(damage)
    assert kind in [problem.split(" ", 1)[0] for problem in problems], problems
