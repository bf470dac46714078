"""netsuite_status_mark with a NetSuite double (unit): which existing records get a PATCH, and when none."""

from __future__ import annotations

import threading
from typing import Any, cast

import pytest
from django.utils import timezone

from sync.connections.connectors.errors import ConnectorError
from sync.connections.connectors.netsuite import NetSuiteConnector
from sync.connections.models import Connection
from sync.pipeline import sync_status
from sync.pipeline.models import CrossReference
from sync.pipeline.sync_status import UNKNOWN_MARKER, error_marker, netsuite_status_mark
from sync.pipeline.writer import OpportunityOutcome, Written
from tests.sync.connections.support import offline_connection_pair
from tests.sync.pipeline.test_writeback import failed, graph, synced

pytestmark = pytest.mark.django_db
MESSAGE = "sales_order: Invalid reference key 987654 for item"


class FakePatcher:
    def __init__(self, failing: set[str] | None = None) -> None:
        self.patches: dict[tuple[str, str], dict[str, Any]] = {}
        self.failing = failing or set()
        self.lock = threading.Lock()

    def patch(self, record_type: str, record_id: str, body: dict[str, Any]) -> None:
        if record_id in self.failing:
            self.failing.discard(record_id)
            raise ConnectorError("netsuite", True, "Concurrent request limit exceeded", code="429")
        with self.lock:
            self.patches[(record_type, record_id)] = body


@pytest.fixture
def netsuite() -> Connection:
    connection = offline_connection_pair("marks")[1]
    for netsuite_type, salesforce_id, netsuite_id in (
        ("customer", "001A", "11"),
        ("contact", "003A", "21"),
        ("billingAccount", "001A", "41"),  # no status fields on billing accounts
        ("customer", "001Z", "19"),  # another opportunity's account
    ):
        CrossReference.objects.create(
            netsuite_connection=connection,
            netsuite_type=netsuite_type,
            external_id=salesforce_id,
            netsuite_id=netsuite_id,
            salesforce_id=salesforce_id,
            object_key=netsuite_type,
            payload_hash="h",
            synced_at=timezone.now(),
        )
    return connection


def mark(
    netsuite: Connection, fake: FakePatcher, *outcomes: tuple[OpportunityOutcome, dict[str, Any]]
) -> list[str]:
    return netsuite_status_mark(netsuite=netsuite, connector=cast(NetSuiteConnector, fake), outcomes=outcomes)


def statuses(fake: FakePatcher) -> dict[tuple[str, str], tuple[Any, Any]]:
    return {
        key: (body.get("custentity_concord_sync_status"), body.get("custentity_concord_sync_message"))
        for key, body in fake.patches.items()
    }


def test_it_shows_an_error_once_and_clears_it_on_the_next_success(netsuite: Connection) -> None:
    failing = (failed("006A", "sales_order", MESSAGE.split(": ", 1)[1]), graph("006A", "001A", ["003A"]))
    fake = FakePatcher()
    assert mark(netsuite, fake, failing) == []
    assert statuses(fake) == {("customer", "11"): ("Error", MESSAGE), ("contact", "21"): ("Error", MESSAGE)}
    assert all(body["custentity_concord_sync_time"] for body in fake.patches.values())
    assert CrossReference.objects.get(netsuite_id="11").error_shown == error_marker(MESSAGE)

    again = FakePatcher()
    assert mark(netsuite, again, failing) == [] and again.patches == {}

    fixed = FakePatcher()
    assert mark(netsuite, fixed, (synced("006A", {}), graph("006A", "001A", ["003A"]))) == []
    assert statuses(fixed) == {("customer", "11"): ("Synced", None), ("contact", "21"): ("Synced", None)}
    assert set(CrossReference.objects.values_list("error_shown", flat=True)) == {""}

    quiet = FakePatcher()
    assert (
        mark(netsuite, quiet, (synced("006A", {}), graph("006A", "001A", ["003A"]))) == []
        and not quiet.patches
    )


def test_a_record_the_batch_rewrote_is_marked_again_or_just_forgotten(netsuite: Connection) -> None:
    CrossReference.objects.filter(netsuite_id="11").update(error_shown=error_marker(MESSAGE))
    outcome = failed("006A", "sales_order", MESSAGE.split(": ", 1)[1])
    # The upsert of this batch stamped the customer Synced: the same error must be shown again.
    outcome.written.append(Written("customer", "001A", "11", "001A", "customer", "h2"))
    fake = FakePatcher()
    mark(netsuite, fake, (outcome, graph("006A", "001A", [])))
    assert statuses(fake) == {("customer", "11"): ("Error", MESSAGE)}
    # A success whose upsert rewrote it needs no PATCH: only the memory of the error goes.
    success = synced("006A", {"customer": "11"})
    success.written.append(Written("customer", "001A", "11", "001A", "customer", "h3"))
    quiet = FakePatcher()
    mark(netsuite, quiet, (success, graph("006A", "001A", [])))
    assert quiet.patches == {} and CrossReference.objects.get(netsuite_id="11").error_shown == ""


def test_an_error_wins_over_a_success_sharing_the_record(netsuite: Connection) -> None:
    fake = FakePatcher()
    mark(
        netsuite,
        fake,
        (synced("006G", {}), graph("006G", "001A", [])),
        (failed("006B", "customer", "Subsidiary is required"), graph("006B", "001A", [])),
    )
    assert statuses(fake) == {("customer", "11"): ("Error", "customer: Subsidiary is required")}


def test_a_failed_patch_is_reported_and_tried_again(netsuite: Connection) -> None:
    failing = (failed("006A", "customer", "Subsidiary is required"), graph("006A", "001A", []))
    fake = FakePatcher(failing={"11"})
    (problem,) = mark(netsuite, fake, failing)
    assert "customer 11" in problem and "Concurrent request limit" in problem
    assert CrossReference.objects.get(netsuite_id="11").error_shown == UNKNOWN_MARKER
    retry = FakePatcher()
    mark(netsuite, retry, failing)
    assert statuses(retry) == {("customer", "11"): ("Error", "customer: Subsidiary is required")}


def test_the_patches_of_a_batch_are_bounded(netsuite: Connection, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sync_status, "MAX_FAILURE_MARKS", 1)
    fake = FakePatcher()
    problems = mark(
        netsuite,
        fake,
        (failed("006A", "customer", "Subsidiary is required"), graph("006A", "001A", ["003A"])),
    )
    assert len(fake.patches) == 1 and problems == ["1 NetSuite records not given their sync status"]
    # The one left out still shows nothing: the next failing batch sends it.
    later = FakePatcher()
    mark(
        netsuite,
        later,
        (failed("006A", "customer", "Subsidiary is required"), graph("006A", "001A", ["003A"])),
    )
    assert len(later.patches) == 1 and later.patches.keys() != fake.patches.keys()
