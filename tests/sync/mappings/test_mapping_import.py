"""A draft's rows written without the console: ``POST mapping-versions/{id}/import/`` and
``manage.py mapping_version`` (draft, import, submit, approve, publish), validated by the same service."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import CommandError

from governance.models import AuditEntry
from sync.mappings.models import FieldMapping, MappingVersion, VersionStatus
from sync.mappings.services.seed import mapping_seed_defaults
from sync.mappings.services.specs import version_spec
from tests.api_support import token_client

JSON = "application/json"
FLOW = "opportunity_to_netsuite"


def _run(*args: str) -> str:
    out = StringIO()
    call_command("mapping_version", *args, stdout=out)
    return out.getvalue()


def _with_phone_optional(spec: dict[str, Any]) -> dict[str, Any]:
    for obj in spec["objects"]:
        if obj["key"] == "customer":
            for row in obj["fields"]:
                if row["target"] == "phone":
                    row["optional"] = True
                    row["note"] = "not every org has a phone"
    return spec


def _phone_row(version: MappingVersion) -> FieldMapping:
    return FieldMapping.objects.get(
        object_mapping__version=version, object_mapping__key="customer", target="phone"
    )


def test_the_api_replaces_a_drafts_rows_and_refuses_a_bad_mapping(revops: User) -> None:
    mapping_seed_defaults()
    client = token_client(revops)
    draft = client.post("/api/v1/mapping-versions/", {"flow": FLOW}, content_type=JSON).json()
    url = f"/api/v1/mapping-versions/{draft['id']}/import/"
    spec = _with_phone_optional(draft["spec"])
    answer = client.post(url, {"spec": spec}, content_type=JSON)
    assert answer.status_code == 200, answer.content
    version = MappingVersion.objects.get(pk=draft["id"])
    assert _phone_row(version).optional is True
    assert version_spec(version) == answer.json()["spec"]
    # A broken mapping changes nothing and lists its problems.
    spec["objects"][0]["fields"][0]["transforms"] = [{"fn": "no_such_transform"}]
    refused = client.post(url, {"spec": spec}, content_type=JSON)
    assert refused.status_code == 400 and "no_such_transform" in json.dumps(refused.json())
    assert _phone_row(version).optional is True
    # Another flow's JSON is refused too.
    other = dict(spec, flow="netsuite_item_to_salesforce")
    assert client.post(url, {"spec": other}, content_type=JSON).status_code == 400


def test_the_api_import_is_for_editors_and_drafts_only(revops: User, finance: User) -> None:
    mapping_seed_defaults()
    published = MappingVersion.objects.get(flow__key=FLOW, status=VersionStatus.PUBLISHED)
    spec = version_spec(published)
    url = f"/api/v1/mapping-versions/{published.pk}/import/"
    assert token_client(finance).post(url, {"spec": spec}, content_type=JSON).status_code == 403
    frozen = token_client(revops).post(url, {"spec": spec}, content_type=JSON)
    assert frozen.status_code == 400 and "draft" in json.dumps(frozen.json())


def test_the_command_walks_an_edited_export_to_published(
    revops: User, finance: User, tmp_path: Path
) -> None:
    mapping_seed_defaults()
    published = MappingVersion.objects.get(flow__key=FLOW, status=VersionStatus.PUBLISHED)
    path = tmp_path / "mapping.json"
    _run("export", str(published.pk), str(path))
    path.write_text(json.dumps(_with_phone_optional(json.loads(path.read_text()))), encoding="utf-8")
    assert "is draft" in _run("draft", FLOW, "--user", "revops", "--notes", "phone optional")
    draft = MappingVersion.objects.get(flow__key=FLOW, status=VersionStatus.DRAFT)
    _run("import", str(draft.pk), str(path), "--user", "revops")
    assert _phone_row(draft).optional is True
    _run("submit", str(draft.pk), "--user", "revops")
    with pytest.raises(CommandError, match="refused"):
        _run("approve", str(draft.pk), "--user", "revops")
    _run("approve", str(draft.pk), "--user", "finance", "--reason", "agreed")
    assert "is published" in _run("publish", str(draft.pk), "--user", "finance")
    assert AuditEntry.objects.get_for_object(draft).exists()
    listed = _run("list", FLOW).splitlines()
    assert listed[0].split()[0] == str(draft.pk) and "  published  " in listed[0]
    assert "  superseded  " in listed[1]


def test_the_command_explains_bad_input(revops: User, tmp_path: Path) -> None:
    mapping_seed_defaults()
    _run("draft", FLOW, "--user", "revops")
    draft = MappingVersion.objects.get(flow__key=FLOW, status=VersionStatus.DRAFT)
    before = version_spec(draft)
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(CommandError, match="is not JSON"):
        _run("import", str(draft.pk), str(bad), "--user", "revops")
    invalid = tmp_path / "invalid.json"
    invalid.write_text(json.dumps({"format": 1, "flow": FLOW, "objects": "nope"}), encoding="utf-8")
    with pytest.raises(CommandError, match="problem"):
        _run("import", str(draft.pk), str(invalid), "--user", "revops")
    assert version_spec(draft) == before
    with pytest.raises(CommandError, match="no flow"):
        _run("draft", "nope", "--user", "revops")
    with pytest.raises(CommandError, match="--user"):
        _run("import", str(draft.pk), str(invalid))
