"""Actions a person takes on sync jobs: re-running one opportunity (audited)."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db import transaction

from governance.correlation import current_correlation_id
from governance.models import AuditEntry
from governance.roles import EDIT_MAPPINGS, MANAGE_CONNECTIONS
from sync.models import InboxMessage, InboxSource, SyncRecord
from sync.services.inbox import inbox_requeue_opportunity


def can_rerun(user: User) -> bool:
    return user.has_perm(EDIT_MAPPINGS) or user.has_perm(MANAGE_CONNECTIONS)


def record_rerun(*, record: SyncRecord, user: User, reason: str = "") -> InboxMessage:
    """Queue the record's opportunity again (a new inbox event; the pipeline is idempotent) and audit it."""
    if not can_rerun(user):
        raise PermissionDenied("Re-running a sync needs the RevOps or Admin role.")
    with transaction.atomic():
        message = inbox_requeue_opportunity(
            opportunity_id=record.opportunity_id,
            salesforce_connection_id=record.job.salesforce_connection_id,
            netsuite_connection_id=record.job.netsuite_connection_id,
            source=InboxSource.RERUN,
        )
        AuditEntry.objects.create(
            content_type=ContentType.objects.get_for_model(SyncRecord),
            object_pk=str(record.pk),
            object_id=record.pk,
            object_repr=str(record)[:200],
            action=AuditEntry.Action.ACCESS,
            actor=user,
            additional_data={
                "event": "sync_rerun",
                "opportunity_id": record.opportunity_id,
                "job": record.job_id,
                "inbox_message": message.notification_id,
                "reason": reason[:500],
            },
            cid=current_correlation_id(),
        )
    return message
