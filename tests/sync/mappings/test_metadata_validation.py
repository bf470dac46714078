"""The metadata check where people meet it: the row check as you type, the version page, submit and
publish refused on errors; and the ``optional`` row flag through rows, export and the payload."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from unittest import mock

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from sync.connections.metadata.types import SystemMetadata
from sync.mappings.engine import CachedDynamicLookup, MappingValidationError, compile_mapping
from sync.mappings.engine.defaults import default_lookups, load_default
from sync.mappings.models import FieldMapping, Flow, MappingVersion, VersionStatus
from sync.mappings.services.rows import field_row_build, field_row_metadata_problems, field_row_save
from sync.mappings.services.seed import mapping_seed_defaults
from sync.mappings.services.specs import version_spec
from sync.mappings.services.versions import (
    version_approve,
    version_create_draft,
    version_import,
    version_publish,
    version_submit,
)
from sync.pipeline.preview import PreviewUnavailable, mapping_dry_run
from sync.pipeline.reads import read_plan
from tests.api_support import token_client
from tests.sync.mappings.engine.graphs import dataset_graphs, item_fetch
from tests.sync.mappings.metadata_shapes import field, netsuite_metadata, salesforce_metadata

SIDES = "sync.mappings.services.specs.editing_metadata"


@pytest.fixture
def draft(opportunity_flow: Flow, revops: User) -> MappingVersion:
    return version_create_draft(flow=opportunity_flow, user=revops, notes="metadata")


@pytest.fixture
def metadata() -> Iterator[mock.MagicMock]:
    """The sandbox connections' metadata: a full-shape org and account (tests change ``return_value``)."""
    with mock.patch(SIDES, return_value=(salesforce_metadata(), netsuite_metadata())) as patched:
        yield patched


def _row(version: MappingVersion, key: str, obj: str = "customer") -> FieldMapping:
    return FieldMapping.objects.get(object_mapping__version=version, object_mapping__key=obj, key=key)


def test_the_row_check_names_a_field_missing_in_the_org(
    revops_client: Client, draft: MappingVersion, metadata: mock.MagicMock
) -> None:
    row = _row(draft, "phone")
    post = {"key": "phone", "target": "phone", "kind": "source", "value": "Region__c", "apply": "always"}
    url = f"/sync/mappings/objects/{row.object_mapping_id}/rows/check/"
    answer = revops_client.post(url, {**post, "row": row.pk}, HTTP_HX_REQUEST="true").content.decode()
    assert "customer / phone: reads &#x27;Region__c&#x27;, but Account has no field Region__c" in answer
    metadata.return_value = (
        salesforce_metadata(extra={"Account": [field("Region__c")]}),
        netsuite_metadata(),
    )
    answer = revops_client.post(url, {**post, "row": row.pk}).content.decode()
    assert "valid" in answer and "error" not in answer


def test_the_row_service_keeps_to_the_row_and_the_save_goes_through(
    draft: MappingVersion, revops: User, metadata: mock.MagicMock
) -> None:
    row = _row(draft, "phone")
    candidate = field_row_build(obj=row.object_mapping, row=row, values={"source": "Fax__c"})
    assert [(p.object_key, p.field) for p in field_row_metadata_problems(candidate=candidate)] == [
        ("customer", "phone")
    ]
    # Saved (the field may be created in the org next); submit is where the error stops it.
    field_row_save(obj=row.object_mapping, row=row, values={"source": "Fax__c"}, user=revops)
    with pytest.raises(MappingValidationError) as refused:
        version_submit(version=draft, user=revops)
    assert [str(p) for p in refused.value.problems] == [
        str(p) for p in field_row_metadata_problems(candidate=_row(draft, "phone"))
    ]
    draft.refresh_from_db()
    assert draft.status == VersionStatus.DRAFT


def test_the_version_page_lists_metadata_problems_beside_compile_problems(
    revops_client: Client, draft: MappingVersion, metadata: mock.MagicMock
) -> None:
    metadata.return_value = (salesforce_metadata(multi_currency=False), SystemMetadata("netsuite", {}))
    page = revops_client.get(f"/sync/mappings/versions/{draft.pk}/").content.decode()
    assert "Info: NetSuite metadata not read yet: refresh the connection" in page
    assert '<li class="info">Info: customer / currency: optional: skipped in this org' in page
    assert '<li class="error">subscription / price_book: reads &#x27;$.CurrencyIsoCode&#x27;' in page


def test_publishing_is_refused_while_the_org_lacks_a_field_a_row_reads(
    opportunity_flow: Flow, revops: User, finance: User, admin: User, metadata: mock.MagicMock
) -> None:
    draft = version_create_draft(flow=opportunity_flow, user=revops)
    row = _row(draft, "phone")
    field_row_save(obj=row.object_mapping, row=row, values={"source": "Region__c"}, user=revops)
    with_field = (salesforce_metadata(extra={"Account": [field("Region__c")]}), netsuite_metadata())
    metadata.return_value = with_field
    version_submit(version=draft, user=revops)
    version_approve(version=draft, user=finance)
    metadata.return_value = (salesforce_metadata(), netsuite_metadata())  # the field was deleted meanwhile
    with pytest.raises(MappingValidationError, match="Account has no field Region__c"):
        version_publish(version=draft, user=admin)
    metadata.return_value = with_field
    assert version_publish(version=draft, user=admin).status == VersionStatus.PUBLISHED


def test_without_metadata_nothing_is_refused(draft: MappingVersion, revops: User) -> None:
    # No sandbox metadata read yet (the selectors' cache is empty): today's behaviour.
    row = _row(draft, "phone")
    field_row_save(obj=row.object_mapping, row=row, values={"source": "Region__c"}, user=revops)
    assert version_submit(version=draft, user=revops).status == VersionStatus.SUBMITTED


def test_the_optional_flag_is_stored_exported_and_imported(draft: MappingVersion, revops: User) -> None:
    spec = version_spec(draft)
    customer = spec["objects"][0]["fields"]
    assert next(row for row in customer if row["id"] == "currency")["optional"] is True
    assert "optional" not in next(row for row in customer if row["id"] == "company_name")
    assert _row(draft, "currency").optional and not _row(draft, "company_name").optional
    next(row for row in customer if row["id"] == "phone")["optional"] = True
    version_import(version=draft, spec=spec, user=revops)
    assert _row(draft, "phone").optional
    assert version_spec(draft) == spec
    bad = load_default("opportunity_to_netsuite")
    bad["objects"][0]["fields"][0]["optional"] = "yes"
    with pytest.raises(MappingValidationError, match="'optional' must be true or false"):
        version_import(version=draft, spec=bad, user=revops)


def test_optional_rows_the_systems_lack_are_not_sent() -> None:
    spec = load_default("opportunity_to_netsuite")
    graph = dataset_graphs(accounts=2)[0][2]
    lookups = default_lookups(netsuite_item_by_sku=CachedDynamicLookup(item_fetch))
    full = compile_mapping(spec).apply(graph, lookups=lookups).payloads
    customer = next(p for p in full if p.target_type == "customer").body
    assert "subsidiary" in customer and "currency" in customer
    plan = read_plan(spec, salesforce=salesforce_metadata(), netsuite=netsuite_metadata(one_world=False))
    bodies = compile_mapping(plan.spec).apply(graph, lookups=lookups).payloads
    for payload in bodies:
        assert "subsidiary" not in payload.body, payload.target_type
    customer = next(p for p in bodies if p.target_type == "customer").body
    assert "currency" in customer  # the org is multi-currency: only the account's shape changed


def test_the_api_and_the_command_list_the_same_problems(
    draft: MappingVersion, revops: User, auditor: User, metadata: mock.MagicMock
) -> None:
    row = _row(draft, "phone")
    field_row_save(obj=row.object_mapping, row=row, values={"source": "Region__c"}, user=revops)
    answer = token_client(auditor).get(f"/api/v1/mapping-versions/{draft.pk}/problems/")
    assert answer.status_code == 200, answer.content
    problems = answer.json()["problems"]
    assert [(p["severity"], p["object_key"], p["field"]) for p in problems] == [
        ("error", "customer", "phone")
    ]
    assert "Account has no field Region__c" in problems[0]["message"]
    out = io.StringIO()
    with pytest.raises(CommandError, match="cannot be submitted or published"):
        call_command("mapping_check", "--mapping-version", str(draft.number), stdout=out)
    assert out.getvalue().splitlines() == [
        f"error   {problems[0]['text']}",
        f"{draft}: 1 problem(s), 1 error(s)",
    ]
    metadata.return_value = (
        salesforce_metadata(extra={"Account": [field("Region__c")]}),
        netsuite_metadata(),
    )
    call_command(
        "mapping_check", "--mapping-version", str(draft.number), "--json", stdout=(out := io.StringIO())
    )
    assert json.loads(out.getvalue()) == []


def test_the_dry_run_names_a_field_the_sandbox_org_lacks_before_asking_salesforce(
    draft: MappingVersion, revops: User
) -> None:
    row = _row(draft, "phone")
    field_row_save(obj=row.object_mapping, row=row, values={"source": "Region__c"}, user=revops)
    with (
        mock.patch("sync.pipeline.preview.editing_metadata", return_value=(salesforce_metadata(), None)),
        mock.patch("sync.pipeline.preview.sandbox_connection") as sandbox,
        pytest.raises(PreviewUnavailable, match=r"Account.Region__c \(mapping row customer / phone\)"),
    ):
        mapping_dry_run(version=draft, opportunity="Acme")
    sandbox.assert_not_called()


def test_the_system_seed_installs_the_shipped_defaults_whatever_the_metadata_people_are_checked(
    db: None, revops: User, metadata: mock.MagicMock
) -> None:
    metadata.return_value = (salesforce_metadata(multi_currency=False, cpq=False), netsuite_metadata())
    published = mapping_seed_defaults()
    assert published and all(version.status == VersionStatus.PUBLISHED for version in published)
    draft = version_create_draft(flow=Flow.objects.get(key="opportunity_to_netsuite"), user=revops)
    with pytest.raises(MappingValidationError, match="Salesforce CPQ is not installed"):
        version_submit(version=draft, user=revops)
