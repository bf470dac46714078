"""Traceability for auditors: from any id, the chain opportunity -> sales order -> invoices -> payments,
with everything that touched each link.

Given a Salesforce opportunity id, a NetSuite sales order (internal or external id), an invoice (NetSuite
id or the Salesforce ``Invoice__c`` Id) or a customer payment id, :func:`trace_chain` climbs to the
opportunity through the links the pipeline stored (cross-references for the orders Concord wrote, the
return flow's :class:`~sync.models.ReturnRecord` rows for NetSuite's invoices and payments) and walks
down again, so every starting point of one chain shows the same chain. For each link it gathers the sync
jobs and records that touched it, the inbound notifications, the mapping and rule versions used (with
who approved and published them), the exceptions with their history and value overrides, and, for a
reader of the audit trail, the audit entries of the jobs' and the people's correlation ids.

It lives in governance because it is the auditor's read across areas; it only reads. The number of
queries does not grow with the size of the chain (tests/governance/test_traceability.py counts them).
What a reader may see is checked here: exceptions through :func:`sync.permissions.exceptions_visible_to`,
audit entries only with ``view_audit``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import Prefetch, Q

from governance.models import AuditEntry
from governance.roles import VIEW_AUDIT, VIEW_CONSOLE
from sync.models import (
    CrossReference,
    ExceptionEvent,
    ExceptionItem,
    ExceptionOverride,
    InboxMessage,
    MappingVersion,
    ReturnRecord,
    RuleVersion,
    SyncJob,
    SyncRecord,
)
from sync.permissions import AnyUser, exceptions_visible_to

SALES_ORDER = "salesOrder"
INVOICE = "invoice"
PAYMENT = "customerPayment"
KINDS = ("opportunity", "sales_order", "invoice", "payment")
KIND_OF_TYPE = {SALES_ORDER: "sales_order", INVOICE: "invoice", PAYMENT: "payment"}
AUDIT_LIMIT = 500


@dataclass
class TraceEvent:
    """One line of the timeline: something that happened to one link of the chain."""

    at: dt.datetime | None
    link: str  # "<kind>:<key>" of the link it belongs to
    kind: str  # inbound, sync_record, return_record, exception, exception_event, override, audit
    title: str
    status: str = ""
    detail: str = ""
    job_id: int | None = None
    exception_id: int | None = None
    mapping_version_id: int | None = None
    rule_version_ids: tuple[int, ...] = ()
    actor: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "at": self.at.isoformat() if self.at else None,
            "link": self.link,
            "kind": self.kind,
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
            "job_id": self.job_id,
            "exception_id": self.exception_id,
            "mapping_version_id": self.mapping_version_id,
            "rule_version_ids": list(self.rule_version_ids),
            "actor": self.actor,
        }


@dataclass(frozen=True)
class RuleOutcome:
    """What one rule version decided in one sync of one opportunity."""

    version_id: int
    opportunity_id: str
    job_id: int
    placement: str
    target: str  # "opportunity" (pre-sale) or the NetSuite object key checked (post-sale)
    outcome: str  # passed, warned, blocked
    message: str = ""

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class TraceLink:
    """One record of the chain and the record it hangs from."""

    kind: str  # opportunity, sales_order, invoice, payment
    key: str  # Salesforce Id (opportunity) or NetSuite internal id
    parents: list[str] = field(default_factory=list)  # "<kind>:<key>" of the links above it
    names: list[str] = field(default_factory=list)  # external ids, document numbers, Invoice__c Ids
    events: list[TraceEvent] = field(default_factory=list)

    @property
    def ref(self) -> str:
        return f"{self.kind}:{self.key}"

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "key": self.key, "parents": self.parents, "names": self.names}


@dataclass
class Chain:
    query: str
    links: list[TraceLink] = field(default_factory=list)
    timeline: list[TraceEvent] = field(default_factory=list)
    mapping_versions: list[MappingVersion] = field(default_factory=list)
    rule_versions: list[RuleVersion] = field(default_factory=list)
    rule_outcomes: list[RuleOutcome] = field(default_factory=list)
    exceptions: list[ExceptionItem] = field(default_factory=list)
    audit_entries: list[AuditEntry] = field(default_factory=list)
    audit_visible: bool = False

    @property
    def found(self) -> bool:
        return bool(self.links)

    def links_of(self, kind: str) -> list[TraceLink]:
        return [link for link in self.links if link.kind == kind]

    def as_dict(self) -> dict[str, Any]:
        """The chain as JSON for auditors (the export)."""
        return {
            "query": self.query,
            "links": [link.as_dict() for link in self.links],
            "timeline": [event.as_dict() for event in self.timeline],
            "mapping_versions": [_version_dict(version) for version in self.mapping_versions],
            "rule_versions": [_version_dict(version) for version in self.rule_versions],
            "rule_outcomes": [outcome.as_dict() for outcome in self.rule_outcomes],
            "exceptions": [
                {"id": item.pk, "title": item.title, "status": item.status, "dedup_key": item.dedup_key}
                for item in self.exceptions
            ],
        }


@dataclass
class _Keys:
    """The ids of each kind found so far, and NetSuite's links between them."""

    opportunities: set[str] = field(default_factory=set)
    orders: set[str] = field(default_factory=set)
    invoices: set[str] = field(default_factory=set)
    payments: set[str] = field(default_factory=set)

    def empty(self) -> bool:
        return not (self.opportunities or self.orders or self.invoices or self.payments)


def trace_chain(*, user: AnyUser, key: str) -> Chain:
    """The chain through ``key`` (any id of any link) with its history, as ``user`` may see it."""
    key = key.strip()
    chain = Chain(query=key, audit_visible=user.has_perm(VIEW_AUDIT))
    if not key or not user.has_perm(VIEW_CONSOLE):
        return chain
    keys = _resolve(key)
    if keys.empty():
        return chain
    _climb(keys)
    xrefs, returns = _descend(keys)
    links = _links(keys, xrefs, returns)
    chain.links = list(links.values())
    _history(chain, user, links, keys, returns)
    return chain


# -- finding the chain ---------------------------------------------------------------------------


def _resolve(key: str) -> _Keys:
    """Which link ``key`` names: a sales order's ids, an opportunity, an invoice (either system's id) or a
    payment. Four queries at most."""
    keys = _Keys()
    for row in CrossReference.objects.filter(
        Q(netsuite_type=SALES_ORDER) & (Q(netsuite_id=key) | Q(external_id=key) | Q(salesforce_id=key))
    ).values("netsuite_id", "external_id", "salesforce_id"):
        keys.opportunities.add(row["salesforce_id"])
        keys.orders.add(row["netsuite_id"])
    for found in ReturnRecord.objects.filter(
        Q(netsuite_id=key) | Q(salesforce_id=key) | Q(opportunity_id=key)
    ).values("netsuite_type", "netsuite_id", "invoice_id", "salesforce_id", "opportunity_id"):
        if found["netsuite_id"] == key:
            _add(keys, found["netsuite_type"], key)
        if found["salesforce_id"] == key:
            # An Invoice__c Id names the invoice; an Opportunity Id (order status) the opportunity.
            if found["netsuite_type"] == SALES_ORDER:
                keys.opportunities.add(key)
            elif found["invoice_id"]:
                keys.invoices.add(found["invoice_id"])
        if found["opportunity_id"] == key:
            keys.opportunities.add(key)
    if keys.empty() and (
        SyncRecord.objects.filter(opportunity_id=key).exists()
        or InboxMessage.objects.filter(record_id=key, sobject="Opportunity").exists()
    ):
        keys.opportunities.add(key)
    return keys


def _add(keys: _Keys, netsuite_type: str, netsuite_id: str) -> None:
    {SALES_ORDER: keys.orders, INVOICE: keys.invoices, PAYMENT: keys.payments}.get(netsuite_type, set()).add(
        netsuite_id
    )


def _climb(keys: _Keys) -> None:
    """From payments to their invoices, from invoices to their order and opportunity, from orders to
    their opportunity: one query per step."""
    if keys.payments:
        keys.invoices.update(
            value
            for value in ReturnRecord.objects.filter(
                netsuite_type=PAYMENT, netsuite_id__in=keys.payments
            ).values_list("invoice_id", flat=True)
            if value
        )
    if keys.invoices:
        for order, opportunity in ReturnRecord.objects.filter(
            netsuite_type=INVOICE, netsuite_id__in=keys.invoices
        ).values_list("sales_order_id", "opportunity_id"):
            if order:
                keys.orders.add(order)
            if opportunity:
                keys.opportunities.add(opportunity)
    if keys.orders:
        keys.opportunities.update(
            value
            for value in CrossReference.objects.filter(
                netsuite_type=SALES_ORDER, netsuite_id__in=keys.orders
            ).values_list("salesforce_id", flat=True)
            if value
        )
        keys.opportunities.update(
            value
            for value in ReturnRecord.objects.filter(
                netsuite_type=SALES_ORDER, netsuite_id__in=keys.orders
            ).values_list("opportunity_id", flat=True)
            if value
        )


def _descend(keys: _Keys) -> tuple[list[CrossReference], list[ReturnRecord]]:
    """Everything below the opportunities: their orders, the invoices of those orders and the payments
    applied to those invoices. Returns the cross-references and return-flow rows of the chain."""
    xrefs = list(
        CrossReference.objects.filter(
            Q(salesforce_id__in=keys.opportunities)
            | Q(netsuite_type=SALES_ORDER, netsuite_id__in=keys.orders)
        ).order_by("netsuite_type", "external_id")
    )
    keys.orders.update(row.netsuite_id for row in xrefs if row.netsuite_type == SALES_ORDER)
    invoice_rows = ReturnRecord.objects.filter(netsuite_type=INVOICE).filter(
        Q(opportunity_id__in=keys.opportunities)
        | Q(sales_order_id__in=keys.orders)
        | Q(netsuite_id__in=keys.invoices)
    )
    keys.invoices.update(invoice_rows.values_list("netsuite_id", flat=True))
    returns = list(
        ReturnRecord.objects.filter(
            Q(netsuite_type=INVOICE, netsuite_id__in=keys.invoices)
            | Q(netsuite_type=PAYMENT, invoice_id__in=keys.invoices)
            | Q(netsuite_type=PAYMENT, netsuite_id__in=keys.payments)
            | Q(netsuite_type=SALES_ORDER, netsuite_id__in=keys.orders)
            | Q(netsuite_type=SALES_ORDER, opportunity_id__in=keys.opportunities)
        )
        .select_related("job")
        .order_by("created_at", "id")
    )
    for row in returns:
        _add(keys, row.netsuite_type, row.netsuite_id)
    return xrefs, returns


def _links(keys: _Keys, xrefs: list[CrossReference], returns: list[ReturnRecord]) -> dict[str, TraceLink]:
    """One link per record, each knowing the links above it, in chain order."""
    links: dict[str, TraceLink] = {}

    def link(kind: str, key: str) -> TraceLink:
        ref = f"{kind}:{key}"
        if ref not in links:
            links[ref] = TraceLink(kind=kind, key=key)
        return links[ref]

    def parent(child: TraceLink, kind: str, key: str) -> None:
        if key and f"{kind}:{key}" not in child.parents:
            child.parents.append(f"{kind}:{key}")

    def name(target: TraceLink, value: str) -> None:
        if value and value != target.key and value not in target.names:
            target.names.append(value)

    for key in sorted(keys.opportunities):
        link("opportunity", key)
    for xref in xrefs:
        if xref.netsuite_type == SALES_ORDER:
            order = link("sales_order", xref.netsuite_id)
            name(order, xref.external_id)
            parent(order, "opportunity", xref.salesforce_id)
    for key in sorted(keys.orders):
        link("sales_order", key)
    for row in returns:
        if row.netsuite_type == SALES_ORDER:
            order = link("sales_order", row.netsuite_id)
            name(order, row.tran_id)
            parent(order, "opportunity", row.opportunity_id)
    for row in returns:
        if row.netsuite_type == INVOICE:
            invoice = link("invoice", row.netsuite_id)
            name(invoice, row.tran_id)
            name(invoice, row.salesforce_id)
            parent(invoice, "sales_order", row.sales_order_id)
            if not row.sales_order_id:
                parent(invoice, "opportunity", row.opportunity_id)
    for key in sorted(keys.invoices):
        link("invoice", key)
    for row in returns:
        if row.netsuite_type == PAYMENT:
            payment = link("payment", row.netsuite_id)
            name(payment, row.tran_id)
            parent(payment, "invoice", row.invoice_id)
    for key in sorted(keys.payments):
        link("payment", key)
    rank = {kind: position for position, kind in enumerate(KINDS)}
    return dict(sorted(links.items(), key=lambda item: (rank[item[1].kind], item[1].key)))


# -- what touched it -----------------------------------------------------------------------------


def _history(
    chain: Chain, user: AnyUser, links: dict[str, TraceLink], keys: _Keys, returns: list[ReturnRecord]
) -> None:
    records = list(
        SyncRecord.objects.filter(opportunity_id__in=keys.opportunities)
        .select_related("job")
        .prefetch_related("failures")
        .order_by("started_at", "id")
    )
    inbound = list(
        InboxMessage.objects.filter(record_id__in=keys.opportunities).order_by("received_at", "id")
    )
    events: list[TraceEvent] = []
    for message in inbound:
        events.append(
            TraceEvent(
                at=message.received_at,
                link=f"opportunity:{message.record_id}",
                kind="inbound",
                title=f"{message.get_source_display()} {message.notification_id}",
                status=message.get_status_display(),
                job_id=message.job_id,
            )
        )
    for record in records:
        events.append(_record_event(record, keys))
    for row in returns:
        events.append(_return_event(row))
    jobs = {record.job for record in records} | {row.job for row in returns}
    exceptions = _exceptions(user, jobs, keys)
    for item in exceptions:
        events.extend(_exception_events(item, links))
    chain.exceptions = exceptions
    mapping_ids = {event.mapping_version_id for event in events if event.mapping_version_id}
    mapping_ids |= {job.mapping_version_id for job in jobs if job.mapping_version_id}
    rule_ids = {version for event in events for version in event.rule_version_ids}
    chain.mapping_versions = list(
        MappingVersion.objects.filter(pk__in=mapping_ids)
        .select_related("flow", "created_by", "submitted_by", "approved_by", "published_by")
        .order_by("flow__key", "number")
    )
    chain.rule_versions = list(
        RuleVersion.objects.filter(pk__in=rule_ids)
        .select_related("rule", "created_by", "submitted_by", "approved_by", "published_by")
        .order_by("rule__key", "number")
    )
    chain.rule_outcomes = [outcome for record in records for outcome in _rule_outcomes(record)]
    if chain.audit_visible:
        chain.audit_entries = _audit_entries(jobs, records, exceptions, chain)
        exception_links = {str(item.pk): _exception_link(item, links) for item in exceptions}
        first_link = next(iter(links))
        for entry in chain.audit_entries:
            events.append(_audit_event(entry, first_link, exception_links))
    events.sort(key=lambda event: (event.at or dt.datetime.min.replace(tzinfo=dt.UTC), event.kind))
    for event in events:
        if event.link in links:
            links[event.link].events.append(event)
    chain.timeline = events


def _record_event(record: SyncRecord, keys: _Keys) -> TraceEvent:
    failures = "; ".join(failure.message for failure in record.failures.all())
    rules = "; ".join(
        f"{evaluation.get('placement')} on {evaluation.get('target')}: {evaluation.get('decision')}"
        for evaluation in record.rule_evaluations
    )
    orders = [value for name, value in (record.netsuite_ids or {}).items() if name == "sales_order"]
    return TraceEvent(
        at=record.started_at or record.job.started_at,
        link=f"opportunity:{record.opportunity_id}",
        kind="sync_record",
        title=f"Job #{record.job_id} ({record.job.flow}, {record.job.trigger or 'manual'}): "
        f"{record.attempts} attempt(s), {record.writes} write(s), {record.writes_skipped} unchanged"
        + (f"; sales order {', '.join(orders)}" if orders else ""),
        status=record.get_status_display(),
        detail="; ".join(part for part in (failures or record.message, rules) if part),
        job_id=record.job_id,
        mapping_version_id=record.mapping_version_id,
        rule_version_ids=tuple(
            sorted({v for evaluation in record.rule_evaluations for v in evaluation.get("rule_versions", [])})
        ),
    )


def _rule_outcomes(record: SyncRecord) -> list[RuleOutcome]:
    """Each rule version a record's gates evaluated and what it decided there."""
    found = []
    for evaluation in record.rule_evaluations:
        failed = {failure.get("version_id"): failure for failure in evaluation.get("failures", [])}
        for version_id in evaluation.get("rule_versions", []):
            failure = failed.get(version_id) or {}
            found.append(
                RuleOutcome(
                    version_id=int(version_id),
                    opportunity_id=record.opportunity_id,
                    job_id=record.job_id,
                    placement=str(evaluation.get("placement") or ""),
                    target=str(evaluation.get("target") or ""),
                    outcome=str(failure.get("status") or "passed"),
                    message=str(failure.get("message") or ""),
                )
            )
    return found


def _return_event(row: ReturnRecord) -> TraceEvent:
    kind = KIND_OF_TYPE.get(row.netsuite_type, row.netsuite_type)
    target = f" -> Salesforce {row.salesforce_id}" if row.salesforce_id else ""
    applied = (
        f" (applied to invoice {row.invoice_id})" if row.netsuite_type == PAYMENT and row.invoice_id else ""
    )
    return TraceEvent(
        at=row.created_at,
        link=f"{kind}:{row.netsuite_id}",
        kind="return_record",
        title=f"Job #{row.job_id} (return flow, {row.job.trigger}): NetSuite {row.netsuite_type} "
        f"{row.netsuite_id}{applied}{target}",
        status=row.get_status_display(),
        detail=row.message,
        job_id=row.job_id,
        mapping_version_id=row.mapping_version_id,
    )


def _dedup_keys(jobs: Iterable[SyncJob], keys: _Keys) -> set[str]:
    """The exception keys the pipeline uses for the chain's records (sync.pipeline.exceptions,
    sync.pipeline.returns), for every NetSuite connection that ran them."""
    connections = {job.netsuite_connection_id for job in jobs} or {0}
    found: set[str] = set()
    for connection in connections:
        found |= {f"sync:{connection}:{opportunity}" for opportunity in keys.opportunities}
        for netsuite_type, ids in (
            (SALES_ORDER, keys.orders),
            (INVOICE, keys.invoices),
            (PAYMENT, keys.payments),
        ):
            found |= {f"return:{connection}:{netsuite_type}:{value}" for value in ids}
    return found


def _exceptions(user: AnyUser, jobs: Iterable[SyncJob], keys: _Keys) -> list[ExceptionItem]:
    return list(
        exceptions_visible_to(user)
        .filter(dedup_key__in=_dedup_keys(jobs, keys))
        .select_related("category", "subsidiary")
        .prefetch_related(
            Prefetch("events", queryset=ExceptionEvent.objects.select_related("actor").order_by("at", "id")),
            Prefetch(
                "overrides",
                queryset=ExceptionOverride.objects.select_related("proposed_by", "approved_by").order_by(
                    "proposed_at", "id"
                ),
            ),
        )
        .order_by("first_seen", "id")
    )


def _exception_link(item: ExceptionItem, links: dict[str, TraceLink]) -> str:
    parts = item.dedup_key.split(":")
    if parts[0] == "sync" and len(parts) == 3:
        return f"opportunity:{parts[2]}"
    if parts[0] == "return" and len(parts) == 4:
        return f"{KIND_OF_TYPE.get(parts[2], parts[2])}:{parts[3]}"
    return next(iter(links))


def _exception_events(item: ExceptionItem, links: dict[str, TraceLink]) -> list[TraceEvent]:
    link = _exception_link(item, links)
    found = [
        TraceEvent(
            at=item.first_seen,
            link=link,
            kind="exception",
            title=f"Exception #{item.pk} ({item.category.name}): {item.title}",
            status=item.get_status_display(),
            detail=item.vendor_message[:500],
            exception_id=item.pk,
        )
    ]
    for event in item.events.all():
        found.append(
            TraceEvent(
                at=event.at,
                link=link,
                kind="exception_event",
                title=f"Exception #{item.pk}: {event.get_action_display()}",
                detail=event.reason,
                exception_id=item.pk,
                actor=_who(event.actor),
            )
        )
    for override in item.overrides.all():
        decided = (
            f", {override.get_status_display().lower()} by {_who(override.approved_by)}"
            if override.approved_by
            else f", {override.get_status_display().lower()}"
        )
        found.append(
            TraceEvent(
                at=override.decided_at or override.proposed_at,
                link=link,
                kind="override",
                title=f"Exception #{item.pk}: {override.field} {override.old_value!r} -> "
                f"{override.new_value!r} proposed by {_who(override.proposed_by)}{decided}",
                status=override.get_status_display(),
                detail=override.reason,
                exception_id=item.pk,
                actor=_who(override.approved_by or override.proposed_by),
            )
        )
    return found


def _audit_entries(
    jobs: Iterable[SyncJob], records: Iterable[SyncRecord], exceptions: list[ExceptionItem], chain: Chain
) -> list[AuditEntry]:
    """Entries about the chain's exceptions, overrides and records, and every entry written under the
    same correlation ids (the jobs' own, and the requests in which people acted), and the history of the
    mapping and rule versions used (edits, submission, approval, publication): two queries."""
    types = ContentType.objects.get_for_models(
        ExceptionItem, ExceptionOverride, SyncRecord, MappingVersion, RuleVersion
    )
    versions = Q(
        content_type=types[MappingVersion],
        object_pk__in=[str(version.pk) for version in chain.mapping_versions],
    ) | Q(content_type=types[RuleVersion], object_pk__in=[str(version.pk) for version in chain.rule_versions])
    about = (
        Q(content_type=types[ExceptionItem], object_pk__in=[str(item.pk) for item in exceptions])
        | Q(
            content_type=types[ExceptionOverride],
            object_pk__in=[str(o.pk) for item in exceptions for o in item.overrides.all()],
        )
        | Q(content_type=types[SyncRecord], object_pk__in=[str(record.pk) for record in records])
    )
    cids = {job.correlation_id for job in jobs if job.correlation_id}
    cids |= {
        cid for cid in AuditEntry.objects.filter(about).exclude(cid=None).values_list("cid", flat=True) if cid
    }
    entries = AuditEntry.objects.filter(about | versions | Q(cid__in=cids)).select_related(
        "actor", "content_type"
    )
    # An entry under a shared correlation id may name an exception this reader may not see.
    visible = {
        types[ExceptionItem].pk: {str(item.pk) for item in exceptions},
        types[ExceptionOverride].pk: {str(o.pk) for item in exceptions for o in item.overrides.all()},
    }
    return [
        entry
        for entry in entries.order_by("timestamp", "id")[:AUDIT_LIMIT]
        if entry.content_type_id not in visible or entry.object_pk in visible[entry.content_type_id]
    ]


def _audit_event(entry: AuditEntry, fallback: str, exception_links: dict[str, str]) -> TraceEvent:
    link, exception_id = fallback, None
    if entry.content_type.model == "exceptionitem" and entry.object_pk in exception_links:
        link, exception_id = exception_links[entry.object_pk], int(entry.object_pk)
    data = entry.additional_data or {}
    return TraceEvent(
        at=entry.timestamp,
        link=link,
        kind="audit",
        title=f"Audit #{entry.pk}: {entry.event_label} {entry.content_type.model} {entry.object_repr}"[:300],
        detail="; ".join([*entry.change_lines, *(f"{k}: {v}" for k, v in data.items() if v)])[:500],
        exception_id=exception_id,
        actor=_who(entry.actor),
        status=f"cid {entry.cid}" if entry.cid else "",
    )


def _who(user: Any) -> str:
    if user is None:
        return "the system"
    return str(user.get_username())


def _version_dict(version: MappingVersion | RuleVersion) -> dict[str, Any]:
    return {
        "id": version.pk,
        "name": str(version),
        "status": version.status,
        "created_by": _who(version.created_by) if version.created_by_id else "",
        "submitted_by": _who(version.submitted_by) if version.submitted_by_id else "",
        "approved_by": _who(version.approved_by) if version.approved_by_id else "",
        "approved_at": version.approved_at.isoformat() if version.approved_at else None,
        "published_by": _who(version.published_by) if version.published_by_id else "",
        "published_at": version.published_at.isoformat() if version.published_at else None,
    }


CSV_HEADER = (
    "at",
    "link",
    "kind",
    "title",
    "status",
    "detail",
    "actor",
    "job_id",
    "exception_id",
    "mapping_version_id",
    "rule_version_ids",
)


def trace_csv_rows(chain: Chain) -> Iterable[list[str]]:
    """The chain's timeline as CSV rows (header first), then each version it names, for auditors."""
    yield list(CSV_HEADER)
    for event in chain.timeline:
        data = event.as_dict()
        data["rule_version_ids"] = " ".join(str(v) for v in event.rule_version_ids)
        yield ["" if data[name] is None else str(data[name]) for name in CSV_HEADER]
    versions: list[tuple[str, MappingVersion | RuleVersion]] = [
        *(("mapping_version", version) for version in chain.mapping_versions),
        *(("rule_version", version) for version in chain.rule_versions),
    ]
    for kind, version in versions:
        described = _version_dict(version)
        detail = ", ".join(
            f"{name} {described[name]}"
            for name in ("approved_by", "approved_at", "published_by", "published_at")
            if described[name]
        )
        yield [
            described["published_at"] or "",
            "",
            kind,
            described["name"],
            described["status"],
            detail,
            described["approved_by"],
            "",
            "",
            str(version.pk) if kind == "mapping_version" else "",
            str(version.pk) if kind == "rule_version" else "",
        ]
    for outcome in chain.rule_outcomes:
        yield [
            "",
            f"opportunity:{outcome.opportunity_id}",
            "rule_outcome",
            f"{outcome.placement} on {outcome.target}",
            outcome.outcome,
            outcome.message,
            "",
            str(outcome.job_id),
            "",
            "",
            str(outcome.version_id),
        ]
