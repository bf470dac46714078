"""Every URL of the project, tried by every persona, against a declared table of who may reach it.

A new view needs a line in ``ACCESS`` (keyed by its URL name, namespace included), or, for an API endpoint,
in ``API_ACCESS`` (tests/console/api_access.py, walked with API tokens by test_api_access.py); a URL that is
missing from both fails ``test_it_has_an_access_rule_for_every_url`` with its name. Path parameters are
filled from ``PATH_VALUES`` (add one when a new parameter name appears); the ``world`` fixture creates the
objects they point at. Who may do what is taken from the code's own rules: core/roles.py and each
area's permission checks (named next to each group below).

Every request runs in a savepoint that is rolled back, so each URL sees the same world whatever an earlier
POST changed.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from django.contrib.auth.models import Group, User
from django.db import transaction
from django.http.response import HttpResponseBase
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from rest_framework.views import APIView

from governance.models import ApiToken
from governance.releases.models import Release, ReleaseTestRun, ReleaseTestStatus
from governance.releases.services import release_create
from governance.services import token_create
from reconciliation.models import ReconciliationRun, RunStatus
from sync.connections.models import Connection, ConnectionMetadata, MetadataObject
from sync.exceptions.actions import exception_override_propose
from sync.exceptions.models import ExceptionItem, ExceptionOverride, Subsidiary
from sync.exceptions.permissions import subsidiary_scope_grant
from sync.golive.models import GoLiveRun, GoLiveStatus
from sync.integrations.models import Integration
from sync.mappings.models import FieldMapping, Flow, LookupTable, LookupVersion, MappingVersion, ObjectMapping
from sync.mappings.services.lookup_versions import lookup_draft_for
from sync.mappings.services.seed import mapping_seed_defaults
from sync.mappings.services.versions import version_create_draft
from sync.notifications.events import notification_raise
from sync.notifications.models import EventKind, NotificationChannel, NotificationDelivery
from sync.notifications.services import channel_create, preference_set
from sync.pipeline.models import Backfill, Listener, ListenerKind, SyncJob, SyncRecord
from sync.rules import services as rule_services
from sync.rules.models import RuleVersion
from tests.console.api_access import API_ACCESS
from tests.sync.connections.support import offline_connection_pair
from tests.sync.exceptions.support import raise_sample
from tests.sync.pipeline.listener.support import listener_issue, url_token

ROLES = frozenset({"revops", "finance", "admin", "auditor"})
EVERYONE = frozenset({*ROLES, "outsider", "anonymous"})
NOBODY: frozenset[str] = frozenset()
PERSONAS = ("revops", "finance", "admin", "auditor", "outsider", "anonymous")

EDITORS = frozenset({"revops"})  # edit_mappings
APPROVERS = frozenset({"finance", "admin"})  # approve_mappings
ADMINS = frozenset({"admin"})  # manage_connections, manage_users
AUDITORS = frozenset({"auditor"})  # view_audit
MAKERS_AND_APPROVERS = EDITORS | APPROVERS  # the mapping dry run (require_previewer)
# sync.exceptions.permissions.can_act: edit_mappings or approve_exceptions (Admin holds neither: it reads the
# queue).
EXCEPTION_ACTORS = frozenset({"revops", "finance"})
EXCEPTION_APPROVERS = frozenset({"finance"})  # sync.exceptions.permissions.can_approve (approve_exceptions)
RERUNNERS = frozenset({"revops", "admin"})  # sync.pipeline.permissions.can_rerun (and can_push)
FLOW_OPERATORS = frozenset({"revops", "admin"})  # sync.pipeline.permissions.can_operate_flow
RECONCILERS = frozenset({"revops", "finance", "admin"})  # reconciliation.permissions.can_run_reconciliation
RELEASE_SIGNERS = frozenset({"revops", "finance"})  # governance.releases.permissions.can_sign
RELEASE_PUBLISHERS = frozenset({"finance"})  # approve_releases
# sync.exceptions.permissions: the exception policy (approve_exceptions or manage_connections), the lists
# read from NetSuite (the same two), the ticket endpoint (manage_connections).
POLICY_EDITORS = frozenset({"finance", "admin"})
METADATA_REFRESHERS = frozenset({"revops", "admin"})  # sync.connections.permissions.can_refresh_metadata


@dataclass(frozen=True)
class Rule:
    """Who may use a URL with each method it answers; a method that is not listed is not tried.

    ``empty_post_invalid``: an allowed persona's POST with an empty body is expected to be answered 400
    (a validation error, the persona got in); otherwise it must be a 200, 204 or redirect. ``machine``:
    not a console page at all (see :data:`MACHINE`). ``out_of_scope``: personas for whom the object the
    path names is outside what they may see (another person's API token): their 404 is the refusal.
    """

    get: frozenset[str] | None = None
    post: frozenset[str] | None = None
    empty_post_invalid: bool = False
    machine: bool = False
    probe: bool = False
    out_of_scope: frozenset[str] = NOBODY


def GET(allowed: frozenset[str]) -> Rule:  # noqa: N802 - reads like the method it declares
    return Rule(get=allowed)


def POST(allowed: frozenset[str], *, empty_post_invalid: bool = False) -> Rule:  # noqa: N802
    return Rule(post=allowed, empty_post_invalid=empty_post_invalid)


# A machine endpoint (Salesforce Outbound Messages, signed webhooks): it has no session, no CSRF token and
# no persona. It is reached by a secret path token, then checked by org id or HMAC signature. Every persona,
# signed in or not, gets the same answer: 404 for a wrong token (405 for a GET), never the login page nor a
# console page. With a real token an empty body is refused the same way for everyone (see the test below).
MACHINE = Rule(post=NOBODY, machine=True)
# A health probe (/healthz): no session, the same answer for everyone, 200 or 503 by the state of the
# installation (the test world has no worker, so 503 here), never the login page.
PROBE = Rule(get=EVERYONE, probe=True)

# URL name -> who may reach it. Everyone else must get 403 (or, when anonymous, the login page).
ACCESS: dict[str, Rule] = {
    # console/, governance/ (core/roles.py: manage_users for admins, view_audit for auditors)
    "dashboard": GET(ROLES),
    # console/dashboard.py ROLE_PANELS: tried with "volume" (RevOps, Admin, Auditor; not Finance's).
    "dashboard-panel": GET(frozenset({"revops", "admin", "auditor"})),
    # Operations (console/ops_views.py): machine endpoints without a session; /metrics is open while
    # METRICS_TOKEN is unset (tests/console/test_ops_views.py checks the token).
    "healthz": PROBE,
    "metrics": GET(EVERYONE),
    "favicon": GET(EVERYONE),  # a redirect to the static SVG, for browsers that ask /favicon.ico
    "login": GET(EVERYONE),  # the sign-in page (signed-in users are sent on to the dashboard)
    # console/setup/: the first-run checklist, read by every role; the first-admin page exists only while
    # there is no user at all (tests/console/setup/test_first_admin.py), so here it is 404 for everyone.
    "setup": GET(ROLES),
    "setup-first-admin": Rule(get=NOBODY, post=NOBODY, out_of_scope=EVERYONE),
    "logout": POST(EVERYONE),
    # governance/sso: only while SSO is set up (OIDC_RP_CLIENT_ID; tests/governance/sso), 404 here.
    "sso-start": Rule(get=NOBODY, out_of_scope=EVERYONE),
    "sso-callback": Rule(get=NOBODY, out_of_scope=EVERYONE),
    # governance/mfa: every signed-in person may enrol (or verify) a second factor, with a role or not;
    # an empty code is a 400.
    "mfa-enrol": Rule(get=ROLES | {"outsider"}, post=ROLES | {"outsider"}, empty_post_invalid=True),
    "mfa-verify": Rule(get=ROLES | {"outsider"}, post=ROLES | {"outsider"}),  # no device here: to enrol
    "governance:index": GET(ROLES),
    "governance:users": GET(ADMINS | AUDITORS),
    "governance:user-roles": POST(ADMINS),
    "governance:user-mfa-reset": POST(ADMINS),  # governance/mfa: revops has no device, nothing removed
    "governance:user-active": POST(ADMINS),
    # User administration (governance/user_views.py): admins change; auditors read a user's page. The
    # invitation link is for people who are not signed in yet (a wrong token shows why, for anyone).
    "governance:user": GET(ADMINS | AUDITORS),
    "governance:user-invite": Rule(get=ADMINS, post=ADMINS),
    "governance:user-access": POST(ADMINS, empty_post_invalid=True),
    "governance:user-invitation-resend": POST(ADMINS),
    "governance:user-invitation-revoke": POST(ADMINS),
    "governance:invitation-accept": GET(EVERYONE),
    "governance:groups": Rule(get=ADMINS | AUDITORS, post=ADMINS),
    "governance:group": GET(ADMINS | AUDITORS),
    "governance:group-members": POST(ADMINS, empty_post_invalid=True),
    "governance:group-access": POST(ADMINS, empty_post_invalid=True),
    "governance:audit": GET(AUDITORS),
    "governance:audit-export": GET(AUDITORS),
    "governance:audit-chain": GET(AUDITORS),
    # Releases (governance/releases/permissions.py): every role reads; RevOps (edit_mappings) makes and
    # tests them; RevOps and Finance sign; Finance (approve_releases) publishes and rolls back.
    "governance:releases": GET(ROLES),
    "governance:release": GET(ROLES),
    "governance:release-create": Rule(get=EDITORS, post=EDITORS),
    "governance:release-items": Rule(get=EDITORS, post=EDITORS),
    "governance:release-test": POST(EDITORS),
    "governance:release-test-retry": POST(EDITORS),
    "governance:release-sign": POST(RELEASE_SIGNERS),
    "governance:release-publish": POST(RELEASE_PUBLISHERS),
    "governance:release-rollback": POST(RELEASE_PUBLISHERS),
    # Traceability: every role reads (view_console); exceptions in it are scoped, audit entries for auditors.
    "governance:trace": GET(ROLES),
    "governance:trace-export": GET(ROLES),
    # API tokens: every role makes its own (no name: 400); the world's token is RevOps's, which its owner
    # and admins (manage_users) may revoke; to the others it does not exist.
    "governance:tokens": Rule(get=ROLES, post=ROLES, empty_post_invalid=True),
    "governance:token-revoke": Rule(
        post=frozenset({"revops", "admin"}), out_of_scope=frozenset({"finance", "auditor"})
    ),
    # Schedules (console/schedule_views.py, core/schedules.py): every role reads; admins retime, pause,
    # resume (an empty form is "unchanged" with a message and a redirect).
    "schedules": GET(ROLES),
    "schedule-edit": POST(ADMINS),
    # The API's docs page (Swagger UI) is a console page; the API itself is in API_ACCESS.
    "api:docs": GET(ROLES),
    # Connections (sync/connections/views.py, manage_connections): every role reads, admins change.
    "sync:index": GET(ROLES),
    "sync:connections": GET(ROLES),
    "sync:connection-create": Rule(get=ADMINS, post=ADMINS),
    "sync:connection": Rule(get=ROLES, post=ADMINS),
    "sync:connection-test": POST(ADMINS),
    "sync:connection-deactivate": POST(ADMINS),
    # Metadata (sync/connections/metadata/views.py): every role browses the cache; admins and mapping
    # editors refresh it (the offline connection: an error message and a redirect).
    "sync:connection-metadata-object": GET(ROLES),
    "sync:connection-metadata-refresh": POST(METADATA_REFRESHERS),
    # Every role reads the listeners and their setup steps (the URL's token masked); admins
    # (manage_connections) make one (empty form: 400), give it a new URL, enable or disable it, and send
    # it a test notification (no URL: 400).
    "sync:listeners": Rule(get=ROLES, post=ADMINS, empty_post_invalid=True),
    "sync:listener": GET(ROLES),
    "sync:listener-rotate": POST(ADMINS),
    "sync:listener-enable": POST(ADMINS),
    "sync:listener-disable": POST(ADMINS),
    "sync:listener-test": POST(ADMINS, empty_post_invalid=True),
    # Mappings (sync/mappings/views/access.py, sync/mappings/services/versions.py): every role reads; RevOps
    # (edit_mappings) edits drafts and submits; Finance and Admin (approve_mappings) approve and publish;
    # the dry run reads both sandboxes, so it is for makers and approvers.
    "sync:mappings": GET(ROLES),
    "sync:mapping-diff": GET(ROLES),
    "sync:mapping-install-shipped": POST(EDITORS),  # the shipped flows and lookup tables, as drafts
    "sync:mapping-version": GET(ROLES),
    "sync:mapping-export": GET(ROLES),
    "sync:mapping-preview": GET(MAKERS_AND_APPROVERS),
    "sync:mapping-preview-search": GET(MAKERS_AND_APPROVERS),
    "sync:mapping-draft-create": POST(EDITORS),
    "sync:mapping-import": POST(EDITORS, empty_post_invalid=True),  # no document: 400 naming it
    "sync:mapping-transition": POST(APPROVERS),  # tried with "approve"
    "sync:mapping-row": Rule(get=ROLES, post=EDITORS),
    "sync:mapping-row-check": POST(EDITORS),
    # The editor's field pickers and transform chain editor: for the people who edit the flow.
    "sync:mapping-field-choices": GET(EDITORS),
    "sync:mapping-row-transforms": POST(EDITORS),
    "sync:mapping-row-create": POST(EDITORS, empty_post_invalid=True),
    "sync:mapping-row-move": POST(EDITORS),
    "sync:mapping-row-delete": POST(EDITORS),
    "sync:mapping-lookups": GET(ROLES),
    "sync:mapping-lookups-refresh": POST(EDITORS),
    "sync:mapping-lookup-entry": POST(EDITORS),
    "sync:mapping-lookup-draft": POST(EDITORS),
    "sync:mapping-lookup-import": POST(EDITORS),  # tried with a table not imported from NetSuite (no call)
    "sync:mapping-lookup-version": GET(ROLES),
    "sync:mapping-lookup-action": POST(APPROVERS),  # tried with "approve"
    # Rules (sync/rules/views.py, sync/rules/services.py): as mappings. Checking a condition as you type
    # and trying a version on a pasted record change nothing, so every role may.
    "sync:rules": GET(ROLES),
    "sync:rule": Rule(get=ROLES, post=EDITORS),
    "sync:rule-new": Rule(get=EDITORS, post=EDITORS),
    "sync:rules-install": POST(EDITORS),
    "sync:rule-check": POST(ROLES),
    "sync:rule-test": POST(ROLES),
    "sync:rule-action": POST(APPROVERS),  # tried with "approve"
    # Exceptions (sync/exceptions/views.py, sync/exceptions/permissions.py): scoped by subsidiary (Finance
    # holds the
    # item's subsidiary here); RevOps and Finance act; only approve_exceptions approves a financial
    # change; the auditor reads. Notifications are each user's own.
    "sync:exceptions": GET(ROLES),
    "sync:exceptions-export": GET(ROLES),  # the filtered queue as CSV, scoped like the page
    "sync:exceptions-bulk": POST(EXCEPTION_ACTORS),  # an empty selection: back to the queue, nothing done
    "sync:exception": GET(ROLES),
    "sync:exception-act": POST(EXCEPTION_ACTORS),  # tried with "comment"
    "sync:exception-override": POST(EXCEPTION_APPROVERS),  # tried with "approve"
    # Exception groups (sync/exceptions/group_views.py): scoped as the exceptions; RevOps and Finance act.
    "sync:exception-groups": GET(ROLES),
    "sync:exception-group": GET(ROLES),
    "sync:exception-group-act": POST(EXCEPTION_ACTORS),  # tried with "retry"
    # The exception policy and the NetSuite lists (sync/exceptions/policy_views.py): every role reads.
    "sync:exception-policy": GET(ROLES),
    "sync:exception-category": Rule(get=ROLES, post=POLICY_EDITORS, empty_post_invalid=True),
    "sync:exception-category-level": POST(POLICY_EDITORS),  # tried with "remove": refused, redirected
    "sync:ticket-endpoint": POST(ADMINS),
    "sync:ticket-endpoint-test": POST(ADMINS),
    "sync:netsuite-lists": GET(ROLES),
    "sync:netsuite-lists-read": POST(POLICY_EDITORS),  # the offline connection: an error message
    "sync:notifications": Rule(get=ROLES, post=ROLES),
    # Notification settings and deliveries (sync/notifications/permissions.py): every role reads and sets
    # their own preferences; admins (manage_connections) change channels and the policy and resend.
    "sync:notification-settings": GET(ROLES),
    "sync:notification-channel-create": POST(ADMINS, empty_post_invalid=True),
    "sync:notification-channel": Rule(get=ADMINS, post=ADMINS, empty_post_invalid=True),
    "sync:notification-channel-test": POST(ADMINS),  # the world's hook is a closed port: an error message
    "sync:notification-channel-delete": POST(ADMINS),
    "sync:notification-policy": POST(ADMINS),  # an empty form: the error, on the settings page
    "sync:notification-preference": POST(ROLES),
    "sync:notification-deliveries": GET(ROLES),
    "sync:notification-delivery-resend": POST(ADMINS),
    # Jobs (sync/pipeline/views.py, sync/pipeline/jobs.py): every role reads; can_rerun re-runs a record.
    "sync:jobs": GET(ROLES),
    "sync:job": GET(ROLES),
    "sync:inbox": GET(ROLES),
    "sync:invoices": GET(ROLES),
    "sync:conflicts": GET(ROLES),
    "sync:trace": GET(ROLES),
    # Issue 22 (sync/lifecycle/views.py): every role reads; RevOps and Finance set the order lock (an
    # empty form: redirected with a message).
    "sync:lifecycle": GET(ROLES),
    "sync:lifecycle-lock-setting": POST(EXCEPTION_ACTORS),
    # Retention (sync/retention/views.py): every role reads; admins change it (an empty field keeps that
    # history for ever, as the form says) and prune now; both redirect with a message.
    "sync:retention": GET(ROLES),
    "sync:retention-change": POST(ADMINS),
    "sync:retention-run": POST(ADMINS),
    # sync/matching/views.py: every role reads the generic e-mail domains; RevOps changes them (an empty
    # form: redirected with a message).
    "sync:matching-domains": GET(ROLES),
    "sync:matching-domains-change": POST(EDITORS),
    "sync:record-rerun": POST(RERUNNERS),
    "sync:job-requeue": POST(RERUNNERS),  # the world's job is not interrupted: refused with a message
    "sync:backfill-resume": POST(RERUNNERS),  # nor its backfill: refused with a message
    "sync:backfill-start": POST(RERUNNERS, empty_post_invalid=True),  # can_rerun; no date: 400
    "sync:backfill": GET(ROLES),
    "sync:flows": GET(ROLES),
    "sync:flow-pause": POST(FLOW_OPERATORS),
    "sync:flow-resume": POST(FLOW_OPERATORS),  # the flow is running: refused with a message
    "sync:flow-trigger": POST(FLOW_OPERATORS, empty_post_invalid=True),  # no trigger chosen: 400
    "sync:push": POST(RERUNNERS, empty_post_invalid=True),  # no opportunity id: 400
    # The catalogue (sync/catalogue/views.py): every role reads; RevOps and Admin sync it now.
    "sync:catalogue": GET(ROLES),
    "sync:catalogue-sync": POST(RERUNNERS),
    # Go-live matching (sync/golive/services.py): every role reads; RevOps and Admins scan (it writes
    # nothing; no connections: 400); only Admins (manage_connections) apply, which writes to NetSuite
    # (unconfirmed: 400).
    "sync:golive": Rule(get=ROLES, post=RERUNNERS, empty_post_invalid=True),
    "sync:golive-run": GET(ROLES),
    "sync:golive-apply": POST(ADMINS, empty_post_invalid=True),
    # Integrations (sync/onboarding/permissions.py): every role reads; Admins (manage_connections) create,
    # change (an empty edit clears the namespace: 400), deactivate, activate and onboard them.
    "sync:integrations": GET(ROLES),
    "sync:integration-create": Rule(get=ADMINS, post=ADMINS, empty_post_invalid=True),
    "sync:integration": Rule(get=ROLES, post=ADMINS, empty_post_invalid=True),
    "sync:integration-deactivate": POST(ADMINS),
    "sync:integration-activate": POST(ADMINS),
    # Reviewing an integration's configuration in one step (sync/onboarding/review.py): editors submit,
    # approvers approve and publish (nothing waiting: a message, then back to the page).
    "sync:integration-config-submit": POST(EDITORS),
    "sync:integration-config-publish": POST(APPROVERS),
    "sync:integration-onboarding": Rule(get=ROLES, post=ADMINS),
    "sync:integration-onboarding-apply": POST(ADMINS, empty_post_invalid=True),
    # Inbound listeners (sync/pipeline/listener/views.py): machine endpoints, not for personas.
    "sync:inbound-outbound": MACHINE,
    "sync:inbound-webhook": MACHINE,
    # Reconciliation (reconciliation/permissions.py): every role reads; runs on demand for RevOps,
    # Finance and Admin; tolerances are configuration, edited by RevOps.
    "reconciliation:index": GET(ROLES),
    "reconciliation:run": GET(ROLES),
    "reconciliation:run-csv": GET(ROLES),
    "reconciliation:run-create": POST(RECONCILERS),
    "reconciliation:run-rerun": POST(RECONCILERS),
    "reconciliation:tolerance-update": POST(EDITORS),
}

# The views that are csrf_exempt on purpose, and why. Nothing else may be.
CSRF_EXEMPT = {
    "sync:inbound-outbound": "Salesforce Outbound Messages: no session; secret path token + org id check",
    "sync:inbound-webhook": "signed webhooks: no session; secret path token + HMAC-SHA256 signature",
}

WRONG_TOKEN = "no-such-listener-token"
OPPORTUNITY = "0065S0000000001QAA"
WRONG_PORT = 9  # discard: nothing listens on loopback, a webhook there is refused at once

# Path parameter -> a value that exists in the ``world`` fixture. "url-name/parameter" overrides the value
# for one URL (``action`` means different things to mappings, rules and exceptions).
PATH_VALUES: dict[str, Callable[[], object]] = {
    "user_id": lambda: User.objects.get(username="revops").pk,
    "connection_id": lambda: Connection.objects.get(name="acl-sf").pk,
    "object_name": lambda: "Opportunity",  # cached for acl-sf by the world fixture
    "listener_id": lambda: Listener.objects.get(name="acl-outbound_message").pk,
    "flow_key": lambda: Flow.objects.order_by("key").values_list("key", flat=True)[0],
    "version_id": lambda: MappingVersion.objects.get(status="draft").pk,
    "sync:mapping-transition/action": lambda: "approve",
    "object_id": lambda: _draft_row().object_mapping_id,
    "row_id": lambda: _draft_row().pk,
    "table_name": lambda: LookupTable.objects.order_by("name").values_list("name", flat=True)[0],
    "sync:mapping-lookup-import/table_name": lambda: "salesforce_pricebook_id",
    "sync:mapping-lookup-version/version_id": lambda: _lookup_draft().pk,
    "sync:mapping-lookup-action/version_id": lambda: _lookup_draft().pk,
    "sync:mapping-lookup-action/action": lambda: "approve",
    "key": lambda: _rule_version().rule.key,
    "schedule-edit/key": lambda: "catch-up-poll",
    "sync:rule-test/version_id": lambda: _rule_version().pk,
    "sync:rule-action/version_id": lambda: _rule_version().pk,
    "sync:rule-action/action": lambda: "approve",
    "item_id": lambda: ExceptionItem.objects.get().pk,
    "sync:exception-act/action": lambda: "comment",
    "sync:exception-group/key": lambda: ExceptionItem.objects.get().cause_key,
    "sync:exception-group-act/key": lambda: ExceptionItem.objects.get().cause_key,
    "sync:exception-group-act/action": lambda: "retry",
    "sync:exception-category/key": lambda: "sync_failure",
    "sync:exception-category-level/key": lambda: "sync_failure",
    "sync:exception-category-level/action": lambda: "remove",
    "sync:netsuite-lists-read/connection_id": lambda: Connection.objects.get(name="acl-ns").pk,
    "override_id": lambda: ExceptionOverride.objects.get().pk,
    "decision": lambda: "approve",
    "job_id": lambda: SyncJob.objects.get().pk,
    "record_id": lambda: SyncRecord.objects.get().pk,
    "backfill_id": lambda: Backfill.objects.get().pk,
    "opportunity_id": lambda: OPPORTUNITY,
    "token": lambda: WRONG_TOKEN,
    "uidb64": lambda: "MQ",
    "group_id": lambda: Group.objects.get_or_create(name="Finance EMEA")[0].pk,
    "check": lambda: "accounts",
    "run_id": lambda: ReconciliationRun.objects.get().pk,
    "sync:golive-run/run_id": lambda: GoLiveRun.objects.get().pk,
    "sync:golive-apply/run_id": lambda: GoLiveRun.objects.get().pk,
    "integration_id": lambda: Integration.objects.get(name="acl").pk,
    "release_id": lambda: Release.objects.get().pk,
    "governance:release-test-retry/run_id": lambda: ReleaseTestRun.objects.get().pk,
    "fmt": lambda: "csv",
    "dashboard-panel/name": lambda: "volume",
    "token_id": lambda: ApiToken.objects.get(name="acl").pk,
    "channel_id": lambda: NotificationChannel.objects.get(name="acl-slack").pk,
    "delivery_id": lambda: NotificationDelivery.objects.get().pk,
}

# URL name -> the query string its GET needs to show something (the diff compares two versions).
QUERIES: dict[str, Callable[[], str]] = {
    "governance:trace": lambda: f"?q={OPPORTUNITY}",
    "governance:trace-export": lambda: f"?q={OPPORTUNITY}",
    "sync:mapping-diff": lambda: "?a={}&b={}".format(
        MappingVersion.objects.get(
            status="published", flow__key=_draft_row().object_mapping.version.flow.key
        ).pk,
        _draft_row().object_mapping.version_id,
    ),
}


def _draft_row() -> FieldMapping:
    return FieldMapping.objects.filter(object_mapping__version__status="draft").order_by("pk")[0]


def _lookup_draft() -> LookupVersion:
    return lookup_draft_for(table=LookupTable.objects.order_by("name")[0], user=None)


def _rule_version() -> RuleVersion:
    return RuleVersion.objects.select_related("rule").order_by("rule__key", "pk")[0]


@pytest.fixture
def world(revops: User, finance: User, admin: User, monkeypatch: pytest.MonkeyPatch) -> None:
    """One of each object a path parameter names, made the way the console makes them."""
    # Nothing leaves the process: queued tasks are dropped, connections point at a closed loopback port.
    monkeypatch.setattr("sync.pipeline.inbox.async_task", lambda *args, **kwargs: None)
    monkeypatch.setattr("reconciliation.services.async_task", lambda *args, **kwargs: None)
    sf, ns = offline_connection_pair("acl")
    read_at = timezone.now()
    cache = ConnectionMetadata.objects.create(connection=sf, fetched_at=read_at)
    describe = {"name": "Opportunity", "label": "Opportunity", "fields": [{"name": "Id", "type": "id"}]}
    MetadataObject.objects.create(
        cache=cache, name="Opportunity", raw=json.dumps(describe), fetched_at=read_at
    )
    mapping_seed_defaults()  # published version 1 of each shipped flow, and the lookup tables
    version_create_draft(flow=Flow.objects.order_by("key")[0], user=revops)  # RevOps's draft, with rows
    assert ObjectMapping.objects.filter(version__status="draft").exists() and _draft_row()
    rule_services.rules_shipped_install(user=revops)  # the shipped rules, as RevOps's drafts
    item = raise_sample(subsidiary="SUB-A")
    subsidiary_scope_grant(holder=finance, subsidiary=Subsidiary.objects.get(key="SUB-A"))
    exception_override_propose(item=item, user=revops, field="Amount", new_value=1000, reason="PO says so")
    job = SyncJob.objects.create(salesforce_connection=sf, netsuite_connection=ns, trigger="outbound_message")
    SyncRecord.objects.create(job=job, opportunity_id=OPPORTUNITY, status="failed")
    Backfill.objects.create(salesforce_connection=sf, netsuite_connection=ns, since=dt.date(2026, 1, 1))
    GoLiveRun.objects.create(salesforce_connection=sf, netsuite_connection=ns, status=GoLiveStatus.READY)
    # An acquired org's integration on the world's pair (its onboarding scan is the run above).
    Integration.objects.create(name="acl", namespace="ACL", salesforce_connection=sf, netsuite_connection=ns)
    ReconciliationRun.objects.create(check_name="accounts", status=RunStatus.SUCCEEDED, counts={})
    release = release_create(
        user=revops,
        name="acl-release",
        mapping_versions=[MappingVersion.objects.filter(status="published").order_by("pk")[0]],
    )
    ReleaseTestRun.objects.create(
        release=release,
        requested_by=revops,
        salesforce_connection=sf,
        netsuite_connection=ns,
        opportunity_ids=[OPPORTUNITY],
        status=ReleaseTestStatus.INTERRUPTED,
    )
    for kind in (ListenerKind.OUTBOUND_MESSAGE, ListenerKind.WEBHOOK):
        listener_issue(
            name=f"acl-{kind}", salesforce_connection=sf, netsuite_connection=ns, kind=kind, user=admin
        )
    token_create(user=revops, name="acl")
    notification_world(admin=admin, revops=revops)


def notification_world(*, admin: User, revops: User) -> None:
    """A Slack channel (its hook a closed loopback port), a failed delivery, RevOps's own preference."""
    channel_create(
        user=admin,
        name="acl-slack",
        kind="slack",
        events=["connection_down"],
        webhook_url=f"https://127.0.0.1:{WRONG_PORT}/services/T/B/acl",
    )
    event = notification_raise(
        kind=EventKind.CONNECTION_DOWN, key="acl-down", subject="acl", title="acl down"
    )
    NotificationDelivery.objects.create(
        event=event.event,
        target="email",
        address="ops@example.com",
        status="failed",
        created_at=timezone.now(),
    )
    preference_set(user=revops, event="failure_rate", console=True, email=False)


def url_names(resolver: URLResolver | None = None, namespace: str = "") -> Iterator[tuple[str, URLPattern]]:
    for pattern in (resolver or get_resolver()).url_patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from url_names(pattern, inner)
        elif pattern.name:
            yield f"{namespace}{pattern.name}", pattern


def test_it_has_an_access_rule_for_every_url() -> None:
    names = {name for name, _ in url_names()}
    missing = sorted(names - ACCESS.keys() - API_ACCESS.keys())
    assert missing == [], (
        "declare who may reach these URLs in tests/console/test_url_access.py ACCESS "
        f"(or, for the API, tests/console/api_access.py API_ACCESS): {missing}"
    )
    stale = sorted((ACCESS.keys() | API_ACCESS.keys()) - names)
    assert stale == [], f"ACCESS or API_ACCESS names URLs that no longer exist: {stale}"
    assert ACCESS.keys() & API_ACCESS.keys() == set()


def test_it_leaves_no_named_url_unnamed() -> None:
    # A pattern without a name could not be listed in ACCESS, so it would escape the walk below.
    unnamed = [
        str(p.pattern) for p in get_resolver().url_patterns if isinstance(p, URLPattern) and not p.name
    ]
    assert unnamed == []


def _url(name: str, pattern: URLPattern) -> str:
    kwargs = {}
    for parameter in pattern.pattern.regex.groupindex:
        value = PATH_VALUES.get(f"{name}/{parameter}") or PATH_VALUES.get(parameter)
        if value is None:
            pytest.fail(f"no value for path parameter {parameter!r} of {name}: add it to PATH_VALUES")
        kwargs[parameter] = value()
    return reverse(name, kwargs=kwargs) + (QUERIES[name]() if name in QUERIES else "")


def _request(persona: str, method: str, url: str) -> HttpResponseBase:
    """The response, with whatever the request changed rolled back."""
    client = Client()
    if persona != "anonymous":
        client.force_login(User.objects.get(username=persona))
    with transaction.atomic():
        response = client.post(url, {}) if method == "POST" else client.get(url)
        transaction.set_rollback(True)
    return response


def _is_login_redirect(response: HttpResponseBase) -> bool:
    return response.status_code == 302 and response["Location"].startswith(reverse("login"))


def _check(persona: str, name: str, rule: Rule, method: str, allowed: frozenset[str], url: str) -> str:
    """What is wrong with ``persona``'s answer, or ""."""
    response = _request(persona, method, url)
    status = response.status_code
    said = f"{name} ({method} {url}): {persona}"
    if rule.machine:
        expected = 404 if method == "POST" else 405
        return "" if status == expected else f"{said} should get the machine's {expected}, got {status}"
    if rule.probe:
        return "" if status in (200, 503) else f"{said} should get the probe's 200 or 503, got {status}"
    refused = status == 403 or (_is_login_redirect(response) and name != "logout")
    refused = (
        status == 403
        or (status == 404 and persona in rule.out_of_scope)
        or (_is_login_redirect(response) and name != "logout")
    )
    if persona not in allowed:
        return "" if refused else f"{said} should be refused, got {status}"
    if refused:
        return f"{said} should get in, was refused with {status}"
    if method == "GET":
        return "" if status < 400 else f"{said} should get the page, got {status}"
    expected_statuses = {400} if rule.empty_post_invalid else {200, 204, 302}
    if status not in expected_statuses:
        return f"{said} should get in (empty body: {sorted(expected_statuses)}), got {status}"
    return ""


@pytest.mark.parametrize("persona", PERSONAS)
def test_it_lets_each_persona_reach_exactly_what_the_table_allows(
    persona: str, world: None, finance: User, auditor: User, outsider: User
) -> None:
    wrong: list[str] = []
    for name, pattern in sorted(url_names(), key=lambda item: item[0]):
        if name in API_ACCESS:
            continue  # walked with API tokens by test_api_access.py
        rule = ACCESS[name]
        url = _url(name, pattern)
        methods = {"GET": rule.get, "POST": rule.post}
        if rule.machine:
            methods["GET"] = NOBODY
        for method, allowed in methods.items():
            if allowed is not None:
                wrong.append(_check(persona, name, rule, method, allowed, url))
    problems = [problem for problem in wrong if problem]
    assert problems == [], "\n".join(problems)


@pytest.mark.parametrize(
    ("name", "kind", "expected"),
    [
        ("sync:inbound-outbound", ListenerKind.OUTBOUND_MESSAGE, 400),
        ("sync:inbound-webhook", ListenerKind.WEBHOOK, 403),
    ],
)
def test_it_answers_a_machine_endpoint_alike_for_every_persona(
    name: str, kind: str, expected: int, world: None, finance: User, auditor: User, outsider: User
) -> None:
    # With a real token an empty body is a malformed message (400) or an unsigned event (403): the same
    # for every persona, since a session counts for nothing there.
    url = reverse(name, kwargs={"token": url_token(Listener.objects.get(kind=kind))})
    statuses = {persona: _request(persona, "POST", url).status_code for persona in PERSONAS}
    assert statuses == dict.fromkeys(PERSONAS, expected)


def test_it_refuses_a_post_without_the_csrf_token(admin: User, revops: User) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin)
    response = client.post(
        reverse("governance:user-roles", kwargs={"user_id": revops.pk}), {"roles": ["Finance"]}
    )
    assert response.status_code == 403
    assert not revops.groups.filter(name="Finance").exists()


def test_it_exempts_no_view_from_csrf_but_the_machine_endpoints() -> None:
    # DRF's views are exempt from Django's check because DRF makes its own: a session-authenticated
    # request must carry the token (tests/governance/api/test_authentication.py), a token request cannot
    # be forged by a browser.
    drf = {
        name for name, pattern in url_names() if issubclass(getattr(pattern.callback, "cls", object), APIView)
    }
    assert drf >= API_ACCESS.keys()
    exempt = {name for name, pattern in url_names() if getattr(pattern.callback, "csrf_exempt", False)}
    assert exempt - drf == CSRF_EXEMPT.keys()
    assert {name for name, rule in ACCESS.items() if rule.machine} == CSRF_EXEMPT.keys()
