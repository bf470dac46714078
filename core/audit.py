"""One writer for the audit entries of actions that are not edits: a re-run, a requeue, a resume, a retry.

An edit of a model is logged by django-auditlog itself; an action a person takes on an object (or the system
on their behalf) is written here as one ``access`` entry on that object, with the event's name, what the
action did and the person's reason, under the request's correlation id.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.contrib.contenttypes.models import ContentType
from django.db import models

from core.correlation import current_correlation_id
from governance.models import AuditEntry

REASON_LIMIT = 500
REPR_LIMIT = 200  # what the entry lists show of the object


def audit_action_record(
    *, obj: models.Model, actor: User | None, event: str, reason: str = "", **details: Any
) -> AuditEntry:
    """Write the audit entry of ``event`` taken on ``obj`` by ``actor`` (``None``: the system), with
    ``details`` and the reason (cut to :data:`REASON_LIMIT` characters)."""
    return AuditEntry.objects.create(
        content_type=ContentType.objects.get_for_model(type(obj)),
        object_pk=str(obj.pk),
        object_id=obj.pk,
        object_repr=str(obj)[:REPR_LIMIT],
        action=AuditEntry.Action.ACCESS,
        actor=actor,
        additional_data={"event": event, **details, "reason": reason[:REASON_LIMIT]},
        cid=current_correlation_id(),
    )
