"""Sync status in both systems: which fields hold it, and how NetSuite records get it.

Every record the Closed Won flow writes carries the outcome of its last sync (a status, a message, a
time) so a user in Salesforce or NetSuite sees why a record did not sync without opening Concord. The
field names are configuration (``settings.SYNC_STATUS_FIELDS`` overrides :data:`DEFAULT_FIELDS` object
by object, and an integration's ``status_fields`` override both for its org and account; see
docs/sync-status.md); an object left out, or a field set to ``""``, is not written.

NetSuite, on success: the status rides in the upsert that writes the record anyway (:func:`success_stamp`),
outside the payload hash, so a record whose payload did not change is still skipped and its sync time
stays the time it was last written. On failure: the records of the failing opportunity that NetSuite
already holds (known from cross-references) are PATCHed with the error (:func:`netsuite_status_mark`),
and their cross-reference remembers which error NetSuite shows (``error_shown``): the same error on a
re-run is not sent again, and the next success PATCHes the record back to Synced if no upsert did.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connections
from django.utils import timezone

from sync.connections.connectors.errors import ConnectorError
from sync.connections.connectors.netsuite import NetSuiteConnector
from sync.connections.models import Connection
from sync.integrations.models import Integration
from sync.lifecycle.models import OrderLock
from sync.pipeline.eids import EidScope, eid_scope
from sync.pipeline.models import CrossReference, RecordStatus
from sync.pipeline.writer import OpportunityOutcome

SYNCED = "Synced"
ERROR = "Error"
# NetSuite free-form text fields hold 300 characters; Salesforce long text areas 32,768.
NETSUITE_MESSAGE_LENGTH = 300
SALESFORCE_MESSAGE_LENGTH = 32000
# At most this many NetSuite records get their status by PATCH per batch (one request each: REST has no
# synchronous multi-record update); the rest are reported in the job's message.
MAX_FAILURE_MARKS = 200

DEFAULT_FIELDS: dict[str, dict[str, dict[str, str]]] = {
    "salesforce": {
        sobject: {
            "status": "Concord_Sync_Status__c",
            "message": "Concord_Sync_Message__c",
            "time": "Concord_Last_Sync__c",
        }
        for sobject in ("Opportunity", "Account", "Contact")
    },
    "netsuite": {
        "customer": {
            "status": "custentity_concord_sync_status",
            "message": "custentity_concord_sync_message",
            "time": "custentity_concord_sync_time",
        },
        "contact": {
            "status": "custentity_concord_sync_status",
            "message": "custentity_concord_sync_message",
            "time": "custentity_concord_sync_time",
        },
        "salesOrder": {
            "status": "custbody_concord_sync_status",
            "message": "custbody_concord_sync_message",
            "time": "custbody_concord_sync_time",
        },
    },
}


@dataclass(frozen=True)
class StatusFields:
    """The three fields of one object; an empty name means the object has no such field."""

    status: str = ""
    message: str = ""
    time: str = ""

    def values(self, *, status: str, message: str | None, moment: str) -> dict[str, Any]:
        """The body setting status, message (``None`` clears it) and time, for the fields that exist."""
        pairs = ((self.status, status), (self.message, message), (self.time, moment))
        return {name: value for name, value in pairs if name}


def status_fields(system: str, integration: Integration | None = None) -> dict[str, StatusFields]:
    """Object name -> its status fields in ``system`` (``salesforce`` or ``netsuite``): the defaults,
    overridden by ``settings.SYNC_STATUS_FIELDS``, then by the integration's own (its org's fields)."""
    configured: Mapping[str, Any] = getattr(settings, "SYNC_STATUS_FIELDS", None) or {}
    own: Mapping[str, Any] = (integration.status_fields if integration is not None else None) or {}
    merged = {**DEFAULT_FIELDS[system], **(configured.get(system) or {})}
    for name, fields in (own.get(system) or {}).items():
        merged[name] = {**(merged.get(name) or {}), **fields}
    return {name: StatusFields(**fields) for name, fields in merged.items() if fields}


def outcome_message(outcome: OpportunityOutcome) -> str:
    """Why an opportunity did not sync, naming the failing object: ``customer: Subsidiary is required``.

    A rule's block reads ``Blocked: <reason>`` (the pre-sale gate's failure names a rule, not an object).
    """
    if outcome.status == RecordStatus.SYNCED or not outcome.failures:
        return ""
    failure = outcome.failures[0]
    if outcome.status == RecordStatus.BLOCKED:
        return f"Blocked: {failure.message}"
    return f"{failure.object_key}: {failure.message}" if failure.object_key else failure.message


def success_stamp(integration: Integration | None = None) -> Callable[[str, dict[str, Any]], dict[str, Any]]:
    """What the writer adds to each NetSuite upsert body: Synced, no message, now.

    Applied after the payload hash is taken, so the stamp alone never makes a record look changed.
    """
    fields = status_fields("netsuite", integration)

    def stamp(record_type: str, body: dict[str, Any]) -> dict[str, Any]:
        target = fields.get(record_type)
        if target is None:
            return body
        return {**body, **target.values(status=SYNCED, message=None, moment=_netsuite_now())}

    return stamp


def error_marker(message: str) -> str:
    """What a cross-reference's ``error_shown`` holds while NetSuite shows ``message`` on its record."""
    return hashlib.sha256(message.encode()).hexdigest()


# A PATCH that failed may or may not have been applied: a marker no message has, so the next failure
# marks the record again and the next success clears it.
UNKNOWN_MARKER = "?"


@dataclass(frozen=True)
class _Mark:
    xref_pk: int
    record_type: str
    netsuite_id: str
    message: str | None  # None: back to Synced

    @property
    def marker(self) -> str:
        return "" if self.message is None else error_marker(self.message)


def netsuite_status_mark(
    *,
    netsuite: Connection,
    connector: NetSuiteConnector,
    outcomes: Sequence[tuple[OpportunityOutcome, dict[str, Any]]],
    scope: EidScope | None = None,
    integration: Integration | None = None,
) -> list[str]:
    """Show failures on the NetSuite records that exist, and clear them once the sync succeeds.

    Only the records of ``scope``'s integration (the pair's, by default) are marked: another org's
    record with the same Salesforce id is not this run's.

    The records of each opportunity are found through cross-references by Salesforce id (the
    opportunity, its account, its contacts). A failed or blocked opportunity's records get the error
    (PATCH); a record shared with a succeeding opportunity of the batch shows the error too, with the first
    failing opportunity's message. A record already showing that error is left alone, unless the batch
    rewrote it (the upsert stamped it Synced). A succeeding opportunity's records still showing an error
    are set back to Synced, unless the batch rewrote them (the upsert did it). Runs after the batch's
    outcomes are stored, at most :data:`MAX_FAILURE_MARKS` PATCHes; returns readable problems.
    """
    fields = status_fields("netsuite", integration)
    messages, rewritten = _messages_of(outcomes)
    if not messages or not fields:
        return []
    marks = _marks_due(netsuite, fields, messages, rewritten, scope or eid_scope(None, netsuite.pk))
    problems: list[str] = []
    if len(marks) > MAX_FAILURE_MARKS:
        problems.append(f"{len(marks) - MAX_FAILURE_MARKS} NetSuite records not given their sync status")
        marks = marks[:MAX_FAILURE_MARKS]
    if not marks:
        return problems
    return problems + _marks_send(netsuite, connector, fields, marks)


def _messages_of(
    outcomes: Sequence[tuple[OpportunityOutcome, dict[str, Any]]],
) -> tuple[dict[str, str | None], set[tuple[str, str]]]:
    """Salesforce id -> its error message (None when synced; the first failure wins over a success),
    and the NetSuite records the batch rewrote."""
    messages: dict[str, str | None] = {}
    rewritten: set[tuple[str, str]] = set()
    for outcome, graph in outcomes:
        rewritten.update((w.netsuite_type, w.netsuite_id) for w in outcome.written)
        if outcome.status == RecordStatus.SYNCED:
            for salesforce_id in _salesforce_ids(graph):
                messages.setdefault(salesforce_id, None)
        elif outcome.status in (RecordStatus.FAILED, RecordStatus.BLOCKED):
            message = outcome_message(outcome)[:NETSUITE_MESSAGE_LENGTH]
            for salesforce_id in _salesforce_ids(graph):
                if messages.get(salesforce_id) is None:
                    messages[salesforce_id] = message
    return messages, rewritten


def _marks_due(
    netsuite: Connection,
    fields: Mapping[str, StatusFields],
    messages: Mapping[str, str | None],
    rewritten: set[tuple[str, str]],
    scope: EidScope,
) -> list[_Mark]:
    """The PATCHes the records need; a rewritten record that the upsert stamped Synced is only reset."""
    marks: list[_Mark] = []
    resets: list[int] = []  # rewritten by the batch's upserts, which stamped them Synced
    rows = list(
        scope.xrefs()
        .filter(
            netsuite_connection=netsuite, salesforce_id__in=sorted(messages), netsuite_type__in=sorted(fields)
        )
        .order_by("pk")
    )
    # An order NetSuite has moved on (billed, fulfilled, closed: sync.lifecycle.locks) is never edited in
    # place, not even for Concord's own status fields: the status shows in Salesforce and in Concord.
    locked = set(
        OrderLock.objects.filter(
            netsuite_connection=netsuite,
            sales_order_id__in=[row.netsuite_id for row in rows if row.netsuite_type == "salesOrder"],
        ).values_list("sales_order_id", flat=True)
    )
    for row in rows:
        if row.netsuite_type == "salesOrder" and row.netsuite_id in locked:
            continue
        mark = _Mark(row.pk, row.netsuite_type, row.netsuite_id, messages[row.salesforce_id])
        if (row.netsuite_type, row.netsuite_id) in rewritten:
            if mark.message is not None:
                marks.append(mark)
            elif row.error_shown:
                resets.append(row.pk)
        elif row.error_shown != mark.marker:
            marks.append(mark)
    CrossReference.objects.filter(pk__in=resets).update(error_shown="")
    return marks


def _marks_send(
    netsuite: Connection, connector: NetSuiteConnector, fields: Mapping[str, StatusFields], marks: list[_Mark]
) -> list[str]:
    """PATCH the marks side by side (within the connection's limit) and note what each record shows."""
    moment = _netsuite_now()

    def send(mark: _Mark) -> str | None:
        status = SYNCED if mark.message is None else ERROR
        body = fields[mark.record_type].values(status=status, message=mark.message, moment=moment)
        try:
            connector.patch(mark.record_type, mark.netsuite_id, body)
        except ConnectorError as error:
            return (
                f"writing the sync status of NetSuite {mark.record_type} {mark.netsuite_id} failed: {error}"
            )
        finally:
            connections.close_all()  # the limiter's database backend opened one in this thread
        return None

    with ThreadPoolExecutor(
        max_workers=max(1, min(netsuite.concurrency_limit, len(marks))), thread_name_prefix="status"
    ) as pool:
        results = list(pool.map(send, marks))
    for mark, problem in zip(marks, results, strict=True):
        CrossReference.objects.filter(pk=mark.xref_pk).update(
            error_shown=mark.marker if problem is None else UNKNOWN_MARKER
        )
    return [problem for problem in results if problem]


def _salesforce_ids(graph: dict[str, Any]) -> list[str]:
    """The Salesforce records an opportunity's NetSuite records come from: itself, its account, contacts."""
    ids = [graph.get("Id"), graph.get("AccountId") or (graph.get("Account") or {}).get("Id")]
    ids += [
        role.get("ContactId") for role in (graph.get("OpportunityContactRoles") or {}).get("records") or []
    ]
    return [str(i)[:18] for i in ids if i]


def _netsuite_now() -> str:
    return timezone.now().astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
