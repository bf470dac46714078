"""Importing lookup tables from NetSuite, over HTTPS against the seeded simulator: the draft holds what the
account holds (compared with a SuiteQL read, not typed ids), a change in NetSuite comes back as exactly
that diff, importing again changes nothing, and the draft goes through four eyes before the sync uses it."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError

from governance.models import AuditEntry
from sync.connections.models import Connection
from sync.connections.services import netsuite_connector
from sync.mappings.engine import MISSING
from sync.mappings.models import LookupTable, VersionStatus
from sync.mappings.selectors import published_mapping
from sync.mappings.services.lookup_import import (
    ALREADY_PROPOSED,
    DRAFTED,
    NO_CHANGE,
    importable_tables,
    lookup_import,
    lookup_import_source,
)
from sync.mappings.services.lookup_versions import (
    lookup_entries,
    lookup_version_approve,
    lookup_version_publish,
    lookup_version_submit,
)
from sync.mappings.services.lookups import mapping_lookups

pytestmark = pytest.mark.django_db(transaction=False)


def _read(connection: Connection, query: str) -> list[dict[str, str]]:
    return [{k: str(v) for k, v in row.items()} for row in netsuite_connector(connection).suiteql(query)]


def _active(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    return [row for row in rows if row.get("isinactive") != "T"]


def test_a_first_import_drafts_what_netsuite_holds(
    seeded_connections: tuple[Connection, Connection], revops: User
) -> None:
    _, netsuite = seeded_connections
    currencies = _active(_read(netsuite, "SELECT id, symbol, isinactive FROM currency"))
    terms = _active(_read(netsuite, "SELECT id, name, isinactive FROM term"))
    items = _active(_read(netsuite, "SELECT id, itemid, isinactive FROM item"))
    subsidiaries = _active(_read(netsuite, "SELECT id, country, isinactive FROM subsidiary"))
    expected = {
        "currency_code_to_id": {row["symbol"]: row["id"] for row in currencies},
        "currency_id_to_code": {row["id"]: row["symbol"] for row in currencies},
        "payment_terms_to_id": {row["name"]: row["id"] for row in terms},
        "item_id_by_sku": {row["itemid"]: row["id"] for row in items},
        "country_to_subsidiary": {row["country"]: row["id"] for row in subsidiaries},
    }
    assert len(expected["currency_code_to_id"]) >= 6 and len(expected["item_id_by_sku"]) >= 5
    for table, entries in expected.items():
        result = lookup_import(table_name=table, user=revops, connection=netsuite)
        assert result.status == DRAFTED, result.message
        assert result.version is not None and result.version.status == VersionStatus.DRAFT
        assert lookup_entries(result.version) == entries, table
        assert [key for key, _ in result.diff.added] == sorted(entries)
        source = lookup_import_source(result.version)
        assert source is not None and source["connection"] == "ns-sandbox"
        assert any("FROM" in query for query in source["queries"])
    # A second import while the draft is open makes no second draft.
    again = lookup_import(table_name="currency_code_to_id", user=revops, connection=netsuite)
    assert again.status == ALREADY_PROPOSED
    assert LookupTable.objects.get(name="currency_code_to_id").versions.count() == 1


def test_a_change_in_netsuite_comes_back_as_exactly_that_diff_and_goes_live_through_four_eyes(
    seeded_connections: tuple[Connection, Connection], seeded_mappings: None, revops: User, finance: User
) -> None:
    _, netsuite = seeded_connections
    # The shipped tables are the seeded account's ids: nothing to import.
    for table in ("currency_code_to_id", "payment_terms_to_id", "country_to_subsidiary"):
        result = lookup_import(table_name=table, user=revops, connection=netsuite)
        assert result.status == NO_CHANGE, result.message
        assert "no change" in result.message
    assert not LookupTable.objects.get(name="currency_code_to_id").versions.filter(status=VersionStatus.DRAFT)

    connector = netsuite_connector(netsuite)
    chf = connector.create(
        "currency", {"externalId": "CHF", "name": "Swiss Franc", "symbol": "CHF", "currencyPrecision": 2}
    )
    net15 = next(row["id"] for row in _read(netsuite, "SELECT id, name FROM term") if row["name"] == "Net 15")
    connector.patch("term", net15, {"isInactive": True})

    currencies = lookup_import(table_name="currency_code_to_id", user=revops, connection=netsuite)
    assert currencies.status == DRAFTED
    assert (currencies.diff.added, currencies.diff.removed, currencies.diff.changed) == (
        [("CHF", chf)],
        [],
        [],
    )
    assert currencies.as_dict()["added"][0]["netsuite_name"] == "Swiss Franc"
    terms = lookup_import(table_name="payment_terms_to_id", user=revops, connection=netsuite)
    assert (terms.diff.added, terms.diff.removed, terms.diff.changed) == ([], [("Net 15", net15)], [])
    assert any("Net 15" in note and "inactive" in note for note in terms.notes)

    draft = currencies.version
    assert draft is not None
    lookup_version_submit(version=draft, user=revops)
    with pytest.raises(PermissionDenied):
        lookup_version_approve(version=draft, user=revops)
    with pytest.raises(ValidationError):  # approval comes first, by someone else
        lookup_version_publish(version=draft, user=finance)
    assert mapping_lookups().lookup("currency_code_to_id", "CHF") is MISSING  # until published
    lookup_version_approve(version=draft, user=finance)
    lookup_version_publish(version=draft, user=finance)
    assert mapping_lookups().lookup("currency_code_to_id", "CHF") == chf
    # The published opportunity mapping now sends a Swiss franc account to NetSuite with CHF's new id.
    _, mapping = published_mapping("opportunity_to_netsuite")
    account = {"Id": "001A", "Name": "Zurich AG", "BillingCountry": "DE", "CurrencyIsoCode": "CHF"}
    mapped = mapping.apply_object("customer", {"Account": account}, lookups=mapping_lookups())
    assert [payload.body["currency"] for payload in mapped.payloads] == [{"id": chf}], mapped.problems
    # Published: importing again says no change.
    assert (
        lookup_import(table_name="currency_code_to_id", user=revops, connection=netsuite).status == NO_CHANGE
    )
    events = [
        (entry.additional_data or {}).get("event") for entry in AuditEntry.objects.get_for_object(draft)
    ]
    assert "netsuite_import" in events and "approve" in events


def test_every_shipped_table_matches_the_seeded_account(
    seeded_connections: tuple[Connection, Connection], seeded_mappings: None, revops: User
) -> None:
    """The shipped ids are the seeded account's: each importable shipped table imports as no change."""
    _, netsuite = seeded_connections
    shipped = set(LookupTable.objects.values_list("name", flat=True))
    for table in sorted(shipped & set(importable_tables())):
        result = lookup_import(table_name=table, user=revops, connection=netsuite)
        assert result.status == NO_CHANGE, (table, result.as_dict())
