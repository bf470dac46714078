"""Cancellations: a deal already in NetSuite that is lost afterwards, or whose CPQ contract is cancelled
(issue 22, point 4). Concord never deletes: it closes the sales order (every line ``isClosed: true``, the
full lines sent with ``?replace=item``) or terminates each subscription by a TERMINATE change order
(effective on the cancellation date, or the contract's end).

Money moves, so a cancellation first waits for a finance approval in the exception queue, unless a
published rule of placement ``cancellation`` allows it (:func:`cancellation_allowed`). The queue, the
approval and the task that runs it live above this package (:mod:`sync.pipeline.cancellation_flow`); here
are the decisions (pure), the NetSuite writes (idempotent: a closed order or a terminated subscription is
left alone, the change order is an ``eid:`` upsert) and the :class:`~sync.lifecycle.models.Cancellation`
rows that remember what was asked and done, so a re-run asks nothing twice.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from core.audit import AuditAction, audit_record
from sync.integrations.selectors import integration_for_pair
from sync.lifecycle.kinds import AMENDMENT, deal_kind
from sync.lifecycle.locks import ORDER_STATUSES, status_code_of
from sync.lifecycle.models import Cancellation, CancellationReason, CancellationStatus
from sync.lifecycle.planning import change_order_eid
from sync.rules.engine.ruleset import RuleSet
from sync.rules.services import rules_evaluate

PLACEMENT = "cancellation"
TERMINATE = "TERMINATE"
# Line fields sent back when an order is closed: its lines as they are, each with isClosed true.
LINE_FIELDS = ("line", "item", "quantity", "rate", "price", "amount", "description", "units")
DONE_SUBSCRIPTION_STATUSES = frozenset({"TERMINATED", "CLOSED"})


# -- decisions (pure) ---------------------------------------------------------------------------------


def lost_after_sync(graph: Mapping[str, Any]) -> bool:
    """The opportunity is closed and not won (Closed Lost, or any closed stage that is not a win)."""
    if graph.get("IsWon"):
        return False
    stage = str(graph.get("StageName") or "")
    return bool(graph.get("IsClosed")) or stage == "Closed Lost"


def zero_amendment(graph: Mapping[str, Any]) -> bool:
    """An amendment whose every quote line goes to quantity 0: the contract is cancelled."""
    if deal_kind(graph) != AMENDMENT:
        return False
    quote = graph.get("primary_quote")
    lines = quote.get("lines") if isinstance(quote, Mapping) else None
    if not lines:
        return False
    return all(_number(line.get("SBQQ__Quantity__c")) == 0 for line in lines if isinstance(line, Mapping))


def contract_cancelled(contract: Mapping[str, Any]) -> bool:
    return str(contract.get("Status") or "") == "Cancelled"


def cancellation_reason(graph: Mapping[str, Any]) -> str:
    """Why this opportunity graph cancels its deal ("" when it does not), for a deal already synced."""
    if lost_after_sync(graph):
        return CancellationReason.LOST
    if graph.get("IsWon") and zero_amendment(graph):
        return CancellationReason.ZERO_QUANTITIES
    return ""


def effective_date(graph: Mapping[str, Any], *, today: dt.date | None = None) -> dt.date:
    """When the cancellation takes effect: an amendment's start date (quantities to 0 from then on), else
    the opportunity's close date (the day it was lost), else today."""
    quote = graph.get("primary_quote")
    start = quote.get("SBQQ__StartDate__c") if isinstance(quote, Mapping) else None
    closed = graph.get("CloseDate")
    candidates = (start, closed) if deal_kind(graph) == AMENDMENT else (closed,)
    for value in candidates:
        parsed = _date(value)
        if parsed is not None:
            return parsed
    return today or timezone.localdate()


def cancellation_allowed(graph: Mapping[str, Any], *, ruleset: RuleSet | None = None) -> str:
    """The rule(s) that allow this cancellation without approval ("" when it needs one): published rules
    of placement ``cancellation`` on the opportunity; allowed when at least one ran and none failed."""
    evaluation = rules_evaluate(
        placement=PLACEMENT, subject="opportunity", record=dict(graph), ruleset=ruleset
    )
    ran = evaluation.outcomes
    if not ran or evaluation.failures:
        return ""
    return ", ".join(sorted({outcome.rule.key for outcome in ran})) or "a cancellation rule"


def change_order_external_id(opportunity_id: str, subscription_id: str, *, namespace: str = "") -> str:
    """The whole subscription's TERMINATE change order's external id (line 0), in the planner's format and
    the integration's ``namespace``."""
    return change_order_eid(opportunity_id, subscription_id, TERMINATE, 0, namespace=namespace)


def closing_body(order: Mapping[str, Any]) -> dict[str, Any] | None:
    """The update that closes every line of ``order`` (its full lines, ``isClosed`` true), or ``None``
    when there is nothing to close (already closed or cancelled: a second run writes nothing)."""
    if status_code_of(order) in ("C", "H"):
        return None
    item = order.get("item")
    lines = item.get("items") if isinstance(item, Mapping) else item
    lines = [line for line in lines or [] if isinstance(line, Mapping)]
    if not lines or all(line.get("isClosed") is True for line in lines):
        return None
    items = []
    for line in lines:
        kept = {name: _ref(line[name]) for name in LINE_FIELDS if line.get(name) is not None}
        kept["isClosed"] = True
        items.append(kept)
    return {"item": {"items": items}}


# -- NetSuite writes (idempotent) ---------------------------------------------------------------------


class CancellationWriter(Protocol):
    """The NetSuite calls a cancellation makes (NetSuiteConnector's)."""

    def get(
        self, record_type: str, record_id: str, *, expand: bool = False, fields: list[str] | None = None
    ) -> dict[str, Any]: ...

    def patch(
        self,
        record_type: str,
        record_id: str,
        body: dict[str, Any],
        *,
        replace: list[str] | str | None = None,
    ) -> None: ...

    def change_order_upsert(self, external_id: str, body: dict[str, Any]) -> str: ...


@dataclass
class CancellationResult:
    writes: list[str] = field(default_factory=list)  # what was written, in words
    skipped: list[str] = field(default_factory=list)  # what was already so

    @property
    def summary(self) -> str:
        parts = self.writes + [f"{text} (already so)" for text in self.skipped]
        return "; ".join(parts) or "nothing to cancel"


def order_close(ns: CancellationWriter, sales_order_id: str, result: CancellationResult) -> None:
    order = ns.get("salesOrder", sales_order_id, expand=True)
    body = closing_body(order)
    if body is None:
        label = ORDER_STATUSES.get(status_code_of(order), "closed")
        result.skipped.append(f"sales order {sales_order_id} {label.lower()}")
        return
    ns.patch("salesOrder", sales_order_id, body, replace="item")
    result.writes.append(f"sales order {sales_order_id} closed ({len(body['item']['items'])} lines)")


def subscription_terminate(
    ns: CancellationWriter,
    *,
    opportunity_id: str,
    subscription_id: str,
    effective: dt.date,
    result: CancellationResult,
    namespace: str = "",
) -> None:
    subscription = ns.get("subscription", subscription_id)
    status = subscription.get("subscriptionStatus")
    status = str((status.get("id") if isinstance(status, Mapping) else status) or "").upper()
    if status in DONE_SUBSCRIPTION_STATUSES:
        result.skipped.append(f"subscription {subscription_id} {status.lower()}")
        return
    # NetSuite takes a change order dated within the subscription's term only: a cancellation before the
    # start ends it at the start (nothing is billed), one after the end at the end.
    start, end = _date(subscription.get("startDate")), _date(subscription.get("endDate"))
    if start is not None and effective < start:
        effective = start
    if end is not None and effective > end:
        effective = end
    external_id = change_order_external_id(opportunity_id, subscription_id, namespace=namespace)
    body = {
        "action": TERMINATE,
        "subscription": {"id": subscription_id},
        "effectiveDate": effective.isoformat(),
        "externalId": external_id,
        "memo": f"Cancelled in Salesforce (opportunity {opportunity_id}); written by Concord",
    }
    ns.change_order_upsert(external_id, body)
    result.writes.append(f"subscription {subscription_id} terminated on {effective.isoformat()}")


def cancellation_execute(ns: CancellationWriter, cancellation: Cancellation) -> CancellationResult:
    """Close the order and terminate the subscriptions of ``cancellation``; safe to run twice."""
    result = CancellationResult()
    effective = cancellation.effective_date or timezone.localdate()
    # The change orders carry the namespace of the integration whose deal is cancelled.
    integration = integration_for_pair(
        cancellation.salesforce_connection_id, cancellation.netsuite_connection_id
    )
    for subscription_id in cancellation.subscription_ids or []:
        subscription_terminate(
            ns,
            opportunity_id=cancellation.opportunity_id,
            subscription_id=str(subscription_id),
            effective=effective,
            result=result,
            namespace=integration.namespace,
        )
    if cancellation.sales_order_id:
        order_close(ns, cancellation.sales_order_id, result)
    return result


# -- the rows -----------------------------------------------------------------------------------------


def cancellation_request(
    *,
    netsuite_connection_id: int,
    salesforce_connection_id: int,
    opportunity_id: str,
    reason: str,
    sales_order_id: str,
    subscription_ids: Sequence[str],
    effective: dt.date,
    contract_id: str = "",
    allowed_by_rule: str = "",
) -> tuple[Cancellation, bool]:
    """The cancellation of this deal, created when first seen; ``(row, created)``. A row already there
    is left as it is (what was asked, approved or done stays so)."""
    return Cancellation.objects.get_or_create(
        netsuite_connection_id=netsuite_connection_id,
        salesforce_connection_id=salesforce_connection_id,
        opportunity_id=opportunity_id,
        defaults={
            "reason": reason,
            "contract_id": contract_id[:18],
            "sales_order_id": sales_order_id,
            "subscription_ids": list(subscription_ids),
            "effective_date": effective,
            "allowed_by_rule": allowed_by_rule[:200],
            "status": CancellationStatus.APPROVED if allowed_by_rule else CancellationStatus.PENDING_APPROVAL,
            "requested_at": timezone.now(),
        },
    )


def cancellation_approved(*, cancellation_id: int, user: User | None, reason: str = "") -> Cancellation:
    """A finance approver let this cancellation run (the exception's approval); audited."""
    with transaction.atomic():
        cancellation = Cancellation.objects.select_for_update().get(pk=cancellation_id)
        if cancellation.status != CancellationStatus.PENDING_APPROVAL:
            return cancellation
        cancellation.status = CancellationStatus.APPROVED
        cancellation.approved_by, cancellation.approved_at = user, timezone.now()
        cancellation.save(update_fields=["status", "approved_by", "approved_at"])
        audit_record(
            obj=cancellation,
            actor=user,
            action=AuditAction.UPDATE,
            changes={"status": [CancellationStatus.PENDING_APPROVAL, CancellationStatus.APPROVED]},
            event="cancellation_approved",
            reason=reason,
        )
    return cancellation


def cancellation_finish(*, cancellation: Cancellation, ok: bool, message: str) -> Cancellation:
    """Record how the run ended (done, or failed with the error)."""
    cancellation.status = CancellationStatus.DONE if ok else CancellationStatus.FAILED
    cancellation.done_at = timezone.now() if ok else None
    cancellation.message = message
    cancellation.save(update_fields=["status", "done_at", "message"])
    return cancellation


def cancellations_list(*, status: str = "") -> list[Cancellation]:
    rows = Cancellation.objects.select_related("approved_by")
    return list(rows.filter(status=status) if status else rows)


def _number(value: Any) -> float:
    try:
        return float(value or 0)
    except (TypeError, ValueError):
        return 0.0


def _date(value: Any) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def _ref(value: Any) -> Any:
    """A reference as NetSuite takes it back (``{"id"}``), other values as they are."""
    if isinstance(value, Mapping) and "id" in value:
        return {"id": value["id"]}
    return value
