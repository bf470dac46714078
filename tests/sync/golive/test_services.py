"""The go-live assistant against both simulators over HTTPS: counts before any write, nothing written by
the scan, links applied on confirmation, suspects as exceptions, and an apply that can be repeated."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from governance.models import AuditEntry
from sync.connections.connectors.netsuite import NetSuiteConnector
from sync.connections.models import Connection
from sync.exceptions.matching import exception_match_decide
from sync.exceptions.models import ExceptionItem
from sync.golive.models import GoLiveOutcome, GoLiveResult, GoLiveRun, GoLiveStatus
from sync.golive.scan import golive_scan_execute
from sync.golive.services import golive_apply_confirm, golive_apply_execute, golive_start
from sync.matching.models import MatchResolution
from sync.pipeline.models import CrossReference
from tests.sync.golive.conftest import GoLiveWorld
from tests.sync.pipeline.conftest import THREADED_DB

pytestmark = THREADED_DB


def _snapshot(ns: NetSuiteConnector) -> list[dict[str, Any]]:
    """Every customer and contact with its externalId and last change: what a write would alter."""
    rows = []
    for record_type in ("customer", "contact"):
        rows += [
            {"type": record_type, **row}
            for row in ns.suiteql_by_key(f"SELECT id, externalid, lastmodifieddate FROM {record_type}")  # noqa: S608
        ]
    return rows


def _type_of(salesforce_id: str) -> str:
    return "contact" if salesforce_id.startswith("003") else "customer"


def _scan(connections: tuple[Connection, Connection], actor: User | None) -> GoLiveRun:
    run = golive_start(actor=actor, salesforce=connections[0], netsuite=connections[1], run_now=True)
    return golive_scan_execute(run)


def test_it_counts_linked_suspects_and_unmatched_before_writing_anything(
    golive_world: GoLiveWorld,
    seeded_connections: tuple[Connection, Connection],
    ns: NetSuiteConnector,
    admin: User,
) -> None:
    before = _snapshot(ns)
    seen: list[tuple[int | None, int]] = []
    run = golive_start(
        actor=admin, salesforce=seeded_connections[0], netsuite=seeded_connections[1], run_now=True
    )
    run = golive_scan_execute(run, on_progress=lambda r: seen.append((r.total, r.done)))

    records = golive_world.accounts + golive_world.contacts
    assert run.status == GoLiveStatus.READY and run.total == records == run.done
    assert (run.linked, run.suspects, run.already_linked) == (2, 4, 1)
    assert run.unmatched == records - 7
    # Progress was stored as it went: first the total, then per chunk, then ready.
    assert seen[0] == (records, 0) and seen[-1] == (records, records)
    results = {r.salesforce_id: r for r in GoLiveResult.objects.filter(run=run)}
    assert {
        i: r.chosen_id for i, r in results.items() if r.outcome == GoLiveOutcome.LINKED
    } == golive_world.links
    for salesforce_id, candidate_ids in golive_world.suspects.items():
        assert results[salesforce_id].outcome == GoLiveOutcome.SUSPECT
        assert sorted(c["netsuite_id"] for c in results[salesforce_id].candidates) == sorted(candidate_ids)
    [(carried, netsuite_id)] = golive_world.already_linked.items()
    assert (results[carried].outcome, results[carried].chosen_id) == (
        GoLiveOutcome.ALREADY_LINKED,
        netsuite_id,
    )
    # Nothing was written: no NetSuite record changed, no link, no exception.
    assert _snapshot(ns) == before
    assert not CrossReference.objects.exists() and not ExceptionItem.objects.exists()


def test_it_applies_the_links_and_raises_the_suspects_on_confirmation(
    golive_world: GoLiveWorld,
    seeded_connections: tuple[Connection, Connection],
    ns: NetSuiteConnector,
    admin: User,
) -> None:
    run = _scan(seeded_connections, admin)
    customers_before = len(list(ns.suiteql_by_key("SELECT id FROM customer")))
    run = golive_apply_confirm(run=run, actor=admin, run_now=True)
    assert golive_apply_execute(run) is False
    run.refresh_from_db()

    assert run.status == GoLiveStatus.APPLIED
    assert (run.links_applied, run.links_failed, run.exceptions_raised) == (2, 0, 4)
    for salesforce_id, netsuite_id in golive_world.links.items():
        record_type = _type_of(salesforce_id)
        assert ns.get_by_external_id(record_type, salesforce_id)["id"] == netsuite_id  # type: ignore[index]
        reference = CrossReference.objects.get(external_id=salesforce_id)
        assert (reference.netsuite_id, reference.netsuite_type) == (netsuite_id, record_type)
        entry = AuditEntry.objects.get(object_pk=str(reference.pk), content_type__model="crossreference")
        assert entry.actor == admin and entry.additional_data["event"] == "golive_link"
    # Suspects are exceptions with their candidates side by side; nothing of theirs was written.
    items = ExceptionItem.objects.filter(category__key="duplicate_suspect")
    assert sorted(i.details["match"]["salesforce_id"] for i in items) == sorted(golive_world.suspects)
    for item in items:
        expected = golive_world.suspects[item.details["match"]["salesforce_id"]]
        assert sorted(c["netsuite_id"] for c in item.details["match"]["candidates"]) == sorted(expected)
        assert (
            item.dedup_key
            == f"match:{seeded_connections[1].pk}:{item.details['match']['record_type']}:"
            + (item.details["match"]["external_id"])
        )
    for salesforce_id, candidate_ids in golive_world.suspects.items():
        assert all("externalId" not in ns.get(_type_of(salesforce_id), i) for i in candidate_ids)
    # Unmatched records were left to the sync: no customer was created.
    assert len(list(ns.suiteql_by_key("SELECT id FROM customer"))) == customers_before


def test_a_repeated_or_interrupted_apply_links_nothing_twice(
    golive_world: GoLiveWorld,
    seeded_connections: tuple[Connection, Connection],
    admin: User,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    run = golive_apply_confirm(run=_scan(seeded_connections, admin), actor=admin, run_now=True)
    assert golive_apply_execute(run, slice_size=1) is True  # one slice done, more to come
    assert GoLiveResult.objects.filter(run=run, applied_at__isnull=False).count() == 1
    # The worker dies after NetSuite took the next externalId but before Concord recorded the link.
    original = CrossReference.objects.update_or_create
    calls = {"n": 0}

    def crash_once(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("worker killed")
        return original(*args, **kwargs)

    monkeypatch.setattr(CrossReference.objects, "update_or_create", crash_once)
    with pytest.raises(RuntimeError):
        golive_apply_execute(run)
    # Redelivered, then delivered once more: it continues and finishes, and a third time does nothing.
    assert golive_apply_execute(run) is False
    assert golive_apply_execute(run) is False
    run.refresh_from_db()
    assert run.status == GoLiveStatus.APPLIED and run.links_applied == 2
    assert CrossReference.objects.count() == 2
    assert AuditEntry.objects.filter(additional_data__event="golive_link").count() == 2
    assert ExceptionItem.objects.filter(category__key="duplicate_suspect").count() == 4
    with pytest.raises(ValidationError, match="applied"):
        golive_apply_confirm(run=run, actor=admin)
    # A new scan finds them linked: nothing left to link.
    again = _scan(seeded_connections, admin)
    assert (again.linked, again.already_linked) == (0, 3)


def test_only_admins_apply_and_revops_or_admins_scan(
    seeded_connections: tuple[Connection, Connection], revops: User, finance: User, admin: User
) -> None:
    salesforce, netsuite = seeded_connections
    with pytest.raises(PermissionDenied):
        golive_start(actor=finance, salesforce=salesforce, netsuite=netsuite)
    run = golive_start(actor=revops, salesforce=salesforce, netsuite=netsuite, run_now=True)
    with pytest.raises(ValidationError, match="still queued"):
        golive_start(actor=admin, salesforce=salesforce, netsuite=netsuite)
    GoLiveRun.objects.filter(pk=run.pk).update(status=GoLiveStatus.READY)
    run.refresh_from_db()
    with pytest.raises(PermissionDenied):
        golive_apply_confirm(run=run, actor=revops)
    assert golive_apply_confirm(run=run, actor=admin, run_now=True).status == GoLiveStatus.APPLYING
    # Who started the run and who confirmed its links are in the audit trail.
    entries = AuditEntry.objects.filter(content_type__model="goliverun", object_pk=str(run.pk))
    assert {e.actor for e in entries} == {revops, admin}


def test_a_scan_whose_worker_died_is_taken_over_by_the_next_delivery(
    golive_world: GoLiveWorld, seeded_connections: tuple[Connection, Connection], admin: User
) -> None:
    run = golive_start(
        actor=admin, salesforce=seeded_connections[0], netsuite=seeded_connections[1], run_now=True
    )
    long_ago = timezone.now() - dt.timedelta(hours=1)
    # A first delivery claimed it, stored part of its work, and its worker died.
    GoLiveRun.objects.filter(pk=run.pk).update(
        status=GoLiveStatus.SCANNING, attempt="dead", heartbeat_at=timezone.now(), done=5, linked=5
    )
    GoLiveResult.objects.create(
        run=run,
        salesforce_type="Account",
        salesforce_id="001DEAD",
        netsuite_type="customer",
        outcome="linked",
    )
    # While it still looked alive, another delivery left it alone.
    assert golive_scan_execute(run).attempt == "dead"
    with pytest.raises(ValidationError, match="still scanning"):
        golive_start(actor=admin, salesforce=seeded_connections[0], netsuite=seeded_connections[1])
    GoLiveRun.objects.filter(pk=run.pk).update(heartbeat_at=long_ago)
    run = golive_scan_execute(run)
    records = golive_world.accounts + golive_world.contacts
    assert run.status == GoLiveStatus.READY and run.attempt != "dead"
    assert (run.done, run.linked, run.suspects) == (records, 2, 4)
    assert run.results.count() == records and not run.results.filter(salesforce_id="001DEAD").exists()


def test_an_apply_whose_worker_died_is_resumed_by_confirming_again(
    golive_world: GoLiveWorld, seeded_connections: tuple[Connection, Connection], admin: User
) -> None:
    run = golive_apply_confirm(run=_scan(seeded_connections, admin), actor=admin, run_now=True)
    golive_apply_execute(run, slice_size=1)
    with pytest.raises(ValidationError, match="is applying"):
        golive_apply_confirm(run=run, actor=admin)  # its worker is alive: no second apply
    GoLiveRun.objects.filter(pk=run.pk).update(heartbeat_at=timezone.now() - dt.timedelta(hours=1))
    run.refresh_from_db()
    run = golive_apply_confirm(run=run, actor=admin, run_now=True)
    assert golive_apply_execute(run) is False
    run.refresh_from_db()
    assert (
        run.status == GoLiveStatus.APPLIED and run.links_applied == 2 and CrossReference.objects.count() == 2
    )
    assert AuditEntry.objects.filter(additional_data__event="golive_apply_resumed", actor=admin).count() == 1


def test_a_person_answers_a_suspect_and_the_next_scan_and_apply_honour_it(
    golive_world: GoLiveWorld,
    seeded_connections: tuple[Connection, Connection],
    ns: NetSuiteConnector,
    admin: User,
    revops: User,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("sync.exceptions.retry.async_task", lambda *args, **kwargs: None)
    run = golive_apply_confirm(run=_scan(seeded_connections, admin), actor=admin, run_now=True)
    golive_apply_execute(run)
    # The ambiguous account: RevOps picks the second candidate on the exception page's action.
    [(salesforce_id, candidate_ids)] = [
        (i, ids) for i, ids in golive_world.suspects.items() if len(ids) == 2 and _type_of(i) == "customer"
    ]
    item = ExceptionItem.objects.get(dedup_key__endswith=f":customer:{salesforce_id}")
    exception_match_decide(
        item=item, user=revops, choice="link", netsuite_id=candidate_ids[1], reason="VAT id"
    )

    again = _scan(seeded_connections, admin)
    result = again.results.get(salesforce_id=salesforce_id)
    assert (result.outcome, result.chosen_id, result.reasons) == (
        "linked",
        candidate_ids[1],
        ["chosen by revops"],
    )
    assert (again.linked, again.suspects, again.already_linked) == (1, 3, 3)
    golive_apply_execute(golive_apply_confirm(run=again, actor=admin, run_now=True))
    assert ns.get_by_external_id("customer", salesforce_id)["id"] == candidate_ids[1]  # type: ignore[index]
    assert MatchResolution.objects.get(external_id=salesforce_id).applied_at is not None
    item.refresh_from_db()
    assert item.status == "resolved"
