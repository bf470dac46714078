"""Answering a duplicate suspect (matching before create): link one NetSuite candidate, or create new.

The answer is stored as a :class:`~sync.matching.models.MatchResolution`, which every later pipeline run
honours
(:mod:`sync.pipeline.prematch`), so the same question is never asked twice; then the exception's retry
re-queues the opportunities it held back. Checked and recorded like the other exception actions.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from core.fields import field_fit
from sync.exceptions.actions import _require_active, _require_actor, _set_status
from sync.exceptions.events import event_record
from sync.exceptions.models import ExceptionAction, ExceptionItem, ExceptionStatus
from sync.exceptions.retry import retry_enqueue
from sync.matching.models import MatchChoice, MatchResolution

CATEGORY = "duplicate_suspect"


def exception_match_decide(
    *, item: ExceptionItem, user: User, choice: str, netsuite_id: str = "", reason: str = ""
) -> MatchResolution:
    """Record ``user``'s answer to the duplicate suspect ``item`` and queue the held opportunities.

    ``choice`` is ``link`` (``netsuite_id`` must be one of the listed candidates) or ``create_new``.
    """
    _require_actor(item, user)
    _require_active(item)
    match = item.details.get("match") if isinstance(item.details, dict) else None
    connection_id = (item.retry_kwargs or {}).get("netsuite_connection_id")
    if item.category.key != CATEGORY or not isinstance(match, dict) or not connection_id:
        raise ValidationError("This exception is not a duplicate suspect.")
    if choice not in MatchChoice.values:
        raise ValidationError(f"Choose one of: {', '.join(MatchChoice.values)}.")
    candidates = {str(c.get("netsuite_id")): c for c in match.get("candidates") or []}
    netsuite_id = netsuite_id.strip()
    if choice == MatchChoice.LINK and netsuite_id not in candidates:
        raise ValidationError("Choose one of the listed NetSuite records to link.")
    if choice == MatchChoice.CREATE_NEW:
        netsuite_id = ""
    if item.status == ExceptionStatus.PENDING_APPROVAL:
        raise ValidationError("A value change is waiting for approval.")
    now = timezone.now()
    record_type, external_id = str(match.get("record_type") or ""), str(match.get("external_id") or "")
    with transaction.atomic():
        resolution, _ = MatchResolution.objects.update_or_create(
            netsuite_connection_id=connection_id,
            netsuite_type=record_type,
            external_id=external_id,
            defaults={
                "salesforce_id": field_fit(
                    MatchResolution, "salesforce_id", str(match.get("salesforce_id") or "")
                ),
                "choice": choice,
                "netsuite_id": netsuite_id,
                "exception": item,
                "decided_by": user,
                "decided_at": now,
                "reason": reason,
                "applied_at": None,
            },
        )
        before = _set_status(item, ExceptionStatus.IN_PROGRESS, now)
        decision = (
            f"link to NetSuite {record_type} {netsuite_id}"
            if choice == MatchChoice.LINK
            else f"create a new NetSuite {record_type}"
        )
        event_record(
            item,
            action=ExceptionAction.MATCH_DECIDED,
            actor=user,
            reason=reason,
            before=before,
            after={"status": item.status, "decision": decision},
            now=now,
        )
        retry_enqueue(item=item, overrides={})
    return resolution


def match_comparison(*, item: ExceptionItem) -> dict[str, Any] | None:
    """The Salesforce record and the NetSuite candidates side by side, for the exception page; None
    unless ``item`` is a duplicate suspect."""
    match = item.details.get("match") if isinstance(item.details, dict) else None
    if item.category.key != CATEGORY or not isinstance(match, dict):
        return None
    values = match.get("salesforce") or {}

    def value_of(word: str) -> str:
        return next((str(v) for path, v in values.items() if word in path.lower() and v), "")

    candidates = list(match.get("candidates") or [])
    rows = [
        ("Name", match.get("label") or "", [c.get("name") for c in candidates]),
        ("E-mail", value_of("email"), [c.get("email") for c in candidates]),
        ("Country", value_of("country"), [c.get("country") for c in candidates]),
        ("External id", match.get("external_id") or "", [c.get("external_id") for c in candidates]),
    ]
    return {
        "record_type": match.get("record_type"),
        "salesforce_id": match.get("salesforce_id"),
        "reason": match.get("reason"),
        "key": match.get("key"),
        "candidates": candidates,
        "rows": [(label, mine, [theirs or "" for theirs in others]) for label, mine, others in rows],
    }
