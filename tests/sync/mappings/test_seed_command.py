"""``manage.py mapping_seed_defaults`` publishes the shipped mappings once, however often it runs."""

from __future__ import annotations

from io import StringIO

from django.core.management import call_command

from governance.models import AuditEntry
from sync.mappings.engine.defaults import DEFAULT_FLOWS
from sync.mappings.models import LookupTable, MappingVersion
from sync.mappings.selectors import published_mapping


def test_it_publishes_each_default_flow_once(db: None) -> None:
    out = StringIO()
    call_command("mapping_seed_defaults", stdout=out)
    call_command("mapping_seed_defaults", stdout=out)
    published = [line for line in out.getvalue().splitlines() if line.startswith("published ")]
    assert len(published) == len(DEFAULT_FLOWS)  # all by the first run, none by the second
    assert MappingVersion.objects.filter(number=1, status="published").count() == len(DEFAULT_FLOWS)
    table = LookupTable.objects.get(name="currency_code_to_id")
    assert table.versions.get(status="published").entries.get(key="EUR").value == "4"
    version, compiled = published_mapping("opportunity_to_netsuite")
    assert version.number == 1 and compiled.flow == "opportunity_to_netsuite"
    publish = AuditEntry.objects.get(object_pk=str(version.pk), additional_data__event="publish")
    assert publish.actor is None and publish.additional_data["reason"] == "shipped default mapping"
