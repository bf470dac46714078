"""The go-live pages: who may start and apply, the progress fragment polled with htmx, the review."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from governance.models import AuditEntry
from sync.connections.models import Connection
from sync.golive.models import GoLiveRun, GoLiveStatus
from sync.pipeline.models import CrossReference
from sync.tasks import golive_apply_run, golive_scan_run
from tests.sync.golive.conftest import GoLiveWorld
from tests.sync.pipeline.conftest import THREADED_DB

pytestmark = THREADED_DB


@pytest.fixture
def queued(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int]]:
    calls: list[tuple[str, int]] = []
    monkeypatch.setattr("sync.golive.services.async_task", lambda name, pk, **kw: calls.append((name, pk)))
    return calls


def _fragment(client: Client, run: GoLiveRun) -> str:
    return client.get(reverse("sync:golive-run", args=[run.pk]), HTTP_HX_REQUEST="true").content.decode()


def test_it_scans_from_the_console_and_polls_the_progress_until_ready(
    golive_world: GoLiveWorld,
    seeded_connections: tuple[Connection, Connection],
    revops_client: Client,
    admin_client: Client,
    queued: list[tuple[str, int]],
) -> None:
    salesforce, netsuite = seeded_connections
    answer = revops_client.post(
        reverse("sync:golive"), {"salesforce": salesforce.pk, "netsuite": netsuite.pk}
    )
    run = GoLiveRun.objects.get()
    assert answer.status_code == 302 and answer["Location"] == reverse("sync:golive-run", args=[run.pk])
    assert queued == [("sync.tasks.golive_scan_run", run.pk)]  # enqueued after commit
    assert AuditEntry.objects.filter(object_pk=str(run.pk), content_type__model="goliverun").exists()
    fragment = _fragment(revops_client, run)
    assert 'hx-trigger="every 2s"' in fragment and "<progress" in fragment and "Queued" in fragment

    assert golive_scan_run(run.pk) == golive_world.accounts + golive_world.contacts
    fragment = _fragment(revops_client, run)
    assert "hx-trigger" not in fragment and "Ready for review" in fragment and 'value="100"' in fragment
    assert (
        "<strong>2</strong> confident matches" in fragment
        and "<strong>4</strong> duplicate suspects" in fragment
    )
    # The review: suspects with their candidates side by side; RevOps may not apply, an Admin may.
    page = revops_client.get(reverse("sync:golive-run", args=[run.pk])).content.decode()
    assert page.count('class="candidate"') == sum(len(ids) for ids in golive_world.suspects.values())
    assert "an Admin confirms it" in page and reverse("sync:golive-apply", args=[run.pk]) not in page
    assert (
        reverse("sync:golive-apply", args=[run.pk])
        in admin_client.get(reverse("sync:golive-run", args=[run.pk])).content.decode()
    )
    assert not CrossReference.objects.exists()


def test_only_an_admin_applies_and_only_when_confirmed(
    golive_world: GoLiveWorld,
    seeded_connections: tuple[Connection, Connection],
    revops_client: Client,
    finance_client: Client,
    admin_client: Client,
    queued: list[tuple[str, int]],
) -> None:
    salesforce, netsuite = seeded_connections
    assert (
        finance_client.post(
            reverse("sync:golive"), {"salesforce": salesforce.pk, "netsuite": netsuite.pk}
        ).status_code
        == 403
    )
    admin_client.post(reverse("sync:golive"), {"salesforce": salesforce.pk, "netsuite": netsuite.pk})
    run = GoLiveRun.objects.get()
    golive_scan_run(run.pk)
    apply_url = reverse("sync:golive-apply", args=[run.pk])
    assert revops_client.post(apply_url, {"confirm": "on"}).status_code == 403
    unconfirmed = admin_client.post(apply_url, {})
    assert unconfirmed.status_code == 400 and "This field is required" in unconfirmed.content.decode()
    run.refresh_from_db()
    assert run.status == GoLiveStatus.READY

    answer = admin_client.post(apply_url, {"confirm": "on"})
    assert answer.status_code == 302 and queued[-1] == ("sync.tasks.golive_apply_run", run.pk)
    assert 'hx-trigger="every 2s"' in _fragment(admin_client, run)  # applying: it polls again
    assert golive_apply_run(run.pk) == 2
    fragment = _fragment(admin_client, run)
    assert "Applied" in fragment and "2 linked, 0 refused by NetSuite, 4 suspects" in fragment
    assert CrossReference.objects.count() == 2
    # Confirming twice does not apply twice.
    again = admin_client.post(apply_url, {"confirm": "on"})
    assert again.status_code == 400 and "is applied" in again.content.decode()
