"""Which models the audit trail follows.

Every model a person can change is registered here or in its own app's ``ready()``. Secrets (and any
field holding one, e.g. an :class:`core.secrets.EncryptedTextField`) go in ``exclude_fields``:
``mask_fields`` would still keep half of the value.
"""

from __future__ import annotations

from auditlog.registry import auditlog
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from guardian.models import GroupObjectPermission, UserObjectPermission

from governance.models import ApiToken, Invitation, SsoIdentity
from governance.releases.models import Release, ReleaseItem, ReleaseSignoff, ReleaseTestRun
from reconciliation.models import ReconciliationRun, Tolerance
from sync.connections.models import Connection
from sync.exceptions.models import (
    EscalationLevel,
    ExceptionCategory,
    ExceptionItem,
    ExceptionOverride,
    ExceptionRetry,
    ExceptionTag,
    ExceptionTagging,
    Subsidiary,
    SubsidiaryGroupPermission,
    SubsidiaryUserPermission,
    TicketEndpoint,
)
from sync.golive.models import GoLiveRun
from sync.integrations.models import Integration, IntegrationGroupPermission, IntegrationUserPermission
from sync.lifecycle.models import Cancellation, OrderLockSetting
from sync.mappings.models import (
    FieldMapping,
    Flow,
    FlowGroupPermission,
    FlowUserPermission,
    LookupEntry,
    LookupTable,
    LookupVersion,
    MappingVersion,
    ObjectMapping,
)
from sync.matching.models import GenericEmailDomain, MatchResolution
from sync.notifications.models import NotificationChannel, NotificationPolicy, NotificationPreference
from sync.pipeline.models import Backfill, FieldConflict, FlowSetting, Listener
from sync.retention.models import RetentionPolicy
from sync.rules.models import Rule, RuleVersion

# Models of the local apps that no person changes, each with the reason. Every other model must be
# registered (tests/governance/test_audit.py checks).
NOT_CHANGED_BY_PEOPLE: dict[str, str] = {
    "governance.AuditEntry": "the audit trail itself",
    "governance.AuditCheckpoint": "the audit chain's recorded heads; append-only like the trail itself",
    "governance.Capability": "an anchor for permissions; it has no rows",
    "sync.ConcurrencyLease": "limiter slots claimed and released by workers",
    "sync.DynamicLookupEntry": "a cache of answers NetSuite gave (refreshing it is audited as an event)",
    "reconciliation.Mismatch": "written by reconciliation runs, never edited",
    "sync.ExceptionEvent": "an exception's history, written by the services beside their audit entry",
    "sync.Ticket": "an outbox row written by the exception services and delivered by a worker",
    "sync.TicketAttempt": "one delivery attempt of a ticket, written by the worker",
    "sync.NotificationEvent": "raised by the notifications' sources (the watch, escalations, checks)",
    "sync.NotificationDelivery": "written by the notifications' dispatcher and workers; a resend is audited",
    "sync.Notification": "messages to users written by the exception services",
    "sync.NetSuiteListValue": "read from NetSuite (departments, classes, locations); each read is audited",
    "sync.InboxMessage": "written by the inbound listeners and claimed by workers",
    "sync.InboxDrainFlag": "set by the inbound listeners, cleared by the drain task",
    "sync.SyncJob": "written by the pipeline's workers; a re-run is a new inbox message",
    "sync.SyncRecord": "written by the pipeline's workers",
    "sync.SyncFailure": "written by the pipeline's workers",
    "sync.ReturnRecord": "written by the return flow's workers",
    "sync.CrossReference": "written by the pipeline after each NetSuite write",
    "sync.PollWatermark": "advanced by the catch-up poll",
    "sync.ApiUsage": "the last Sforce-Limit-Info figures, written by the Salesforce connector",
    "sync.WorkerHeartbeat": "written each minute by a worker's heartbeat task",
    "sync.SyncedInvoice": "the return flow's ledger of invoices written to Salesforce",
    "sync.DealMilestone": "each deal's won, ordered and invoiced moments, noted by the pipeline's workers",
    "sync.SyncedFieldValue": "the last value both systems agreed on, written by the return flows",
    "sync.GoLiveResult": "written by the go-live scan; applying a link writes its own entry",
    "sync.ConnectionHealth": "what the connection watch last found, written by its scheduled task",
    "sync.ConnectionMetadata": "a cache of what a system describes; each refresh is audited",
    "sync.OrderLock": "a sales order the pipeline found locked in NetSuite, written by its workers",
    "sync.DailyCount": "counts of pruned history, written by the retention rollup and prune",
    "sync.MetadataObject": "one cached describe / JSON Schema answer, written by the metadata refresh",
}


def register_audited_models() -> None:
    # last_login changes on every login; the login itself is recorded as an access event instead.
    auditlog.register(
        get_user_model(),
        exclude_fields=["password", "last_login"],
        m2m_fields={"groups", "user_permissions"},
    )
    auditlog.register(Group, m2m_fields={"permissions"})
    auditlog.register(UserObjectPermission)
    auditlog.register(GroupObjectPermission)
    # The invitation services write one entry on the invited user each (with auditlog off for the row);
    # the registration covers any other path (shell, admin).
    auditlog.register(Invitation)

    # Creation and revocation are written by the services (one entry each); the hash never is, and the
    # last use is bookkeeping, not a change.
    auditlog.register(ApiToken, exclude_fields=["key_hash", "last_used_at"])

    # The link of an account to an identity provider's subject, made at the first single sign-on (and
    # removed with the account): who can sign in as whom.
    auditlog.register(SsoIdentity)

    # Secrets are excluded outright (their names and secrets_changed_at show that they changed); test
    # results are written by the connection test, not by a person.
    auditlog.register(
        Connection,
        exclude_fields=["secrets", "last_tested_at", "last_test_ok", "last_test_message", "updated_at"],
    )

    auditlog.register(Integration, exclude_fields=["updated_at"])
    auditlog.register(IntegrationUserPermission)
    auditlog.register(IntegrationGroupPermission)
    auditlog.register(Flow)
    auditlog.register(FlowUserPermission)
    auditlog.register(FlowGroupPermission)
    auditlog.register(MappingVersion, m2m_fields={"editors"})
    auditlog.register(ObjectMapping)
    auditlog.register(FieldMapping)
    # Written by the return flows (no person): its creation and resolution are the audit trail's record
    # of a conflicting change on the non-owning side.
    auditlog.register(FieldConflict)
    auditlog.register(LookupTable, exclude_fields=["updated_at"])
    auditlog.register(LookupVersion, m2m_fields={"editors"})
    auditlog.register(LookupEntry)
    auditlog.register(Tolerance, exclude_fields=["updated_at"])
    # Who started a run and for which check; its progress and results are written by the worker.
    auditlog.register(
        ReconciliationRun, include_fields=["check_name", "integration", "trigger", "triggered_by"]
    )
    # Exceptions: people's actions are recorded by the services (one entry with the reason each, saves
    # themselves run with auditlog off); the registration covers any other path (shell, admin). A
    # recurrence only moves the counters, which are left out.
    auditlog.register(ExceptionItem, exclude_fields=["occurrence_count", "last_seen"])
    auditlog.register(ExceptionOverride)
    # Issue 24: tags and the retries people ask for (a worker's claim and outcome are conditional
    # updates, not logged: the exception's history says how the retry ended).
    auditlog.register(ExceptionTag)
    auditlog.register(ExceptionTagging)
    auditlog.register(ExceptionRetry, exclude_fields=["started_at", "finished_at", "error"])
    auditlog.register(ExceptionCategory)
    auditlog.register(EscalationLevel)
    # A person's answer to a duplicate suspect (the pipeline only stamps applied_at). Cross-references
    # are written by the pipeline and not registered: a link found by matching writes its own entry.
    auditlog.register(MatchResolution, exclude_fields=["applied_at"])
    # Added and removed through sync.matching.domains, which writes the entry with its reason.
    auditlog.register(GenericEmailDomain)
    auditlog.register(Subsidiary)
    # The signing secret is left out (its changes are written by the service as "(new secret)").
    auditlog.register(TicketEndpoint, exclude_fields=["secret", "secret_changed_at", "updated_at"])
    # Notifications: the services write one entry per change (saves under disable_auditlog); the webhook
    # URL is a secret and never logged (its hint shows which one it is).
    auditlog.register(NotificationChannel, exclude_fields=["webhook_url", "created_at", "updated_at"])
    auditlog.register(NotificationPreference, exclude_fields=["updated_at"])
    auditlog.register(NotificationPolicy, exclude_fields=["updated_at"])
    auditlog.register(SubsidiaryUserPermission)
    auditlog.register(SubsidiaryGroupPermission)
    # Who started which backfill; its progress is written by the worker.
    auditlog.register(
        Backfill, include_fields=["since", "salesforce_connection", "netsuite_connection", "started_by"]
    )
    # Who started a go-live match and who confirmed its links; counts and progress come from the worker.
    auditlog.register(
        GoLiveRun,
        include_fields=["salesforce_connection", "netsuite_connection", "started_by", "applied_by"],
    )
    # The webhook signing key is a secret: left out, like a connection's.
    auditlog.register(Listener, exclude_fields=["signing_secret", "path_token_hash"])
    # Pause, resume and trigger changes are written by sync.pipeline.flows as one explicit entry each,
    # with the event and reason (its saves run under disable_auditlog); registered for any other edit.
    auditlog.register(FlowSetting, exclude_fields=["updated_at"])
    # Status changes (submit, approve, publish, send back) are written by the rules services as one
    # explicit entry each, with the reason; auditlog records the edits of a draft.
    auditlog.register(Rule)
    auditlog.register(RuleVersion, exclude_fields=["updated_at"])
    # Issue 22: the company's order lock choice (also one explicit entry per change, with the reason);
    # cancellations: the approval is written by the services, the rest by the pipeline's workers.
    auditlog.register(OrderLockSetting, exclude_fields=["updated_at"])
    # Changed through sync.retention.policy, which writes the one entry with the reason; the rollup's mark
    # and the last run are bookkeeping (a prune writes its own entry with the counts).
    auditlog.register(
        RetentionPolicy,
        exclude_fields=["updated_at", "rolled_up_through", "last_run_at", "last_run_counts"],
    )
    auditlog.register(Cancellation, include_fields=["status", "approved_by"])

    # Releases: transitions (tested, signed, published, rolled back) are one explicit entry each from
    # governance.releases.services; the registrations record creation, item changes and sign-offs.
    auditlog.register(Release)
    auditlog.register(ReleaseItem)
    auditlog.register(ReleaseSignoff)
    # Who asked for a test run, against which connections and records; its results come from the worker.
    auditlog.register(
        ReleaseTestRun,
        include_fields=[
            "release",
            "requested_by",
            "salesforce_connection",
            "netsuite_connection",
            "opportunity_ids",
        ],
    )
