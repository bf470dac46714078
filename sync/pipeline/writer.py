"""Writing one opportunity to NetSuite: gates, mapping object by object, ordered ``eid:`` upserts.

This runs in worker threads and never touches the database: everything it needs (cross-references of
the batch) is loaded before, and everything it learns comes back in an :class:`OpportunityOutcome` the
batch runner stores. Records shared by several opportunities of a batch (one customer, one subscription
plan) are written once: a lock per (record type, external id) makes the second opportunity wait and then
find the first one's write in the batch's cache, with the same payload hash.

Every upsert names the sublists its body carries (the mapping declares them: ``item`` for a sales order's
lines, ``member`` for a plan's, ``addressBook`` for a new customer's address) in ``replace``: NetSuite
adds the lines of an update to the stored ones otherwise, so a deal changed after it synced, or a write
retried after its answer was lost, would leave old and new lines side by side.

The payloads one mapping object gives for one opportunity (its contacts, its subscriptions) are written
side by side: they are mapped together, before any of them is written, so none can refer to another, and
one after the other each cost a round trip on the way to the sales order (an opportunity with three
contacts waited for three). Each takes its own concurrency slot, as any request; their outcome is merged
in payload order, so the record, its exchanges and a failure read as if they had gone one by one.
"""

from __future__ import annotations

import contextvars
import hashlib
import json
import random
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Protocol

from sync.connections.connectors.errors import ConnectorError
from sync.lifecycle.applying import DealStep, Lifecycle, LifecycleProblem, LifecycleWrite
from sync.lifecycle.locks import OrderLockFound
from sync.mappings.engine import CompiledMapping, LookupResolver, MappingProblem, ObjectPayload
from sync.pipeline.eids import payloads_namespaced
from sync.pipeline.gates import Gates
from sync.pipeline.models.jobs import FailureCategory, RecordStatus
from sync.pipeline.overrides import payload_with_overrides, value_at
from sync.pipeline.price_books import PRICE_BOOK_MISSING, missing_price_book
from sync.pipeline.triggers import won_only

# Exchanges kept on one opportunity's outcome (the record's trace; the rest are in the request log).
EXCHANGES_KEPT = 40
# The order the issue asks for; a mapping's own refs still win (an object never precedes one it refers to).
PREFERRED_ORDER = (
    "customer",
    "contact",
    "billing_account",
    "sales_order",
    "subscription_plan",
    "subscription",
)


class RecordWriter(Protocol):
    """The NetSuite calls the writer makes (NetSuiteConnector.upsert and get_by_external_id)."""

    def upsert(
        self, record_type: str, external_id: str, body: dict[str, Any], *, replace: list[str] | None = None
    ) -> str: ...

    def get_by_external_id(self, record_type: str, external_id: str) -> dict[str, Any] | None: ...

    def patch(
        self, record_type: str, record_id: str, body: dict[str, Any], *, replace: list[str] | None = None
    ) -> None: ...


@dataclass(frozen=True)
class Known:
    """A record NetSuite holds for an external id, and the hash of the payload last sent for it.

    ``shared``: the record carries another integration's external id (a customer both companies sell
    to); it is updated by internal id, never upserted by (nor re-keyed to) this integration's eid.
    """

    netsuite_id: str
    payload_hash: str
    shared: bool = False


@dataclass(frozen=True)
class Written:
    netsuite_type: str
    external_id: str
    netsuite_id: str
    salesforce_id: str
    object_key: str
    payload_hash: str
    shared: bool = False


@dataclass(frozen=True)
class Failure:
    category: str
    message: str
    system: str = ""
    vendor_code: str = ""
    error_path: str = ""
    object_key: str = ""
    field_id: str = ""
    source_id: str = ""
    sent_value: Any = None  # what the failing body held at ``error_path``


@dataclass
class OpportunityOutcome:
    opportunity_id: str
    status: str = RecordStatus.PENDING
    attempts: int = 0
    netsuite_ids: dict[str, str] = field(default_factory=dict)
    written: list[Written] = field(default_factory=list)
    writes: int = 0
    skipped: int = 0
    failures: list[Failure] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    rule_evaluations: list[dict[str, Any]] = field(default_factory=list)
    started: float = 0.0
    duration_ms: int = 0
    exchanges: list[dict[str, Any]] = field(default_factory=list)
    # Fields of approved exception overrides that went into a body sent (see sync.pipeline.overrides).
    overrides_sent: list[str] = field(default_factory=list)
    deal_kind: str = ""  # new, amendment, renewal (sync.lifecycle.kinds), when the life-cycle hook ran

    @property
    def message(self) -> str:
        return self.failures[0].message if self.failures else "; ".join(self.warnings)


class _Stop(Exception):
    """Ends one opportunity's sync with a failure that no retry can fix."""

    def __init__(self, failure: Failure) -> None:
        super().__init__(failure.message)
        self.failure = failure


def payload_hash(record_type: str, body: dict[str, Any]) -> str:
    text = json.dumps([record_type, body], sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def write_order(mapping: CompiledMapping) -> list[str]:
    """Object keys in :data:`PREFERRED_ORDER` wherever the mapping's dependencies allow it."""
    keys = mapping.dependency_order()
    rank = {
        key: PREFERRED_ORDER.index(key) if key in PREFERRED_ORDER else len(PREFERRED_ORDER) for key in keys
    }
    order: list[str] = []
    while len(order) < len(keys):
        ready = [k for k in keys if k not in order and all(d in order for d in mapping.depends_on(k))]
        order.append(min(ready, key=lambda k: (rank[k], keys.index(k))))
    return order


@dataclass
class RetrySettings:
    attempts: int = 3
    base_seconds: float = 2.0
    max_seconds: float = 30.0

    def delay(self, attempt: int) -> float:
        ceiling = min(self.max_seconds, self.base_seconds * 2 ** (attempt - 1))
        return random.uniform(ceiling / 2, ceiling)


class BatchWriter:
    """Writes the opportunities of one batch; share one instance between the batch's threads."""

    def __init__(
        self,
        *,
        mapping: CompiledMapping,
        lookups: LookupResolver,
        netsuite: RecordWriter,
        known: dict[tuple[str, str], Known],
        gates: Gates | None = None,
        retry: RetrySettings | None = None,
        sleep: Callable[[float], None] = time.sleep,
        stamp: Callable[[str, dict[str, Any]], dict[str, Any]] | None = None,
        overrides: Mapping[str, Mapping[str, Any]] | None = None,
        not_due: Callable[[Mapping[str, Any]], str] | None = None,
        order_lock: Callable[[str, str], OrderLockFound | None] | None = None,
        lifecycle: Lifecycle | None = None,
        namespace: str = "",
        thread_end: Callable[[], None] | None = None,
    ) -> None:
        self.mapping = mapping
        self.lookups = lookups
        self.netsuite = netsuite
        self.gates = gates or Gates()
        self.retry = retry or RetrySettings()
        self.sleep = sleep
        # Adds fields to each body sent, outside the payload hash (the sync status: see sync_status.py).
        self.stamp = stamp
        # Approved value changes per opportunity id, for an exception's retry: {opp id: {field: value}}.
        self.overrides = {key: dict(value) for key, value in (overrides or {}).items() if value}
        # "Is this record due?": "" when it is, else why not. The flow's trigger (sync.pipeline.triggers,
        # judged for the batch before it runs); Closed Won by default.
        self.not_due = not_due or won_only
        # Orders NetSuite has moved on: "is this existing record locked?", asked before an update
        # (sync.lifecycle.locks.order_lock_checker); None: nothing is locked.
        self.order_lock = order_lock
        # Amendments, renewals, activation (sync.lifecycle.applying): None writes the mapping only.
        self.lifecycle = lifecycle
        # The integration's namespace: every external id written is ``<namespace>-<id>`` (sync.pipeline.eids).
        self.namespace = namespace
        # Run at the end of a thread this writer started for side-by-side writes (the runner closes the
        # thread's database connection, which a database-backed concurrency limiter opened).
        self.thread_end = thread_end
        self.order = write_order(mapping)
        self._known = dict(known)
        self._locks: dict[tuple[str, str], threading.Lock] = {}
        self._guard = threading.Lock()
        self._local = threading.local()

    # -- one opportunity -------------------------------------------------------------------------

    def sync(self, graph: dict[str, Any]) -> OpportunityOutcome:
        outcome = OpportunityOutcome(str(graph.get("Id") or ""), started=time.time())
        self._local.exchanges = outcome.exchanges
        try:
            self._sync(graph, outcome)
        finally:
            self._local.exchanges = None
            outcome.duration_ms = int((time.time() - outcome.started) * 1000)
        return outcome

    def _sync(self, graph: dict[str, Any], outcome: OpportunityOutcome) -> None:
        reason = self.not_due(graph)
        if reason:
            outcome.status = RecordStatus.SKIPPED
            outcome.warnings.append(reason)
            return
        gate = self.gates.pre_sale(graph)
        outcome.warnings.extend(gate.warnings)
        if gate.evaluated:
            outcome.rule_evaluations.append({**gate.evaluated, "target": "opportunity"})
        if gate.blocked:
            outcome.status = RecordStatus.BLOCKED
            outcome.failures.append(
                Failure(
                    FailureCategory.RULE, gate.reason, object_key=gate.rule, source_id=outcome.opportunity_id
                )
            )
            return
        while True:
            outcome.attempts += 1
            try:
                self._write_all(graph, outcome)
                outcome.status = RecordStatus.SYNCED
                return
            except _Stop as stop:
                outcome.status = (
                    RecordStatus.BLOCKED
                    if stop.failure.category in (FailureCategory.RULE, FailureCategory.LOCKED)
                    else RecordStatus.FAILED
                )
                outcome.failures.append(stop.failure)
                return
            except ConnectorError as error:
                if error.transient and outcome.attempts < self.retry.attempts:
                    self.sleep(self.retry.delay(outcome.attempts))
                    continue
                outcome.status = RecordStatus.FAILED
                outcome.failures.append(
                    self._vendor_failure(
                        error, getattr(self._local, "object_key", ""), getattr(self._local, "body", None)
                    )
                )
                return

    def _write_all(self, graph: dict[str, Any], outcome: OpportunityOutcome) -> None:
        refs: dict[str, str] = {}
        overrides = self.overrides.get(outcome.opportunity_id)
        # -- life-cycle hook (sync.lifecycle.applying): the graph the mapping sees, each payload
        # adjusted or left out, then what the mapping cannot express (change orders) ---------------
        step = self._lifecycle_start(graph, outcome)
        mapped = self._lifecycle_call(step.mapped_graph) if step is not None else graph
        for key in self.order:
            self._local.object_key = key
            self._local.body = None
            result = self.mapping.apply_object(key, mapped, refs=refs, lookups=self.lookups)
            if result.problems:
                outcome.netsuite_ids = dict(refs)  # written before the stop (a missing price book's plan)
                raise _Stop(_mapping_failure(result.problems))
            ready: list[tuple[ObjectPayload, bool]] = []
            for payload in payloads_namespaced(result.payloads, self.namespace):
                if overrides:
                    payload, applied = payload_with_overrides(payload, overrides, self.order)
                    outcome.overrides_sent.extend(f for f in applied if f not in outcome.overrides_sent)
                if step is not None:
                    adjusted = self._lifecycle_call(partial(step.payload, payload, refs))
                    if adjusted is None:
                        outcome.skipped += 1
                        continue
                    payload = adjusted
                # No cross-reference yet: the upsert by external id creates the record.
                creates = payload.mode != "create_only" and (
                    (payload.target_type, payload.external_id or "") not in self._known
                )
                ready.append((payload, creates))
            for (payload, creates), netsuite_id in zip(ready, self._write_each(ready, outcome), strict=True):
                refs[payload.ref_key] = netsuite_id
                if step is not None:
                    # What this very write created, as sent: known without reading it back.
                    step.written(payload, netsuite_id, payload.to_json() if creates else None)
        outcome.netsuite_ids.update(refs)
        if step is not None:
            self._local.object_key = "change_order"
            self._local.body = None
            self._lifecycle_call(partial(step.finish, refs))

    def _write_each(self, ready: list[tuple[ObjectPayload, bool]], outcome: OpportunityOutcome) -> list[str]:
        """Write one mapping object's payloads, side by side when there are several (see the module
        docstring); returns their NetSuite ids in payload order. Each write records into an outcome of
        its own, merged into ``outcome`` in payload order; the first failure in that order is raised
        once all are done, with what it sent (as a write made in this thread would leave it)."""
        if len(ready) < 2:
            return [self._write(payload, outcome) for payload, _ in ready]
        parts = [OpportunityOutcome(outcome.opportunity_id) for _ in ready]
        object_key = getattr(self._local, "object_key", "")
        with ThreadPoolExecutor(max_workers=len(ready) - 1, thread_name_prefix="sync-side") as helpers:
            # The first in this thread, the others in helpers, each under this thread's context (its
            # correlation id).
            later = [
                helpers.submit(contextvars.copy_context().run, self._write_apart, payload, part, object_key)
                for (payload, _), part in zip(ready[1:], parts[1:], strict=True)
            ]
            results = [self._write_apart(ready[0][0], parts[0], object_key, in_helper=False)]
            results.extend(future.result() for future in later)
        for part in parts:  # every write made is recorded, also those after a failed one
            _merge(outcome, part)
        for _, error, body in results:
            if error is not None:
                self._local.body = body
                raise error
        return [netsuite_id for netsuite_id, _, _ in results]

    def _write_apart(
        self, payload: ObjectPayload, part: OpportunityOutcome, object_key: str, *, in_helper: bool = True
    ) -> tuple[str, BaseException | None, dict[str, Any] | None]:
        """:meth:`_write` into ``part``, its exchanges kept there; returns (id, error, the body it sent)."""
        kept = getattr(self._local, "exchanges", None)
        self._local.exchanges, self._local.object_key, self._local.body = part.exchanges, object_key, None
        try:
            return self._write(payload, part), None, None
        except Exception as error:
            return "", error, self._local.body
        finally:
            self._local.exchanges = kept
            if in_helper and self.thread_end is not None:
                self.thread_end()

    def _lifecycle_start(self, graph: dict[str, Any], outcome: OpportunityOutcome) -> DealStep | None:
        if self.lifecycle is None:
            return None
        step = self.lifecycle.start(graph, lambda write: self._lifecycle_written(write, outcome))
        outcome.deal_kind = step.kind
        return step

    @staticmethod
    def _lifecycle_call(call: Callable[[], Any]) -> Any:
        try:
            return call()
        except LifecycleProblem as problem:
            raise _Stop(
                Failure(
                    FailureCategory.MAPPING,
                    problem.message[:2000],
                    object_key=problem.object_key,
                    source_id=problem.source_id,
                )
            ) from problem

    @staticmethod
    def _lifecycle_written(write: LifecycleWrite, outcome: OpportunityOutcome) -> None:
        outcome.writes += 1
        # Shown on the job page with the mapped records: change_order[CO-...] -> its internal id.
        outcome.netsuite_ids[f"{write.object_key}[{write.external_id}]"] = write.netsuite_id
        outcome.written.append(
            Written(
                write.netsuite_type,
                write.external_id,
                write.netsuite_id,
                write.salesforce_id or outcome.opportunity_id,
                write.object_key,
                payload_hash(write.netsuite_type, {"summary": write.summary}),
            )
        )
        # -- end of the life-cycle hook -------------------------------------------------------------

    def _write(self, payload: ObjectPayload, outcome: OpportunityOutcome) -> str:
        if not payload.external_id:
            raise _Stop(
                Failure(
                    FailureCategory.MAPPING,
                    "no external id: the record cannot be upserted idempotently",
                    object_key=payload.object_key,
                    source_id=payload.source_id or "",
                )
            )
        key = (payload.target_type, payload.external_id)
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            known = self._known.get(key)
            if known is None and payload.mode == "create_only":
                # Create-only records (catalogue data such as plans) may predate Concord: never overwrite.
                existing = self.netsuite.get_by_external_id(payload.target_type, payload.external_id)
                if existing is not None:
                    known = Known(str(existing["id"]), "")
                    self._known[key] = known
                    outcome.written.append(
                        Written(
                            payload.target_type,
                            payload.external_id,
                            known.netsuite_id,
                            payload.source_id or outcome.opportunity_id,
                            payload.object_key,
                            "",
                        )
                    )
            if known is not None and payload.mode == "create_only":
                outcome.skipped += 1
                return known.netsuite_id
            # The hash covers what an update would send: create-only fields (a subsidiary, an address) are
            # never sent again, so a difference in them alone is no reason to write.
            digest = payload_hash(payload.target_type, payload.to_json(update=True))
            if known is not None and known.payload_hash == digest:
                outcome.skipped += 1
                return known.netsuite_id
            check = self.gates.post_sale(payload)
            outcome.warnings.extend(check.warnings)
            if check.evaluated:
                outcome.rule_evaluations.append({**check.evaluated, "target": payload.object_key})
            if check.blocked:
                raise _Stop(
                    Failure(
                        FailureCategory.RULE,
                        check.reason,
                        object_key=payload.object_key,
                        source_id=payload.source_id or "",
                    )
                )
            self._lock_check(payload, known, outcome)  # issue 22 (cancel): orders NetSuite moved on
            # A record known to exist gets the update body: create-only fields (subsidiary, address) stay.
            body = payload.to_json(update=known is not None)
            if self.stamp is not None:
                body = self.stamp(payload.target_type, body)
            self._local.body = body
            shared = known is not None and known.shared
            if known is not None and known.shared:
                # Another integration's record (its externalId stays theirs): updated by internal id.
                netsuite_id = known.netsuite_id
                body = {name: value for name, value in body.items() if name != payload.external_id_field}
                self._local.body = body
                self.netsuite.patch(payload.target_type, netsuite_id, body, replace=payload.sublists_in(body))
            else:
                netsuite_id = self.netsuite.upsert(
                    payload.target_type, payload.external_id, body, replace=payload.sublists_in(body)
                )
            self._known[key] = Known(netsuite_id, digest, shared)
        outcome.writes += 1
        outcome.written.append(
            Written(
                payload.target_type,
                payload.external_id,
                netsuite_id,
                payload.source_id or outcome.opportunity_id,
                payload.object_key,
                digest,
                shared,
            )
        )
        return netsuite_id

    # -- issue 22 (cancel): an order NetSuite has moved on is never edited in place --------------------

    def _lock_check(self, payload: ObjectPayload, known: Known | None, outcome: OpportunityOutcome) -> None:
        """Stop before updating a record NetSuite has moved on (a billed, fulfilled, closed order)."""
        if known is None or self.order_lock is None:
            return
        lock = self.order_lock(payload.target_type, known.netsuite_id)
        if lock is not None:
            raise _Stop(_locked_failure(lock, payload, outcome.opportunity_id))

    # -- plumbing --------------------------------------------------------------------------------

    def observe(self, exchange: dict[str, Any]) -> None:
        """The connector's observer: keeps the exchange on the opportunity this thread is writing."""
        exchanges = getattr(self._local, "exchanges", None)
        if exchanges is not None and len(exchanges) < EXCHANGES_KEPT:
            exchanges.append(exchange)

    @staticmethod
    def _vendor_failure(error: ConnectorError, object_key: str, body: dict[str, Any] | None) -> Failure:
        return Failure(
            FailureCategory.TRANSIENT if error.transient else FailureCategory.VENDOR,
            error.message,
            system=error.system,
            vendor_code=error.code,
            error_path=error.path,
            object_key=object_key,
            sent_value=value_at(body, error.path) if body is not None and error.path else None,
        )


def _merge(outcome: OpportunityOutcome, part: OpportunityOutcome) -> None:
    """Add what one side-by-side write recorded in ``part`` to ``outcome``."""
    outcome.writes += part.writes
    outcome.skipped += part.skipped
    outcome.written.extend(part.written)
    outcome.warnings.extend(part.warnings)
    outcome.rule_evaluations.extend(part.rule_evaluations)
    outcome.exchanges.extend(part.exchanges[: max(0, EXCHANGES_KEPT - len(outcome.exchanges))])


def _locked_failure(lock: OrderLockFound, payload: ObjectPayload, opportunity_id: str) -> Failure:
    """Why an update was not sent: the order's status, kept in ``sent_value`` for the lock's record."""
    return Failure(
        FailureCategory.LOCKED,
        lock.message(opportunity_id),
        system="netsuite",
        vendor_code=lock.status_code,
        object_key=payload.object_key,
        source_id=payload.source_id or opportunity_id,
        sent_value={
            "salesOrder": lock.sales_order_id,
            "orderStatus": lock.status_code,
            "label": lock.status_label,
            "reason": lock.reason,
        },
    )


def _mapping_failure(problems: Iterable[MappingProblem]) -> Failure:
    problems = list(problems)
    first = problems[0]
    price_book = missing_price_book(first)  # its own exception: sync.pipeline.price_books
    return Failure(
        FailureCategory.MAPPING,
        "; ".join(str(problem) for problem in problems)[:2000],
        vendor_code=PRICE_BOOK_MISSING if price_book else "",
        object_key=first.object_key,
        field_id=first.field_id,
        source_id=first.source_id or "",
        sent_value=price_book,
    )
