"""Every API endpoint, tried by every persona with their own API token, against ``API_ACCESS``.

The same world as the console's URL walk (tests/console/test_url_access.py); each request runs in a
savepoint that is rolled back. Anonymous requests get 401; a persona without the right gets 403 (404 for
an object outside their scope); a persona with it gets past authorization: 200 for a read, and for a write
with an empty JSON body a 2xx or a 400 about its input.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from django.db import transaction
from django.http.response import HttpResponseBase
from django.test import Client
from django.urls import URLPattern, reverse
from django.utils import timezone

from governance.audit_checkpoints import audit_checkpoint_record
from governance.models import ApiToken, AuditCheckpoint, AuditEntry, CheckpointSource
from governance.releases.models import Release, ReleaseTestRun
from reconciliation.models import ReconciliationRun
from sync.connections.models import Connection
from sync.exceptions.models import ExceptionItem, ExceptionOverride, NetSuiteListValue, Subsidiary
from sync.integrations.models import Integration
from sync.lifecycle.models import Cancellation
from sync.mappings.models import Flow, MappingVersion
from sync.notifications.models import (
    NotificationChannel,
    NotificationDelivery,
    NotificationEvent,
    NotificationPreference,
)
from sync.pipeline.models import Backfill, Listener, SyncJob, SyncRecord
from tests.api_support import token_client
from tests.console.api_access import API_ACCESS, ApiRule
from tests.console.test_url_access import (
    PERSONAS,
    _lookup_draft,
    _rule_version,
    url_names,
    world,  # noqa: F401 - a fixture, used by name
)

# The object each endpoint's path names, by the viewset's basename (the URL name less its action).
OBJECTS: dict[str, Callable[[], object]] = {
    "connection": lambda: Connection.objects.get(name="acl-sf").pk,
    "integration": lambda: Integration.objects.get(name="acl").pk,
    "listener": lambda: Listener.objects.get(name="acl-outbound_message").pk,
    "flow": lambda: Flow.objects.order_by("key").values_list("key", flat=True)[0],
    "flow-setting": lambda: "opportunity_to_netsuite",
    "mapping-version": lambda: MappingVersion.objects.get(status="draft").pk,
    "lookup-version": lambda: _lookup_draft().pk,
    "lookup-table": lambda: "salesforce_pricebook_id",  # not imported from NetSuite: import/ is a 400
    "rule": lambda: _rule_version().rule.key,
    "rule-version": lambda: _rule_version().pk,
    "job": lambda: SyncJob.objects.get().pk,
    "backfill": lambda: Backfill.objects.get().pk,
    "record": lambda: SyncRecord.objects.get().pk,
    "exception": lambda: ExceptionItem.objects.get().pk,
    "exception-group": lambda: ExceptionItem.objects.get().cause_key,
    "cancellation": lambda: (
        Cancellation.objects.get_or_create(
            netsuite_connection=Connection.objects.get(name="acl-ns"),
            opportunity_id="006ACL",
            defaults={
                "salesforce_connection": Connection.objects.get(name="acl-sf"),
                "reason": "lost",
                "requested_at": timezone.now(),
            },
        )[0].pk
    ),
    "exception-category": lambda: "sync_failure",
    "subsidiary": lambda: Subsidiary.objects.order_by("pk").values_list("pk", flat=True)[0],
    "netsuite-list": lambda: (
        NetSuiteListValue.objects.get_or_create(
            connection=Connection.objects.get(name="acl-ns"),
            kind="department",
            netsuite_id="1",
            defaults={"name": "Sales", "read_at": timezone.now()},
        )[0].pk
    ),
    "reconciliation-run": lambda: ReconciliationRun.objects.get().pk,
    "audit-entry": lambda: AuditEntry.objects.order_by("-pk").values_list("pk", flat=True)[0],
    "audit-checkpoint": lambda: (
        AuditCheckpoint.objects.values_list("pk", flat=True).first()
        or audit_checkpoint_record(source=CheckpointSource.COMMAND).pk
    ),
    "token": lambda: ApiToken.objects.get(name="acl").pk,
    "user-mfa": lambda: User.objects.get(username="revops").pk,  # no device: the reset removes nothing
    "release": lambda: Release.objects.get().pk,
    "release-test-run": lambda: ReleaseTestRun.objects.get().pk,
    "schedule": lambda: "catch-up-poll",
    "notification-channel": lambda: NotificationChannel.objects.get(name="acl-slack").pk,
    "notification-event": lambda: NotificationEvent.objects.get(key="acl-down").pk,
    "notification-delivery": lambda: NotificationDelivery.objects.get().pk,
    "notification-preference": lambda: NotificationPreference.objects.get().pk,
}
PARAMETERS: dict[str, Callable[[], object]] = {
    "object_name": lambda: "Opportunity",  # cached for acl-sf by the world fixture
    "override_id": lambda: ExceptionOverride.objects.get().pk,
    "position": lambda: 1,
    "run_id": lambda: ReconciliationRun.objects.get().pk,
}


def _basename(name: str) -> str:
    found = [basename for basename in OBJECTS if name.startswith(f"api:{basename}-")]
    return max(found, key=len) if found else ""


def _url(name: str, pattern: URLPattern) -> str:
    kwargs = {}
    for parameter in pattern.pattern.regex.groupindex:
        value = PARAMETERS.get(parameter) or (
            OBJECTS.get(_basename(name)) if parameter in ("pk", "key", "name") else None
        )
        if value is None:
            pytest.fail(
                f"no value for path parameter {parameter!r} of {name}: add it to OBJECTS or PARAMETERS"
            )
        kwargs[parameter] = value()
    return reverse(name, kwargs=kwargs)


def _request(client: Client, method: str, url: str) -> HttpResponseBase:
    with transaction.atomic():
        if method == "get":
            response = client.get(url)
        else:
            response = getattr(client, method)(url, {}, content_type="application/json")
        transaction.set_rollback(True)
    return response


def _check(
    persona: str, name: str, rule: ApiRule, method: str, allowed: frozenset[str], response: HttpResponseBase
) -> str:
    status = response.status_code
    said = f"{name} ({method.upper()}): {persona}"
    if persona == "anonymous":
        return "" if status == 401 else f"{said} should get 401, got {status}"
    if persona not in allowed:
        refused = status == 403 or (status == 404 and persona in rule.out_of_scope)
        return "" if refused else f"{said} should be refused, got {status}"
    if method == "get":
        read = status == 200 or (status == 400 and rule.get_needs_query)
        return "" if read else f"{said} should read it, got {status}"
    return (
        ""
        if status in (200, 201, 202, 400)
        else f"{said} should get in, got {status}: {getattr(response, 'content', b'')[:200]!r}"
    )


def test_it_declares_only_api_endpoints() -> None:
    names = {name for name, _ in url_names()}
    assert API_ACCESS.keys() <= {name for name in names if name.startswith("api:")}


@pytest.mark.usefixtures("world")
@pytest.mark.parametrize("persona", PERSONAS)
def test_it_lets_each_persona_reach_exactly_what_the_api_table_allows(
    persona: str,
    finance: User,
    auditor: User,
    outsider: User,  # noqa: F811
) -> None:
    client = Client() if persona == "anonymous" else token_client(User.objects.get(username=persona))
    wrong = []
    for name, pattern in sorted(url_names(), key=lambda item: item[0]):
        rule = API_ACCESS.get(name)
        if rule is None:
            continue  # a console page (test_url_access.py)
        url = _url(name, pattern)
        for method in ("get", "post", "patch"):
            allowed = getattr(rule, method)
            if allowed is not None:
                wrong.append(_check(persona, name, rule, method, allowed, _request(client, method, url)))
    problems = [problem for problem in wrong if problem]
    assert problems == [], "\n".join(problems)


@pytest.mark.usefixtures("world")
@pytest.mark.parametrize("persona", ["revops", "admin"])
def test_it_answers_405_to_a_method_the_table_does_not_list(persona: str) -> None:
    client = token_client(User.objects.get(username=persona))
    url = reverse("api:connection-detail", kwargs={"pk": Connection.objects.get(name="acl-sf").pk})
    assert client.delete(url).status_code == 405
    assert client.put(url, {}, content_type="application/json").status_code == 405
