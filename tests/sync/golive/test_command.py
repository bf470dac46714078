"""manage.py golive_match: counts and progress on the terminal, links only after confirmation."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from sync.connections.models import Connection
from sync.exceptions.models import ExceptionItem
from sync.golive.models import GoLiveRun, GoLiveStatus
from sync.pipeline.models import CrossReference
from tests.sync.golive.conftest import GoLiveWorld
from tests.sync.pipeline.conftest import THREADED_DB

pytestmark = THREADED_DB

CONNECTIONS = ["--salesforce", "sf-sandbox", "--netsuite", "ns-sandbox"]


def test_it_scans_and_prints_the_counts_without_writing(
    golive_world: GoLiveWorld, seeded_connections: tuple[Connection, Connection]
) -> None:
    out = io.StringIO()
    call_command("golive_match", *CONNECTIONS, stdout=out)
    text = out.getvalue()
    records = golive_world.accounts + golive_world.contacts
    run = GoLiveRun.objects.get()
    assert f"{records}/{records} matched" in text and "[" + "#" * 30 + "]" in text
    assert f"2 to link, 4 suspects, {records - 7} unmatched, 1 already linked" in text
    assert f"golive_match --run {run.pk} --apply" in text
    assert run.status == GoLiveStatus.READY and not CrossReference.objects.exists()


def test_it_applies_an_earlier_scan_only_when_the_operator_says_yes(
    golive_world: GoLiveWorld,
    seeded_connections: tuple[Connection, Connection],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    call_command("golive_match", *CONNECTIONS, stdout=io.StringIO())
    run = GoLiveRun.objects.get()
    monkeypatch.setattr("builtins.input", lambda question: "n")
    out = io.StringIO()
    call_command("golive_match", "--run", str(run.pk), "--apply", stdout=out)
    assert "Nothing applied." in out.getvalue() and not CrossReference.objects.exists()

    monkeypatch.setattr("builtins.input", lambda question: "yes")
    out = io.StringIO()
    call_command("golive_match", "--run", str(run.pk), "--apply", stdout=out)
    assert "Applied: 2 linked, 0 failed, 4 duplicate suspects in the exception queue" in out.getvalue()
    assert "6/6 applied" in out.getvalue()
    assert CrossReference.objects.count() == 2 and ExceptionItem.objects.count() == 4
    with pytest.raises(CommandError, match="applied, not ready"):
        call_command("golive_match", "--run", str(run.pk), "--apply", "--yes")


def test_it_scans_and_applies_in_one_go_with_yes(
    golive_world: GoLiveWorld, seeded_connections: tuple[Connection, Connection]
) -> None:
    out = io.StringIO()
    call_command("golive_match", *CONNECTIONS, "--apply", "--yes", stdout=out)
    assert "Applied: 2 linked" in out.getvalue()
    assert GoLiveRun.objects.get().status == GoLiveStatus.APPLIED


def test_it_names_a_missing_connection(seeded_connections: tuple[Connection, Connection]) -> None:
    with pytest.raises(CommandError, match="no active netsuite connection named 'nope'"):
        call_command("golive_match", "--salesforce", "sf-sandbox", "--netsuite", "nope")
    with pytest.raises(CommandError, match="no go-live match #99"):
        call_command("golive_match", "--run", "99", "--apply")
