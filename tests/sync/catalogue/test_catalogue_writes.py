"""Unit tests of the catalogue's Salesforce writes, with a stub connector: matching, linking, never
duplicating, the standard price first, and nothing sent when Salesforce holds it already."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from sync.catalogue.writes import EntryPlan, ProductPlan, WriteCount, entries_write, products_write
from sync.connections.connectors.salesforce import RecordResult

STD, PARTNER = "01sSTD", "01sPARTNER"


class StubSalesforce:
    """Answers SOQL from rows in memory (by the object queried) and records every write call."""

    def __init__(self, products: list[dict[str, Any]], entries: list[dict[str, Any]] | None = None) -> None:
        self.rows = {"Product2": products, "PricebookEntry": entries or []}
        self.calls: list[tuple[str, str, list[dict[str, Any]]]] = []
        self.refuse: set[str] = set()  # Pricebook2Ids whose creates fail

    def query_in(self, soql: str, ids: Iterable[str]) -> Iterator[dict[str, Any]]:
        wanted = set(ids)
        sobject = soql.split(" FROM ")[1].split(" ")[0]
        column = soql.split(" WHERE ")[1].split(" IN ")[0]
        return iter([row for row in self.rows[sobject] if str(row.get(column)) in wanted])

    def collections_update(self, sobject: str, records: Sequence[dict[str, Any]]) -> list[RecordResult]:
        self.calls.append(("update", sobject, list(records)))
        return [RecordResult(str(record["Id"]), True) for record in records]

    def collections_upsert(
        self, sobject: str, field: str, records: Sequence[dict[str, Any]]
    ) -> list[RecordResult]:
        self.calls.append(("upsert", sobject, list(records)))
        return [RecordResult(f"01tNEW{n}", True, True) for n, _ in enumerate(records)]

    def collections_create(self, sobject: str, records: Sequence[dict[str, Any]]) -> list[RecordResult]:
        self.calls.append(("create", sobject, list(records)))
        return [
            RecordResult(None, False, errors=({"statusCode": "FIELD_INTEGRITY_EXCEPTION", "message": "no"},))
            if record["Pricebook2Id"] in self.refuse
            else RecordResult(f"01uNEW{n}", True, True)
            for n, record in enumerate(records)
        ]


def _product(item: str, code: str, **more: Any) -> ProductPlan:
    return ProductPlan(
        item, code, {"ProductCode": code, "Name": code.title(), "NetSuite_Item_Id__c": item, **more}
    )


def test_it_links_a_product_made_in_salesforce_by_its_code_and_creates_only_what_is_missing() -> None:
    sf = StubSalesforce(
        [
            {"Id": "01tLINKED", "ProductCode": "A", "Name": "A", "NetSuite_Item_Id__c": "1"},
            {"Id": "01tMADE", "ProductCode": "B", "Name": "B", "NetSuite_Item_Id__c": None},
        ]
    )
    plans = [_product("1", "A", Name="A"), _product("2", "B", Name="B"), _product("3", "C")]
    count = WriteCount()

    products_write(sf, plans, count)  # type: ignore[arg-type]

    assert [plan.salesforce_id for plan in plans] == ["01tLINKED", "01tMADE", "01tNEW0"]
    # The linked one held everything: not sent; the made one gets its NetSuite id; C is upserted.
    assert sf.calls == [
        ("update", "Product2", [{"Id": "01tMADE", "NetSuite_Item_Id__c": "2"}]),
        ("upsert", "Product2", [plans[2].body]),
    ]
    assert count.products_written == 2


def test_an_ambiguous_or_taken_code_is_refused_not_guessed() -> None:
    sf = StubSalesforce(
        [
            {"Id": "01tX1", "ProductCode": "DUP", "NetSuite_Item_Id__c": None},
            {"Id": "01tX2", "ProductCode": "DUP", "NetSuite_Item_Id__c": None},
            {"Id": "01tOTHER", "ProductCode": "TAKEN", "NetSuite_Item_Id__c": "99"},
        ]
    )
    dup, taken = _product("5", "DUP"), _product("6", "TAKEN")

    products_write(sf, [dup, taken], WriteCount())  # type: ignore[arg-type]

    assert dup.error_code == "AMBIGUOUS_PRODUCT_CODE" and "01tX1" in dup.error
    assert taken.error_code == "PRODUCT_CODE_TAKEN" and "item 99" in taken.error
    assert sf.calls == []


def _entry(book: str, currency: str, price: float, *, standard: bool) -> EntryPlan:
    body = {"Product2Id": "01tP", "Pricebook2Id": book, "CurrencyIsoCode": currency, "UnitPrice": price}
    return EntryPlan("1", {**body, "IsActive": True}, standard=standard)


def test_entries_are_found_by_product_book_and_currency_and_the_standard_price_goes_first() -> None:
    held = [
        {"Id": "01uUSD", "Product2Id": "01tP", "Pricebook2Id": STD, "CurrencyIsoCode": "USD",
         "UnitPrice": 100.0, "IsActive": True},
        {"Id": "01uEUR", "Product2Id": "01tP", "Pricebook2Id": STD, "CurrencyIsoCode": "EUR",
         "UnitPrice": 80.0, "IsActive": True},
    ]  # fmt: skip
    sf = StubSalesforce([], held)
    plans = [
        _entry(PARTNER, "USD", 70, standard=False),
        _entry(STD, "USD", 100, standard=True),  # unchanged
        _entry(STD, "EUR", 85, standard=True),  # repriced
        _entry(STD, "GBP", 60, standard=True),  # new
    ]
    count = WriteCount()

    entries_write(sf, plans, multi_currency=True, count=count)  # type: ignore[arg-type]

    assert sf.calls == [
        ("update", "PricebookEntry", [{"Id": "01uEUR", "UnitPrice": 85}]),
        ("create", "PricebookEntry", [plans[3].body]),
        ("create", "PricebookEntry", [plans[0].body]),
    ]
    assert count.entries_written == 3


def test_a_refused_standard_price_holds_back_the_custom_price_of_that_currency() -> None:
    sf = StubSalesforce([], [])
    sf.refuse = {STD}
    standard, custom = _entry(STD, "USD", 10, standard=True), _entry(PARTNER, "USD", 9, standard=False)

    entries_write(sf, [custom, standard], multi_currency=True, count=WriteCount())  # type: ignore[arg-type]

    assert standard.error_code == "FIELD_INTEGRITY_EXCEPTION"
    assert custom.error_code == "STANDARD_PRICE_NOT_DEFINED"
    assert [call[0] for call in sf.calls] == ["create"]


def test_in_a_single_currency_org_the_currency_is_not_part_of_the_key() -> None:
    held = [{"Id": "01uONE", "Product2Id": "01tP", "Pricebook2Id": STD, "UnitPrice": 5, "IsActive": True}]
    sf = StubSalesforce([], held)
    plan = EntryPlan(
        "1", {"Product2Id": "01tP", "Pricebook2Id": STD, "UnitPrice": 5.0, "IsActive": True}, True
    )

    entries_write(sf, [plan], multi_currency=False, count=WriteCount())  # type: ignore[arg-type]

    assert sf.calls == [] and plan.salesforce_id == "01uONE"
