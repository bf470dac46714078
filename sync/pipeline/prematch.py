"""The pre-match phase of a batch: find the NetSuite customers and contacts that already exist without
a Salesforce id, before the writer upserts on ``eid:`` and would create them again.

Runs in the batch's calling thread, after the cross-references are loaded and before the thread pool
(the writer never touches the database). For every record of an object mapping with a ``match`` block
(:mod:`sync.matching.engine`) that has no cross-reference yet:

1. a person's earlier answer (:class:`~sync.matching.models.MatchResolution`) is honoured: ``link`` links the
   chosen record, ``create_new`` lets the upsert create it;
2. the primary match: records already carrying the external id (one SuiteQL query per record type);
3. the secondary keys: one SuiteQL query per key for the whole batch, then
:func:`sync.matching.engine.classify`.

A confident match is linked: its ``externalId`` is set (``PATCH``), the cross-reference stored and an
audit entry written; the upsert then updates it like any known record. A suspect blocks every opportunity
of the batch that would write the record (no write at all for them) and opens one ``duplicate_suspect``
exception per Salesforce record, listing the candidates; resolving it stores a MatchResolution and
re-queues the opportunities (:func:`match_resync`).

Several integrations may feed one NetSuite account (:mod:`sync.pipeline.eids`). Both searches also consider
records carrying *another* integration's external id (a customer both companies sell to): a confident
match with one is linked as **shared**: its ``externalId`` stays the other integration's (no PATCH), the
cross-reference says ``shared`` and the writer updates it by internal id. An uncertain one is a duplicate
suspect as any other, and a person's ``link`` on such a record links it shared too.
"""

from __future__ import annotations

import contextvars
import logging
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from django.db import transaction
from django.utils import timezone

from core.audit import AuditAction, audit_record
from core.fields import field_fit
from sync.connections.connectors.errors import ConnectorError
from sync.connections.models import Connection
from sync.integrations.selectors import integration_for_pair
from sync.mappings.engine import ObjectPayload
from sync.matching.domains import generic_email_domains
from sync.matching.engine import (
    CANDIDATE_COLUMN,
    KIND_COLUMN,
    Candidate,
    MatchConfig,
    MatchDecision,
    MatchStatus,
    MatchSubject,
    candidate_from_row,
    candidate_queries,
    classify,
    combined_query,
    external_id_query,
    parse_match,
    search_value,
    subject_from_body,
    union_query,
)
from sync.matching.models import MatchChoice, MatchResolution
from sync.pipeline.eids import EidScope, eid_scope
from sync.pipeline.inbox import inbox_requeue_opportunity
from sync.pipeline.models import CrossReference, FailureCategory, InboxSource
from sync.pipeline.problems import (
    ExceptionScope,
    Problem,
    RecordRef,
    exception_queue,
    retryable,
    subsidiary_of,
)
from sync.pipeline.writer import Failure, Known

logger = logging.getLogger(__name__)

CATEGORY = "duplicate_suspect"
SALESFORCE_OBJECT = {"customer": "Account", "contact": "Contact"}
# Threads for the searches of one batch (a handful of queries; the connector's limiter bounds them anyway).
SEARCH_THREADS = 5


class MatchingNetSuite(Protocol):
    """The connector calls the pre-match makes (NetSuiteConnector)."""

    def suiteql(self, query: str) -> Iterable[dict[str, Any]]: ...

    def patch(self, record_type: str, record_id: str, body: dict[str, Any]) -> None: ...


@dataclass
class _Pending:
    object_key: str
    config: MatchConfig
    subject: MatchSubject
    opportunities: set[str] = field(default_factory=set)
    subsidiary_id: str = ""  # the subsidiary the mapped body gives the record (its exception's scope)


def match_dedup_key(*, netsuite_connection_id: int, record_type: str, external_id: str) -> str:
    return f"match:{netsuite_connection_id}:{record_type}:{external_id}"


def match_configs(spec: Mapping[str, Any]) -> dict[str, MatchConfig]:
    """Object key -> match config, for the objects of a (validated) mapping spec that have one."""
    return {
        str(obj["key"]): parse_match(obj["match"], target=str(obj["target"]))
        for obj in spec.get("objects") or []
        if obj.get("match")
    }


def prematch_batch(
    *,
    salesforce: Connection,
    netsuite: Connection,
    ns: MatchingNetSuite,
    spec: Mapping[str, Any],
    payloads: Mapping[str, Sequence[ObjectPayload]],
    known: dict[tuple[str, str], Known],
    scope: EidScope | None = None,
) -> dict[str, Failure]:
    """Match the batch's unknown customers and contacts; returns opportunity id -> why it must not be
    written. Links found are added to ``known`` (so the writer updates them rather than creating).
    ``scope``: the pair's integration (its payloads' external ids are in its namespace)."""
    scope = scope or eid_scope(salesforce.pk, netsuite.pk)
    configs = match_configs(spec)
    if not configs:
        return {}
    generic = generic_email_domains()  # the operator's; the matching core knows the built-in ones
    configs = {key: replace(config, generic_domains=generic) for key, config in configs.items()}
    pending = _pending_of(configs, payloads, known)
    if not pending:
        return {}
    try:
        blocked = _honour_resolutions(netsuite, ns, pending, known, scope)
        candidates = _search(ns, pending, known)
    except ConnectorError as error:
        # Matching could not run: nothing of these records may be written (it could duplicate them).
        failure = Failure(
            FailureCategory.TRANSIENT if error.transient else FailureCategory.VENDOR,
            f"matching before create failed: {error.message}",
            system=error.system,
            vendor_code=error.code,
        )
        return {opportunity: failure for item in pending.values() for opportunity in item.opportunities}
    decisions = {
        key: classify(
            subject=item.subject, config=item.config, candidates=candidates[key[0]], shareable=scope.foreign
        )
        for key, item in pending.items()
    }
    _one_claim_per_record(decisions)
    blocked.update(_decisions_apply(salesforce, netsuite, ns, pending, decisions, known, scope))
    return blocked


def _pending_of(
    configs: Mapping[str, MatchConfig],
    payloads: Mapping[str, Sequence[ObjectPayload]],
    known: Mapping[tuple[str, str], Known],
) -> dict[tuple[str, str], _Pending]:
    """The batch's records to match: of a mapping with a ``match`` block, with an external id, and no
    cross-reference yet; each with every opportunity that would write it."""
    pending: dict[tuple[str, str], _Pending] = {}
    for opportunity_id, items in payloads.items():
        for payload in items:
            config = configs.get(payload.object_key)
            key = (payload.target_type, payload.external_id or "")
            if config is None or not payload.external_id or key in known:
                continue
            if key not in pending:
                pending[key] = _pending_one(payload, config)
            pending[key].opportunities.add(opportunity_id)
    return pending


def _pending_one(payload: ObjectPayload, config: MatchConfig) -> _Pending:
    body = payload.to_json()
    subject = subject_from_body(
        config=config,
        salesforce_id=str(payload.source_id or ""),
        external_id=payload.external_id or "",
        body=body,
        label=str(body.get("companyName") or _person(body) or payload.external_id),
    )
    return _Pending(payload.object_key, config, subject, subsidiary_id=subsidiary_of(body)[0])


def _decisions_apply(
    salesforce: Connection,
    netsuite: Connection,
    ns: MatchingNetSuite,
    pending: Mapping[tuple[str, str], _Pending],
    decisions: Mapping[tuple[str, str], MatchDecision],
    known: dict[tuple[str, str], Known],
    scope: EidScope,
) -> dict[str, Failure]:
    """Link the confident matches, open an exception for each suspect; returns the opportunities held."""
    blocked: dict[str, Failure] = {}
    for (record_type, external_id), item in sorted(pending.items()):
        decision = decisions[(record_type, external_id)]
        if decision.status == MatchStatus.LINKED and decision.candidate is not None:
            problem = _link(
                netsuite,
                ns,
                item,
                decision.candidate,
                known,
                scope,
                how=f"matched by {decision.key}: {decision.reason}",
            )
            if problem is not None:
                blocked.update(dict.fromkeys(item.opportunities, problem))
        elif decision.status == MatchStatus.SUSPECT:
            failure = _suspect(salesforce, netsuite, record_type, external_id, item, decision)
            blocked.update(dict.fromkeys(item.opportunities, failure))
    return blocked


def _one_claim_per_record(decisions: dict[tuple[str, str], MatchDecision]) -> None:
    """Two Salesforce records of the batch confidently matching the same NetSuite record (duplicates on
    the Salesforce side) would steal it from each other: each becomes a suspect instead."""
    claims: dict[tuple[str, str], list[tuple[str, str]]] = defaultdict(list)
    for key, decision in decisions.items():
        if decision.status == MatchStatus.LINKED and decision.candidate is not None:
            claims[(key[0], decision.candidate.netsuite_id)].append(key)
    for (record_type, netsuite_id), keys in claims.items():
        if len(keys) < 2:
            continue
        others = ", ".join(eid for _, eid in sorted(keys))
        for key in keys:
            decision = decisions[key]
            decisions[key] = MatchDecision(
                MatchStatus.SUSPECT,
                f"{decision.reason}; but NetSuite {record_type} {netsuite_id} also matches other Salesforce "
                f"records of the batch ({others})",
                decision.key,
                decision.candidates,
            )


def _person(body: Mapping[str, Any]) -> str:
    return " ".join(str(body[name]) for name in ("firstName", "lastName") if body.get(name))


def _honour_resolutions(
    netsuite: Connection,
    ns: MatchingNetSuite,
    pending: dict[tuple[str, str], _Pending],
    known: dict[tuple[str, str], Known],
    scope: EidScope,
) -> dict[str, Failure]:
    blocked: dict[str, Failure] = {}
    rows = MatchResolution.objects.filter(
        netsuite_connection=netsuite, external_id__in=sorted({eid for _, eid in pending})
    ).select_related("decided_by")
    for row in rows:
        item = pending.pop((row.netsuite_type, row.external_id), None)
        if item is None:
            continue
        if row.choice == MatchChoice.LINK:
            # The record's external id now: another integration's makes the link a shared one.
            candidate = Candidate(row.netsuite_type, row.netsuite_id, _external_id_of(ns, row))
            who = row.decided_by.get_username()
            problem = _link(
                netsuite, ns, item, candidate, known, scope, how=f"chosen by {who}", resolution=row
            )
            if problem is not None:
                blocked.update(dict.fromkeys(item.opportunities, problem))
        else:
            _resolution_applied(netsuite, row, note="a new NetSuite record is created, as decided")
    return blocked


def _external_id_of(ns: MatchingNetSuite, row: MatchResolution) -> str:
    """The external id the record a person chose carries now ("" when it has none)."""
    if row.netsuite_type not in SALESFORCE_OBJECT or not row.netsuite_id.isdigit():
        return ""
    query = f"SELECT id, externalid FROM {row.netsuite_type} WHERE id = {int(row.netsuite_id)}"  # noqa: S608
    return next((str(found.get("externalid") or "") for found in ns.suiteql(query)), "")


def _search(
    ns: MatchingNetSuite, pending: dict[tuple[str, str], _Pending], known: dict[tuple[str, str], Known]
) -> dict[str, list[Candidate]]:
    """Both searches of the batch, in one query when they fit one (a lone opportunity, a small batch),
    else their queries sent side by side (they are independent; the connector's limiter still bounds
    them), so matching adds one round trip to an opportunity's path, not five:

    - primary: records already carrying the external id (created earlier, cross-reference lost) become
      known and leave ``pending``;
    - secondary: one query per (record type, key) for the whole batch; returns the candidates by record
      type. Its probes are those of the records pending before the primary search: a record the primary
      search finds only adds a probe whose rows nobody classifies.
    """
    queries = _search_queries(pending)
    found: dict[str, list[Candidate]] = defaultdict(list)
    answers = _run_side_by_side(ns, [query for _, _, query in queries])
    for (search, record_type, _), rows in zip(queries, answers, strict=True):
        if search == "secondary":
            found[record_type].extend(candidate_from_row(record_type, row) for row in rows)
        elif search == "both":
            for kind, kind_rows in _rows_by_kind(record_type, rows).items():
                _primary_found(kind, kind_rows, pending, known)
                found[kind].extend(
                    candidate_from_row(kind, row) for row in kind_rows if row.get(CANDIDATE_COLUMN) == "T"
                )
        else:
            _primary_found(record_type, rows, pending, known)
    return found


def _rows_by_kind(record_type: str, rows: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """A ``both`` query's rows by record type: the union query's (``record_type`` "") by their ``kind``
    column, in id order as :func:`~sync.matching.engine.combined_query` returns them."""
    if record_type:
        return {record_type: rows}
    by_kind: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        by_kind[str(row.get(KIND_COLUMN) or "")].append(row)
    for kind_rows in by_kind.values():
        kind_rows.sort(key=lambda row: (len(str(row.get("id") or "")), str(row.get("id") or "")))
    return by_kind


def _search_queries(pending: Mapping[tuple[str, str], _Pending]) -> list[tuple[str, str, str]]:
    """Every query of both searches, as ``(search, record type, SuiteQL)``: all in one ``UNION ALL`` query
    (``both``, record type "") when every record type's searches fit one query and the union is not too
    long, so a new customer and its contacts cost one request; else one query per record type (``both``)
    when each of its searches fits one; else one per search and chunk (``primary``, ``secondary``)."""
    queries: list[tuple[str, str, str]] = []
    by_type: dict[str, list[str]] = defaultdict(list)
    for record_type, external_id in pending:
        by_type[record_type].append(external_id)
    searches: dict[tuple[str, Any], set[str]] = defaultdict(set)
    for (record_type, _), item in pending.items():
        for key in item.config.keys:
            value = search_value(key, item.subject, generic=item.config.generic_domains)
            if value:
                searches[(record_type, key)].add(value)
    keys_of = {
        record_type: [(key, values) for (kind, key), values in searches.items() if kind == record_type]
        for record_type in by_type
    }
    union = union_query(
        (record_type, external_ids, keys_of[record_type])
        for record_type, external_ids in sorted(by_type.items())
    )
    if union is not None:
        return [("both", "", union)]
    for record_type, external_ids in sorted(by_type.items()):
        keys = keys_of[record_type]
        combined = combined_query(record_type=record_type, external_ids=external_ids, keys=keys)
        if combined is not None:
            queries.append(("both", record_type, combined))
            continue
        queries.extend(
            ("primary", record_type, query)
            for query in external_id_query(record_type=record_type, external_ids=external_ids)
        )
        for key, values in keys:
            queries.extend(
                ("secondary", record_type, query)
                for query in candidate_queries(record_type=record_type, key=key, probes=values)
            )
    return queries


def _primary_found(
    record_type: str,
    rows: list[dict[str, Any]],
    pending: dict[tuple[str, str], _Pending],
    known: dict[tuple[str, str], Known],
) -> None:
    """Records already carrying their external id become known and leave ``pending``."""
    for row in rows:
        found_key = (record_type, str(row.get("externalid") or ""))
        if found_key in pending:
            del pending[found_key]
            known[found_key] = Known(str(row["id"]), "")


def _run_side_by_side(ns: MatchingNetSuite, queries: list[str]) -> list[list[dict[str, Any]]]:
    """Every query's rows, in the order given; run on threads when there are several (each under a copy of
    this thread's context, so their log lines keep the correlation id). The first error is raised."""
    if len(queries) <= 1:
        return [list(ns.suiteql(query)) for query in queries]
    with ThreadPoolExecutor(
        max_workers=min(len(queries), SEARCH_THREADS), thread_name_prefix="match"
    ) as pool:
        futures = [
            pool.submit(contextvars.copy_context().run, lambda q: list(ns.suiteql(q)), query)
            for query in queries
        ]
        return [future.result() for future in futures]


def _link(
    netsuite: Connection,
    ns: MatchingNetSuite,
    item: _Pending,
    candidate: Candidate,
    known: dict[tuple[str, str], Known],
    scope: EidScope,
    *,
    how: str,
    resolution: MatchResolution | None = None,
) -> Failure | None:
    """Set the external id on ``candidate`` and store the cross-reference; a failure when NetSuite refused.
    A record carrying another integration's external id is linked shared: its external id is left alone."""
    record_type, external_id = candidate.record_type, item.subject.external_id
    shared = scope.foreign(candidate.external_id)
    if shared:
        how = f"{how}; shared with the integration whose external id it carries ({candidate.external_id})"
    elif candidate.external_id != external_id:
        try:
            ns.patch(record_type, candidate.netsuite_id, {"externalId": external_id})
        except ConnectorError as error:
            return Failure(
                FailureCategory.TRANSIENT if error.transient else FailureCategory.VENDOR,
                f"linking {record_type} {candidate.netsuite_id} failed: {error.message}",
                system=error.system,
                vendor_code=error.code,
                object_key=item.object_key,
                source_id=item.subject.salesforce_id,
            )
    known[(record_type, external_id)] = Known(candidate.netsuite_id, "", shared)
    with transaction.atomic():
        xref, _ = CrossReference.objects.update_or_create(
            netsuite_connection=netsuite,
            integration_id=scope.integration_id,
            netsuite_type=record_type,
            external_id=external_id,
            defaults={
                "netsuite_id": candidate.netsuite_id,
                "salesforce_id": field_fit(CrossReference, "salesforce_id", item.subject.salesforce_id),
                "object_key": item.object_key,
                "payload_hash": "",
                "shared": shared,
                "synced_at": timezone.now(),
            },
        )
        audit_record(
            obj=xref,
            actor=None,
            action=AuditAction.CREATE,
            changes={"netsuite_id": ["None", candidate.netsuite_id], "external_id": ["None", external_id]},
            event="match_linked",
            shared=shared,
            salesforce_id=item.subject.salesforce_id,
            netsuite_type=record_type,
            netsuite_id=candidate.netsuite_id,
            how=how,
        )
        if resolution is not None:
            _resolution_applied(netsuite, resolution, note=f"linked to {record_type} {candidate.netsuite_id}")
    logger.info(
        "linked %s %s to Salesforce %s (%s)",
        record_type,
        candidate.netsuite_id,
        item.subject.salesforce_id,
        how,
        extra={"event": "match_linked", "netsuite_type": record_type, "netsuite_id": candidate.netsuite_id},
    )
    return None


def _resolution_applied(netsuite: Connection, row: MatchResolution, *, note: str) -> None:
    if row.applied_at is None:
        row.applied_at = timezone.now()
        row.save(update_fields=["applied_at"])
    exception_queue().resolve(
        dedup_key=match_dedup_key(
            netsuite_connection_id=netsuite.pk, record_type=row.netsuite_type, external_id=row.external_id
        ),
        note=note,
    )


def _suspect(
    salesforce: Connection,
    netsuite: Connection,
    record_type: str,
    external_id: str,
    item: _Pending,
    decision: MatchDecision,
) -> Failure:
    dedup_key = match_dedup_key(
        netsuite_connection_id=netsuite.pk, record_type=record_type, external_id=external_id
    )
    # Opportunities blocked by this record in earlier runs stay listed: the retry re-queues them all.
    earlier = exception_queue().last_retry_kwargs(dedup_key)
    opportunities = set(item.opportunities)
    if earlier is not None:
        opportunities |= set(earlier.get("opportunity_ids") or [])
    subject = item.subject
    sf_object = SALESFORCE_OBJECT.get(record_type, "")
    problem = Problem(
        category=CATEGORY,
        dedup_key=dedup_key,
        title=(
            f"Duplicate suspect: {sf_object} {subject.label} matches "
            f"{len(decision.candidates)} NetSuite {record_type} record(s)"
        )[:300],
        severity="medium",
        records=[
            RecordRef("salesforce", sf_object, subject.salesforce_id),
            *(RecordRef("netsuite", record_type, c.netsuite_id) for c in decision.candidates),
        ],
        scope=ExceptionScope(
            netsuite_connection_id=netsuite.pk,
            integration_id=integration_for_pair(salesforce.pk, netsuite.pk).pk,
            subsidiary_id=item.subsidiary_id,
        ),
        vendor_message=decision.reason,
        mapping_row=f"{item.object_key}/match",
        details={
            "match": {
                "object_key": item.object_key,
                "record_type": record_type,
                "external_id": external_id,
                "salesforce_id": subject.salesforce_id,
                "label": subject.label,
                "key": decision.key,
                "reason": decision.reason,
                "salesforce": {path: value for path, value in subject.values.items()},
                "candidates": [candidate.to_json() for candidate in decision.candidates],
            },
        },
        retry_task="sync.pipeline.prematch.match_resync",
        retry_kwargs={
            "opportunity_ids": sorted(opportunities),
            "salesforce_connection_id": salesforce.pk,
            "netsuite_connection_id": netsuite.pk,
        },
    )
    exception_id = exception_queue().report(problem)
    return Failure(
        FailureCategory.DUPLICATE,
        f"duplicate suspect (exception #{exception_id}): {decision.reason}"[:2000],
        object_key=item.object_key,
        source_id=subject.salesforce_id,
    )


@retryable
def match_resync(
    *,
    opportunity_ids: Sequence[str],
    salesforce_connection_id: int,
    netsuite_connection_id: int,
    overrides: dict[str, object] | None = None,
) -> None:
    """Queue again every opportunity a duplicate suspect held back; the run honours the decision."""
    for opportunity_id in opportunity_ids:
        inbox_requeue_opportunity(
            opportunity_id=opportunity_id,
            salesforce_connection_id=salesforce_connection_id,
            netsuite_connection_id=netsuite_connection_id,
            source=InboxSource.RERUN,
            overrides=overrides,
        )
