"""Each integration's mapping is checked against its own org, over HTTPS: a row reading a field only org B
(``acme``) has is valid in acme's version and an error in the primary's; the editor's pickers offer it in
acme's flow only; an amended draft is checked again the same way."""

from __future__ import annotations

import pytest

from sync.connections.metadata.services import metadata_refresh
from sync.integrations.models import Integration
from sync.mappings.engine import MappingValidationError
from sync.mappings.models import Flow, MappingVersion, ObjectMapping
from sync.mappings.pickers import field_choices
from sync.mappings.services.specs import spec_all_problems, version_spec
from sync.mappings.services.versions import version_create_draft, version_import, version_submit
from tests.sync.integrations.conftest import FLOW_KEY, TwoOrgs
from tests.sync.integrations.support import persona

ORG_B_FIELD = "Acme_Deal_Code__c"


def memo_from(integration: Integration, source: str) -> MappingVersion:
    """A draft of ``integration``'s opportunity mapping whose sales order memo reads ``source``."""
    maker = persona("revops")
    draft = version_create_draft(flow=Flow.objects.get(integration=integration, key=FLOW_KEY), user=maker)
    spec = version_spec(draft)
    (order,) = [obj for obj in spec["objects"] if obj["key"] == "sales_order"]
    (memo,) = [row for row in order["fields"] if row.get("target") == "memo"]
    memo["source"] = source
    return version_import(version=draft, spec=spec, user=maker)


def field_errors(version: MappingVersion, field: str) -> list[str]:
    problems = spec_all_problems(version_spec(version), version.flow.integration)
    return [str(p) for p in problems if getattr(p, "severity", "error") == "error" and field in str(p)]


def test_a_field_only_org_b_has_is_valid_in_acme_s_version_and_an_error_in_the_primary_s(
    two_orgs: TwoOrgs,
) -> None:
    for connection in two_orgs.connections:
        metadata_refresh(connection=connection)
    ours, theirs = memo_from(two_orgs.primary, ORG_B_FIELD), memo_from(two_orgs.acme, ORG_B_FIELD)
    assert field_errors(theirs, ORG_B_FIELD) == []
    assert field_errors(ours, ORG_B_FIELD), "org A has no such field: the primary's version must say so"
    maker = persona("revops")
    version_submit(version=theirs, user=maker)
    with pytest.raises(MappingValidationError, match=ORG_B_FIELD):
        version_submit(version=ours, user=maker)

    # The pickers offer org B's field in acme's flow only.
    def offered(version: MappingVersion) -> list[str]:
        obj = ObjectMapping.objects.get(version=version, key="sales_order")
        return [c.name for c in field_choices(obj=obj, user=maker, side="source", query="Acme_Deal").choices]

    assert offered(theirs) == [ORG_B_FIELD] and offered(ours) == []

    # The second day: the primary's draft amended to a field org A has passes; a field of neither org is
    # an error in acme's version too.
    ours = memo_from(two_orgs.primary, "Name")
    assert field_errors(ours, "memo") == []
    assert field_errors(memo_from(two_orgs.acme, "Region_Code__c"), "Region_Code__c")
