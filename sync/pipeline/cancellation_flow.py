"""Cancellations in the Closed Won flow (issue 22, point 4): the pipeline's side of
:mod:`sync.lifecycle.cancellations`.

A batch reads every opportunity it is told about, won or not. One that is *not* due because it was lost
(or an amendment taking every line to quantity 0) and that Concord synced before (a sales order or a
subscription cross-reference) is a cancellation: :func:`cancellations_notice` records it once
(:class:`~sync.lifecycle.models.Cancellation`) and either

- opens an exception that waits for a finance approval (category ``cancellation_approval``, status
  ``pending_approval``); approving it (the exception page's Approve button, the API's
  ``/exceptions/<id>/approve/``, ``manage.py cancellation_approve``) runs :func:`cancellation_run` in a
  django-q2 worker, or
- when a published rule of placement ``cancellation`` allows it, runs :func:`cancellation_run` at once.

The run closes the order / terminates the subscriptions (idempotent), resolves the exception and
records the outcome; a failure reopens the exception with NetSuite's words, for a retry. A deal never
synced that is lost stays what it was: nothing to sync.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied

from core.audit import AuditAction, audit_record
from sync.connections.connectors.errors import ConnectorError
from sync.connections.models import Connection
from sync.connections.services import netsuite_connector, salesforce_connector
from sync.integrations.namespacing import eid_namespaced
from sync.integrations.selectors import integration_for_connection, integration_for_pair
from sync.lifecycle.cancellations import (
    cancellation_allowed,
    cancellation_approved,
    cancellation_execute,
    cancellation_finish,
    cancellation_reason,
    cancellation_request,
    effective_date,
)
from sync.lifecycle.models import Cancellation, CancellationReason, CancellationStatus
from sync.pipeline.eids import eid_scope
from sync.pipeline.models import RecordStatus, SyncRecord
from sync.pipeline.problems import ExceptionScope, Problem, RecordRef, exception_queue, retryable
from sync.rules.engine.ruleset import RuleSet
from sync.rules.services import rules_published_ruleset

CATEGORY = "cancellation_approval"
RUN_TASK = "sync.pipeline.cancellation_flow.cancellation_run"
logger = logging.getLogger(__name__)


def cancellation_dedup_key(*, netsuite_connection_id: int, opportunity_id: str, namespace: str = "") -> str:
    """The cancellation's exception key; another integration's opportunity is in its ``namespace``."""
    return f"cancel:{netsuite_connection_id}:{eid_namespaced(namespace, opportunity_id)}"


def cancellation_key_of(cancellation: Cancellation) -> str:
    namespace = integration_for_connection(cancellation.salesforce_connection_id).namespace
    return cancellation_dedup_key(
        netsuite_connection_id=cancellation.netsuite_connection_id,
        opportunity_id=cancellation.opportunity_id,
        namespace=namespace,
    )


def netsuite_targets(
    salesforce: Connection, netsuite: Connection, graphs: Mapping[str, Mapping[str, Any]]
) -> dict[str, tuple[str, list[str]]]:
    """Opportunity id -> (its sales order's internal id, its subscriptions' internal ids), from the
    cross-references Concord wrote for the pair's integration (an opportunity never synced has none, and
    is left out; another org's opportunity with the same id is not this one)."""
    lines: dict[str, str] = {}
    for key, graph in graphs.items():
        quote = graph.get("primary_quote")
        for line in (quote or {}).get("lines") or [] if isinstance(quote, Mapping) else []:
            if isinstance(line, Mapping) and line.get("Id"):
                lines[str(line["Id"])] = key
    rows = (
        eid_scope(salesforce.pk, netsuite.pk)
        .xrefs()
        .filter(
            netsuite_connection=netsuite,
            netsuite_type__in=["salesOrder", "subscription"],
            salesforce_id__in=[*graphs, *lines],
        )
        .order_by("netsuite_type", "external_id")
    )
    found: dict[str, tuple[str, list[str]]] = {}
    for row in rows:
        owner = row.salesforce_id if row.salesforce_id in graphs else lines.get(row.salesforce_id, "")
        if not owner:
            continue
        order, subscriptions = found.get(owner, ("", []))
        if row.netsuite_type == "salesOrder":
            order = order or row.netsuite_id
        elif row.netsuite_id not in subscriptions:
            subscriptions = [*subscriptions, row.netsuite_id]
        found[owner] = (order, subscriptions)
    _last_synced_ids(salesforce, netsuite, graphs, found)
    return found


def _last_synced_ids(
    salesforce: Connection,
    netsuite: Connection,
    graphs: Mapping[str, Any],
    found: dict[str, tuple[str, list[str]]],
) -> None:
    """Add the NetSuite ids the last successful sync of each opportunity recorded (its quote may have
    changed since: the lines that made its subscriptions are not all in the graph any more)."""
    records = SyncRecord.objects.filter(
        opportunity_id__in=list(graphs),
        status=RecordStatus.SYNCED,
        job__netsuite_connection=netsuite,
        job__salesforce_connection=salesforce,
    ).order_by("opportunity_id", "-id")
    seen: set[str] = set()
    for record in records:
        if record.opportunity_id in seen:
            continue
        seen.add(record.opportunity_id)
        order, subscriptions = found.get(record.opportunity_id, ("", []))
        for ref_key, netsuite_id in (record.netsuite_ids or {}).items():
            object_key = ref_key.split("[", 1)[0]
            if object_key == "sales_order" and not order:
                order = str(netsuite_id)
            elif object_key == "subscription" and str(netsuite_id) not in subscriptions:
                subscriptions = [*subscriptions, str(netsuite_id)]
        if order or subscriptions:
            found[record.opportunity_id] = (order, subscriptions)


def cancellations_notice(
    *,
    salesforce: Connection,
    netsuite: Connection,
    graphs: Mapping[str, Mapping[str, Any]],
    not_due: Mapping[str, str],
    ruleset: RuleSet | None = None,
) -> dict[str, str]:
    """The batch's ``not_due`` with every cancellation among ``graphs`` noticed (recorded, sent for
    approval or run) and marked not due with what became of it, so the writer leaves them alone."""
    candidates = {key: reason for key, graph in graphs.items() if (reason := cancellation_reason(graph))}
    if not candidates:
        return dict(not_due)
    targets = netsuite_targets(salesforce, netsuite, {key: graphs[key] for key in candidates})
    targets.update(_amended_targets(salesforce, netsuite, graphs, candidates, targets))
    result = dict(not_due)
    for key, reason in candidates.items():
        order, subscriptions = targets.get(key, ("", []))
        if not order and not subscriptions:
            continue  # never synced: nothing in NetSuite to cancel
        result[key] = cancellation_open(
            salesforce=salesforce,
            netsuite=netsuite,
            graph=graphs[key],
            reason=reason,
            sales_order_id=order,
            subscription_ids=subscriptions,
            ruleset=ruleset,
        )
    return result


def _amended_targets(
    salesforce: Connection,
    netsuite: Connection,
    graphs: Mapping[str, Mapping[str, Any]],
    candidates: Mapping[str, str],
    found: Mapping[str, tuple[str, list[str]]],
) -> dict[str, tuple[str, list[str]]]:
    """An amendment taking every line to 0 was never synced itself: what it cancels is what the deal of
    the contract it amends became in NetSuite (Contract.SBQQ__Opportunity__c, then its cross-references)."""
    contracts = {
        key: str(graphs[key].get("SBQQ__AmendedContract__c") or "")
        for key, reason in candidates.items()
        if reason == CancellationReason.ZERO_QUANTITIES and key not in found
    }
    contracts = {key: contract for key, contract in contracts.items() if contract}
    if not contracts:
        return {}
    template = "SELECT Id, SBQQ__Opportunity__c FROM Contract WHERE Id IN ({ids})"
    rows = salesforce_connector(salesforce).query_in(template, sorted(set(contracts.values())))
    original = {str(row["Id"]): str(row.get("SBQQ__Opportunity__c") or "") for row in rows}
    originals = {key: original.get(contract, "") for key, contract in contracts.items()}
    targets = netsuite_targets(
        salesforce, netsuite, {deal: {"Id": deal} for deal in originals.values() if deal}
    )
    return {key: targets[deal] for key, deal in originals.items() if deal in targets}


def cancellation_open(
    *,
    salesforce: Connection,
    netsuite: Connection,
    graph: Mapping[str, Any],
    reason: str,
    sales_order_id: str,
    subscription_ids: Iterable[str],
    ruleset: RuleSet | None = None,
    contract_id: str = "",
) -> str:
    """Record the cancellation of one synced deal once, and ask for (or skip, by rule) the approval;
    returns what became of it, in words (the sync record's message)."""
    opportunity_id = str(graph.get("Id") or "")
    if ruleset is None:  # the rules of the integration the pair runs under
        ruleset = rules_published_ruleset(integration_for_pair(salesforce.pk, netsuite.pk))
    allowed = cancellation_allowed(graph, ruleset=ruleset)
    cancellation, created = cancellation_request(
        netsuite_connection_id=netsuite.pk,
        salesforce_connection_id=salesforce.pk,
        opportunity_id=opportunity_id,
        reason=reason,
        sales_order_id=sales_order_id,
        subscription_ids=list(subscription_ids),
        effective=effective_date(graph),
        contract_id=contract_id,
        allowed_by_rule=allowed,
    )
    label = CancellationReason(cancellation.reason).label.lower()
    if cancellation.status == CancellationStatus.DONE:
        return f"{label}: already cancelled in NetSuite ({cancellation.message})"
    if cancellation.allowed_by_rule and cancellation.status != CancellationStatus.PENDING_APPROVAL:
        if created or cancellation.status in (CancellationStatus.APPROVED, CancellationStatus.FAILED):
            cancellation_run(cancellation_id=cancellation.pk)
            cancellation.refresh_from_db()
        return f"{label}: cancelled in NetSuite without approval ({cancellation.allowed_by_rule})"
    if cancellation.status == CancellationStatus.PENDING_APPROVAL:
        item_id = exception_queue().report(_approval_problem(cancellation, netsuite))
        if cancellation.exception_id != item_id:
            Cancellation.objects.filter(pk=cancellation.pk).update(exception_id=item_id)
        return f"{label}: the cancellation waits for a finance approval (exception #{item_id})"
    return f"{label}: the cancellation is {cancellation.get_status_display().lower()}"


def _what(cancellation: Cancellation) -> str:
    parts = []
    if cancellation.sales_order_id:
        parts.append(f"close sales order {cancellation.sales_order_id}")
    if cancellation.subscription_ids:
        parts.append(
            "terminate subscription"
            + ("s " if len(cancellation.subscription_ids) > 1 else " ")
            + ", ".join(str(s) for s in cancellation.subscription_ids)
        )
    return " and ".join(parts)


def _approval_problem(cancellation: Cancellation, netsuite: Connection) -> Problem:
    label = CancellationReason(cancellation.reason).label.lower()
    what = _what(cancellation)
    effective = cancellation.effective_date.isoformat() if cancellation.effective_date else ""
    records = [RecordRef("salesforce", "Opportunity", cancellation.opportunity_id)]
    if cancellation.sales_order_id:
        records.append(RecordRef("netsuite", "salesOrder", cancellation.sales_order_id))
    records += [RecordRef("netsuite", "subscription", str(s)) for s in cancellation.subscription_ids]
    # The deal's integration: the approval is asked of that integration's people only.
    integration = integration_for_pair(cancellation.salesforce_connection_id, netsuite.pk)
    return Problem(
        category=CATEGORY,
        dedup_key=cancellation_key_of(cancellation),
        title=f"Cancel opportunity {cancellation.opportunity_id} ({label}): {what}? Waiting for finance",
        severity="high",
        records=records,
        scope=ExceptionScope(netsuite_connection_id=netsuite.pk, integration_id=integration.pk),
        details={
            "approval": "cancellation",
            "approval_text": f"Approving will {what} in NetSuite (effective {effective}); "
            "nothing is deleted.",
            "cancellation": cancellation.pk,
            "reason": cancellation.reason,
            "sales_order": cancellation.sales_order_id,
            "subscriptions": list(cancellation.subscription_ids),
            "effective_date": effective,
        },
        retry_task=RUN_TASK,
        retry_kwargs={"cancellation_id": cancellation.pk},
        awaiting_approval=True,
    )


# What a cancelled contract's opportunity is judged on (rules of placement ``cancellation``).
CONTRACT_OPPORTUNITY_FIELDS = "Id, Name, AccountId, Amount, StageName, IsWon, IsClosed, CloseDate"
# Salesforce's answers for an org without CPQ's Contract fields: no contract cancellations to read there.
NO_CPQ_CODES = frozenset({"INVALID_FIELD", "INVALID_TYPE"})


def contract_cancellations_notice(
    *, salesforce: Connection, netsuite: Connection, since_soql: str, ruleset: RuleSet | None = None
) -> int:
    """Cancelled CPQ contracts (``Status = 'Cancelled'``) changed since ``since_soql`` (a SOQL date-time)
    whose opportunity Concord synced: each is a cancellation, noticed once like a lost deal (the
    catch-up poll calls this). Returns how many were noticed; an org without CPQ has none."""
    sf = salesforce_connector(salesforce)
    try:
        contracts = list(
            sf.query(
                "SELECT Id, Status, EndDate, SBQQ__Opportunity__c FROM Contract "  # noqa: S608 - a date only
                f"WHERE Status = 'Cancelled' AND SystemModstamp >= {since_soql}"
            )
        )
    except ConnectorError as error:
        if error.code in NO_CPQ_CODES:
            return 0
        raise
    by_opportunity = {
        str(row["SBQQ__Opportunity__c"]): row for row in contracts if row.get("SBQQ__Opportunity__c")
    }
    if not by_opportunity:
        return 0
    template = f"SELECT {CONTRACT_OPPORTUNITY_FIELDS} FROM Opportunity WHERE Id IN ({{ids}})"  # noqa: S608
    graphs = {str(row["Id"]): dict(row) for row in sf.query_in(template, sorted(by_opportunity))}
    targets = netsuite_targets(salesforce, netsuite, graphs)
    noticed = 0
    for key, graph in graphs.items():
        order, subscriptions = targets.get(key, ("", []))
        if not order and not subscriptions:
            continue
        contract = by_opportunity[key]
        graph.pop("attributes", None)
        cancellation_open(
            salesforce=salesforce,
            netsuite=netsuite,
            graph={**graph, "CloseDate": None},  # effective: today, within the subscription's term
            reason=CancellationReason.CONTRACT_CANCELLED,
            sales_order_id=order,
            subscription_ids=subscriptions,
            ruleset=ruleset,
            contract_id=str(contract["Id"]),
        )
        noticed += 1
    return noticed


@retryable
def cancellation_run(
    *, cancellation_id: int, approved_by: str = "", overrides: dict[str, object] | None = None
) -> Cancellation:
    """Run one cancellation in NetSuite: approved by ``approved_by`` (a finance approver's username, set
    by the exception's approval) or allowed by a rule. Idempotent: a done one is left alone, and the
    NetSuite writes skip what is already closed or terminated."""
    cancellation = Cancellation.objects.select_related("netsuite_connection").get(pk=cancellation_id)
    key = cancellation_key_of(cancellation)
    if cancellation.status == CancellationStatus.DONE:
        exception_queue().resolve(dedup_key=key, note=f"already cancelled: {cancellation.message}")
        return cancellation
    if cancellation.status == CancellationStatus.PENDING_APPROVAL:
        approver = User.objects.filter(username=approved_by).first() if approved_by else None
        if approver is None:
            raise PermissionDenied("This cancellation has not been approved by finance.")
        cancellation = cancellation_approved(cancellation_id=cancellation.pk, user=approver)
    ns = netsuite_connector(cancellation.netsuite_connection)
    try:
        result = cancellation_execute(ns, cancellation)
    except ConnectorError as error:
        cancellation_finish(cancellation=cancellation, ok=False, message=str(error))
        exception_queue().report(_failed_problem(cancellation, error))
        logger.warning("cancellation %s failed: %s", cancellation.pk, error)
        return cancellation
    cancellation_finish(cancellation=cancellation, ok=True, message=result.summary)
    audit_record(
        obj=cancellation,
        actor=None,
        action=AuditAction.ACCESS,
        event="cancellation_done",
        reason=result.summary,
        approved_by=approved_by or None,
        allowed_by_rule=cancellation.allowed_by_rule or None,
    )
    exception_queue().resolve(dedup_key=key, note=f"Cancelled in NetSuite: {result.summary}")
    return cancellation


def _failed_problem(cancellation: Cancellation, error: ConnectorError) -> Problem:
    base = _approval_problem(cancellation, cancellation.netsuite_connection)
    return Problem(
        category=base.category,
        dedup_key=base.dedup_key,
        title=f"Cancelling opportunity {cancellation.opportunity_id} in NetSuite failed: {error.message}",
        severity="high",
        records=base.records,
        scope=base.scope,
        vendor_code=error.code,
        vendor_message=error.message,
        error_path=error.path,
        details={**base.details, "approval_text": "Approved; retry once the cause is fixed."},
        retry_task=RUN_TASK,
        retry_kwargs={"cancellation_id": cancellation.pk},
    )
