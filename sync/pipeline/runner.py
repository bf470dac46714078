"""One batch of the pipeline: claimed inbox messages -> a SyncJob with one SyncRecord per opportunity.

The database is touched here, in the calling thread only: graphs are read from Salesforce (IN queries of
200), cross-references loaded, then a thread pool of ``POOL_PER_SLOT`` threads per slot of the NetSuite
connection's concurrency limit runs :class:`~sync.pipeline.writer.BatchWriter` (the connector's limiter
caps requests cluster-wide), and each outcome is stored as it completes, while the pool goes on. NetSuite
ids are written back to Salesforce in batches.

Why more threads than slots: between two requests a thread maps, evaluates rules and records the
exchange; with one thread per slot that slot idles meanwhile, and a batch ran at ~0.6 of the
``limit / latency`` bound (bench/throughput.py). The spare threads wait on the limiter, which hands a
finished request's slot straight on to them.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import logging
import socket
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import asdict
from typing import Any

from django.db import connections, transaction
from django.utils import timezone

from governance.correlation import correlation, current_correlation_id
from sync.connectors.errors import ConnectorError
from sync.connectors.salesforce import GraphQuery
from sync.connectors.transport import RequestRecord
from sync.models import (
    Connection,
    CrossReference,
    FailureCategory,
    InboxMessage,
    JobStatus,
    RecordStatus,
    SyncFailure,
    SyncJob,
    SyncRecord,
)
from sync.pipeline import sources
from sync.pipeline.exceptions import record_outcome_report
from sync.pipeline.gates import Gates, gates_for
from sync.pipeline.masking import mask_secrets
from sync.pipeline.writeback import write_back
from sync.pipeline.writer import BatchWriter, Known, OpportunityOutcome, RetrySettings
from sync.services.connections import netsuite_connector, salesforce_connector
from sync.services.inbox import inbox_claim, inbox_complete
from sync.services.rules import rules_published_ruleset, rules_ruleset

FLOW = "opportunity_to_netsuite"
# Threads per NetSuite request slot (see the module docstring); the limiter still caps requests at the limit.
POOL_PER_SLOT = 2
logger = logging.getLogger(__name__)

# Fields the write-back compares with, so an unchanged opportunity is not written again.
GRAPH = GraphQuery(
    opportunity=(
        *GraphQuery().opportunity,
        "NetSuite_Sales_Order_Id__c",
        "Concord_Sync_Status__c",
        "Concord_Sync_Message__c",
    ),
    contact_roles=(*GraphQuery().contact_roles, "Contact.NetSuite_Id__c"),
)


class _AnyRef(dict[str, Any]):
    """Refs that answer every key, for a dry run that only wants the external ids a graph will use."""

    def get(self, key: str, default: Any = None) -> Any:
        return "0"

    def __bool__(self) -> bool:  # the engine replaces falsy refs with {}
        return True


def inbox_drain(
    *, batch_size: int = 200, gates: Gates | None = None, retry: RetrySettings | None = None
) -> list[int]:
    """Claim and process pending inbox messages until none is left; returns the job ids run."""
    jobs: list[int] = []
    while True:
        token, messages = inbox_claim(limit=batch_size)
        if not messages:
            return jobs
        groups: dict[tuple[int, int], list[InboxMessage]] = defaultdict(list)
        for message in messages:
            groups[(message.salesforce_connection_id, message.netsuite_connection_id)].append(message)
        for (sf_id, ns_id), group in groups.items():
            opportunities = [m.record_id for m in group if m.sobject == "Opportunity"]
            # The batch runs under its first message's correlation id; each opportunity's NetSuite calls
            # run under the id of the message that asked for it (see run_batch).
            by_record = {m.record_id: m.correlation_id for m in group if m.correlation_id}
            first = next((m.correlation_id for m in group if m.correlation_id), None)
            with correlation(first):
                logger.info(
                    "claimed %d inbox message(s) for %d opportunities",
                    len(group),
                    len(opportunities),
                    extra={
                        "event": "inbox_claimed",
                        "inbox_ids": [m.pk for m in group],
                        "correlation_ids": sorted(set(by_record.values())),
                    },
                )
                job = None
                if opportunities:
                    job = run_batch(
                        salesforce=Connection.objects.get(pk=sf_id),
                        netsuite=Connection.objects.get(pk=ns_id),
                        opportunity_ids=opportunities,
                        trigger=group[0].source,
                        gates=gates,
                        retry=retry,
                        correlation_ids=by_record,
                    )
                    jobs.append(job.pk)
                inbox_complete(token=token, job_id=job.pk if job else None, pks=[m.pk for m in group])


def run_batch(
    *,
    salesforce: Connection,
    netsuite: Connection,
    opportunity_ids: Sequence[str],
    trigger: str = "",
    gates: Gates | None = None,
    retry: RetrySettings | None = None,
    versions: sources.ChosenVersions | None = None,
    correlation_ids: Mapping[str, str] | None = None,
) -> SyncJob:
    """Sync ``opportunity_ids`` (read fresh from Salesforce) to NetSuite as one job.

    ``versions`` runs chosen mapping and rule versions instead of the published ones (a release's test
    run in a sandbox); the job and its records record the mapping version that ran, as always.

    ``correlation_ids`` (opportunity id -> id) names the correlation each opportunity's NetSuite writes
    log under; the rest of the job logs under the correlation open when it is called.

    The job runs under a correlation id (the caller's, else a new one) kept on the job, so the audit
    entries it writes (exceptions opened or resolved) can be found from it.
    """
    with correlation(current_correlation_id()) as correlation_id:
        return _run_batch(
            salesforce=salesforce,
            netsuite=netsuite,
            opportunity_ids=opportunity_ids,
            trigger=trigger,
            gates=gates,
            retry=retry,
            versions=versions,
            correlation_ids=correlation_ids,
            correlation_id=correlation_id,
        )


def _run_batch(
    *,
    salesforce: Connection,
    netsuite: Connection,
    opportunity_ids: Sequence[str],
    trigger: str,
    gates: Gates | None,
    retry: RetrySettings | None,
    versions: sources.ChosenVersions | None,
    correlation_ids: Mapping[str, str] | None,
    correlation_id: str,
) -> SyncJob:
    version_id, mapping = sources.run_mapping(FLOW, versions)
    if gates is None:
        # One snapshot of the rules for the whole batch: reading what is published for every gate
        # evaluation (one per opportunity and one per NetSuite payload) cost a query each time.
        chosen = versions.rules if versions is not None and versions.rules is not None else None
        gates = gates_for(rules_ruleset(chosen) if chosen is not None else rules_published_ruleset())
    ids = list(dict.fromkeys(opportunity_ids))
    job = SyncJob.objects.create(
        flow=FLOW,
        trigger=trigger,
        salesforce_connection=salesforce,
        netsuite_connection=netsuite,
        mapping_version_id=version_id,
        worker=socket.gethostname()[:80],
        records_total=len(ids),
        correlation_id=correlation_id,
    )
    logger.info(
        "job %s started: %d opportunities",
        job.pk,
        len(ids),
        extra={"event": "job_started", "job_id": job.pk, "flow": FLOW, "trigger": trigger},
    )
    records = {
        record.opportunity_id: record
        for record in SyncRecord.objects.bulk_create(
            [SyncRecord(job=job, opportunity_id=i, mapping_version_id=version_id) for i in ids]
        )
    }
    try:
        sf = salesforce_connector(salesforce)
        graphs = {key: plain(graph) for key, graph in sf.fetch_opportunity_graphs(ids, GRAPH).items()}
    except ConnectorError as error:
        # Nothing was written: the job fails as a whole and its inbox messages are retried on the next drain.
        _finish(job, JobStatus.FAILED, f"reading the opportunities failed: {error}")
        raise
    for missing in [i for i in ids if i not in graphs]:
        _store_outcome(records[missing], _missing(missing))
    writer: BatchWriter | None = None

    def observe(exchange: RequestRecord) -> None:
        if writer is not None:
            writer.observe(_exchange(exchange))

    ns = netsuite_connector(netsuite, observer=observe)
    lookups, dynamic = sources.live_lookups(ns)
    for source, keys in mapping.dynamic_keys(graphs.values(), lookups=lookups).items():
        if source in dynamic:
            dynamic[source].prefetch(sorted(keys))
    writer = BatchWriter(
        mapping=mapping,
        lookups=lookups,
        netsuite=ns,
        known=_known_for(netsuite, mapping, graphs.values(), lookups),
        gates=gates,
        retry=retry,
    )
    outcomes: list[tuple[OpportunityOutcome, dict[str, Any]]] = []
    with ThreadPoolExecutor(
        max_workers=max(1, netsuite.concurrency_limit) * POOL_PER_SLOT, thread_name_prefix="sync"
    ) as pool:
        futures = {
            _submit(pool, (correlation_ids or {}).get(key), writer, graph): graph
            for key, graph in graphs.items()
        }
        try:
            # Each outcome is stored as it completes, while the pool goes on (the limiter hands slots on
            # between its threads, so it rarely writes to the database meanwhile). A crash part-way loses
            # no NetSuite work: the inbox retries the batch and eid upserts redo it idempotently.
            open_keys = _open_exception_keys(netsuite, graphs)
            for future in as_completed(futures):
                outcome = future.result()
                outcomes.append((outcome, futures[future]))
                _store_outcome(
                    records[outcome.opportunity_id], outcome, netsuite=netsuite, open_exception_keys=open_keys
                )
        except Exception as exc:
            # A bug, not a vendor fault: the job says so; its inbox messages stay claimed until the lease
            # runs out and are then retried (idempotently).
            _finish(job, JobStatus.FAILED, f"the batch stopped: {type(exc).__name__}: {exc}"[:4000])
            raise
    problems = write_back(sf, outcomes)
    return _finish(job, None, "; ".join(problems)[:4000])


def plain(value: Any) -> Any:
    """``value`` with every mapping as a plain dict: simple-salesforce parses JSON into OrderedDicts, and
    the mapping engine's compiled paths read plain dicts only (they check the exact class, for speed)."""
    if isinstance(value, dict):
        return {key: plain(inner) for key, inner in value.items()}
    if isinstance(value, list):
        return [plain(inner) for inner in value]
    return value


def _submit(
    pool: ThreadPoolExecutor, correlation_id: str | None, writer: BatchWriter, graph: dict[str, Any]
) -> Future[OpportunityOutcome]:
    """Run one opportunity in the pool under ``correlation_id`` (else the caller's): a pool thread starts
    with an empty context, so the id is carried over in a copy of this one, made per task."""
    with correlation(correlation_id or current_correlation_id()):
        context = contextvars.copy_context()
    return pool.submit(context.run, _in_thread, writer, graph)


def _in_thread(writer: BatchWriter, graph: dict[str, Any]) -> OpportunityOutcome:
    try:
        return writer.sync(graph)
    finally:
        # The limiter's database backend opened a connection in this thread: give it back.
        connections.close_all()


def _known_for(
    netsuite: Connection, mapping: Any, graphs: Iterable[dict[str, Any]], lookups: Any
) -> dict[tuple[str, str], Known]:
    """Cross-references for every (record type, external id) the batch's payloads will use."""
    wanted: set[tuple[str, str]] = set()
    for graph in graphs:
        for payload in mapping.apply(graph, refs=_AnyRef(), lookups=lookups).payloads:
            if payload.external_id:
                wanted.add((payload.target_type, payload.external_id))
    rows = CrossReference.objects.filter(
        netsuite_connection=netsuite, external_id__in=sorted({eid for _, eid in wanted})
    )
    return {
        (row.netsuite_type, row.external_id): Known(row.netsuite_id, row.payload_hash)
        for row in rows
        if (row.netsuite_type, row.external_id) in wanted
    }


def _open_exception_keys(netsuite: Connection, graphs: Mapping[str, Any]) -> set[str]:
    """The dedup keys of the batch's opportunities that have an active exception now: the rest have
    nothing to resolve when they sync (one query instead of one locking query per opportunity)."""
    from sync.models import ExceptionItem
    from sync.pipeline.exceptions import sync_dedup_key
    from sync.services.exceptions import ACTIVE_STATUSES

    keys = [sync_dedup_key(netsuite_connection_id=netsuite.pk, opportunity_id=i) for i in graphs]
    return set(
        ExceptionItem.objects.filter(dedup_key__in=keys, status__in=ACTIVE_STATUSES).values_list(
            "dedup_key", flat=True
        )
    )


def _store_outcome(
    record: SyncRecord,
    outcome: OpportunityOutcome,
    *,
    netsuite: Connection | None = None,
    open_exception_keys: set[str] | None = None,
) -> None:
    now = timezone.now()
    with transaction.atomic():
        if netsuite is not None and outcome.written:
            # One upsert for every object written (the last write of a key wins, as before).
            latest = {(w.netsuite_type, w.external_id): w for w in outcome.written}
            CrossReference.objects.bulk_create(
                [
                    CrossReference(
                        netsuite_connection=netsuite,
                        netsuite_type=written.netsuite_type,
                        external_id=written.external_id,
                        netsuite_id=written.netsuite_id,
                        salesforce_id=written.salesforce_id[:18],
                        object_key=written.object_key,
                        payload_hash=written.payload_hash,
                        synced_at=now,
                    )
                    for written in latest.values()
                ],
                update_conflicts=True,
                unique_fields=["netsuite_connection", "netsuite_type", "external_id"],
                update_fields=["netsuite_id", "salesforce_id", "object_key", "payload_hash", "synced_at"],
            )
        record.status = outcome.status
        record.attempts = outcome.attempts
        record.started_at = dt.datetime.fromtimestamp(outcome.started, tz=dt.UTC) if outcome.started else now
        record.finished_at = now
        record.duration_ms = outcome.duration_ms
        record.netsuite_ids = outcome.netsuite_ids
        record.writes = outcome.writes
        record.writes_skipped = outcome.skipped
        record.exchanges = outcome.exchanges
        record.rule_evaluations = outcome.rule_evaluations
        record.message = outcome.message[:4000]
        record.save()
        SyncFailure.objects.bulk_create(
            [
                SyncFailure(
                    record=record,
                    category=failure.category,
                    system=failure.system,
                    vendor_code=failure.vendor_code[:80],
                    message=failure.message,
                    error_path=failure.error_path[:300],
                    mapping_object_key=failure.object_key[:80],
                    mapping_field_id=failure.field_id[:80],
                    source_id=failure.source_id[:18],
                )
                for failure in outcome.failures
            ]
        )
        record_outcome_report(record=record, netsuite=netsuite, open_exception_keys=open_exception_keys)


def _finish(job: SyncJob, status: str | None, message: str) -> SyncJob:
    records = list(job.records.values_list("status", "writes", "writes_skipped"))
    job.records_synced = sum(1 for s, _, _ in records if s == RecordStatus.SYNCED)
    job.records_failed = sum(1 for s, _, _ in records if s in (RecordStatus.FAILED, RecordStatus.BLOCKED))
    job.netsuite_writes = sum(w for _, w, _ in records)
    job.netsuite_writes_skipped = sum(k for _, _, k in records)
    if status is None:
        done = len(records) - job.records_failed
        status = (
            JobStatus.SUCCEEDED
            if not job.records_failed
            else (JobStatus.PARTIAL if done else JobStatus.FAILED)
        )
    job.status = status
    job.message = message
    job.finished_at = timezone.now()
    job.save()
    logger.info(
        "job %s %s: %d synced, %d failed of %d",
        job.pk,
        status,
        job.records_synced,
        job.records_failed,
        len(records),
        extra={
            "event": "job_finished",
            "job_id": job.pk,
            "status": str(status),
            "records_synced": job.records_synced,
            "records_failed": job.records_failed,
        },
    )
    return job


def _missing(opportunity_id: str) -> OpportunityOutcome:
    from sync.pipeline.writer import Failure

    outcome = OpportunityOutcome(opportunity_id, status=RecordStatus.FAILED)
    outcome.failures.append(
        Failure(FailureCategory.MISSING, "Salesforce has no such opportunity (deleted?)", system="salesforce")
    )
    return outcome


def _exchange(exchange: RequestRecord) -> dict[str, Any]:
    data = asdict(exchange)
    data["request_excerpt"] = mask_secrets(exchange.request_excerpt)[:1000]
    data["response_excerpt"] = mask_secrets(exchange.response_excerpt)[:1000]
    data["elapsed_ms"] = round(exchange.elapsed_ms, 1)
    return data
