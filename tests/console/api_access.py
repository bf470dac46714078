"""Who may use each API endpoint (/api/v1/), by URL name and method: the API's half of the access table.

``tests/console/test_url_access.py`` requires every URL to be declared either in its ``ACCESS`` table (the
console's pages) or here; ``tests/console/test_api_access.py`` tries every endpoint here with every
persona's API token. The rules are the console's (core/roles.py and each area's checks), so the
sets below are the ones ``test_url_access`` names.
"""

from __future__ import annotations

from dataclasses import dataclass

ROLES = frozenset({"revops", "finance", "admin", "auditor"})
NOBODY: frozenset[str] = frozenset()
EDITORS = frozenset({"revops"})  # edit_mappings
APPROVERS = frozenset({"finance", "admin"})  # approve_mappings
ADMINS = frozenset({"admin"})  # manage_connections
AUDITORS = frozenset({"auditor"})  # view_audit
EXCEPTION_ACTORS = frozenset({"revops", "finance"})  # sync.exceptions.permissions.can_act
EXCEPTION_APPROVERS = frozenset({"finance"})  # approve_exceptions
RERUNNERS = frozenset({"revops", "admin"})  # sync.pipeline.permissions.can_rerun (and can_push)
FLOW_OPERATORS = frozenset({"revops", "admin"})  # sync.pipeline.permissions.can_operate_flow
RECONCILERS = frozenset({"revops", "finance", "admin"})  # reconciliation.permissions
POLICY_EDITORS = frozenset({"finance", "admin"})  # sync.exceptions.permissions.can_edit_policy
METADATA_REFRESHERS = frozenset({"revops", "admin"})  # sync.connections.permissions.can_refresh_metadata
RELEASE_SIGNERS = frozenset({"revops", "finance"})  # governance.releases.permissions.signing_roles
RELEASE_PUBLISHERS = frozenset({"finance"})  # approve_releases


@dataclass(frozen=True)
class ApiRule:
    """Who may use an endpoint with each method. ``out_of_scope``: personas for whom the object the path
    names is outside what they may see (another person's token): 404, as for any object they cannot read.
    """

    get: frozenset[str] | None = None
    post: frozenset[str] | None = None
    patch: frozenset[str] | None = None
    out_of_scope: frozenset[str] = NOBODY
    get_needs_query: bool = False  # a GET without its query parameters is a 400 about them


API_ACCESS: dict[str, ApiRule] = {
    "api:schema": ApiRule(get=ROLES),
    "api:setup-checklist": ApiRule(get=ROLES),  # console/setup/api.py: the first-run checklist
    # each sync feature's api.py (sync/<feature>/api.py)
    "api:connection-list": ApiRule(get=ROLES, post=ADMINS),
    "api:connection-detail": ApiRule(get=ROLES, patch=ADMINS),
    # The metadata cache: every role reads it; admins and mapping editors refresh it (the offline world
    # connection cannot be read: 200 with ok false).
    "api:connection-metadata": ApiRule(get=ROLES),
    "api:connection-metadata-show": ApiRule(get=ROLES),
    "api:connection-metadata-refresh": ApiRule(post=METADATA_REFRESHERS),
    # sync/onboarding/api.py: every role reads the integrations; admins create (empty body: 400), change,
    # deactivate, activate and onboard them (the world's integration's scan is ready: apply queues it).
    "api:integration-list": ApiRule(get=ROLES, post=ADMINS),
    "api:integration-detail": ApiRule(get=ROLES, patch=ADMINS),
    "api:integration-deactivate": ApiRule(post=ADMINS),
    "api:integration-activate": ApiRule(post=ADMINS),
    "api:integration-onboarding-scan": ApiRule(post=ADMINS),
    "api:integration-onboarding-plan": ApiRule(get=ROLES),
    "api:integration-onboarding-apply": ApiRule(post=ADMINS),
    # nothing waiting to review: 400 for an allowed persona
    "api:integration-config-submit": ApiRule(post=EDITORS),
    "api:integration-config-publish": ApiRule(post=APPROVERS),
    "api:listener-list": ApiRule(get=ROLES, post=ADMINS),
    "api:listener-detail": ApiRule(get=ROLES),
    # Schedules (console/api/schedules.py): every role reads; admins retime (empty body: 400), pause, resume.
    "api:schedule-list": ApiRule(get=ROLES),
    "api:schedule-detail": ApiRule(get=ROLES, patch=ADMINS),
    "api:schedule-pause": ApiRule(post=ADMINS),
    "api:schedule-resume": ApiRule(post=ADMINS),
    # Retention (sync/retention/api.py): every role reads the policy; admins change it (an empty body
    # changes nothing) and prune now (an empty body prunes: nothing in the world is old enough).
    "api:retention-policy": ApiRule(get=ROLES, patch=ADMINS),
    "api:retention-run": ApiRule(post=ADMINS),
    "api:listener-rotate-token": ApiRule(post=ADMINS),
    "api:listener-enable": ApiRule(post=ADMINS),
    "api:listener-disable": ApiRule(post=ADMINS),
    "api:listener-send-test": ApiRule(post=ADMINS),  # no URL: 400, after the role check
    "api:flow-list": ApiRule(get=ROLES),
    "api:flow-detail": ApiRule(get=ROLES),
    "api:flow-install-shipped": ApiRule(post=EDITORS),  # the missing shipped flows and lookups, as drafts
    "api:mapping-version-list": ApiRule(get=ROLES, post=EDITORS),
    "api:mapping-version-detail": ApiRule(get=ROLES),
    "api:mapping-version-submit": ApiRule(post=EDITORS),
    "api:mapping-version-import-spec": ApiRule(post=EDITORS),
    "api:mapping-version-problems": ApiRule(get=ROLES),  # engine + metadata check
    "api:mapping-version-approve": ApiRule(post=APPROVERS),
    "api:mapping-version-reject": ApiRule(post=APPROVERS),
    "api:mapping-version-publish": ApiRule(post=APPROVERS),
    "api:mapping-version-rollback": ApiRule(post=APPROVERS),
    "api:mapping-version-dry-run": ApiRule(get=EDITORS | APPROVERS, get_needs_query=True),
    "api:mapping-version-opportunities": ApiRule(get=EDITORS | APPROVERS),
    "api:lookup-version-list": ApiRule(get=ROLES, post=EDITORS),
    "api:lookup-version-detail": ApiRule(get=ROLES),
    "api:lookup-version-entries": ApiRule(post=EDITORS),
    "api:lookup-version-submit": ApiRule(post=EDITORS),
    "api:lookup-version-approve": ApiRule(post=APPROVERS),
    "api:lookup-version-reject": ApiRule(post=APPROVERS),
    "api:lookup-version-publish": ApiRule(post=APPROVERS),
    "api:lookup-table-list": ApiRule(get=ROLES),
    "api:lookup-table-detail": ApiRule(get=ROLES),
    "api:lookup-table-import": ApiRule(post=EDITORS),  # tried with a table not imported (400, no call)
    "api:rule-list": ApiRule(get=ROLES, post=EDITORS),
    "api:rule-detail": ApiRule(get=ROLES),
    "api:rule-new-draft": ApiRule(post=EDITORS),
    "api:rule-install-shipped": ApiRule(post=EDITORS),  # the missing shipped rules, as drafts
    "api:rule-version-list": ApiRule(get=ROLES),
    "api:rule-version-detail": ApiRule(get=ROLES, patch=EDITORS),
    "api:rule-version-submit": ApiRule(post=EDITORS),
    "api:rule-version-approve": ApiRule(post=APPROVERS),
    "api:rule-version-send-back": ApiRule(post=APPROVERS),
    "api:rule-version-publish": ApiRule(post=APPROVERS),
    "api:job-list": ApiRule(get=ROLES),
    "api:job-detail": ApiRule(get=ROLES),
    "api:job-requeue": ApiRule(post=RERUNNERS),
    "api:backfill-list": ApiRule(get=ROLES),
    "api:backfill-detail": ApiRule(get=ROLES),
    "api:backfill-resume": ApiRule(post=RERUNNERS),
    "api:record-list": ApiRule(get=ROLES),
    "api:record-detail": ApiRule(get=ROLES),
    "api:record-rerun": ApiRule(post=RERUNNERS),
    "api:flow-setting-list": ApiRule(get=ROLES),
    "api:flow-setting-detail": ApiRule(get=ROLES),
    "api:flow-setting-pause": ApiRule(post=FLOW_OPERATORS),
    "api:flow-setting-resume": ApiRule(post=FLOW_OPERATORS),
    "api:flow-setting-trigger": ApiRule(post=FLOW_OPERATORS),
    "api:push-list": ApiRule(post=RERUNNERS),
    "api:catalogue-sync-list": ApiRule(post=RERUNNERS),  # sync.catalogue.on_demand.can_sync_catalogue
    # Exceptions: Finance holds the world's exception's subsidiary, so every role sees it.
    "api:exception-list": ApiRule(get=ROLES),
    "api:exception-export": ApiRule(get=ROLES),
    "api:exception-bulk": ApiRule(post=EXCEPTION_ACTORS),  # an empty body: 400 about the selection
    "api:exception-detail": ApiRule(get=ROLES),
    **{
        f"api:exception-{action}": ApiRule(post=EXCEPTION_ACTORS)
        for action in (
            "retry",
            "edit",
            "accept",
            "resolve",
            "ignore",
            "assign",
            "escalate",
            "comment",
            "match",
            "tag",  # issue 24: the exception page (sync/exceptions/tags.py, payload.py)
            "untag",
            "cancel-retry",
        )
    },
    "api:exception-payload": ApiRule(get=ROLES, post=EXCEPTION_ACTORS),
    "api:exception-override-approve": ApiRule(post=EXCEPTION_APPROVERS),
    # Issue 24: exceptions grouped by cause (sync/exceptions/group_api.py), scoped as the exceptions;
    # RevOps and Finance retry a group; a lookup draft is RevOps' (an empty body: 400 about the value).
    "api:exception-group-list": ApiRule(get=ROLES),
    "api:exception-group-detail": ApiRule(get=ROLES),
    "api:exception-group-retry": ApiRule(post=EXCEPTION_ACTORS),
    "api:exception-group-lookup-draft": ApiRule(post=EDITORS),
    # Issue 22: approving what an exception asks (a cancellation); the world's asks nothing: 400.
    "api:exception-approve": ApiRule(post=EXCEPTION_APPROVERS),
    # sync/lifecycle/api.py: cancellations (every role reads) and the order lock setting (RevOps and
    # Finance change it; an empty body is a 400).
    "api:cancellation-list": ApiRule(get=ROLES),
    "api:cancellation-detail": ApiRule(get=ROLES),
    "api:order-lock-setting": ApiRule(get=ROLES, patch=EXCEPTION_ACTORS),
    # The orders found locked, the invoices the return flow synced and the field conflicts it found:
    # every role reads them (sync/lifecycle/api.py, sync/pipeline/ledger_api.py).
    "api:order-lock-list": ApiRule(get=ROLES),
    # sync/matching/api.py: every role reads the generic e-mail domains; mapping editors change them
    # (an empty body is a 400).
    "api:generic-domain-list": ApiRule(get=ROLES, post=EDITORS),
    "api:generic-domain-remove": ApiRule(post=EDITORS),
    # governance/api/trace.py: every role traces (a GET without ?q= is a 400 about it).
    "api:trace-list": ApiRule(get=ROLES, get_needs_query=True),
    "api:synced-invoice-list": ApiRule(get=ROLES),
    "api:field-conflict-list": ApiRule(get=ROLES),
    "api:exception-override-reject": ApiRule(post=EXCEPTION_ACTORS),
    # The exception policy (sync/exceptions/policy_api.py): every role reads, Finance and admins edit;
    # the ticket endpoint is an admin's; Finance and admins read NetSuite's lists now.
    "api:exception-category-list": ApiRule(get=ROLES),
    "api:exception-category-detail": ApiRule(get=ROLES, patch=POLICY_EDITORS),
    "api:exception-category-level-add": ApiRule(post=POLICY_EDITORS),
    "api:exception-category-level-update": ApiRule(patch=POLICY_EDITORS),
    "api:exception-category-level-remove": ApiRule(post=POLICY_EDITORS),
    "api:exception-category-level-move": ApiRule(post=POLICY_EDITORS),
    "api:ticket-endpoint": ApiRule(get=ADMINS, patch=ADMINS),
    "api:ticket-endpoint-test": ApiRule(post=ADMINS),
    # Notifications (sync/notifications/api.py): every role reads channels, events and deliveries (scoped)
    # and keeps their own preferences (another's: 404); admins change channels and the policy and resend.
    "api:notification-channel-list": ApiRule(get=ROLES, post=ADMINS),
    "api:notification-channel-detail": ApiRule(get=ROLES, patch=ADMINS),
    "api:notification-channel-test": ApiRule(post=ADMINS),
    "api:notification-event-list": ApiRule(get=ROLES),
    "api:notification-event-detail": ApiRule(get=ROLES),
    "api:notification-delivery-list": ApiRule(get=ROLES),
    "api:notification-delivery-detail": ApiRule(get=ROLES),
    "api:notification-delivery-resend": ApiRule(post=ADMINS),
    "api:notification-preference-list": ApiRule(get=ROLES, post=ROLES),
    "api:notification-preference-detail": ApiRule(
        get=frozenset({"revops"}), out_of_scope=frozenset({"finance", "admin", "auditor"})
    ),
    "api:notification-policy": ApiRule(get=ROLES, patch=ADMINS),
    "api:subsidiary-list": ApiRule(get=ROLES),
    "api:subsidiary-detail": ApiRule(get=ROLES),
    "api:subsidiary-read": ApiRule(post=POLICY_EDITORS),
    "api:netsuite-list-list": ApiRule(get=ROLES),
    "api:netsuite-list-detail": ApiRule(get=ROLES),
    # reconciliation/api/views.py
    "api:reconciliation-run-list": ApiRule(get=ROLES, post=RECONCILERS),
    "api:reconciliation-run-detail": ApiRule(get=ROLES),
    "api:reconciliation-run-rerun": ApiRule(post=RECONCILERS),
    "api:reconciliation-mismatch-list": ApiRule(get=ROLES),
    # governance/api/views.py: the world's token is RevOps's; admins manage users, so see every token.
    # governance/api/releases.py: every role reads; RevOps makes, changes and tests releases; RevOps and
    # Finance sign; Finance publishes and rolls back (the world's release is a draft: each write is a 400).
    "api:release-list": ApiRule(get=ROLES, post=EDITORS),
    "api:release-detail": ApiRule(get=ROLES),
    "api:release-items": ApiRule(post=EDITORS),
    "api:release-test": ApiRule(post=EDITORS),
    "api:release-sign": ApiRule(post=RELEASE_SIGNERS),
    "api:release-publish": ApiRule(post=RELEASE_PUBLISHERS),
    "api:release-rollback": ApiRule(post=RELEASE_PUBLISHERS),
    "api:release-test-run-list": ApiRule(get=ROLES),
    "api:release-test-run-detail": ApiRule(get=ROLES),
    "api:release-test-run-retry": ApiRule(post=EDITORS),
    "api:audit-entry-list": ApiRule(get=AUDITORS),
    "api:audit-entry-detail": ApiRule(get=AUDITORS),
    "api:audit-checkpoint-list": ApiRule(get=AUDITORS, post=AUDITORS),
    "api:audit-checkpoint-detail": ApiRule(get=AUDITORS),
    "api:audit-checkpoint-verify": ApiRule(post=AUDITORS),
    # governance/api/grants.py: who may handle which subsidiary's exceptions; admins grant.
    "api:subsidiary-grant-list": ApiRule(get=ADMINS | AUDITORS, post=ADMINS),
    # ... and who is limited to which integrations (sync.integrations.access); admins grant.
    "api:integration-grant-list": ApiRule(get=ADMINS | AUDITORS, post=ADMINS),
    # ... and who may edit which flows' mapping drafts beyond their role (per integration's flow).
    "api:flow-grant-list": ApiRule(get=ADMINS | AUDITORS, post=ADMINS),
    "api:token-list": ApiRule(get=ROLES, post=ROLES),
    # governance/api/mfa.py: admins reset a person's second factor (revops has none: removed 0).
    "api:user-mfa-reset": ApiRule(post=ADMINS),
    "api:token-detail": ApiRule(
        get=frozenset({"revops", "admin"}), out_of_scope=frozenset({"finance", "auditor"})
    ),
    "api:token-revoke": ApiRule(
        post=frozenset({"revops", "admin"}), out_of_scope=frozenset({"finance", "auditor"})
    ),
}
