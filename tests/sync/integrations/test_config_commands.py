"""The mapping, lookup and rules commands take ``--integration NAME`` (the primary integration without it)."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import CommandError

from sync.integrations.models import Integration
from sync.mappings.models import LookupVersion, MappingVersion
from sync.mappings.services.seed import mapping_seed_defaults
from sync.onboarding.copying import config_copy
from sync.rules.models import Rule

pytestmark = pytest.mark.django_db
FLOW = "opportunity_to_netsuite"


def _run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.fixture
def acme(admin: User) -> Integration:
    mapping_seed_defaults()
    acme = Integration.objects.create(name="acme", namespace="ACQ")
    config_copy(Integration.objects.get(is_primary=True), acme, admin)
    return acme


def test_mapping_version_lists_and_drafts_within_the_named_integration(
    acme: Integration, revops: User
) -> None:
    listed = _run("mapping_version", "list", FLOW, "--integration", "acme")
    (acme_version,) = MappingVersion.objects.filter(flow__integration=acme, flow__key=FLOW)
    assert f"{acme_version.pk:>5}" in listed and "draft" in listed and "published" not in listed
    assert "published" in _run("mapping_version", "list", FLOW)
    _run(
        "mapping_version",
        "draft",
        FLOW,
        "--user",
        "revops",
        "--integration",
        "acme",
        "--based-on",
        str(acme_version.pk),
    )
    assert MappingVersion.objects.filter(flow__integration=acme, flow__key=FLOW).count() == 2
    with pytest.raises(CommandError, match="No integration 'nowhere'.*acme"):
        _run("mapping_version", "list", "--integration", "nowhere")


def test_lookup_version_imports_into_the_named_integrations_table(
    acme: Integration, revops: User, tmp_path: Path
) -> None:
    entries = tmp_path / "countries.json"
    entries.write_text(json.dumps({"DE": "7"}))
    _run(
        "lookup_version",
        "import",
        "country_to_subsidiary",
        str(entries),
        "--user",
        "revops",
        "--integration",
        "acme",
    )
    newest = LookupVersion.objects.filter(
        table__integration=acme, table__name="country_to_subsidiary"
    ).first()
    assert newest is not None and newest.number == 2
    assert dict(newest.entries.values_list("key", "value")) == {"DE": "7"}
    primary_versions = LookupVersion.objects.filter(
        table__integration__is_primary=True, table__name="country_to_subsidiary"
    )
    assert primary_versions.count() == 1
    assert "v2" in _run("lookup_version", "list", "country_to_subsidiary", "--integration", "acme")
    assert "v2" not in _run("lookup_version", "list", "country_to_subsidiary")


def test_rules_install_shipped_into_the_named_integration(acme: Integration, revops: User) -> None:
    before = Rule.objects.filter(integration__is_primary=True).count()
    _run("rules_install_shipped", "--user", "revops", "--integration", "acme")
    assert Rule.objects.filter(integration=acme).exists()
    assert Rule.objects.filter(integration__is_primary=True).count() == before
