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
import random
import socket
import time
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from functools import partial
from typing import Any

from django.db import connections, transaction
from django.utils import timezone

from core.commits import commit_unflushed
from core.correlation import correlation, current_correlation_id
from core.fields import field_fit
from sync.connections.connectors.errors import ConnectorError
from sync.connections.connectors.netsuite import NetSuiteConnector
from sync.connections.connectors.salesforce import GraphQuery, SalesforceConnector
from sync.connections.connectors.transport import RequestRecord
from sync.connections.models import Connection
from sync.connections.services import netsuite_connector, salesforce_connector
from sync.integrations.models import Integration
from sync.integrations.selectors import integration_for_connection, integration_for_pair
from sync.lifecycle.applying import Lifecycle
from sync.lifecycle.locks import order_lock_checker, order_lock_setting
from sync.mappings.engine import CompiledMapping, ObjectPayload
from sync.mappings.services.specs import spec_compile
from sync.pipeline import sources
from sync.pipeline.cancellation_flow import cancellations_notice
from sync.pipeline.eids import EidScope, eid_scope_of, payloads_namespaced
from sync.pipeline.failures import record_outcome_report, record_overrides_sent, sync_dedup_key
from sync.pipeline.flow_state import CLOSED_WON_FLOW, closed_won_trigger
from sync.pipeline.gates import Gates, gates_for
from sync.pipeline.heartbeat import Heartbeat
from sync.pipeline.inbox import (
    inbox_claim,
    inbox_complete,
    inbox_defer,
    inbox_drain_flag_clear,
    inbox_drain_flag_hold,
    inbox_drain_follow_up,
    inbox_drain_hold_rows,
    inbox_lease_kept,
    inbox_release,
    inbox_request_drain,
)
from sync.pipeline.masking import mask_secrets
from sync.pipeline.milestones import BACKFILL_TRIGGER, deal_milestone_ordered, deal_milestones_backfilled
from sync.pipeline.models import (
    MESSAGE_LIMIT,
    FailureCategory,
    InboxMessage,
    InboxSource,
    JobStatus,
    RecordStatus,
    SyncFailure,
    SyncJob,
    SyncRecord,
)
from sync.pipeline.prematch import prematch_batch
from sync.pipeline.problems import ExceptionScope, exception_queue, scope_of_bodies
from sync.pipeline.reads import FieldsMissing, batch_read_plan
from sync.pipeline.sync_status import netsuite_status_mark, success_stamp
from sync.pipeline.titles import TitleContext
from sync.pipeline.triggers import Trigger, trigger_clears, trigger_graph_fields, trigger_not_due
from sync.pipeline.writeback import write_back
from sync.pipeline.writer import BatchWriter, Failure, Known, OpportunityOutcome, RetrySettings
from sync.pipeline.xrefs import xrefs_upsert
from sync.rules.engine import CompiledRule
from sync.rules.services import rules_published_ruleset, rules_ruleset

FLOW = CLOSED_WON_FLOW
# A failed batch's messages wait this long (doubling per attempt, jittered) before they are claimed again.
RELEASE_BACKOFF_BASE = 5.0
RELEASE_BACKOFF_MAX = 300.0
# Threads per NetSuite request slot (see the module docstring); the limiter still caps requests at the limit.
POOL_PER_SLOT = 2
logger = logging.getLogger(__name__)


class _AnyRef(dict[str, Any]):
    """Refs that answer every key, for a dry run that only wants the external ids a graph will use."""

    def get(self, key: str, default: Any = None) -> Any:
        return "0"

    def __bool__(self) -> bool:  # the engine replaces falsy refs with {}
        return True


def inbox_drain(
    *,
    batch_size: int = 200,
    gates: Gates | None = None,
    retry: RetrySettings | None = None,
    budget_seconds: float | None = None,
) -> list[int]:
    """Claim and process pending inbox messages until none is left; returns the job ids run.

    Drains are coalesced (sync.pipeline.inbox.inbox_request_drain: one queued at a time), so a drain
    that takes a full batch asks for one follow-up drain before working on it: other workers then
    help with a backlog, each taking the next batch and asking for the next helper in turn. A drain that
    claims a smaller batch of at least ``INBOX_DRAIN_HOLD_ROWS`` holds the flag while it works
    (:func:`sync.pipeline.inbox.inbox_drain_flag_hold`): under load, the messages stored meanwhile wait
    for its next claim, one larger job, instead of starting small jobs of their own.

    With ``budget_seconds``, no opportunity is started and no batch claimed once that time has passed:
    the rest go back to the inbox (no attempt counted) and another drain is enqueued for them. So a
    batch slowed down by faults never runs into the worker's timeout, which would kill it mid-way again
    and again. The claim's lease is renewed while its batch runs.

    A batch that raises never takes its neighbours down with it: a vendor fault (reading Salesforce
    failed after the connector's retries) releases the batch for a later attempt after a back-off; any
    other error splits the batch in halves, run apart, until the message that crashes stands alone and
    is released (then set aside once it has used its attempts, see :func:`inbox_release`).
    """
    jobs: list[int] = []
    started = time.monotonic()
    deadline = started + budget_seconds if budget_seconds is not None else None
    held = False
    try:
        while True:
            token, messages = inbox_claim(limit=batch_size)  # clears the flag first, a hold of ours too
            held = False
            if not messages:
                return jobs
            if len(messages) >= batch_size:
                inbox_drain_follow_up()
            elif len(messages) >= inbox_drain_hold_rows():
                # Under load: the stores meanwhile wait for this drain's next claim (one larger job)
                # rather than each start a small job on another worker.
                held = inbox_drain_flag_hold()
            groups: dict[tuple[int, int], list[InboxMessage]] = defaultdict(list)
            for message in messages:
                groups[(message.salesforce_connection_id, message.netsuite_connection_id)].append(message)
            with inbox_lease_kept(token):
                for group in groups.values():
                    _drain_group(token, group, jobs, gates=gates, retry=retry, deadline=deadline)
            if budget_seconds is not None and time.monotonic() - started > budget_seconds:
                # Past its time budget, the task hands the rest to a fresh one rather than run into the
                # worker's timeout (which would kill it mid-batch). Our own hold let go first, or the
                # request would find it and count on a next claim that will not come.
                _hold_release(held)
                held = False
                inbox_request_drain()
                return jobs
    except Exception:
        _hold_release(held, request=True)
        raise


def _hold_release(held: bool, *, request: bool = False) -> None:
    """Let go of this drain's hold on the flag (it will not claim again); with ``request``, also request a
    drain for the rows whose stores counted on that claim. Best effort after a failure: what it cannot do,
    the next store (the flag clear, or stale after INBOX_DRAIN_HOLD_SECONDS) or the inbox sweep does."""
    if not held:
        return
    try:
        inbox_drain_flag_clear()
        if request:
            inbox_request_drain()
    except Exception:
        logger.warning("could not let go of the inbox drain flag", exc_info=True)
        if not request:
            raise


def _drain_group(
    token: str,
    group: list[InboxMessage],
    jobs: list[int],
    *,
    gates: Gates | None,
    retry: RetrySettings | None,
    deadline: float | None = None,
) -> None:
    opportunities = [m.record_id for m in group if m.sobject == "Opportunity"]
    # The batch runs under its first message's correlation id; each opportunity's NetSuite calls run
    # under the id of the message that asked for it (see run_batch).
    by_record = {m.record_id: m.correlation_id for m in group if m.correlation_id}
    # An exception's retry carries the approved value changes for its opportunity.
    overrides = {m.record_id: m.overrides for m in group if m.overrides}
    # Pushed by a person: due whatever the flow's trigger says (the rules still apply).
    pushed = {m.record_id for m in group if m.source == InboxSource.MANUAL}
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
        deferred: list[str] = []
        if opportunities:
            try:
                job = run_batch(
                    salesforce=Connection.objects.get(pk=group[0].salesforce_connection_id),
                    netsuite=Connection.objects.get(pk=group[0].netsuite_connection_id),
                    opportunity_ids=opportunities,
                    trigger=group[0].source,
                    gates=gates,
                    retry=retry,
                    correlation_ids=by_record,
                    deadline=deadline,
                    deferred=deferred,
                    overrides=overrides,
                    pushed=pushed,
                )
            except Exception as exc:
                if isinstance(exc, ConnectorError) and exc.transient:
                    _release(token, group, f"a vendor call failed: {exc}")
                else:
                    _crashed(token, group, exc, jobs, gates=gates, retry=retry, deadline=deadline)
                return
            jobs.append(job.pk)
        later = set(deferred)
        inbox_defer(token=token, pks=[m.pk for m in group if m.record_id in later])
        inbox_complete(
            token=token, job_id=job.pk if job else None, pks=[m.pk for m in group if m.record_id not in later]
        )


def _crashed(
    token: str,
    group: list[InboxMessage],
    exc: Exception,
    jobs: list[int],
    *,
    gates: Gates | None,
    retry: RetrySettings | None,
    deadline: float | None,
) -> None:
    """A batch that crashed: run its halves apart, down to the one message that crashes alone."""
    if len(group) > 1:
        logger.warning(
            "a batch of %d inbox messages crashed (%s): running its halves apart",
            len(group),
            type(exc).__name__,
            extra={"event": "inbox_batch_split", "inbox_ids": [m.pk for m in group]},
        )
        middle = len(group) // 2
        _drain_group(token, group[:middle], jobs, gates=gates, retry=retry, deadline=deadline)
        _drain_group(token, group[middle:], jobs, gates=gates, retry=retry, deadline=deadline)
        return
    logger.error(
        "inbox message %s crashed the pipeline",
        group[0].pk,
        exc_info=exc,
        extra={"event": "inbox_message_crashed", "inbox_ids": [group[0].pk]},
    )
    _release(token, group, f"the pipeline crashed: {type(exc).__name__}: {exc}")


def _release(token: str, group: list[InboxMessage], error: str) -> None:
    """Hand the group back after a back-off growing with its attempts (jittered, at most the lease)."""
    attempts = max(m.attempts for m in group)
    ceiling = min(RELEASE_BACKOFF_MAX, RELEASE_BACKOFF_BASE * 2 ** max(0, attempts - 1))
    delay = dt.timedelta(seconds=random.uniform(ceiling / 2, ceiling))  # noqa: S311 - jitter, not secrecy
    set_aside = inbox_release(
        token=token, pks=[m.pk for m in group], error=error[:MESSAGE_LIMIT], retry_in=delay
    )
    logger.warning(
        "released %d inbox message(s) (%d set aside): %s",
        len(group),
        set_aside,
        error[:300],
        extra={"event": "inbox_released", "inbox_ids": [m.pk for m in group]},
    )


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
    deadline: float | None = None,
    deferred: list[str] | None = None,
    overrides: Mapping[str, Mapping[str, Any]] | None = None,
    pushed: Collection[str] = (),
) -> SyncJob:
    """Sync ``opportunity_ids`` (read fresh from Salesforce) to NetSuite as one job.

    Each opportunity is first judged by the flow's trigger (:mod:`sync.pipeline.triggers`: won, checkbox
    ticked, or meeting the condition); one that is not due is skipped. ``pushed`` (by a person: the
    console, the API or ``sync_push``) are due whatever the trigger says; the rules judge them as any other.

    ``overrides`` (opportunity id -> {field: value}) are the approved value changes of an exception's
    retry, put into that opportunity's NetSuite bodies (see :mod:`sync.pipeline.overrides`); the
    exception records which were sent, with the job.

    With ``deadline`` (a ``time.monotonic()`` value), opportunities not started by then are left out
    of the job and their ids appended to ``deferred``, for the caller to queue again.

    ``versions`` runs chosen mapping and rule versions instead of the published ones (a release's test
    run in a sandbox); the job and its records record the mapping version that ran, as always.

    ``correlation_ids`` (opportunity id -> id) names the correlation each opportunity's NetSuite writes
    log under; the rest of the job logs under the correlation open when it is called.

    The job runs under a correlation id (the caller's, else a new one) kept on the job, so the audit
    entries it writes (exceptions opened or resolved) can be found from it.
    """
    # The job's heartbeat, renewed while it runs: a job whose worker dies is found by the sweep.
    with (
        correlation(current_correlation_id()) as correlation_id,
        Heartbeat(SyncJob, status=JobStatus.RUNNING) as heartbeat,
    ):
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
            deadline=deadline,
            deferred=deferred if deferred is not None else [],
            overrides=overrides or {},
            heartbeat=heartbeat,
            pushed=pushed,
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
    deadline: float | None,
    deferred: list[str],
    overrides: Mapping[str, Mapping[str, Any]],
    heartbeat: Heartbeat,
    pushed: Collection[str] = (),
) -> SyncJob:
    """One job for the batch, in named steps: open the job, read the opportunities, map them, match
    before create, write them on the pool, then write the outcome back to both systems."""
    integration = integration_for_pair(salesforce.pk, netsuite.pk)
    version_id, mapping = sources.run_mapping(FLOW, versions, integration)
    # One snapshot of the rules for the whole batch: reading what is published for every gate
    # evaluation (one per opportunity and one per NetSuite payload) cost a query each time. The query
    # reads what its rules read, whoever evaluates them.
    chosen = versions.rules if versions is not None and versions.rules is not None else None
    ruleset = rules_ruleset(chosen) if chosen is not None else rules_published_ruleset(integration)
    if gates is None:
        gates = gates_for(ruleset)
    ids = list(dict.fromkeys(opportunity_ids))
    # The pair's integration: the namespace of every external id written, whose cross-references are read.
    scope = eid_scope_of(integration)
    job, records = _job_open(
        salesforce=salesforce,
        netsuite=netsuite,
        integration=integration,
        ids=ids,
        trigger=trigger,
        version_id=version_id,
        correlation_id=correlation_id,
        heartbeat=heartbeat,
    )
    due_when = closed_won_trigger(integration)  # the flow's trigger (``trigger`` names what started the job)
    shape, mapping = _read_plan(job, salesforce, netsuite, mapping, ruleset.rules, due_when, integration)
    sf, graphs, not_due = _graphs_read(job, salesforce, ids, shape, due_when, pushed)
    # A synced deal lost afterwards is cancelled (after approval), not written.
    not_due = cancellations_notice(
        salesforce=salesforce, netsuite=netsuite, graphs=graphs, not_due=not_due, ruleset=ruleset
    )
    for missing in [i for i in ids if i not in graphs]:
        _store_outcome(records[missing], _missing(missing))
    relay = _ExchangeRelay()
    ns = netsuite_connector(netsuite, observer=relay)
    _netsuite_verify(job, ns)
    lookups, payloads = _payloads_map(ns, versions, mapping, graphs, integration, namespace=scope.namespace)
    known = _known_for(netsuite, payloads.values(), scope)
    scopes = _scopes_of(netsuite, integration, graphs, payloads)
    # Matching before create: links existing records into ``known`` (a record carrying another
    # integration's external id as shared); a duplicate suspect holds its opportunities back (no write at
    # all) until a person answers its exception.
    held = prematch_batch(
        salesforce=salesforce,
        netsuite=netsuite,
        ns=ns,
        spec=mapping.spec,
        payloads=payloads,
        known=known,
        scope=scope,
    )
    held_outcomes = _held_store(held, records, graphs, netsuite)
    relay.writer = BatchWriter(
        mapping=mapping,
        lookups=lookups,
        netsuite=ns,
        known=known,
        gates=gates,
        retry=retry,
        stamp=success_stamp(integration),
        overrides=overrides,
        not_due=lambda graph: not_due.get(str(graph.get("Id") or ""), ""),
        # Read a sales order before updating it; one NetSuite has moved on is locked (sync.lifecycle.locks).
        order_lock=order_lock_checker(
            lambda kind, pk: ns.get(kind, pk, expand=True), lock_from=order_lock_setting().lock_from
        ),
        # Amendments, renewals and activation as change orders (sync.lifecycle.applying).
        lifecycle=Lifecycle(ns, lookups, namespace=scope.namespace),
        namespace=scope.namespace,
        thread_end=partial(_thread_end, ns),  # see _in_thread
    )
    outcomes = _write_all(
        job,
        relay.writer,
        graphs,
        records=records,
        netsuite=netsuite,
        integration_id=scope.integration_id,
        namespace=scope.namespace,
        scopes=scopes,
        correlation_ids=correlation_ids,
        deadline=deadline,
        deferred=deferred,
    )
    _deferred_drop(job, deferred)
    if any(f.vendor_code == "INVALID_KEY_OR_REF" for outcome, _ in outcomes for f in outcome.failures):
        sources.ITEM_IDS.forget(netsuite.pk)  # a kept item id may be the reference NetSuite no longer has
    # Held opportunities show why in Salesforce too ("Blocked: duplicate suspect ...").
    problems = write_back(
        sf, [*held_outcomes, *outcomes], clear_field=trigger_clears(due_when), integration=integration
    )
    problems += netsuite_status_mark(
        netsuite=netsuite, connector=ns, outcomes=outcomes, scope=scope, integration=integration
    )
    ns.session_release()  # for the next job's (a failed job's is closed with its connector, as before)
    return _finish(job, None, "; ".join(problems)[:MESSAGE_LIMIT])


def _job_open(
    *,
    salesforce: Connection,
    netsuite: Connection,
    integration: Integration,
    ids: list[str],
    trigger: str,
    version_id: int | None,
    correlation_id: str,
    heartbeat: Heartbeat,
) -> tuple[SyncJob, dict[str, SyncRecord]]:
    """The job, watched by the heartbeat, and one record per opportunity (a backfill's deals noted as
    brought in by a backfill: not won in the dashboard's quote to cash).

    The job and its records are not flushed to disk before the remote calls start (core.commits): lost in
    a database crash, they are a job that never started, redone by its claim."""
    with commit_unflushed():
        job = SyncJob.objects.create(
            flow=FLOW,
            trigger=trigger,
            salesforce_connection=salesforce,
            netsuite_connection=netsuite,
            mapping_version_id=version_id,
            worker=field_fit(SyncJob, "worker", socket.gethostname()),
            records_total=len(ids),
            correlation_id=correlation_id,
            heartbeat_at=timezone.now(),
        )
        records = {
            record.opportunity_id: record
            for record in SyncRecord.objects.bulk_create(
                [SyncRecord(job=job, opportunity_id=i, mapping_version_id=version_id) for i in ids]
            )
        }
    heartbeat.watch(job.pk)
    logger.info(
        "job %s started: %d opportunities",
        job.pk,
        len(ids),
        extra={"event": "job_started", "job_id": job.pk, "flow": FLOW, "trigger": trigger},
    )
    if trigger == BACKFILL_TRIGGER:
        deal_milestones_backfilled(integration_id=integration.pk, opportunity_ids=ids, at=job.started_at)
    return job, records


def _read_plan(
    job: SyncJob,
    salesforce: Connection,
    netsuite: Connection,
    mapping: CompiledMapping,
    rules: Sequence[CompiledRule],
    trigger: Trigger,
    integration: Integration,
) -> tuple[GraphQuery, CompiledMapping]:
    """What the batch reads (derived from the mapping, the rules, the trigger and the write-back, filtered
    by the org's cached metadata) and the mapping to run (optional rows the systems lack left out).

    No Salesforce call. A field the run needs that the org lacks fails the job before any call, naming
    the row or rule; its inbox messages are released for a later attempt (see :class:`FieldsMissing`)."""
    try:
        plan = batch_read_plan(
            salesforce=salesforce,
            netsuite=netsuite,
            spec=mapping.spec,
            rules=rules,
            trigger_fields=trigger_graph_fields(trigger),
            integration=integration,
        )
    except FieldsMissing as error:
        _finish(job, JobStatus.FAILED, error.message)
        raise
    if not plan.pruned:
        return plan.query, mapping
    logger.info(
        "optional mapping rows left out for this org: %s",
        "; ".join(plan.skipped),
        extra={"event": "mapping_rows_skipped", "job_id": job.pk},
    )
    return plan.query, spec_compile(dict(plan.spec), integration)


def _graphs_read(
    job: SyncJob,
    salesforce: Connection,
    ids: list[str],
    shape: GraphQuery,
    trigger: Trigger,
    pushed: Collection[str],
) -> tuple[SalesforceConnector, dict[str, Any], dict[str, str]]:
    """The opportunities' graphs as plain dicts, and why each one the trigger does not select is not due;
    a read that fails fails the job as a whole."""
    try:
        sf = salesforce_connector(salesforce)
        graphs = {key: plain(graph) for key, graph in sf.fetch_opportunity_graphs(ids, shape).items()}
        not_due = trigger_not_due(trigger, graphs, salesforce=sf, chosen=pushed)
    except ConnectorError as error:
        # Nothing was written: the job fails as a whole and its inbox messages are retried on the next drain.
        _finish(job, JobStatus.FAILED, f"reading the opportunities failed: {error}")
        raise
    return sf, graphs, not_due


def _netsuite_verify(job: SyncJob, ns: NetSuiteConnector) -> None:
    """Sign in and check the account's kind (sandbox or production) before anything else is asked: a
    refusal fails the job as a whole, like a failed read, and its inbox messages wait for the next drain."""
    try:
        ns.environment_verify()
    except ConnectorError as error:
        _finish(job, JobStatus.FAILED, f"NetSuite refused the connection: {error}")
        raise


class _ExchangeRelay:
    """The NetSuite connector's observer: hands each exchange to the batch's writer once it exists (the
    connector is built first, for the lookups and the pre-match)."""

    def __init__(self) -> None:
        self.writer: BatchWriter | None = None

    def __call__(self, exchange: RequestRecord) -> None:
        if self.writer is not None:
            self.writer.observe(_exchange(exchange))


def _payloads_map(
    ns: NetSuiteConnector,
    versions: sources.ChosenVersions | None,
    mapping: CompiledMapping,
    graphs: Mapping[str, Any],
    integration: Integration,
    *,
    namespace: str = "",
) -> tuple[Any, dict[str, list[ObjectPayload]]]:
    """The live lookups (``integration``'s tables; dynamic ones prefetched for the whole batch) and each
    opportunity's payloads, with their external ids in the integration's ``namespace`` (as the writer
    will write them)."""
    lookups, dynamic = sources.live_lookups(ns, versions, integration)
    for source, keys in mapping.dynamic_keys(graphs.values(), lookups=lookups).items():
        if source in dynamic:
            dynamic[source].prefetch(sorted(keys))
    payloads = {
        key: payloads_namespaced(mapping.apply(graph, refs=_AnyRef(), lookups=lookups).payloads, namespace)
        for key, graph in graphs.items()
    }
    return lookups, payloads


def _scopes_of(
    netsuite: Connection,
    integration: Integration,
    graphs: Mapping[str, Any],
    payloads: Mapping[str, Sequence[ObjectPayload]],
) -> dict[str, ExceptionScope]:
    """Where each opportunity's exception belongs: its pair's integration; its records' subsidiary, else
    its account's country."""
    return {
        key: scope_of_bodies(
            netsuite_connection_id=netsuite.pk,
            integration_id=integration.pk,
            bodies=[(payload.target_type, payload.body) for payload in items],
            billing_country=(graphs[key].get("Account") or {}).get("BillingCountry"),
        )
        for key, items in payloads.items()
    }


def _held_store(
    held: Mapping[str, Failure],
    records: Mapping[str, SyncRecord],
    graphs: dict[str, Any],
    netsuite: Connection,
) -> list[tuple[OpportunityOutcome, dict[str, Any]]]:
    """Store the outcome of each opportunity the pre-match holds back, and take it out of ``graphs``."""
    held_outcomes: list[tuple[OpportunityOutcome, dict[str, Any]]] = []
    for key, failure in held.items():
        outcome = _held(key, failure)
        _store_outcome(records[key], outcome, netsuite=netsuite)
        held_outcomes.append((outcome, graphs.pop(key)))
    return held_outcomes


def _write_all(
    job: SyncJob,
    writer: BatchWriter,
    graphs: Mapping[str, Any],
    *,
    records: Mapping[str, SyncRecord],
    netsuite: Connection,
    integration_id: int | None,
    namespace: str,
    scopes: Mapping[str, ExceptionScope],
    correlation_ids: Mapping[str, str] | None,
    deadline: float | None,
    deferred: list[str],
) -> list[tuple[OpportunityOutcome, dict[str, Any]]]:
    """Write every opportunity on the pool and store each outcome as it completes; the ones not started
    before the deadline go to ``deferred``."""
    outcomes: list[tuple[OpportunityOutcome, dict[str, Any]]] = []
    with ThreadPoolExecutor(
        max_workers=max(1, netsuite.concurrency_limit) * POOL_PER_SLOT, thread_name_prefix="sync"
    ) as pool:
        futures = {
            _submit(pool, (correlation_ids or {}).get(key), writer, graph, deadline): graph
            for key, graph in graphs.items()
        }
        try:
            # Each outcome is stored as it completes, while the pool goes on (the limiter hands slots on
            # between its threads, so it rarely writes to the database meanwhile). A crash part-way loses
            # no NetSuite work: the inbox retries the batch and eid upserts redo it idempotently.
            open_keys = _open_exception_keys(netsuite, graphs, namespace)
            for future in as_completed(futures):
                result, graph = future.result(), futures[future]
                if result is None:  # not started before the deadline
                    deferred.append(str(graph["Id"]))
                    continue
                outcomes.append((result, graph))
                _store_outcome(
                    records[result.opportunity_id],
                    result,
                    netsuite=netsuite,
                    integration_id=integration_id,
                    namespace=namespace,
                    open_exception_keys=open_keys,
                    scope=scopes.get(result.opportunity_id),
                    # The title names the record as the graph read it (sync.pipeline.titles).
                    context=TitleContext(graph=graph, spec=writer.mapping.spec),
                )
        except Exception as exc:
            # A bug, not a vendor fault: the job says so; the drain runs the batch's halves apart.
            _finish(
                job,
                JobStatus.FAILED,
                f"the batch stopped: {type(exc).__name__}: {exc}"[:MESSAGE_LIMIT],
            )
            raise
    return outcomes


def _deferred_drop(job: SyncJob, deferred: list[str]) -> None:
    """Not started before the deadline: out of this job, back to the caller to queue again."""
    if deferred:
        SyncRecord.objects.filter(job=job, opportunity_id__in=deferred).delete()
        job.records_total -= len(deferred)


def plain(value: Any) -> Any:
    """``value`` with every mapping as a plain dict: simple-salesforce parses JSON into OrderedDicts, and
    the mapping engine's compiled paths read plain dicts only (they check the exact class, for speed)."""
    # Leaves (most values) are not passed down: a call each cost more than the copying.
    if isinstance(value, dict):
        return {
            key: plain(inner) if isinstance(inner, (dict, list)) else inner for key, inner in value.items()
        }
    if isinstance(value, list):
        return [plain(inner) if isinstance(inner, (dict, list)) else inner for inner in value]
    return value


def _submit(
    pool: ThreadPoolExecutor,
    correlation_id: str | None,
    writer: BatchWriter,
    graph: dict[str, Any],
    deadline: float | None,
) -> Future[OpportunityOutcome | None]:
    """Run one opportunity in the pool under ``correlation_id`` (else the caller's): a pool thread starts
    with an empty context, so the id is carried over in a copy of this one, made per task."""
    with correlation(correlation_id or current_correlation_id()):
        context = contextvars.copy_context()
    return pool.submit(context.run, _in_thread, writer, graph, deadline)


def _in_thread(
    writer: BatchWriter, graph: dict[str, Any], deadline: float | None
) -> OpportunityOutcome | None:
    """The opportunity's outcome, or ``None`` when the deadline passed before it started."""
    if deadline is not None and time.monotonic() > deadline:
        return None
    try:
        return writer.sync(graph)
    finally:
        if writer.thread_end is not None:
            writer.thread_end()
        else:
            connections.close_all()


def _thread_end(ns: NetSuiteConnector) -> None:
    """A pool thread's opportunity is done: the limiter's database backend opened a connection in this
    thread, give it back; the thread's NetSuite session, with its open connection, goes to the next thread
    (sync.connections.connectors.transport.SessionPool: no new TLS handshake for each helper thread)."""
    ns.session_release()
    connections.close_all()


def _known_for(
    netsuite: Connection, payloads: Iterable[Sequence[ObjectPayload]], scope: EidScope
) -> dict[tuple[str, str], Known]:
    """The integration's cross-references for every (record type, external id) the batch's payloads will
    use (shared ones say so: the writer updates them by internal id)."""
    wanted: set[tuple[str, str]] = set()
    for items in payloads:
        for payload in items:
            if payload.external_id:
                wanted.add((payload.target_type, payload.external_id))
    rows = scope.xrefs().filter(
        netsuite_connection=netsuite, external_id__in=sorted({eid for _, eid in wanted})
    )
    return {
        (row.netsuite_type, row.external_id): Known(row.netsuite_id, row.payload_hash, row.shared)
        for row in rows
        if (row.netsuite_type, row.external_id) in wanted
    }


def _open_exception_keys(netsuite: Connection, graphs: Mapping[str, Any], namespace: str) -> set[str]:
    """The dedup keys of the batch's opportunities that have an active exception now: the rest have
    nothing to resolve when they sync (one query instead of one locking query per opportunity)."""
    keys = [
        sync_dedup_key(netsuite_connection_id=netsuite.pk, opportunity_id=i, namespace=namespace)
        for i in graphs
    ]
    return exception_queue().active_keys(keys)


def _store_outcome(
    record: SyncRecord,
    outcome: OpportunityOutcome,
    *,
    netsuite: Connection | None = None,
    integration_id: int | None = None,
    namespace: str | None = None,
    open_exception_keys: set[str] | None = None,
    scope: ExceptionScope | None = None,
    context: TitleContext | None = None,
) -> None:
    now = timezone.now()
    with transaction.atomic():
        if netsuite is not None and outcome.written:
            # One upsert for every object written (the last write of a key wins, as before).
            xrefs_upsert(
                netsuite_connection_id=netsuite.pk,
                integration_id=integration_id,
                written=outcome.written,
                at=now,
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
        record.message = outcome.message[:MESSAGE_LIMIT]
        record.deal_kind = outcome.deal_kind
        record.save()
        if outcome.status == RecordStatus.SYNCED:
            if integration_id is None:
                integration_id = integration_for_connection(record.job.salesforce_connection_id).pk
            deal_milestone_ordered(
                integration_id=integration_id, opportunity_id=record.opportunity_id, at=now
            )
        SyncFailure.objects.bulk_create(
            [
                SyncFailure(
                    record=record,
                    category=failure.category,
                    system=failure.system,
                    vendor_code=field_fit(SyncFailure, "vendor_code", failure.vendor_code),
                    message=failure.message,
                    error_path=field_fit(SyncFailure, "error_path", failure.error_path),
                    mapping_object_key=field_fit(SyncFailure, "mapping_object_key", failure.object_key),
                    mapping_field_id=field_fit(SyncFailure, "mapping_field_id", failure.field_id),
                    source_id=field_fit(SyncFailure, "source_id", failure.source_id),
                    sent_value=failure.sent_value,
                )
                for failure in outcome.failures
            ]
        )
        if outcome.overrides_sent:
            record_overrides_sent(record=record, netsuite=netsuite, fields=outcome.overrides_sent)
        record_outcome_report(
            record=record,
            netsuite=netsuite,
            open_exception_keys=open_exception_keys,
            scope=scope,
            context=context,
            namespace=namespace,
        )


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


def _held(opportunity_id: str, failure: Failure) -> OpportunityOutcome:
    """An opportunity the pre-match held back: a duplicate suspect waits for a person (blocked, like a
    rule); a failed match is a failure the normal retry covers."""
    status = RecordStatus.BLOCKED if failure.category == FailureCategory.DUPLICATE else RecordStatus.FAILED
    outcome = OpportunityOutcome(opportunity_id, status=status, attempts=1)
    outcome.failures.append(failure)
    return outcome


def _missing(opportunity_id: str) -> OpportunityOutcome:
    outcome = OpportunityOutcome(opportunity_id, status=RecordStatus.FAILED)
    outcome.failures.append(
        Failure(FailureCategory.MISSING, "Salesforce has no such opportunity (deleted?)", system="salesforce")
    )
    return outcome


def _exchange(exchange: RequestRecord) -> dict[str, Any]:
    # Its fields by hand: asdict() deep-copies each (plain) value, a cost on every NetSuite request.
    return {
        "system": exchange.system,
        "operation": exchange.operation,
        "method": exchange.method,
        "url": exchange.url,
        "status": exchange.status,
        "elapsed_ms": round(exchange.elapsed_ms, 1),
        "request_excerpt": mask_secrets(exchange.request_excerpt)[:1000],
        "response_excerpt": mask_secrets(exchange.response_excerpt)[:1000],
    }
