"""SuiteQL over REST on a 2,600-customer account: paging, joins, aggregates, formats, errors, fuzzing."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulators.core.runner import RunningSimulator, start_in_thread
from simulators.dataset import Dataset
from simulators.netsuite.catalog import Catalog
from simulators.netsuite.client import RestClient
from simulators.netsuite.seed import seed
from simulators.netsuite.spec import SPEC
from simulators.netsuite.store import NetSuiteStore, database_path
from simulators.netsuite.suiteql.engine import SuiteQLEngine
from simulators.netsuite.suiteql.lexer import SuiteQLError
from simulators.netsuite.suiteql.tables import TableRegistry
from simulators.netsuite.transforms import Transformer
from simulators.netsuite.writes import RecordWriter

CUSTOMERS = 2_600
ORDERS = 120


def populate(data_dir: Path) -> None:
    """Customers and orders written straight into the store (the API path is tested elsewhere)."""
    seed(data_dir, Dataset())
    store = NetSuiteStore(database_path(data_dir), Catalog())
    writer = RecordWriter(store)
    customer, sales_order = store.catalog.get("customer"), store.catalog.get("salesOrder")
    assert customer is not None and sales_order is not None
    with store.write():
        for n in range(CUSTOMERS):
            body: dict[str, Any] = {
                "companyName": f"Customer {n:04d}",
                "subsidiary": {"id": str(n % 5 + 1)},
                "externalId": f"SF-{n:04d}",
                "custentity_sf_account_id": f"001{n:015d}",
            }
            if n % 2 == 0:
                body["email"] = f"ap{n}@customer.example"
            writer.create(customer, body)
        for n in range(ORDERS):
            writer.create(
                sales_order,
                {
                    "entity": {"id": str(n % 40 + 1)},
                    "externalId": f"OPP-{n}",
                    "tranDate": f"2026-{n % 12 + 1:02d}-15",
                    "item": {
                        "items": [
                            {"item": {"externalId": "PLAT-CORE"}, "quantity": n % 7 + 1},
                            {"item": {"externalId": "SUP-STD"}, "quantity": 10},
                        ]
                    },
                },
            )
    Transformer(store, writer).invoice_orders([1, 2, 3])
    store.close()


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSimulator]:
    data_dir = tmp_path_factory.mktemp("netsuite-suiteql")
    populate(data_dir)
    running = start_in_thread(SPEC, data_dir)
    yield running
    running.stop()


@pytest.fixture(scope="module")
def ns(sim: RunningSimulator) -> RestClient:
    return RestClient(sim.url, sim.ca_file)


def rows(ns: RestClient, query: str, **page: int) -> list[dict[str, Any]]:
    answer = ns.suiteql(query, **page)
    assert answer.status_code == 200, answer.text
    return [{key: value for key, value in row.items() if key != "links"} for row in answer.json()["items"]]


def refused(ns: RestClient, query: str) -> str:
    answer = ns.suiteql(query)
    assert answer.status_code == 400, answer.text
    detail = answer.json()["o:errorDetails"][0]
    assert detail["o:errorCode"] == "INVALID_PARAMETER"
    assert detail["detail"].startswith("Invalid search query.")
    return str(detail["detail"])


def test_it_pages_with_offset_has_more_and_total_results(ns: RestClient) -> None:
    seen: list[int] = []
    pages = []
    offset = 0
    while True:
        answer = ns.suiteql("SELECT id, companyname FROM customer ORDER BY id", offset=offset)
        page = answer.json()
        pages.append((page["count"], page["hasMore"], page["offset"], page["totalResults"]))
        seen += [int(row["id"]) for row in page["items"]]
        if not page["hasMore"]:
            break
        assert any(link["rel"] == "next" for link in page["links"])
        offset += page["count"]
    assert pages == [(1000, True, 0, CUSTOMERS), (1000, True, 1000, CUSTOMERS), (600, False, 2000, CUSTOMERS)]
    assert seen == list(range(1, CUSTOMERS + 1))
    small = ns.suiteql("SELECT id FROM customer WHERE id > 2590 ORDER BY id", limit=4, offset=8).json()
    assert [row["id"] for row in small["items"]] == ["2599", "2600"] and small["totalResults"] == 10


def test_values_come_back_as_netsuite_sends_them(ns: RestClient) -> None:
    row = rows(
        ns,
        "SELECT id, companyname, email, isinactive, subsidiary, datecreated, "
        "TO_CHAR(lastmodifieddate, 'YYYY-MM-DD\"T\"HH24:MI:SS') AS modified FROM customer WHERE id = 2",
    )[0]
    assert row["id"] == "2" and row["companyname"] == "Customer 0001" and row["isinactive"] == "F"
    assert row["subsidiary"] == "2"
    assert "email" not in row  # NULL columns are left out of the row
    month, day, year = row["datecreated"].split("/")
    assert len(year) == 4 and 1 <= int(month) <= 12 and 1 <= int(day) <= 31
    assert len(row["modified"]) == 19 and row["modified"][10] == "T"
    assert rows(ns, "SELECT COUNT(*), COUNT(email) AS withemail FROM customer") == [
        {"expr1": str(CUSTOMERS), "withemail": str(CUSTOMERS // 2)}
    ]
    assert rows(ns, "SELECT foreigntotal FROM transaction WHERE id = 1") == [{"foreigntotal": "95"}]


def test_joins_on_references(ns: RestClient) -> None:
    joined = rows(
        ns,
        "SELECT t.tranid, c.companyname AS customer, BUILTIN.DF(t.entity) AS shown "
        "FROM transaction t INNER JOIN customer c ON t.entity = c.id "
        "WHERE t.type = 'SalesOrd' AND t.externalid = 'OPP-41'",
    )
    assert joined == [{"tranid": "SO42", "customer": "Customer 0001", "shown": "Customer 0001"}]
    without_orders = rows(
        ns,
        "SELECT COUNT(*) AS n FROM customer c LEFT OUTER JOIN transaction t "
        "ON t.entity = c.id AND t.type = 'SalesOrd' WHERE t.id IS NULL",
    )
    assert without_orders == [{"n": str(CUSTOMERS - 40)}]
    lines = rows(
        ns,
        "SELECT tl.linesequencenumber, BUILTIN.DF(tl.item) AS item, tl.quantity, tl.netamount "
        "FROM transactionline tl JOIN transaction t ON tl.transaction = t.id "
        "WHERE t.id = 5 AND tl.mainline = 'F' ORDER BY tl.linesequencenumber",
    )
    assert lines == [
        {"linesequencenumber": "1", "item": "PLAT-CORE", "quantity": "5", "netamount": "225"},
        {"linesequencenumber": "2", "item": "SUP-STD", "quantity": "10", "netamount": "50"},
    ]


def test_aggregates_group_by_and_order(ns: RestClient) -> None:
    by_customer = rows(
        ns,
        "SELECT entity, COUNT(*) AS orders, SUM(foreigntotal) AS total, MAX(trandate) AS latest "
        "FROM transaction WHERE type = 'SalesOrd' GROUP BY entity HAVING COUNT(*) >= 3 "
        "ORDER BY total DESC, entity FETCH FIRST 3 ROWS ONLY",
    )
    assert len(by_customer) == 3 and all(row["orders"] == "3" for row in by_customer)
    totals = [float(row["total"]) for row in by_customer]
    assert totals == sorted(totals, reverse=True)
    all_orders = rows(ns, "SELECT SUM(foreigntotal) AS s FROM transaction WHERE type = 'SalesOrd'")[0]["s"]
    expected = sum((n % 7 + 1) * 45 + 50 for n in range(ORDERS))
    assert float(all_orders) == expected
    statuses = rows(
        ns,
        "SELECT BUILTIN.DF(status) AS status, type, COUNT(*) AS n FROM transaction "
        "GROUP BY BUILTIN.DF(status), type ORDER BY type, status",
    )
    assert statuses == [
        {"status": "Open", "type": "CustInvc", "n": "3"},
        {"status": "Billed", "type": "SalesOrd", "n": "3"},
        {"status": "Pending Fulfillment", "type": "SalesOrd", "n": str(ORDERS - 3)},
    ]


@pytest.mark.parametrize(
    ("where", "count"),
    [
        ("id IN (1, 2, 3) OR companyname LIKE 'Customer 25%'", 103),
        ("id BETWEEN 10 AND 19 AND NOT (subsidiary = 1)", 8),
        ("email IS NULL AND id <= 10", 5),
        ("custentity_sf_account_id = '001000000000000007'", 1),
        ("UPPER(companyname) = 'CUSTOMER 0100' OR LOWER(externalid) = 'sf-0200'", 2),
        ("datecreated >= TO_DATE('2020-01-01', 'YYYY-MM-DD') AND lastmodifieddate < SYSDATE + 1", CUSTOMERS),
        ("datecreated >= '1/1/2020' AND ROWNUM <= 7", -1),
        ("id > 2500 AND subsidiary IN (SELECT id FROM subsidiary WHERE country = 'GB')", 20),
        ("NVL(email, 'none') = 'none' AND id < 5", 2),
        ("CASE WHEN nosuchcolumn = 1 THEN 1 END = 1", -1),
    ],
)
def test_where_clauses(ns: RestClient, where: str, count: int) -> None:
    query = f"SELECT COUNT(*) AS n FROM customer WHERE {where}"  # noqa: S608
    if count < 0:  # refused, with the reason
        assert any(word in refused(ns, query) for word in ("nosuchcolumn", "ROWNUM"))
        return
    assert rows(ns, query) == [{"n": str(count)}]


def test_rownum_and_fetch_first_limit_rows(ns: RestClient) -> None:
    assert len(rows(ns, "SELECT id FROM customer WHERE ROWNUM <= 7 AND id > 100")) == 7
    answer = ns.suiteql(
        "SELECT id FROM customer ORDER BY id DESC FETCH FIRST 5 ROWS ONLY", limit=2, offset=2
    ).json()
    assert [row["id"] for row in answer["items"]] == ["2598", "2597"] and answer["totalResults"] == 5


def test_keyset_paging_reads_past_the_row_cap_style(ns: RestClient) -> None:
    last, total = 0, 0
    while True:
        page = rows(ns, f"SELECT id FROM customer WHERE id > {last} ORDER BY id", limit=1000)  # noqa: S608
        if not page:
            break
        total += len(page)
        last = int(page[-1]["id"])
    assert total == CUSTOMERS


@pytest.mark.parametrize(
    ("query", "mentions"),
    [
        ("SELECT id FROM widgets", "Record 'widgets' was not found"),
        ("SELECT shoesize FROM customer", "Field 'shoesize' for record 'customer' was not found"),
        ("SELECT id FROM customer WHERE", "end of query"),
        ("SELECT id, FROM customer", "'FROM' at position 12"),
        ("SELECT id FROM customer c JOIN transaction t ON c.id = t.entity WHERE id = 1", "ambiguous"),
        ("SELECT entity, COUNT(*) FROM transaction", "GROUP BY"),
        ("SELECT id FROM customer UNION SELECT id FROM contact", "UNION without ALL"),
        (
            "SELECT id FROM customer UNION ALL SELECT id, email FROM contact",
            "the first selects 1, query 2 selects 2",
        ),
        ("SELECT id FROM customer UNION ALL SELECT id FROM contact ORDER BY id", "ORDER BY and FETCH FIRST"),
        (
            "SELECT id FROM customer WHERE id IN (SELECT id FROM contact UNION ALL SELECT 1 FROM contact)",
            "UNION",
        ),
        ("SELECT FOO(id) FROM customer", "FOO()"),
        ("SELECT id FROM customer WHERE companyname = 'unterminated", "Unterminated string"),
        ("SELECT id FROM customer WHERE datecreated > 'yesterday'", "not a valid date"),
        ("DELETE FROM customer", "Expected SELECT"),
    ],
)
def test_unsupported_or_wrong_queries_name_the_problem(ns: RestClient, query: str, mentions: str) -> None:
    assert mentions in refused(ns, query)


def test_union_all_pages_the_whole_result_named_by_the_first_select(ns: RestClient) -> None:
    query = (
        "SELECT 'customer' AS kind, c.id, c.externalid AS ref, NULL AS day FROM customer c "
        "UNION ALL SELECT 'order', t.id, t.externalid, t.trandate FROM transaction t "
        "WHERE t.externalid LIKE 'OPP-%'"
    )
    seen: list[dict[str, Any]] = []
    offset = 0
    while True:
        answer = ns.suiteql(query, offset=offset)
        assert answer.status_code == 200, answer.text
        page = answer.json()
        assert page["totalResults"] == CUSTOMERS + ORDERS
        seen += page["items"]
        if not page["hasMore"]:
            break
        offset += page["count"]
    assert [row["kind"] for row in seen] == ["customer"] * CUSTOMERS + ["order"] * ORDERS
    assert {row["ref"] for row in seen[:CUSTOMERS]} == {f"SF-{n:04d}" for n in range(CUSTOMERS)}
    assert all("day" not in row for row in seen[:CUSTOMERS])  # NULL columns are left out
    first_order = next(row for row in seen if row["ref"] == "OPP-0")
    plain = rows(ns, "SELECT trandate FROM transaction WHERE externalid = 'OPP-0'")
    assert first_order["day"] == plain[0]["trandate"]  # formatted as a date: the untyped first part gives way
    # A part limits itself with ROWNUM; three parts.
    limited = rows(
        ns,
        "SELECT id FROM customer WHERE ROWNUM <= 2 UNION ALL SELECT id FROM customer WHERE id = 7 "
        "UNION ALL SELECT id FROM contact WHERE id = -1",
    )
    assert len(limited) == 3 and limited[-1] == {"id": "7"}


def test_the_endpoint_checks_its_parameters(ns: RestClient) -> None:
    no_prefer = ns.request("POST", "query/v1/suiteql", json={"q": "SELECT id FROM customer"})
    assert no_prefer.status_code == 400 and no_prefer.json()["o:errorDetails"][0]["o:errorPath"] == "Prefer"
    for limit, offset in ((0, 0), (1001, 0), (1000, 99_500)):
        answer = ns.suiteql("SELECT id FROM customer", limit=limit, offset=offset)
        assert answer.status_code == 400, (limit, offset)
        assert answer.json()["o:errorDetails"][0]["o:errorCode"] == "INVALID_PARAMETER"
    assert ns.suiteql("SELECT id FROM customer", limit=1000, offset=99_000).status_code == 200
    bad_body = ns.request("POST", "query/v1/suiteql", json=["SELECT 1"], headers={"Prefer": "transient"})
    assert bad_body.json()["o:errorDetails"][0]["o:errorCode"] == "INVALID_CONTENT"


# -- the parser never fails with anything but its own error -------------------------------------------

_FUZZ_DIR = Path(tempfile.mkdtemp(prefix="suiteql-fuzz-"))
_ENGINE = SuiteQLEngine(
    fuzz_store := NetSuiteStore(database_path(_FUZZ_DIR), Catalog()), TableRegistry(fuzz_store.catalog)
)
_WORDS = [
    "SELECT",
    "FROM",
    "WHERE",
    "customer",
    "transaction",
    "t",
    "c",
    "id",
    "entity",
    "companyname",
    "AND",
    "OR",
    "NOT",
    "(",
    ")",
    ",",
    ".",
    "*",
    "=",
    "<>",
    "<",
    ">=",
    "IN",
    "LIKE",
    "BETWEEN",
    "IS",
    "NULL",
    "JOIN",
    "ON",
    "LEFT",
    "GROUP",
    "BY",
    "ORDER",
    "DESC",
    "COUNT",
    "SUM",
    "BUILTIN.DF",
    "TO_CHAR",
    "TO_DATE",
    "'x'",
    "'1/1/2026'",
    "1",
    "2.5",
    "-",
    "+",
    "/",
    "||",
    "CASE",
    "WHEN",
    "THEN",
    "ELSE",
    "END",
    "FETCH",
    "FIRST",
    "ROWS",
    "ONLY",
    "EXISTS",
    "AS",
    "HAVING",
    "ROWNUM",
    "SYSDATE",
    "'YYYY-MM-DD'",
    "DISTINCT",
    "NVL",
    "DECODE",
    '"',
]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.one_of(
        st.text(max_size=80),
        st.lists(st.sampled_from(_WORDS), max_size=25).map(" ".join),
        st.lists(st.sampled_from(_WORDS), max_size=12).map(
            lambda words: "SELECT id FROM customer WHERE " + " ".join(words)  # noqa: S608
        ),
    )
)
def test_arbitrary_input_only_ever_raises_the_suiteql_error(text: str) -> None:
    try:
        _ENGINE.run(text, limit=10, offset=0)
    except SuiteQLError:
        pass
