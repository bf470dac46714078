"""Nobody limited to integration B sees anything of integration A: every page, export and API answer.

Two integrations share one NetSuite account (an acquisition): ``alpha`` runs the role x URL world's
Salesforce org (tests/console/test_url_access.py), ``beta`` a second org. Alpha's data carries the marker
``ALPHAONLY`` (connection user, job and record messages, opportunity ids, exception titles, inbox rows,
locks, conflicts, cancellations, invoices), beta's ``BETASEEN``. Both orgs also synced a deal of the same
id (``SHARED_OPPORTUNITY``: two orgs hand out the same Salesforce ids), and each has an order lock, a field
conflict and an invoice of it: only the row's integration tells them apart. A person holding every role
but limited to beta walks every URL of both access tables with alpha's objects in the path: each answer is
a refusal, a 404, or a page without alpha's marker; the lists show beta's marker.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from guardian.shortcuts import assign_perm

from core.roles import ROLES_BY_NAME
from governance.releases.models import Release, ReleaseTestRun
from sync.connections.models import Connection
from sync.exceptions.models import ExceptionItem
from sync.golive.models import GoLiveRun, GoLiveStatus
from sync.integrations.access import ACCESS_INTEGRATION
from sync.integrations.models import Integration
from sync.lifecycle.models import Cancellation, OrderLock
from sync.pipeline.flow_state import CATALOGUE_FLOW
from sync.pipeline.models import (
    Backfill,
    FieldConflict,
    InboxMessage,
    InboxSource,
    SyncedInvoice,
    SyncJob,
    SyncRecord,
)
from sync.pipeline.problems import ExceptionScope
from tests.api_support import token_client
from tests.console import test_api_access as api_walk
from tests.console import test_url_access as url_walk
from tests.console.api_access import API_ACCESS
from tests.console.test_url_access import (
    ACCESS,
    OPPORTUNITY,
    _url,
    url_names,
    world,  # noqa: F401 - a fixture, used by name
)
from tests.sync.exceptions.support import raise_sample
from tests.sync.pipeline.listener.support import listener_issue

ALPHA = "ALPHAONLY"
BETA = "BETASEEN"
ALPHA_OPPORTUNITY = "006ALPHAONLY0001QA"
BETA_OPPORTUNITY = "006BETASEEN00001QA"
SHARED_OPPORTUNITY = "0065S000SHARED01QA"
ALPHA_SF, BETA_SF = "alphaonly-sf", "betaseen-sf"

# Pages and API answers that span every integration by nature: refused to a limited person.
REFUSED_TO_LIMITED = {
    "governance:users",
    "governance:user",
    "governance:user-invite",
    "governance:groups",
    "governance:group",
    "governance:audit",
    "governance:audit-export",
    "governance:audit-chain",
    "api:audit-entry-list",
    "api:audit-entry-detail",
    "api:audit-checkpoint-list",
    "api:audit-checkpoint-detail",
    "api:subsidiary-grant-list",
    "api:integration-grant-list",
    "api:flow-grant-list",
}
# Pages whose path names one of alpha's objects: it does not exist for a person limited to beta.
NOT_FOUND_FOR_LIMITED = {
    "sync:connection",
    "sync:connection-metadata-object",
    "sync:listener",
    "sync:job",
    "sync:backfill",
    "sync:exception",
    "sync:exception-group",
    "sync:golive-run",
    "governance:release",
    "governance:release-items",
    "api:connection-detail",
    "api:connection-metadata",
    "api:connection-metadata-show",
    "api:listener-detail",
    "api:job-detail",
    "api:backfill-detail",
    "api:record-detail",
    "api:exception-detail",
    "api:exception-group-detail",
    "api:cancellation-detail",
    "api:release-test-run-detail",
    "api:release-detail",
}
# Writes whose path names alpha's release or test run: not found for a person limited to beta (who holds
# every role, so the role check lets them past to the lookup).
WRITES_NOT_FOUND_FOR_LIMITED = {
    "api:release-items",
    "api:release-test",
    "api:release-sign",
    "api:release-publish",
    "api:release-rollback",
    "api:release-test-run-retry",
}


def _pair_data(
    prefix: str, marker: str, opportunity: str, sf: Connection, ns: Connection, integration: Integration
) -> None:
    """A job, a failed record, an inbox row, a cancellation of the pair; and of the deal both orgs have an
    id of (``SHARED_OPPORTUNITY``), a synced record, a lock, a conflict and an invoice."""
    now = timezone.now()
    job = SyncJob.objects.create(
        salesforce_connection=sf, netsuite_connection=ns, trigger="outbound_message", message=f"{marker} job"
    )
    SyncJob.objects.create(
        salesforce_connection=sf,
        netsuite_connection=ns,
        flow=CATALOGUE_FLOW,
        trigger="schedule",
        message=f"{marker} catalogue",
    )
    SyncRecord.objects.create(
        job=job, opportunity_id=opportunity, status="failed", message=f"{marker} record"
    )
    SyncRecord.objects.create(job=job, opportunity_id=SHARED_OPPORTUNITY, status="synced")
    InboxMessage.objects.create(
        notification_id=f"{prefix}-n1",
        source=InboxSource.POLL,
        salesforce_connection=sf,
        netsuite_connection=ns,
        record_id=opportunity,
        last_error=f"{marker} inbox",
    )
    OrderLock.objects.create(
        netsuite_connection=ns,
        integration=integration,
        sales_order_id=f"{prefix}-so",
        opportunity_id=SHARED_OPPORTUNITY,
        status_label="Billed",
        reason=f"{marker} lock",
        first_seen=now,
        last_seen=now,
    )
    FieldConflict.objects.create(
        netsuite_connection=ns,
        integration=integration,
        flow="invoice_status",
        sobject="Opportunity",
        salesforce_id=SHARED_OPPORTUNITY,
        netsuite_type="invoice",
        netsuite_id=f"{prefix}-inv",
        field="Description",
        owner="netsuite",
        owner_value=f"{marker} owner",
        other_value=f"{marker} other",
        detected_at=now,
    )
    Cancellation.objects.create(
        netsuite_connection=ns,
        salesforce_connection=sf,
        opportunity_id=opportunity,
        reason="lost",
        requested_at=now,
        message=f"{marker} cancellation",
    )
    SyncedInvoice.objects.create(
        netsuite_connection=ns,
        integration=integration,
        netsuite_id=f"{marker}-inv",
        opportunity_id=SHARED_OPPORTUNITY,
        currency="USD",
        amount=100,
        first_synced_at=now,
        last_synced_at=now,
    )


def _alpha_cause() -> str:
    """The cause of alpha's world exception (its group's key)."""
    return ExceptionItem.objects.get(dedup_key="sync_failure:Opportunity:006A").cause_key


def _alpha_paths(monkeypatch: pytest.MonkeyPatch) -> None:
    """The walks' path values name alpha's objects (the world's), now that beta has some too."""
    values = {
        "connection_id": lambda: Connection.objects.get(name=ALPHA_SF).pk,
        "job_id": lambda: SyncJob.objects.get(trigger="outbound_message", message=f"{ALPHA} world job").pk,
        "record_id": lambda: SyncRecord.objects.get(opportunity_id=OPPORTUNITY).pk,
        "backfill_id": lambda: Backfill.objects.get(cursor=ALPHA).pk,
        "release_id": lambda: Release.objects.get(name=f"{ALPHA} release").pk,
        "item_id": lambda: ExceptionItem.objects.get(dedup_key="sync_failure:Opportunity:006A").pk,
        "sync:exception-group/key": _alpha_cause,
        "sync:exception-group-act/key": _alpha_cause,
        "sync:golive-run/run_id": lambda: GoLiveRun.objects.get(error=f"{ALPHA} go-live").pk,
        "sync:golive-apply/run_id": lambda: GoLiveRun.objects.get(error=f"{ALPHA} go-live").pk,
    }
    for key, value in values.items():
        monkeypatch.setitem(url_walk.PATH_VALUES, key, value)
    objects = {
        "connection": values["connection_id"],
        "job": values["job_id"],
        "record": values["record_id"],
        "backfill": values["backfill_id"],
        "exception": values["item_id"],
        "exception-group": _alpha_cause,
        "cancellation": lambda: Cancellation.objects.get(opportunity_id=ALPHA_OPPORTUNITY).pk,
        "release": lambda: Release.objects.get(name=f"{ALPHA} release").pk,
    }
    for key, value in objects.items():
        monkeypatch.setitem(api_walk.OBJECTS, key, value)


@pytest.fixture
def limited(world: None, admin: User, monkeypatch: pytest.MonkeyPatch) -> User:  # noqa: F811
    """Alpha (the world's org) and beta (a second org on the same NetSuite account), and a person holding
    every role, limited to beta."""
    sf_a, ns = Connection.objects.get(name="acl-sf"), Connection.objects.get(name="acl-ns")
    Connection.objects.filter(pk=sf_a.pk).update(name=ALPHA_SF, username=f"{ALPHA.lower()}@alpha.example")
    # The world names its pair on the primary integration: alpha takes the org over.
    Integration.objects.filter(salesforce_connection=sf_a).update(salesforce_connection=None)
    alpha = Integration.objects.create(
        name="alpha", label="Alpha", namespace="ALP", salesforce_connection=sf_a, netsuite_connection=ns
    )
    sf_b = Connection.objects.create(
        name=BETA_SF,
        kind="salesforce",
        environment="sandbox",
        base_url=sf_a.base_url,
        auth_method=sf_a.auth_method,
        username=f"{BETA.lower()}@beta.example",
    )
    beta = Integration.objects.create(
        name="beta", label="Beta", namespace="BET", salesforce_connection=sf_b, netsuite_connection=ns
    )
    # The world's objects are alpha's: mark them.
    SyncJob.objects.update(message=f"{ALPHA} world job")
    SyncRecord.objects.update(message=f"{ALPHA} record")
    ExceptionItem.objects.update(title=f"{ALPHA} exception", integration=alpha)
    Backfill.objects.update(cursor=ALPHA)
    GoLiveRun.objects.update(error=f"{ALPHA} go-live")
    ReleaseTestRun.objects.update(opportunity_ids=[ALPHA_OPPORTUNITY])
    # The world's release is the primary integration's (beta's person does not see it); beta has its own.
    Release.objects.update(name=f"{ALPHA} release")
    Release.objects.create(name=f"{BETA} release", integration=beta, created_by=admin)
    _pair_data("alpha", ALPHA, ALPHA_OPPORTUNITY, sf_a, ns, alpha)
    _pair_data("beta", BETA, BETA_OPPORTUNITY, sf_b, ns, beta)
    Backfill.objects.create(salesforce_connection=sf_b, netsuite_connection=ns, since=dt.date(2026, 1, 1))
    GoLiveRun.objects.create(
        salesforce_connection=sf_b, netsuite_connection=ns, status=GoLiveStatus.READY, error=f"{BETA} go-live"
    )
    listener_issue(
        name="beta-outbound",
        salesforce_connection=sf_b,
        netsuite_connection=ns,
        kind="outbound_message",
        user=admin,
    )
    for integration, marker in ((alpha, ALPHA), (beta, BETA)):
        raise_sample(
            key=f"sync_failure:Opportunity:{marker}",
            title=f"{marker} exception",
            subsidiary=None,
            scope=ExceptionScope(netsuite_connection_id=ns.pk, integration_id=integration.pk),
        )
    _alpha_paths(monkeypatch)
    person = User.objects.create_user("beta-only", password="x")
    person.groups.set(Group.objects.filter(name__in=ROLES_BY_NAME))
    assign_perm(ACCESS_INTEGRATION, person, beta)
    return person


def _text(response: object) -> str:
    content = getattr(response, "content", b"")
    if not content and hasattr(response, "streaming_content"):
        content = b"".join(response.streaming_content)
    return content.decode(errors="replace")


def test_it_shows_a_person_limited_to_beta_nothing_of_alpha_on_any_page(limited: User) -> None:
    client = Client()
    client.force_login(limited)
    wrong = []
    for name, pattern in sorted(url_names(), key=lambda item: item[0]):
        rule = ACCESS.get(name)
        if rule is None or rule.get is None or rule.machine or rule.probe:
            continue
        url = _url(name, pattern)
        response = client.get(url)
        status = response.status_code
        if name in REFUSED_TO_LIMITED:
            if status != 403:
                wrong.append(f"{name} ({url}) should be refused to a limited person, got {status}")
            continue
        if name in NOT_FOUND_FOR_LIMITED:
            if status != 404:
                wrong.append(f"{name} ({url}) names alpha's object: should be 404, got {status}")
            continue
        if ALPHA.lower() in _text(response).lower():
            wrong.append(f"{name} ({url}) shows alpha's data (status {status})")
    assert wrong == [], "\n".join(wrong)


def test_it_answers_a_person_limited_to_beta_nothing_of_alpha_in_the_api(limited: User) -> None:
    client = token_client(limited)
    wrong = []
    for name, pattern in sorted(url_names(), key=lambda item: item[0]):
        rule = API_ACCESS.get(name)
        if rule is None or rule.get is None:
            continue
        url = api_walk._url(name, pattern)
        response = client.get(url)
        status = response.status_code
        if name in REFUSED_TO_LIMITED:
            if status != 403:
                wrong.append(f"{name} ({url}) should be refused to a limited person, got {status}")
            continue
        if name in NOT_FOUND_FOR_LIMITED:
            if status != 404:
                wrong.append(f"{name} ({url}) names alpha's object: should be 404, got {status}")
            continue
        if ALPHA.lower() in _text(response).lower():
            wrong.append(f"{name} ({url}) answers alpha's data (status {status})")
    patterns = dict(url_names())
    for name in sorted(WRITES_NOT_FOUND_FOR_LIMITED):
        url = api_walk._url(name, patterns[name])
        status = client.post(url, {}, content_type="application/json").status_code
        if status != 404:
            wrong.append(f"{name} ({url}) changes alpha's release: should be 404, got {status}")
    assert wrong == [], "\n".join(wrong)


BETA_LISTS = [
    "sync:connections",
    "sync:jobs",
    "sync:inbox",
    "sync:exceptions",
    "sync:conflicts",
    "sync:invoices",
    "sync:lifecycle",
    "sync:golive",
    "sync:catalogue",
    "sync:listeners",
    "governance:releases",
]
BETA_API_LISTS = [
    "api:connection-list",
    "api:job-list",
    "api:record-list",
    "api:exception-list",
    "api:cancellation-list",
    "api:release-list",
    "api:order-lock-list",
    "api:synced-invoice-list",
    "api:field-conflict-list",
]


def test_it_shows_beta_s_data_on_its_lists_and_in_the_api(limited: User) -> None:
    """One world for every list (building it is the slow part): each shows beta's data."""
    client = Client()
    client.force_login(limited)
    api = token_client(limited)
    wrong = []
    for name, answer in [
        *((name, client.get(reverse(name))) for name in BETA_LISTS),
        *((name, api.get(reverse(name))) for name in BETA_API_LISTS),
    ]:
        shown = BETA.lower() in _text(answer).lower()
        if answer.status_code != 200 or not shown:
            wrong.append(f"{name}: status {answer.status_code}, beta's data shown: {shown}")
    assert wrong == [], "\n".join(wrong)


def test_it_opens_beta_s_own_objects(limited: User) -> None:
    client = Client()
    client.force_login(limited)
    job = SyncJob.objects.get(message=f"{BETA} job")
    item = ExceptionItem.objects.get(title=f"{BETA} exception")
    for url in (
        reverse("sync:job", kwargs={"job_id": job.pk}),
        reverse("sync:exception", kwargs={"item_id": item.pk}),
        reverse("sync:connection", kwargs={"connection_id": Connection.objects.get(name=BETA_SF).pk}),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert BETA.lower() in _text(response).lower(), url


def test_it_limits_nobody_without_an_integration_grant(limited: User, revops: User) -> None:
    client = Client()
    client.force_login(revops)
    text = _text(client.get(reverse("sync:jobs"))).lower()
    assert ALPHA.lower() in text and BETA.lower() in text


def test_the_dashboard_filters_by_integration(limited: User, revops: User) -> None:
    client = Client()
    client.force_login(limited)
    assert client.get(reverse("dashboard"), {"integration": "beta"}).status_code == 200
    # An integration the person may not see does not exist for them.
    assert client.get(reverse("dashboard"), {"integration": "alpha"}).status_code == 404
    panel = reverse("dashboard-panel", kwargs={"name": "volume"})
    assert client.get(panel, {"integration": "alpha"}).status_code == 404
    everyone = Client()
    everyone.force_login(revops)
    page = everyone.get(reverse("dashboard"), {"integration": "alpha"})
    assert page.status_code == 200
    assert b'<option value="alpha" selected>' in page.content
    assert b"?integration=alpha" in page.content  # the panels poll with the same filter
