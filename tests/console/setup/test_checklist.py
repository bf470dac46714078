"""Each first-run step's check: not done on an empty database, done (with its evidence) once the thing
exists, and the whole checklist as the page, the API and the command show it."""

from __future__ import annotations

import io
import json
from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.utils import timezone

from console.setup import checklist as steps
from sync.connections.models import Connection
from sync.exceptions.models import Subsidiary
from sync.golive.models import GoLiveRun, GoLiveStatus
from sync.mappings.models import LookupVersion, MappingVersion, VersionStatus
from sync.mappings.services import lookup_versions, versions
from sync.mappings.services.seed import mapping_shipped_install
from sync.pipeline.models import Listener, RecordStatus, SyncJob, SyncRecord
from sync.rules import services as rules
from tests.sync.connections.support import offline_connection_pair
from tests.sync.pipeline.listener.support import listener_issue

pytestmark = pytest.mark.django_db

CHECKS = [
    steps.connections_check,
    steps.connections_test_check,
    steps.metadata_check,
    steps.lookups_check,
    steps.mappings_rules_check,
    steps.listener_check,
    steps.golive_check,
    steps.first_deal_check,
]


@pytest.mark.parametrize("check", CHECKS, ids=lambda check: check.__name__)
def test_it_is_not_done_on_an_empty_database(check: Callable[[], steps.StepState]) -> None:
    state = check()
    assert state.done is False
    assert state.evidence


def _tested(connection: Connection, *, ok: bool, message: str = "fine") -> None:
    Connection.objects.filter(pk=connection.pk).update(
        last_tested_at=timezone.now(), last_test_ok=ok, last_test_message=message
    )


def test_it_wants_an_active_connection_to_each_system() -> None:
    salesforce, netsuite = offline_connection_pair("first")
    netsuite.is_active = False
    netsuite.save()
    state = steps.connections_check()
    assert not state.done
    assert "NetSuite" in state.evidence and "first-sf" in state.evidence
    netsuite.is_active = True
    netsuite.save()
    state = steps.connections_check()
    assert state.done
    assert "first-sf (sandbox)" in state.evidence and "first-ns (sandbox)" in state.evidence


def test_it_wants_a_passing_test_of_each_system() -> None:
    salesforce, netsuite = offline_connection_pair("first")
    _tested(salesforce, ok=True)
    _tested(netsuite, ok=False, message="The certificate is not trusted")
    state = steps.connections_test_check()
    assert not state.done
    assert "not trusted" in state.evidence
    assert not steps.metadata_check().done
    _tested(netsuite, ok=True, message="SuiteQL works (first subsidiary: Parent)")
    state = steps.connections_test_check()
    assert state.done
    assert "first-sf tested OK" in state.evidence and "first-ns tested OK" in state.evidence


def test_it_wants_both_tests_and_the_netsuite_lists_read_with_names() -> None:
    salesforce, netsuite = offline_connection_pair("first")
    _tested(salesforce, ok=True)
    _tested(netsuite, ok=True, message="first subsidiary: Parent Company")
    state = steps.metadata_check()
    assert not state.done
    assert "Read NetSuite's subsidiaries and lists from first-ns" in state.evidence
    # A subsidiary an exception named (never read from NetSuite) is not the lists read.
    Subsidiary.objects.create(key="2", name="", netsuite_connection=netsuite, netsuite_id="2")
    assert not steps.metadata_check().done
    Subsidiary.objects.create(
        key="1", name="EMEA", netsuite_connection=netsuite, netsuite_id="1", read_at=timezone.now()
    )
    state = steps.metadata_check()
    assert state.done
    assert state.evidence.endswith("1 NetSuite subsidiary read with names: EMEA.")
    _tested(salesforce, ok=False)
    state = steps.metadata_check()
    assert not state.done and "Test first-sf" in state.evidence


def _publish_all(maker: User, checker: User) -> None:
    for draft in LookupVersion.objects.filter(status=VersionStatus.DRAFT):
        lookup_versions.lookup_version_submit(version=draft, user=maker)
        lookup_versions.lookup_version_approve(version=draft, user=checker)
        lookup_versions.lookup_version_publish(version=draft, user=checker)
    for mapping in MappingVersion.objects.filter(status=VersionStatus.DRAFT):
        versions.version_submit(version=mapping, user=maker)
        versions.version_approve(version=mapping, user=checker)
        versions.version_publish(version=mapping, user=checker)


def test_it_wants_the_lookups_then_every_mapping_and_rule_published(revops: User, finance: User) -> None:
    made = mapping_shipped_install(user=revops)
    assert made and all(version.status == VersionStatus.DRAFT for version in made)
    assert mapping_shipped_install(user=revops) == []  # the second day: nothing twice
    state = steps.lookups_check()
    assert not state.done and "Not published yet" in state.evidence
    _publish_all(revops, finance)
    assert steps.lookups_check().done
    state = steps.mappings_rules_check()
    assert not state.done and "no business rules" in state.evidence
    installed = rules.rules_shipped_install(user=revops)
    state = steps.mappings_rules_check()
    assert not state.done and f"{len(installed)} of {len(installed)} rule(s)" in state.evidence
    for version in installed:
        rules.rule_version_submit(version=version, user=revops)
        rules.rule_version_approve(version=version, user=finance, reason="reviewed")
        rules.rule_version_publish(version=version, user=finance)
    state = steps.mappings_rules_check()
    assert state.done
    assert f"{len(installed)} rule(s) published" in state.evidence


def test_it_wants_an_active_outbound_message_listener_whose_path_is_proven() -> None:
    salesforce, netsuite = offline_connection_pair("first")
    listener = listener_issue(
        name="closed-won", salesforce_connection=salesforce, netsuite_connection=netsuite
    )
    state = steps.listener_check()
    assert not state.done
    assert "closed-won" in state.evidence and "send it a test notification" in state.evidence
    Listener.objects.filter(pk=listener.pk).update(last_test_at=timezone.now())
    state = steps.listener_check()
    assert state.done and "test notification acknowledged" in state.evidence
    Listener.objects.filter(pk=listener.pk).update(last_received_at=timezone.now())
    assert "last notification" in steps.listener_check().evidence
    Listener.objects.filter(pk=listener.pk).update(is_active=False)
    assert not steps.listener_check().done


def test_it_wants_a_finished_go_live_scan() -> None:
    salesforce, netsuite = offline_connection_pair("first")
    failed = GoLiveRun.objects.create(
        salesforce_connection=salesforce,
        netsuite_connection=netsuite,
        status=GoLiveStatus.FAILED,
        error="boom",
    )
    state = steps.golive_check()
    assert not state.done and f"#{failed.pk} failed: boom" in state.evidence
    GoLiveRun.objects.create(
        salesforce_connection=salesforce, netsuite_connection=netsuite, status=GoLiveStatus.READY, linked=3
    )
    state = steps.golive_check()
    assert state.done and "3 linked" in state.evidence


def test_it_wants_a_deal_synced_with_netsuite_ids() -> None:
    salesforce, netsuite = offline_connection_pair("first")
    job = SyncJob.objects.create(salesforce_connection=salesforce, netsuite_connection=netsuite)
    SyncRecord.objects.create(job=job, opportunity_id="006A", status=RecordStatus.FAILED)
    SyncRecord.objects.create(job=job, opportunity_id="006B", status=RecordStatus.SYNCED)  # no ids: not proof
    assert not steps.first_deal_check().done
    SyncRecord.objects.create(
        job=job,
        opportunity_id="006C",
        status=RecordStatus.SYNCED,
        netsuite_ids={"sales_order": "901", "customer": "77"},
        finished_at=timezone.now(),
    )
    state = steps.first_deal_check()
    assert state.done
    assert (
        "006C" in state.evidence
        and "(NetSuite sales order 901, NetSuite customer 77)" in state.evidence
        and f"#{job.pk}" in state.evidence
    )


def test_the_checklist_lists_every_step_with_a_link() -> None:
    checklist = steps.setup_checklist()
    assert [step.key for step in checklist.steps] == [step.key for step in steps.STEPS]
    assert checklist.done_count == 0 and not checklist.complete
    assert checklist.next_step is not None and checklist.next_step.key == "connections"
    assert checklist.steps[0].url == "/sync/connections/new/"


def test_the_page_shows_each_step(admin_client: object, auditor_client: object) -> None:
    offline_connection_pair("first")
    for client in (admin_client, auditor_client):
        response = client.get("/setup/")  # type: ignore[attr-defined]
        assert response.status_code == 200
        page = response.content.decode()
        assert 'id="step-connections" data-done="yes"' in page
        assert 'id="step-test" data-done="no"' in page
        assert "1 of 8 steps done" in page


def test_the_dashboard_points_admins_to_it_while_incomplete(
    admin_client: object, revops_client: object
) -> None:
    assert "setup-banner" in admin_client.get("/").content.decode()  # type: ignore[attr-defined]
    assert "setup-banner" not in revops_client.get("/").content.decode()  # type: ignore[attr-defined]


def test_the_api_answers_the_checklist(auditor_client: object) -> None:
    offline_connection_pair("first")
    answer = auditor_client.get("/api/v1/setup/").json()  # type: ignore[attr-defined]
    assert answer["complete"] is False and answer["done"] == 1 and answer["total"] == 8
    assert answer["steps"][0] == {
        "key": "connections",
        "title": "Connect Salesforce and NetSuite",
        "why": steps.STEPS[0].why,
        "url": "/sync/connections/new/",
        "done": True,
        "evidence": "Salesforce: first-sf (sandbox); NetSuite: first-ns (sandbox).",
    }


def test_the_command_prints_it_and_fails_while_incomplete(admin: User) -> None:
    out = io.StringIO()
    with pytest.raises(SystemExit) as stopped:
        call_command("setup_status", stdout=out)
    assert stopped.value.code == 1
    text = out.getvalue()
    assert "1. [TODO] Connect Salesforce and NetSuite" in text and "0 of 8 steps done." in text
    out = io.StringIO()
    with pytest.raises(SystemExit):
        call_command("setup_status", "--json", stdout=out)
    assert json.loads(out.getvalue())["total"] == 8


def test_the_command_names_the_setup_code_file_on_an_empty_install(
    settings: object, tmp_path: object
) -> None:
    settings.VAR_DIR = tmp_path  # type: ignore[attr-defined]
    out = io.StringIO()
    with pytest.raises(SystemExit):
        call_command("setup_status", stdout=out)
    assert f"{tmp_path}/first-admin-code" in out.getvalue()
    assert not (tmp_path / "first-admin-code").exists()  # type: ignore[operator]  # only the server writes it


def test_the_command_exits_zero_once_complete(admin: User, monkeypatch: pytest.MonkeyPatch) -> None:
    done = steps.StepState(True, "yes")
    monkeypatch.setattr(
        steps,
        "STEPS",
        tuple(step.__class__(**{**step.__dict__, "check": lambda scope: done}) for step in steps.STEPS),
    )
    out = io.StringIO()
    call_command("setup_status", stdout=out)
    assert "8 of 8 steps done." in out.getvalue()


def test_the_dashboard_stops_pointing_to_it_once_complete(
    admin_client: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    done = steps.StepState(True, "yes")
    monkeypatch.setattr(
        steps,
        "STEPS",
        tuple(step.__class__(**{**step.__dict__, "check": lambda scope: done}) for step in steps.STEPS),
    )
    assert "setup-banner" not in admin_client.get("/").content.decode()  # type: ignore[attr-defined]
    page = admin_client.get("/setup/").content.decode()  # type: ignore[attr-defined]
    assert "Every step is done" in page
