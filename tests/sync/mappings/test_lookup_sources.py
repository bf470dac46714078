"""The table-by-table rules of the NetSuite lookup import, on rows given directly (no HTTP): ambiguous
keys, inactive records, routing keys people chose, kept keys refreshed by frequency, years as months."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from sync.connections.connectors.errors import ConnectorError
from sync.mappings.services.lookup_sources import SOURCES, Proposal, RecordTypeMissing, SuiteQLReader


class FakeConnector:
    """Answers SuiteQL by the table named after FROM; ``None`` rows: the account lacks the table."""

    def __init__(self, tables: dict[str, list[dict[str, Any]] | None]) -> None:
        self.tables = tables

    def suiteql_by_key(self, select: str) -> Iterator[dict[str, Any]]:
        table = select.split(" FROM ")[1].split()[0]
        rows = self.tables.get(table)
        if rows is None:
            raise ConnectorError("netsuite", False, f"Record '{table}' was not found.", status=400)
        yield from rows

    def subsidiaries(self) -> list[dict[str, Any]] | None:
        return self.tables.get("subsidiary")


def _build(table: str, tables: dict[str, Any], current: dict[str, Any]) -> Proposal:
    proposal = Proposal()
    SOURCES[table].build(SuiteQLReader(FakeConnector(tables)), current, proposal)  # type: ignore[arg-type]
    return proposal


def _sub(id_: int, country: str, name: str, inactive: str = "F") -> dict[str, Any]:
    return {"id": id_, "country": country, "name": name, "isinactive": inactive}


def test_subsidiaries_by_country_keep_todays_pick_when_ambiguous_and_keep_routing_keys() -> None:
    subsidiaries = [
        _sub(1, "US", "Inc."),
        _sub(2, "GB", "Ltd"),
        _sub(3, "DE", "GmbH"),
        _sub(7, "DE", "GmbH (Services)"),
        _sub(4, "AU", "Pty", inactive="T"),
    ]
    current = {"US": "1", "CA": "1", "GB": "2", "IE": "9", "DE": "7", "AU": "4"}
    proposal = _build("country_to_subsidiary", {"subsidiary": subsidiaries}, current)
    # DE is ambiguous: today's 7 is one of the two, so it stays; CA (no subsidiary of its own) keeps its
    # routing to an active subsidiary; IE's subsidiary is gone and AU's inactive: both are removed.
    assert proposal.entries == {"US": "1", "CA": "1", "GB": "2", "DE": "7"}
    notes = " ".join(proposal.notes)
    assert "DE: 2 active subsidiaries (3 'GmbH', 7 'GmbH (Services)'); kept today's 7" in notes
    assert "IE: subsidiary 9 is no longer in NetSuite" in notes
    assert "AU: subsidiary 4 'Pty' is inactive in NetSuite, not imported." in notes
    fresh = _build("country_to_subsidiary", {"subsidiary": subsidiaries}, {})
    assert fresh.entries["DE"] == "3" and "took the lowest id, 3" in " ".join(fresh.notes)


def test_an_account_without_the_record_type_is_refused_with_the_reason() -> None:
    with pytest.raises(RecordTypeMissing, match="without OneWorld"):
        _build("country_to_subsidiary", {"subsidiary": None}, {})
    with pytest.raises(RecordTypeMissing, match="no pricelevel records"):
        _build("price_level_to_id", {"pricelevel": None}, {})
    with pytest.raises(ConnectorError):  # any other refusal is NetSuite's error, not "missing"
        SuiteQLReader(FakeConnector({})).rows("SELECT id FROM term", "currency")  # type: ignore[arg-type]


def test_billing_schedules_keep_their_keys_and_follow_the_frequency() -> None:
    schedules = [
        {"id": 1, "name": "Monthly", "frequency": "MONTHLY", "isinactive": "T"},
        {"id": 5, "name": "Monthly (new)", "frequency": "MONTHLY", "isinactive": "F"},
        {"id": 2, "name": "Annually in Advance", "frequency": "ANNUALLY", "isinactive": "F"},
    ]
    current = {"Monthly": "1", "Annual": "2", "Quarterly": "3"}
    proposal = _build("billing_schedule_to_id", {"billingschedule": schedules}, current)
    assert proposal.entries == {"Monthly": "5", "Annual": "2"}
    assert "Quarterly: billing schedule 3 is no longer in NetSuite" in " ".join(proposal.notes)
    assert proposal.names["5"] == "Monthly (new)"


def test_subscription_terms_in_years_count_as_months_and_price_books_need_active_plans() -> None:
    terms = [
        {"id": 1, "name": "12 Months", "subscriptiontermduration": 12, "subscriptiontermunit": "MONTHS"},
        {"id": 2, "name": "2 Years", "subscriptiontermduration": 2, "subscriptiontermunit": "YEARS"},
        {"id": 3, "name": "90 Days", "subscriptiontermduration": 90, "subscriptiontermunit": "DAYS"},
    ]
    proposal = _build("subscription_term_by_months", {"subscriptionterm": terms}, {})
    assert proposal.entries == {"12": "1", "24": "2"} and "not in months or years" in proposal.notes[0]
    tables = {
        "subscriptionplan": [
            {"id": 1, "itemid": "PKG-A", "isinactive": "F"},
            {"id": 2, "itemid": "PKG-B", "isinactive": "T"},
        ],
        "currency": [
            {"id": 1, "symbol": "USD", "name": "US Dollar", "isinactive": "F"},
            {"id": 2, "symbol": "EUR", "name": "Euro", "isinactive": "F"},
        ],
        "pricebook": [
            {"id": 10, "name": "A USD", "subscriptionplan": 1, "currency": 1},
            {"id": 11, "name": "A EUR", "subscriptionplan": 1, "currency": 2},
            {"id": 12, "name": "B USD", "subscriptionplan": 2, "currency": 1},
        ],
    }
    books = _build("price_book_by_plan_currency", tables, {"PKG-B-USD": "12"})
    assert books.entries == {"PKG-A-USD": "10", "PKG-A-EUR": "11"}
    assert any("PKG-B-USD" in note and "inactive" in note for note in books.notes)


def test_the_return_direction_maps_ids_to_codes() -> None:
    currencies = [
        {"id": 1, "symbol": "USD", "name": "US Dollar", "isinactive": "F"},
        {"id": 9, "symbol": "XXX", "name": "Old", "isinactive": "T"},
    ]
    assert _build("currency_id_to_code", {"currency": currencies}, {}).entries == {"1": "USD"}
    assert _build("currency_code_to_id", {"currency": currencies}, {"XXX": "9"}).entries == {"USD": "1"}
