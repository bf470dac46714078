"""The lookup import from the console page, the API and the command, against the seeded NetSuite simulator
over HTTPS; an account without OneWorld gets a clear message for the subsidiary table."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from governance.models import AuditEntry
from simulators.core.runner import RunningSimulator, start_in_thread
from simulators.netsuite.seed import seed as seed_netsuite
from simulators.netsuite.spec import SPEC as NETSUITE_SPEC
from sync.connections.connectors.errors import ConnectorError
from sync.connections.models import Connection
from sync.connections.services import netsuite_connector
from sync.mappings.models import LookupTable, LookupVersion, VersionStatus
from sync.mappings.services import lookup_import as lookup_import_module
from sync.mappings.services.lookup_versions import lookup_entries
from tests.api_support import token_client
from tests.sync.conftest import SEEDED, netsuite_connection_for

JSON = "application/json"


def _add_currency(netsuite: Connection) -> str:
    return netsuite_connector(netsuite).create(
        "currency", {"externalId": "CHF", "name": "Swiss Franc", "symbol": "CHF", "currencyPrecision": 2}
    )


def test_the_api_drafts_a_change_then_says_no_change(
    seeded_connections: tuple[Connection, Connection], seeded_mappings: None, revops: User, finance: User
) -> None:
    _, netsuite = seeded_connections
    maker = token_client(revops)
    unchanged = maker.post("/api/v1/lookup-tables/currency_code_to_id/import/", {}, content_type=JSON)
    assert unchanged.status_code == 200, unchanged.content
    assert unchanged.json()["status"] == "no_change" and unchanged.json()["version"] is None
    chf = _add_currency(netsuite)
    made = maker.post(
        "/api/v1/lookup-tables/currency_id_to_code/import/", {"connection": "ns-sandbox"}, content_type=JSON
    )
    assert made.status_code == 201, made.content
    body = made.json()
    assert body["status"] == "drafted" and body["removed"] == [] and body["changed"] == []
    assert body["added"] == [{"key": chf, "value": "CHF", "netsuite_name": "Swiss Franc"}]
    draft = LookupVersion.objects.get(pk=body["version"])
    assert draft.status == VersionStatus.DRAFT and draft.created_by == revops
    again = maker.post("/api/v1/lookup-tables/currency_id_to_code/import/", {}, content_type=JSON)
    assert again.status_code == 200 and again.json()["status"] == "already_proposed"
    assert again.json()["version"] == draft.pk
    # Approval stays with someone else: Finance may not import, RevOps may not approve.
    refused = token_client(finance).post(
        "/api/v1/lookup-tables/currency_id_to_code/import/", {}, content_type=JSON
    )
    assert refused.status_code == 403
    url = f"/api/v1/lookup-versions/{draft.pk}"
    maker.post(f"{url}/submit/", {}, content_type=JSON)
    assert maker.post(f"{url}/approve/", {}, content_type=JSON).status_code == 403
    unknown = maker.post("/api/v1/lookup-tables/salesforce_pricebook_id/import/", {}, content_type=JSON)
    assert unknown.status_code == 400 and "importable" in unknown.content.decode()
    wrong = maker.post(
        "/api/v1/lookup-tables/currency_id_to_code/import/", {"connection": "nope"}, content_type=JSON
    )
    assert wrong.status_code == 400 and "nope" in wrong.content.decode()


def test_the_command_imports_one_table_or_all(
    seeded_connections: tuple[Connection, Connection], seeded_mappings: None, revops: User
) -> None:
    _, netsuite = seeded_connections
    out = io.StringIO()
    call_command("lookup_import", "payment_terms_to_id", "--user", "revops", stdout=out)
    assert "no change" in out.getvalue()
    chf = _add_currency(netsuite)
    out = io.StringIO()
    call_command("lookup_import", "--all", "--user", "revops", "--connection", "ns-sandbox", stdout=out)
    text = out.getvalue()
    assert f"+ CHF -> {chf}  Swiss Franc" in text and f"+ {chf} -> CHF  Swiss Franc" in text
    drafted = {version.table.name for version in LookupVersion.objects.filter(status=VersionStatus.DRAFT)}
    assert drafted == {"currency_code_to_id", "currency_id_to_code", "item_id_by_sku", "price_level_to_id"}
    levels = netsuite_connector(netsuite).suiteql("SELECT id, name, isinactive FROM pricelevel")
    expected = {row["name"]: str(row["id"]) for row in levels if row["isinactive"] == "F"}
    assert len(expected) >= 2
    assert lookup_entries(LookupTable.objects.get(name="price_level_to_id").versions.get()) == expected
    assert "is inactive in NetSuite, not imported" in text
    items = LookupTable.objects.get(name="item_id_by_sku").versions.get()
    skus = {
        row["itemid"]: str(row["id"])
        for row in netsuite_connector(netsuite).suiteql("SELECT id, itemid FROM item")
    }
    assert lookup_entries(items) == skus
    with pytest.raises(CommandError, match="--user"):
        call_command("lookup_import", "payment_terms_to_id")
    with pytest.raises(CommandError, match="one table, or give --all"):
        call_command("lookup_import", "--user", "revops")
    listed = io.StringIO()
    call_command("lookup_import", "--list", stdout=listed)
    assert "country_to_subsidiary" in listed.getvalue().split()


def test_the_console_button_drafts_and_the_page_shows_the_diff_with_names(
    seeded_connections: tuple[Connection, Connection],
    seeded_mappings: None,
    revops_client: Client,
    finance_client: Client,
) -> None:
    _, netsuite = seeded_connections
    page = revops_client.get("/sync/mappings/lookups/").content.decode()
    assert "/lookups/currency_code_to_id/import/" in page and 'value="ns-sandbox"' in page
    assert "/import/" not in finance_client.get("/sync/mappings/lookups/").content.decode()
    same = revops_client.post(
        "/sync/mappings/lookups/currency_code_to_id/import/", {"connection": ""}, follow=True
    )
    assert "no change" in same.content.decode()
    net60 = next(
        str(row["id"])
        for row in netsuite_connector(netsuite).suiteql("SELECT id, name FROM term")
        if row["name"] == "Net 60"
    )
    netsuite_connector(netsuite).patch("term", net60, {"isInactive": True})
    made = revops_client.post(
        "/sync/mappings/lookups/payment_terms_to_id/import/", {"connection": "ns-sandbox"}
    )
    draft = LookupVersion.objects.get(table__name="payment_terms_to_id", status=VersionStatus.DRAFT)
    assert made.status_code == 302 and made["Location"] == f"/sync/mappings/lookup-versions/{draft.pk}/"
    page = revops_client.get(made["Location"]).content.decode()
    assert "Imported from NetSuite" in page and "0 added, 1 removed, 0 changed" in page
    assert 'class="change-removed"' in page and "Net 60" in page and "FROM term" in page
    assert finance_client.post("/sync/mappings/lookups/payment_terms_to_id/import/").status_code == 403
    entries = [e.additional_data for e in AuditEntry.objects.get_for_object(draft) if e.additional_data]
    assert any(
        data.get("event") == "netsuite_import" and data.get("connection") == "ns-sandbox" for data in entries
    )


@pytest.fixture
def single_entity_netsuite(tmp_path: Path) -> Iterator[RunningSimulator]:
    """The simulator as an account without OneWorld."""
    data_dir = tmp_path / "single"
    seed_netsuite(data_dir, SEEDED)
    running = start_in_thread(NETSUITE_SPEC, data_dir, one_world=False)
    yield running
    running.stop()


def test_an_account_without_oneworld_says_it_has_no_subsidiaries(
    single_entity_netsuite: RunningSimulator, seeded_mappings: None, revops: User
) -> None:
    netsuite_connection_for(single_entity_netsuite, name="ns-single")
    client = token_client(revops)
    answer = client.post(
        "/api/v1/lookup-tables/country_to_subsidiary/import/", {"connection": "ns-single"}, content_type=JSON
    )
    assert answer.status_code == 400
    assert "no subsidiaries (an account without OneWorld" in answer.content.decode()
    assert not LookupVersion.objects.filter(table__name="country_to_subsidiary", status=VersionStatus.DRAFT)
    # The rest of the account imports as usual.
    currencies = client.post(
        "/api/v1/lookup-tables/currency_code_to_id/import/", {"connection": "ns-single"}, content_type=JSON
    )
    assert currencies.status_code == 200 and currencies.json()["status"] == "no_change"


class _Down:
    """A NetSuite that does not answer."""

    def suiteql_by_key(self, select: str) -> Iterator[dict[str, object]]:
        raise ConnectorError("netsuite", True, "connection refused", operation="suiteql")
        yield {}


def test_netsuite_not_answering_is_502_and_a_message_and_nothing_is_made(
    netsuite_connection: Connection,
    seeded_mappings: None,
    revops: User,
    revops_client: Client,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(lookup_import_module, "netsuite_connector", lambda connection: _Down())
    before = LookupVersion.objects.count()
    answer = token_client(revops).post(
        "/api/v1/lookup-tables/payment_terms_to_id/import/", {}, content_type=JSON
    )
    assert answer.status_code == 502 and "connection refused" in answer.json()["detail"]
    page = revops_client.post(
        "/sync/mappings/lookups/payment_terms_to_id/import/", follow=True
    ).content.decode()
    assert "Not imported" in page and "connection refused" in page
    with pytest.raises(CommandError, match="not imported: payment_terms_to_id"):
        call_command("lookup_import", "payment_terms_to_id", "--user", "revops", stderr=io.StringIO())
    assert LookupVersion.objects.count() == before
