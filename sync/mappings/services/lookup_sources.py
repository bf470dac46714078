"""What NetSuite says each importable lookup table should hold: the SuiteQL reads and the rules that turn
their rows into ``{key: value}`` (used by :mod:`sync.mappings.services.lookup_import`).

Table by table (every read pages through the connector's SuiteQL, keyset by ``id``):

=============================  ================  ====================================================
table                          NetSuite table    key -> value, and the rule
=============================  ================  ====================================================
currency_code_to_id            currency          ISO code (``symbol``) -> id. Derived: NetSuite's
                                                 active currencies are the whole table.
currency_id_to_code            currency          id -> ISO code. Derived (the return direction).
payment_terms_to_id            term              term name -> id. Derived. The names are what the
                                                 Salesforce picklist must say.
tax_code_to_id                 salestaxitem      tax code name (``itemid``) -> id. Derived.
tax_code_id_to_code            salestaxitem      id -> tax code name. Derived.
subscription_term_by_months    subscriptionterm  months (``subscriptiontermduration`` in
                                                 ``subscriptiontermunit`` MONTHS, or YEARS x 12) -> id.
                                                 Derived.
price_book_by_plan_currency    pricebook         ``<plan itemid>-<currency ISO>`` -> id, with the
                               (+ subscription-  plans and currencies read to name them. Derived; a
                               plan, currency)   price book of an inactive plan or currency is not.
item_id_by_sku                 item              SKU (``itemid``) -> id. Derived (made on first import).
price_level_to_id              pricelevel        price level name -> id. Derived (made on first import).
country_to_subsidiary          subsidiary        ISO country -> subsidiary id. Mixed: a country where
                                                 an active subsidiary is registered maps to it; a
                                                 country mapped today with none of its own (Canada
                                                 invoiced by the US entity) is a routing choice
                                                 people made, kept while its subsidiary is active.
billing_schedule_to_id         billingschedule   Salesforce billing frequency -> id. Kept keys: the
                                                 Salesforce words are not NetSuite's names, so the
                                                 existing keys stay; each keeps its id while that
                                                 schedule is active, else takes the one active
                                                 schedule of the same ``frequency``.
=============================  ================  ====================================================

Common rules. An inactive NetSuite record is never imported as a target: its key is left out (so a key
mapped today shows as a removal) and a note says why. Several active records for one key (two
subsidiaries in Germany, two "Net 30" terms) are an ambiguity, shown as a note naming them all: the key
keeps today's id when it is one of them, else takes the lowest id. A table whose NetSuite record type the
account lacks (``subsidiary`` without OneWorld, ``pricelevel`` without multiple prices) is refused with a
message saying so (:class:`RecordTypeMissing`). The subsidiaries are read with the connector's
:meth:`~sync.connections.connectors.netsuite.NetSuiteConnector.subsidiaries`, the reader the exception
policy's lists use too.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sync.connections.connectors.errors import ConnectorError
from sync.connections.connectors.netsuite import NetSuiteConnector, table_missing

# Salesforce CPQ billing frequencies -> NetSuite billing schedule ``frequency``.
FREQUENCIES = {
    "Monthly": "MONTHLY",
    "Quarterly": "QUARTERLY",
    "Semiannual": "SEMIANNUALLY",
    "Annual": "ANNUALLY",
    "Annually": "ANNUALLY",
}
MONTHS_PER_UNIT = {"MONTH": 1, "MONTHS": 1, "YEAR": 12, "YEARS": 12}
SINGULAR = {
    "currencies": "currency",
    "terms": "term",
    "tax codes": "tax code",
    "subscription terms": "subscription term",
    "price books": "price book",
    "items": "item",
    "price levels": "price level",
    "subsidiaries": "subsidiary",
    "billing schedules": "billing schedule",
}
# Recorded as the source of a subsidiary import: the query itself is the connector's, shared with the
# exception policy's lists (sync.exceptions.netsuite_lists), not repeated here.
SUBSIDIARY_SOURCE = (
    "SELECT ... FROM subsidiary (NetSuiteConnector.subsidiaries: id, name, country, isinactive)"
)


class RecordTypeMissing(Exception):
    """The account has no such record type (a feature that is off); the message says which and why."""


@dataclass(frozen=True)
class Record:
    """One NetSuite row as a candidate: ``key`` is the lookup key it gives ("" when none)."""

    id: str
    key: str
    name: str
    active: bool


@dataclass
class Proposal:
    """What NetSuite says the table should hold, with the names of the ids read and what to tell people."""

    entries: dict[str, str] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)  # NetSuite id -> its name
    notes: list[str] = field(default_factory=list)
    queries: list[str] = field(default_factory=list)


class SuiteQLReader:
    """Reads for one import, remembering each query (they are recorded as the draft's source)."""

    def __init__(self, connector: NetSuiteConnector) -> None:
        self.connector = connector
        self.queries: list[str] = []

    def rows(self, select: str, table: str) -> list[dict[str, Any]]:
        self.queries.append(select)
        try:
            return list(self.connector.suiteql_by_key(select))
        except ConnectorError as error:
            if table_missing(error, table):
                raise RecordTypeMissing(
                    f"This NetSuite account has no {table} records (the feature is not enabled): "
                    "there is nothing to import."
                ) from error
            raise

    def subsidiaries(self) -> list[dict[str, Any]]:
        self.queries.append(SUBSIDIARY_SOURCE)
        rows = self.connector.subsidiaries()
        if rows is None:
            raise RecordTypeMissing(
                "This NetSuite account has no subsidiaries (an account without OneWorld is one legal "
                "entity): there is no country -> subsidiary table to import."
            )
        return rows


def _active(row: Mapping[str, Any]) -> bool:
    return str(row.get("isinactive") or "F").upper() not in ("T", "TRUE")


def _numeric(record_id: str) -> tuple[int, str]:
    return (int(record_id), "") if record_id.isdigit() else (0, record_id)


def _describe(record: Record) -> str:
    return f"{record.id} {record.name!r}" if record.name else record.id


def _choose(key: str, candidates: list[Record], current: str | None, proposal: Proposal, what: str) -> str:
    """The id for ``key`` among several active records: today's, if it is one of them, else the lowest."""
    ids = sorted((record.id for record in candidates), key=_numeric)
    chosen = current if current in ids else ids[0]
    named = ", ".join(_describe(record) for record in sorted(candidates, key=lambda r: _numeric(r.id)))
    proposal.notes.append(
        f"{key}: {len(candidates)} active {what} ({named}); "
        + ("kept today's " if chosen == current else "took the lowest id, ")
        + f"{chosen}. Set another in the draft if that is wrong."
    )
    return chosen


def derive(
    records: list[Record], current: Mapping[str, Any], what: str, proposal: Proposal, *, value: str = "id"
) -> None:
    """Keys from NetSuite: each active record's key maps to its id (``value="key"``: the reverse, the id
    maps to the key); keys only inactive records give are left out, with a note."""
    for record in records:
        proposal.names[record.id] = record.name
    by_key: dict[str, list[Record]] = {}
    inactive: dict[str, list[Record]] = {}
    for record in records:
        if record.key:
            (by_key if record.active else inactive).setdefault(record.key, []).append(record)
    for key, candidates in sorted(by_key.items()):
        if value == "key":
            for record in candidates:
                proposal.entries[record.id] = key
            continue
        today = current.get(key)
        chosen = (
            candidates[0].id
            if len(candidates) == 1
            else _choose(key, candidates, _text(today), proposal, what)
        )
        proposal.entries[key] = chosen
    for key, records_off in sorted(inactive.items()):
        if key in by_key:
            continue
        for record in records_off:
            one = SINGULAR.get(what, what)
            proposal.notes.append(f"{key}: {one} {_describe(record)} is inactive in NetSuite, not imported.")


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def keep_existing(
    keys: list[str], current: Mapping[str, Any], by_id: Mapping[str, Record], what: str, proposal: Proposal
) -> list[str]:
    """Keep each of ``keys`` whose current id is an active record; returns the keys that lost theirs (the
    caller may find another, else they are removals)."""
    lost = []
    for key in keys:
        today = _text(current.get(key))
        record = by_id.get(today or "")
        if record is not None and record.active:
            proposal.entries[key] = record.id
        else:
            lost.append(key)
    return lost


def _lost_note(key: str, today: Any, by_id: Mapping[str, Record], what: str) -> str:
    record = by_id.get(str(today))
    if record is None:
        return f"{key}: {what} {today} is no longer in NetSuite; the key is removed."
    return f"{key}: {what} {_describe(record)} is inactive in NetSuite; the key is removed."


# -- the tables ----------------------------------------------------------------------------------------


def _currencies(reader: SuiteQLReader) -> list[Record]:
    rows = reader.rows("SELECT id, name, symbol, isinactive FROM currency", "currency")
    return [
        Record(str(row["id"]), str(row.get("symbol") or ""), str(row.get("name") or ""), _active(row))
        for row in rows
    ]


def currency_code_to_id(reader: SuiteQLReader, current: Mapping[str, Any], proposal: Proposal) -> None:
    derive(_currencies(reader), current, "currencies", proposal)


def currency_id_to_code(reader: SuiteQLReader, current: Mapping[str, Any], proposal: Proposal) -> None:
    derive(_currencies(reader), current, "currencies", proposal, value="key")


def payment_terms_to_id(reader: SuiteQLReader, current: Mapping[str, Any], proposal: Proposal) -> None:
    rows = reader.rows("SELECT id, name, isinactive FROM term", "term")
    records = [
        Record(str(r["id"]), str(r.get("name") or ""), str(r.get("name") or ""), _active(r)) for r in rows
    ]
    derive(records, current, "terms", proposal)


def _tax_codes(reader: SuiteQLReader) -> list[Record]:
    rows = reader.rows("SELECT id, itemid, description, isinactive FROM salestaxitem", "salestaxitem")
    return [
        Record(str(r["id"]), str(r.get("itemid") or ""), str(r.get("itemid") or ""), _active(r)) for r in rows
    ]


def tax_code_to_id(reader: SuiteQLReader, current: Mapping[str, Any], proposal: Proposal) -> None:
    derive(_tax_codes(reader), current, "tax codes", proposal)


def tax_code_id_to_code(reader: SuiteQLReader, current: Mapping[str, Any], proposal: Proposal) -> None:
    derive(_tax_codes(reader), current, "tax codes", proposal, value="key")


def subscription_term_by_months(
    reader: SuiteQLReader, current: Mapping[str, Any], proposal: Proposal
) -> None:
    rows = reader.rows(
        "SELECT id, name, subscriptiontermduration, subscriptiontermunit, isinactive FROM subscriptionterm",
        "subscriptionterm",
    )
    records = []
    for row in rows:
        unit = str(row.get("subscriptiontermunit") or "MONTHS").upper()
        duration = str(row.get("subscriptiontermduration") or "")
        months = MONTHS_PER_UNIT.get(unit)
        name = str(row.get("name") or "")
        if months is None or not duration.isdigit():
            proposal.notes.append(
                f"subscription term {row['id']} {name!r} is not in months or years: skipped."
            )
            continue
        records.append(Record(str(row["id"]), str(int(duration) * months), name, _active(row)))
    derive(records, current, "subscription terms", proposal)


def price_book_by_plan_currency(
    reader: SuiteQLReader, current: Mapping[str, Any], proposal: Proposal
) -> None:
    plans = {
        str(r["id"]): (str(r.get("itemid") or ""), _active(r))
        for r in reader.rows("SELECT id, itemid, isinactive FROM subscriptionplan", "subscriptionplan")
    }
    currencies = {record.id: record for record in _currencies(reader)}
    rows = reader.rows("SELECT id, name, subscriptionplan, currency FROM pricebook", "pricebook")
    records = []
    for row in rows:
        plan, plan_active = plans.get(str(row.get("subscriptionplan") or ""), ("", False))
        currency = currencies.get(str(row.get("currency") or ""))
        name = str(row.get("name") or "")
        if not plan or currency is None or not currency.key:
            proposal.notes.append(
                f"price book {row['id']} {name!r} names no plan or currency known: skipped."
            )
            continue
        active = plan_active and currency.active and _active(row)
        records.append(Record(str(row["id"]), f"{plan}-{currency.key}", name, active))
    derive(records, current, "price books", proposal)


def item_id_by_sku(reader: SuiteQLReader, current: Mapping[str, Any], proposal: Proposal) -> None:
    rows = reader.rows("SELECT id, itemid, displayname, isinactive FROM item", "item")
    records = [
        Record(
            str(r["id"]),
            str(r.get("itemid") or ""),
            str(r.get("displayname") or r.get("itemid") or ""),
            _active(r),
        )
        for r in rows
    ]
    derive(records, current, "items", proposal)


def price_level_to_id(reader: SuiteQLReader, current: Mapping[str, Any], proposal: Proposal) -> None:
    rows = reader.rows("SELECT id, name, isinactive FROM pricelevel", "pricelevel")
    records = [
        Record(str(r["id"]), str(r.get("name") or ""), str(r.get("name") or ""), _active(r)) for r in rows
    ]
    derive(records, current, "price levels", proposal)


def country_to_subsidiary(reader: SuiteQLReader, current: Mapping[str, Any], proposal: Proposal) -> None:
    records = [
        Record(str(r["id"]), str(r.get("country") or "").upper(), str(r.get("name") or ""), _active(r))
        for r in reader.subsidiaries()
    ]
    derive(records, current, "subsidiaries", proposal)
    by_id = {record.id: record for record in records}
    registered = {record.key for record in records}
    routed = sorted(key for key in current if key not in registered)
    for key in keep_existing(routed, current, by_id, "subsidiary", proposal):
        proposal.notes.append(_lost_note(key, current[key], by_id, "subsidiary"))


def billing_schedule_to_id(reader: SuiteQLReader, current: Mapping[str, Any], proposal: Proposal) -> None:
    rows = reader.rows("SELECT id, name, frequency, isinactive FROM billingschedule", "billingschedule")
    records = [
        Record(str(r["id"]), str(r.get("frequency") or "").upper(), str(r.get("name") or ""), _active(r))
        for r in rows
    ]
    by_id = {record.id: record for record in records}
    for record in records:
        proposal.names[record.id] = record.name
    for key in keep_existing(sorted(current), current, by_id, "billing schedule", proposal):
        frequency = FREQUENCIES.get(key, key.upper())
        candidates = [r for r in records if r.active and r.key == frequency]
        if len(candidates) == 1:
            proposal.entries[key] = candidates[0].id
        elif candidates:
            proposal.entries[key] = _choose(key, candidates, None, proposal, "billing schedules")
        else:
            proposal.notes.append(_lost_note(key, current[key], by_id, "billing schedule"))


Builder = Callable[[SuiteQLReader, Mapping[str, Any], Proposal], None]


@dataclass(frozen=True)
class ImportSource:
    record_type: str
    description: str
    build: Builder


SOURCES: dict[str, ImportSource] = {
    "country_to_subsidiary": ImportSource(
        "subsidiary", "Account billing country (ISO code) -> NetSuite subsidiary id.", country_to_subsidiary
    ),
    "currency_code_to_id": ImportSource(
        "currency", "ISO currency code -> NetSuite currency id.", currency_code_to_id
    ),
    "currency_id_to_code": ImportSource(
        "currency", "NetSuite currency id -> ISO currency code (the return direction).", currency_id_to_code
    ),
    "payment_terms_to_id": ImportSource(
        "term", "Payment terms name -> NetSuite term id.", payment_terms_to_id
    ),
    "tax_code_to_id": ImportSource("salestaxitem", "Tax code -> NetSuite tax code id.", tax_code_to_id),
    "tax_code_id_to_code": ImportSource(
        "salestaxitem", "NetSuite tax code id -> tax code (the return direction).", tax_code_id_to_code
    ),
    "billing_schedule_to_id": ImportSource(
        "billingschedule", "Billing frequency -> NetSuite billing schedule id.", billing_schedule_to_id
    ),
    "subscription_term_by_months": ImportSource(
        "subscriptionterm",
        "Contract term in months -> NetSuite subscription term id.",
        subscription_term_by_months,
    ),
    "price_book_by_plan_currency": ImportSource(
        "pricebook", "<package SKU>-<currency> -> NetSuite price book id.", price_book_by_plan_currency
    ),
    "item_id_by_sku": ImportSource(
        "item", "SKU -> NetSuite item id (a reviewed copy of the dynamic SKU lookup).", item_id_by_sku
    ),
    "price_level_to_id": ImportSource(
        "pricelevel", "Price level name -> NetSuite price level id.", price_level_to_id
    ),
}
