"""``manage.py lookup_version``: import a file as a draft, submit, approve (someone else), publish."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import CommandError

from sync.mappings.models import LookupVersion, VersionStatus
from sync.mappings.services.lookup_versions import lookup_entries

TABLE = "payment_terms_to_id"


def _run(*args: str) -> str:
    out = StringIO()
    call_command("lookup_version", *args, stdout=out)
    return out.getvalue()


def test_it_imports_a_csv_as_a_draft_and_walks_it_to_published(
    seeded_mappings: None, revops: User, finance: User, tmp_path: Path
) -> None:
    path = tmp_path / "terms.csv"
    path.write_text("key,value\nDue on receipt,1\nNet 30,3\nNet 45,5\n", encoding="utf-8")
    assert "is draft" in _run("import", TABLE, str(path), "--user", "revops", "--notes", "Net 45")
    draft = LookupVersion.objects.get(table__name=TABLE, status=VersionStatus.DRAFT)
    assert lookup_entries(draft) == {"Due on receipt": "1", "Net 30": "3", "Net 45": "5"}
    _run("submit", str(draft.pk), "--user", "revops")
    with pytest.raises(CommandError, match="refused"):
        _run("approve", str(draft.pk), "--user", "revops")
    _run("approve", str(draft.pk), "--user", "finance", "--reason", "agreed")
    assert "is published" in _run("publish", str(draft.pk), "--user", "finance")
    listed = _run("list", TABLE)
    assert f"{TABLE} v2  published  3 entries" in listed and f"{TABLE} v1  superseded" in listed


def test_it_refuses_bad_files_before_making_a_draft(
    seeded_mappings: None, revops: User, tmp_path: Path
) -> None:
    duplicate = tmp_path / "terms.json"
    duplicate.write_text(json.dumps([{"key": "Net 30", "value": "3"}, {"key": "Net 30", "value": "4"}]))
    with pytest.raises(CommandError, match="row 2: duplicate key 'Net 30'"):
        _run("import", TABLE, str(duplicate), "--user", "revops")
    extra_column = tmp_path / "terms.csv"
    extra_column.write_text("key,value,comment\nNet 30,3,x\n", encoding="utf-8")
    with pytest.raises(CommandError, match=r"unknown field\(s\) comment"):
        _run("import", TABLE, str(extra_column), "--user", "revops")
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 5000 + "]" * 5000)
    with pytest.raises(CommandError, match="JSON nested deeper than 64 levels"):
        _run("import", TABLE, str(deep), "--user", "revops")
    with pytest.raises(CommandError, match="No lookup table 'terms'"):
        _run("import", "terms", str(duplicate), "--user", "revops")
    with pytest.raises(CommandError, match="--user"):
        _run("import", TABLE, str(duplicate))
    assert not LookupVersion.objects.filter(status=VersionStatus.DRAFT).exists()
