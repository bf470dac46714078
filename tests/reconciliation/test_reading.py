"""Paging and canonicalization helpers the checks read through."""

from __future__ import annotations

from typing import Any

from reconciliation.checks import _lines_sent
from reconciliation.reading import Sources, grouped, suiteql_keyset
from sync.connections.connectors.netsuite import Page


class PagedNetSuite:
    """Answers keyset queries over ids 1..n, ``page`` rows per page, and remembers every query."""

    def __init__(self, n: int, page: int) -> None:
        self.n, self.page = n, page
        self.queries: list[tuple[str, int]] = []

    def suiteql_page(self, query: str, *, limit: int = 1000, offset: int = 0) -> Page:
        self.queries.append((query, offset))
        after = int(query.split("> ")[1].split(" ")[0])
        ids = list(range(max(after + 1, 1), self.n + 1))
        chunk = ids[offset : offset + self.page]
        return Page([{"id": str(i)} for i in chunk], offset + self.page < len(ids), len(ids), offset)

    def suiteql(self, query: str, *, page_size: int = 1000) -> Any:
        return iter([{"id": "1", "symbol": "USD", "name": "Concord Software KK"}])


def test_it_pages_by_key_with_group_by_after_the_where() -> None:
    netsuite = PagedNetSuite(n=7, page=2)
    rows = list(
        suiteql_keyset(
            netsuite,
            select="SELECT t.id FROM transaction t",
            key="t.id",
            where="x = 1",
            group_by="t.id",
            chunk_rows=4,
        )
    )
    assert [row["id"] for row in rows] == [str(i) for i in range(1, 8)]
    assert netsuite.queries == [
        ("SELECT t.id FROM transaction t WHERE t.id > -1 AND (x = 1) GROUP BY t.id ORDER BY t.id", 0),
        ("SELECT t.id FROM transaction t WHERE t.id > -1 AND (x = 1) GROUP BY t.id ORDER BY t.id", 2),
        ("SELECT t.id FROM transaction t WHERE t.id > 4 AND (x = 1) GROUP BY t.id ORDER BY t.id", 0),
        ("SELECT t.id FROM transaction t WHERE t.id > 4 AND (x = 1) GROUP BY t.id ORDER BY t.id", 2),
    ]


def test_it_groups_consecutive_rows() -> None:
    rows = [{"k": "a"}, {"k": "a"}, {"k": "b"}, {"k": "a"}]
    assert [(key, len(group)) for key, group in grouped(rows, lambda r: r["k"])] == [
        ("a", 2),
        ("b", 1),
        ("a", 1),
    ]


def test_it_counts_quote_lines_as_the_mapping_sends_them() -> None:
    lines = [
        {"Id": "P", "SBQQ__NetTotal__c": 0.0, "SBQQ__RequiredBy__c": None},  # a package header: left out
        {"Id": "M1", "SBQQ__NetTotal__c": 100.0, "SBQQ__RequiredBy__c": "P"},
        {"Id": "M2", "SBQQ__NetTotal__c": 0.0, "SBQQ__RequiredBy__c": "P"},  # free, but not a header: sent
        {"Id": "Q", "SBQQ__NetTotal__c": 50.5, "SBQQ__RequiredBy__c": None},  # priced bundle parent: kept
        {"Id": "Q1", "SBQQ__NetTotal__c": 1.25, "SBQQ__RequiredBy__c": "Q"},
    ]
    assert _lines_sent(lines) == (4, 151.75)


def test_it_translates_netsuite_ids_and_billing_countries() -> None:
    sources = Sources(
        salesforce=None,  # type: ignore[arg-type]
        netsuite=PagedNetSuite(0, 1),
        lookups={"country_to_subsidiary": {"JP": "1"}},
    )
    assert sources.currency_code("1") == "USD" and sources.currency_code("9") == "currency #9"
    assert sources.currency_code(None) is None
    assert sources.expected_subsidiary("JP") == "Concord Software KK"
    assert sources.expected_subsidiary(None) is None
