"""What touched the chain: notifications, sync and return-flow records, exceptions with their history
and overrides, mapping and rule versions, and (for readers of the audit trail) audit entries.

A fixed number of queries: each kind of row is read once for the whole chain, with its relations.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.contrib.contenttypes.models import ContentType
from django.db.models import Prefetch, Q

from core import labels
from governance.models import AuditEntry
from governance.traceability.chain import (
    INVOICE,
    KIND_OF_TYPE,
    PAYMENT,
    SALES_ORDER,
    Chain,
    Keys,
    RuleOutcome,
    TraceEvent,
    TraceLink,
    who,
)
from governance.traceability.within import Within
from sync.exceptions.models import ExceptionEvent, ExceptionItem, ExceptionOverride
from sync.exceptions.permissions import AnyUser, exceptions_visible_to
from sync.mappings.models import MappingVersion
from sync.pipeline.models import InboxMessage, ReturnRecord, SyncJob, SyncRecord
from sync.rules.models import RuleVersion

AUDIT_LIMIT = 500
# Characters of a title and of a detail shown on a timeline line.
TITLE_EXCERPT = 300
DETAIL_EXCERPT = 500


def history_gather(
    chain: Chain,
    user: AnyUser,
    links: dict[str, TraceLink],
    keys: Keys,
    returns: list[ReturnRecord],
    within: Within,
) -> None:
    """The chain's history, of its integration's records only (``within``)."""
    records = list(
        SyncRecord.objects.filter(within.of_orgs("job__salesforce_connection"))
        .filter(opportunity_id__in=keys.opportunities)
        .select_related("job")
        .prefetch_related("failures")
        .order_by("started_at", "id")
    )
    inbound = list(
        InboxMessage.objects.filter(within.of_orgs("salesforce_connection"))
        .filter(record_id__in=keys.opportunities)
        .order_by("received_at", "id")
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
        events.append(_record_event(record))
    for row in returns:
        events.append(_return_event(row))
    jobs = {record.job for record in records} | {row.job for row in returns}
    exceptions = _exceptions(user, jobs, keys, within)
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
    said = {
        version.pk: f"{labels.flow_label(version.flow.key)} {labels.version_label(version)}"
        for version in chain.mapping_versions
    }
    for event in events:  # "Closed Won deals to NetSuite v2", never the version's database id
        event.mapping_version = said.get(event.mapping_version_id or 0, "")
    events.sort(key=lambda event: (event.at or dt.datetime.min.replace(tzinfo=dt.UTC), event.kind))
    for event in events:
        if event.link in links:
            links[event.link].events.append(event)
    chain.timeline = events


def _record_event(record: SyncRecord) -> TraceEvent:
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


def _dedup_keys(jobs: Iterable[SyncJob], keys: Keys) -> set[str]:
    """The exception keys the pipeline uses for the chain's records (sync.pipeline.failures,
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


def _exceptions(user: AnyUser, jobs: Iterable[SyncJob], keys: Keys, within: Within) -> list[ExceptionItem]:
    return list(
        exceptions_visible_to(user)
        .filter(within.exceptions(), dedup_key__in=_dedup_keys(jobs, keys))
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
            detail=item.vendor_message[:DETAIL_EXCERPT],
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
                actor=who(event.actor),
            )
        )
    for override in item.overrides.all():
        decided = (
            f", {override.get_status_display().lower()} by {who(override.approved_by)}"
            if override.approved_by
            else f", {override.get_status_display().lower()}"
        )
        found.append(
            TraceEvent(
                at=override.decided_at or override.proposed_at,
                link=link,
                kind="override",
                title=f"Exception #{item.pk}: {override.field} {override.old_value!r} -> "
                f"{override.new_value!r} proposed by {who(override.proposed_by)}{decided}",
                status=override.get_status_display(),
                detail=override.reason,
                exception_id=item.pk,
                actor=who(override.approved_by or override.proposed_by),
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
    link, exception_id, mapping_version_id = fallback, None, None
    model = entry.content_type.model
    if model == "exceptionitem" and entry.object_pk in exception_links:
        link, exception_id = exception_links[entry.object_pk], int(entry.object_pk)
    elif model in ("mappingversion", "ruleversion"):
        # A version's history is the chain's context, not an event of one of its records.
        link = f"{model.replace('version', '_version')}:{entry.object_pk}"
        if model == "mappingversion" and entry.object_pk.isdigit():
            mapping_version_id = int(entry.object_pk)
    data = entry.additional_data or {}
    return TraceEvent(
        at=entry.timestamp,
        link=link,
        kind="audit",
        title=f"Audit #{entry.pk}: {entry.event_label} {entry.content_type.model} {entry.object_repr}"[
            :TITLE_EXCERPT
        ],
        detail="; ".join([*entry.change_lines, *(f"{k}: {v}" for k, v in data.items() if v)])[
            :DETAIL_EXCERPT
        ],
        exception_id=exception_id,
        mapping_version_id=mapping_version_id,
        actor=who(entry.actor),
        status=f"cid {entry.cid}" if entry.cid else "",
    )
