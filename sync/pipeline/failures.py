"""What the pipeline tells the exception queue: one open exception per opportunity that fails to sync.

The same problem on the same opportunity is one exception (its occurrence count grows on each failed
attempt); the next successful sync of that opportunity resolves it with a note. A retry from the queue
re-queues the opportunity through the inbox, so it runs the same idempotent path as any other event,
with the exception's approved value changes on that one message (:mod:`sync.pipeline.overrides`).
The queue sits above the pipeline: everything goes through the port, :mod:`sync.pipeline.problems`.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from sync.connections.models import Connection
from sync.integrations.namespacing import eid_namespaced
from sync.integrations.selectors import integration_for_connection, integration_for_pair
from sync.lifecycle.locks import OrderLockFound, order_lock_record
from sync.pipeline.inbox import inbox_requeue_opportunity
from sync.pipeline.models import FailureCategory, InboxSource, RecordStatus, SyncFailure, SyncRecord
from sync.pipeline.price_books import CATEGORY as PRICE_BOOK_CATEGORY
from sync.pipeline.price_books import (
    PRICE_BOOK_MISSING,
    plan_id_written,
    plan_record,
    price_book_title,
)
from sync.pipeline.problems import ExceptionScope, Problem, RecordRef, Severity, exception_queue, retryable
from sync.pipeline.titles import FailedRow, TitleContext, mapping_failure_title, opportunity_subject

CATEGORY_FOR_FAILURE = {
    FailureCategory.RULE: "blocked_rule",
    FailureCategory.MAPPING: "mapping_problem",
    FailureCategory.LOCKED: "order_locked",  # issue 22: an order NetSuite has moved on (for finance)
}
SEVERITY_FOR_FAILURE: dict[str, Severity] = {
    FailureCategory.TRANSIENT: "medium",
    FailureCategory.MISSING: "low",
}


def sync_dedup_key(*, netsuite_connection_id: int | None, opportunity_id: str, namespace: str = "") -> str:
    """The opportunity's exception key. Opportunity ids are unique within one org only: another
    integration's is in its ``namespace`` (the primary integration's keys are as they always were)."""
    return f"sync:{netsuite_connection_id or 0}:{eid_namespaced(namespace, opportunity_id)}"


def _record_key(record: SyncRecord, netsuite: Connection | None, namespace: str | None = None) -> str:
    if namespace is None:
        namespace = integration_for_connection(record.job.salesforce_connection_id).namespace
    return sync_dedup_key(
        netsuite_connection_id=netsuite.pk if netsuite else None,
        opportunity_id=record.opportunity_id,
        namespace=namespace,
    )


def record_outcome_report(
    *,
    record: SyncRecord,
    netsuite: Connection | None,
    open_exception_keys: set[str] | None = None,
    scope: ExceptionScope | None = None,
    context: TitleContext | None = None,
    namespace: str | None = None,
) -> None:
    """Open, count or resolve the record's exception according to how its sync ended.

    ``open_exception_keys``, when given, holds every key with an active exception (read by the caller
    for its batch): a synced record whose key is not in it has nothing to resolve. ``scope`` is where the
    opportunity's records live (its mapped records' subsidiary, its account's billing country).
    ``context`` (the graph read and the mapping that ran) lets the title name the record for finance
    (:mod:`sync.pipeline.titles`); the engine's own message stays in the details. ``namespace``, the
    namespace of the integration the record's job ran under, when the caller knows it (a batch does),
    spares reading the integration for every record."""
    key = _record_key(record, netsuite, namespace)
    if record.status in (RecordStatus.SYNCED, RecordStatus.SKIPPED):
        if open_exception_keys is None or key in open_exception_keys:
            exception_queue().resolve(dedup_key=key, note=f"synced by job {record.job_id}")
        return
    if record.status not in (RecordStatus.FAILED, RecordStatus.BLOCKED):
        return
    failures = list(record.failures.all())
    first = failures[0] if failures else None
    category = FailureCategory(first.category) if first else FailureCategory.VENDOR
    if category == FailureCategory.DUPLICATE:
        return  # the duplicate suspect's own exception (one per Salesforce record) covers it
    scope = _with_integration(
        scope or ExceptionScope(netsuite_connection_id=netsuite.pk if netsuite else None), record
    )
    if category == FailureCategory.LOCKED and first is not None and netsuite is not None:
        _lock_remember(netsuite, scope.integration_id, record.opportunity_id, first)
    records = [RecordRef("salesforce", "Opportunity", record.opportunity_id)]
    records += [
        RecordRef("netsuite", netsuite_type, str(netsuite_id))
        for netsuite_type, netsuite_id in (record.netsuite_ids or {}).items()
        if netsuite_id
    ]
    title = _title(record, first, category, context)
    category_key = CATEGORY_FOR_FAILURE.get(category, "sync_failure")
    if first is not None and first.vendor_code == PRICE_BOOK_MISSING and first.sent_value:
        # Not a vague mapping problem: the plan has no price book, which only a person can make.
        price_book = str(first.sent_value)
        category_key, title = PRICE_BOOK_CATEGORY, price_book_title(record.opportunity_id, price_book)
        plan_id = plan_id_written(record.netsuite_ids or {}, first.source_id)
        plan = plan_record(netsuite.account_id if netsuite else "", plan_id, price_book)
        records = [ref for ref in records if ref.id != plan.id] + [plan]
    problem = Problem(
        category=category_key,
        dedup_key=key,
        title=title,
        severity=SEVERITY_FOR_FAILURE.get(category, "high"),
        records=records,
        scope=scope,
        vendor_code=first.vendor_code if first else "",
        vendor_message=first.message if first else record.message,
        error_path=first.error_path if first else "",
        mapping_row=(f"{first.mapping_object_key}/{first.mapping_field_id}".strip("/") or None)
        if first
        else None,
        rule=first.mapping_object_key if first and category == FailureCategory.RULE else None,
        details={
            "job": record.job_id,
            "record": record.pk,
            "failures": len(failures),
            # The engine's words (object / row / target: problem), for whoever fixes the mapping.
            **({"engine_message": record.message} if record.message else {}),
            **_sent(first),
        },
        retry_task="sync.pipeline.failures.opportunity_resync",
        retry_kwargs={
            "opportunity_id": record.opportunity_id,
            "salesforce_connection_id": record.job.salesforce_connection_id,
            "netsuite_connection_id": record.job.netsuite_connection_id,
        },
    )
    exception_queue().report(problem)


def _title(
    record: SyncRecord, first: SyncFailure | None, category: FailureCategory, context: TitleContext | None
) -> str:
    """The exception's title in finance's words: the record by name, the problem without the engine path."""
    if first is not None and category == FailureCategory.MAPPING and first.mapping_object_key:
        row = FailedRow(first.mapping_object_key, first.mapping_field_id, first.source_id, first.message)
        return mapping_failure_title(row, context, record.opportunity_id)
    return f"{opportunity_subject(record.opportunity_id, context)}: {record.message or category.label}"[:200]


def _with_integration(scope: ExceptionScope, record: SyncRecord) -> ExceptionScope:
    """``scope`` naming the integration of the record's pair (when the caller did not)."""
    if scope.integration_id is not None:
        return scope
    job = record.job
    integration = integration_for_pair(job.salesforce_connection_id, job.netsuite_connection_id)
    return replace(scope, integration_id=integration.pk)


def _lock_remember(
    netsuite: Connection, integration_id: int | None, opportunity_id: str, failure: SyncFailure
) -> None:
    """Keep the lock the writer found (its ``sent_value``) for the record pages, as its integration's."""
    found = failure.sent_value if isinstance(failure.sent_value, dict) else {}
    if not found.get("salesOrder"):
        return
    lock = OrderLockFound(
        str(found["salesOrder"]),
        str(found.get("orderStatus") or ""),
        str(found.get("label") or ""),
        str(found.get("reason") or ""),
    )
    order_lock_record(
        netsuite_connection_id=netsuite.pk,
        integration_id=integration_id,
        opportunity_id=opportunity_id,
        lock=lock,
    )


def _sent(failure: SyncFailure | None) -> dict[str, Any]:
    """``{"sent": {"customer.subsidiary": <value sent>}}``: the field the vendor refused, named as an
    override names it, with the value Concord really sent (the page shows it as the old value)."""
    if failure is None or not failure.error_path or failure.sent_value is None:
        return {}
    field = ".".join(part for part in (failure.mapping_object_key, failure.error_path) if part)
    return {"sent": {field: failure.sent_value}}


def record_overrides_sent(*, record: SyncRecord, netsuite: Connection | None, fields: list[str]) -> None:
    """Tell the record's exception which approved value changes its retry sent, in which job."""
    key = _record_key(record, netsuite)
    exception_queue().overrides_sent(dedup_key=key, fields=fields, job_id=record.job_id)


@retryable
def opportunity_resync(
    *,
    opportunity_id: str,
    salesforce_connection_id: int,
    netsuite_connection_id: int,
    overrides: dict[str, object] | None = None,
) -> None:
    """Queue the opportunity again (the inbox deduplicates nothing here: a retry is a new event),
    carrying the approved ``overrides`` ({field: value}) for that run's NetSuite bodies."""
    inbox_requeue_opportunity(
        opportunity_id=opportunity_id,
        salesforce_connection_id=salesforce_connection_id,
        netsuite_connection_id=netsuite_connection_id,
        source=InboxSource.RERUN,
        overrides=overrides,
    )
