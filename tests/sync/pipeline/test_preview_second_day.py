"""The dry run the day after, over HTTPS against the seeded simulators: an opportunity the real pipeline
synced seconds before shows no change on any record; a change made in Salesforce since shows, alone; a
draft that remaps a field shows that field, alone."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client

from sync.connections.models import Connection
from sync.connections.services import netsuite_connector, salesforce_connector
from sync.mappings.models import FieldMapping, Flow
from sync.mappings.services.rows import field_row_save
from sync.mappings.services.versions import version_create_draft
from sync.pipeline.models import JobStatus
from sync.pipeline.preview import Preview, differences, mapping_dry_run
from sync.pipeline.runner import run_batch
from sync.pipeline.sources import ChosenVersions
from tests.sync.full_graph import FULL_GRAPH
from tests.sync.pipeline.conftest import THREADED_DB

pytestmark = THREADED_DB


@pytest.fixture
def synced(seeded_connections: tuple[Connection, Connection], opportunity_flow: Flow) -> dict[str, Any]:
    """A won opportunity with contacts, a quote and bundled lines, synced by the real pipeline."""
    salesforce, netsuite = seeded_connections
    sf = salesforce_connector(salesforce)
    rows = sf.query("SELECT Id FROM Opportunity WHERE IsWon = true ORDER BY Id")
    graphs = sf.fetch_opportunity_graphs([row["Id"] for row in rows], FULL_GRAPH)
    graph = next(
        g
        for g in graphs.values()
        if g["OpportunityContactRoles"]
        and g["primary_quote"]
        and any(line["SBQQ__RequiredBy__c"] for line in g["primary_quote"]["lines"])
    )
    job = run_batch(salesforce=salesforce, netsuite=netsuite, opportunity_ids=[graph["Id"]])
    assert job.status == JobStatus.SUCCEEDED, job.message
    return dict(graph)


def changes(preview: Preview) -> dict[str, list[tuple[str, Any, Any]]]:
    """Object key -> the differences of its records (every record NetSuite holds, none written twice)."""
    found: dict[str, list[tuple[str, Any, Any]]] = {}
    for record in preview.records:
        assert record.exists, (record.object_key, record.external_id)
        found.setdefault(record.object_key, []).extend(
            (difference.path, difference.netsuite, difference.mapped) for difference in record.differences
        )
    return found


def test_it_shows_no_change_after_a_sync_and_then_exactly_the_salesforce_change(
    seeded_connections: tuple[Connection, Connection], opportunity_flow: Flow, synced: dict[str, Any]
) -> None:
    live = opportunity_flow.versions.get(number=1)
    preview = mapping_dry_run(version=live, opportunity=synced["Id"])
    assert preview.problems == []
    seen = changes(preview)
    assert set(seen) == {
        "customer",
        "contact",
        "billing_account",
        "subscription_plan",
        "subscription",
        "sales_order",
    }
    assert all(found == [] for found in seen.values()), seen
    printed = io.StringIO()
    call_command("mapping_dry_run", synced["Name"], stdout=printed)  # by name, the published version
    lines = printed.getvalue().splitlines()
    assert lines[0].endswith(f"({synced['Id']})") and len(lines) == 1 + len(preview.records)
    assert all(line.endswith(("no changes", "(create-only, never updated)")) for line in lines[1:]), lines

    # The second day: a person changes the account's phone and a contact's title in Salesforce.
    sf = salesforce_connector(seeded_connections[0])
    contact_id = synced["OpportunityContactRoles"]["records"][0]["ContactId"]
    sf.update("Account", synced["AccountId"], {"Phone": "+1 415 555 0199"})
    sf.update("Contact", contact_id, {"Title": "Chief Dry Runner"})
    seen = changes(mapping_dry_run(version=live, opportunity=synced["Id"]))
    old_phone = synced["Account"]["Phone"]
    old_title = synced["OpportunityContactRoles"]["records"][0]["Contact"]["Title"]
    assert seen.pop("customer") == [("phone", old_phone, "+1 415 555 0199")]
    assert seen.pop("contact") == [("title", old_title, "Chief Dry Runner")]
    assert all(found == [] for found in seen.values()), seen
    printed = io.StringIO()
    call_command("mapping_dry_run", synced["Id"], "--mapping-version", "1", stdout=printed)
    assert f"  phone: {old_phone!r} -> '+1 415 555 0199'" in printed.getvalue().splitlines()


def test_it_runs_the_drafts_spec_and_shows_the_field_it_remaps(
    opportunity_flow: Flow, synced: dict[str, Any], revops: User
) -> None:
    draft = version_create_draft(flow=opportunity_flow, user=revops)
    memo = FieldMapping.objects.get(
        object_mapping__version=draft, object_mapping__key="sales_order", key="memo"
    )
    field_row_save(obj=memo.object_mapping, row=memo, values={"source": "primary_quote.Name"}, user=revops)
    # ... and the customer's name goes through one more transform.
    name = FieldMapping.objects.get(
        object_mapping__version=draft, object_mapping__key="customer", key="company_name"
    )
    transforms = ["trim", "upper", {"fn": "truncate", "length": 83}]
    field_row_save(obj=name.object_mapping, row=name, values={"transforms": transforms}, user=revops)

    seen = changes(mapping_dry_run(version=draft, opportunity=synced["Id"]))
    quote = synced["primary_quote"]["Name"]
    assert seen.pop("sales_order") == [("memo", synced["Name"], quote)]
    account = synced["Account"]["Name"]
    assert account != account.upper()
    assert seen.pop("customer") == [("companyName", account, account.upper())]
    assert all(found == [] for found in seen.values()), seen
    # The live version still maps the memo from the opportunity's name: nothing to change there.
    live = changes(mapping_dry_run(version=opportunity_flow.versions.get(number=1), opportunity=synced["Id"]))
    assert live["sales_order"] == []


def test_it_reads_a_salesforce_field_only_the_draft_maps_and_the_sync_then_sends_it(
    seeded_connections: tuple[Connection, Connection],
    opportunity_flow: Flow,
    synced: dict[str, Any],
    revops: User,
) -> None:
    salesforce, netsuite = seeded_connections
    salesforce_connector(salesforce).update("Opportunity", synced["Id"], {"Description": "Two-year renewal"})
    draft = version_create_draft(flow=opportunity_flow, user=revops)
    memo = FieldMapping.objects.get(
        object_mapping__version=draft, object_mapping__key="sales_order", key="memo"
    )
    # The opportunity's Description: a field the shipped mapping (and so the default read) leaves out.
    field_row_save(obj=memo.object_mapping, row=memo, values={"source": "Description"}, user=revops)

    seen = changes(mapping_dry_run(version=draft, opportunity=synced["Id"]))
    assert seen.pop("sales_order") == [("memo", synced["Name"], "Two-year renewal")]
    assert all(found == [] for found in seen.values()), seen

    # The sync with that draft (a release's test run) sends what the dry run showed, and then nothing.
    job = run_batch(
        salesforce=salesforce,
        netsuite=netsuite,
        opportunity_ids=[synced["Id"]],
        versions=ChosenVersions(mappings={opportunity_flow.key: draft}),
    )
    assert job.status == JobStatus.SUCCEEDED, job.message
    order = netsuite_connector(netsuite).get_by_external_id("salesOrder", synced["Id"])
    assert order is not None and order["memo"] == "Two-year renewal"
    preview = mapping_dry_run(version=draft, opportunity=synced["Id"])
    seen = changes(preview)
    # An update that re-sends the order's lines without replacing them appends them a second time
    # (API-FACTS: sublists); the dry run then shows exactly those copies as lines a replace removes.
    sent = next(r for r in preview.records if r.object_key == "sales_order").body["item"]["items"]
    extra = seen.pop("sales_order")
    copies = [held for _, held, mapped in extra if mapped is None]
    assert len(copies) == len(extra), extra
    assert all(any(differences(line, held) == [] for line in sent) for held in copies), extra
    assert len(extra) in (0, len(sent))
    assert all(found == [] for found in seen.values()), seen


def test_it_tells_an_edit_made_in_netsuite_from_a_change_the_sync_would_send(
    seeded_connections: tuple[Connection, Connection],
    opportunity_flow: Flow,
    synced: dict[str, Any],
    revops_client: Client,
) -> None:
    salesforce, netsuite = seeded_connections
    ns = netsuite_connector(netsuite)
    held = ns.get_by_external_id("salesOrder", synced["Id"])
    assert held is not None
    ns.patch("salesOrder", str(held["id"]), {"memo": "Edited in NetSuite"})
    live = opportunity_flow.versions.get(number=1)

    def order() -> Any:
        preview = mapping_dry_run(version=live, opportunity=synced["Id"])
        return next(record for record in preview.records if record.object_key == "sales_order")

    # Salesforce did not change: the payload is the one last synced, so the sync skips the order.
    skipped = order()
    assert [(d.path, d.netsuite, d.mapped) for d in skipped.differences] == [
        ("memo", "Edited in NetSuite", synced["Name"])
    ]
    assert skipped.unchanged_since_sync
    html = revops_client.get(
        f"/sync/mappings/versions/{live.pk}/preview/", {"opportunity": synced["Id"]}
    ).content.decode()
    assert "changed in NetSuite since the last sync: the sync skips this record" in html

    # Once the opportunity changes in Salesforce, the sync writes the order again.
    salesforce_connector(salesforce).update("Opportunity", synced["Id"], {"Name": "Renamed deal"})
    written = order()
    assert [(d.path, d.netsuite, d.mapped) for d in written.differences] == [
        ("memo", "Edited in NetSuite", "Renamed deal")
    ]
    assert not written.unchanged_since_sync
