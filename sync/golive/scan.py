"""The go-live scan: every Salesforce account and contact matched against NetSuite, nothing written.

NetSuite's active customers and contacts are read once (SuiteQL keyset pages) into an index by each
match key's search value, so each Salesforce record is classified against the few NetSuite records that
share a key with it, not against every record. Salesforce is read page by page; results and progress
are stored every :data:`CHUNK` records, so the console's progress bar moves while it runs.

The scan works for the integration of its pair (:func:`sync.integrations.selectors.integration_for_pair`):
the external ids it expects are the integration's namespaced ones, the cross-references it trusts are the
integration's, and a NetSuite record carrying *another* integration's external id (a customer both
companies sell to, already synced by the first org) is a candidate like any other: a confident match
with it is a *shared* link (:attr:`GoLiveOutcome.SHARED`), which apply links without re-keying it.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from core.fields import field_fit
from sync.connections.connectors.netsuite import NetSuiteConnector
from sync.connections.connectors.salesforce import SalesforceConnector
from sync.connections.services import netsuite_connector, salesforce_connector
from sync.golive.match import (
    CandidateIndex,
    ObjectPlan,
    candidate_fields,
    long_lived_objects,
    object_plans,
    stand_in_for_account,
    stand_in_for_contact,
)
from sync.golive.models import ERROR_TEXT_LIMIT, GoLiveOutcome, GoLiveResult, GoLiveRun, GoLiveStatus
from sync.integrations.models import Integration
from sync.integrations.namespacing import eid_namespace_of, eid_namespaced
from sync.integrations.selectors import integration_for_pair, integration_namespaces
from sync.matching.engine import Candidate, classify
from sync.matching.models import MatchChoice, MatchResolution
from sync.pipeline.models import CrossReference

CHUNK = 500  # Salesforce records matched between two progress saves
CONTACT_SOQL = "SELECT Id, FirstName, LastName, Email, AccountId FROM Contact ORDER BY Id"

Progress = Callable[[GoLiveRun], None]
EMPTY_COUNTS = {
    "total": None,
    "done": 0,
    "linked": 0,
    "suspects": 0,
    "unmatched": 0,
    "already_linked": 0,
    "shared": 0,
}


class Superseded(Exception):
    """A later delivery of the scan task took the run over: this one stops quietly."""


def golive_scan_execute(run: GoLiveRun, *, on_progress: Progress | None = None) -> GoLiveRun:
    """Scan for ``run`` now: read both systems, match, store one result per Salesforce record.

    A delivery claims the run (queued, or scanning without a sign of life for longer than Q_RETRY: its
    worker died) under its own attempt id and starts afresh; a delivery that finds the run claimed by a
    live one does nothing, and one that has been taken over stops at its next save. Nothing is written
    to Salesforce or NetSuite. On failure the run is marked failed with the reason and the error re-raised.
    """
    attempt = uuid.uuid4().hex
    now = timezone.now()
    claimable = Q(status=GoLiveStatus.QUEUED) | Q(
        status=GoLiveStatus.SCANNING, heartbeat_at__lt=now - stale_after()
    )
    claimed = GoLiveRun.objects.filter(claimable, pk=run.pk).update(
        status=GoLiveStatus.SCANNING, attempt=attempt, heartbeat_at=now, **EMPTY_COUNTS
    )
    run.refresh_from_db()
    if not claimed:
        return run
    run.results.all().delete()  # what an earlier, dead attempt left
    try:
        version_id, plans = object_plans(
            integration_for_pair(run.salesforce_connection_id, run.netsuite_connection_id)
        )
        salesforce = salesforce_connector(run.salesforce_connection)
        netsuite = netsuite_connector(run.netsuite_connection)
        total = sum(salesforce.count(plan.count_soql) for plan in plans)
        _save(run, mapping_version_id=version_id, total=total)
        if on_progress:
            on_progress(run)
        records = _read_salesforce(run, plans, salesforce)
        owner = Owner.of_run(run)
        with long_lived_objects() as keep:
            keep()  # the records read
            for plan in plans:
                _scan_object(run, plan, records, netsuite, owner, on_progress, keep)
        _save(run, status=GoLiveStatus.READY, scanned_at=timezone.now())
    except Superseded:
        run.refresh_from_db()
        return run
    except Exception as exc:  # the run stops; the reason is shown where it was started
        GoLiveRun.objects.filter(pk=run.pk, attempt=attempt).update(
            status=GoLiveStatus.FAILED, error=str(exc)[:ERROR_TEXT_LIMIT], finished_at=timezone.now()
        )
        raise
    if on_progress:
        on_progress(run)
    return run


@dataclass(frozen=True)
class Owner:
    """The integration a run scans for: its namespace and everyone else's."""

    integration: Integration
    namespaces: tuple[str, ...]  # every integration's non-empty namespace

    @classmethod
    def of_run(cls, run: GoLiveRun) -> Owner:
        integration = integration_for_pair(run.salesforce_connection_id, run.netsuite_connection_id)
        return cls(integration, tuple(ns for ns in integration_namespaces().values() if ns))

    def external_id(self, raw: str) -> str:
        return eid_namespaced(self.integration.namespace, raw)

    def carries_another(self, candidate: Candidate) -> bool:
        """Whether the NetSuite record carries another integration's external id."""
        if not candidate.external_id:
            return False
        return eid_namespace_of(candidate.external_id, self.namespaces) != self.integration.namespace

    def cross_references(self) -> Q:
        """The cross-references of this integration (those naming none are the primary one's)."""
        if self.integration.is_primary:
            return Q(integration=self.integration) | Q(integration__isnull=True)
        return Q(integration=self.integration)


@dataclass
class SalesforceRecords:
    """Every account and contact, read once: each plan's records, and the stand-ins' neighbours."""

    by_type: dict[str, list[dict[str, Any]]]
    accounts: dict[str, dict[str, Any]]
    first_contact: dict[str, dict[str, Any]]  # account id -> its first contact (by id)

    def stand_in(self, salesforce_type: str, record: dict[str, Any]) -> dict[str, Any]:
        if salesforce_type == "Account":
            return stand_in_for_account(record, self.first_contact.get(record["Id"]))
        return stand_in_for_contact(record, self.accounts.get(str(record.get("AccountId") or "")))


def _read_salesforce(
    run: GoLiveRun, plans: list[ObjectPlan], salesforce: SalesforceConnector
) -> SalesforceRecords:
    """Read every record of each plan, contacts too when only accounts are matched (an account's
    stand-in carries its first contact, whose e-mail the shipped customer mapping reads)."""
    queries = {plan.salesforce_type: plan.soql for plan in plans}
    if "Account" in queries:
        queries.setdefault("Contact", CONTACT_SOQL)
    by_type: dict[str, list[dict[str, Any]]] = {}
    for salesforce_type, soql in queries.items():
        rows = []
        for record in salesforce.query(soql):
            rows.append({k: v for k, v in record.items() if k != "attributes"})
            if len(rows) % 2000 == 0:
                _save(run)  # a sign of life while Salesforce is read
        by_type[salesforce_type] = rows
    first_contact: dict[str, dict[str, Any]] = {}
    for contact in by_type.get("Contact", []):  # in id order
        first_contact.setdefault(str(contact.get("AccountId") or ""), contact)
    accounts = {str(account["Id"]): account for account in by_type.get("Account", [])}
    return SalesforceRecords(by_type, accounts, first_contact)


def _scan_object(
    run: GoLiveRun,
    plan: ObjectPlan,
    records: SalesforceRecords,
    netsuite: NetSuiteConnector,
    owner: Owner,
    on_progress: Progress | None,
    keep: Callable[[], None] = lambda: None,
) -> None:
    index = CandidateIndex(plan.netsuite_type, plan.config.keys, plan.config.generic_domains)
    for row in netsuite.suiteql_by_key(plan.suiteql, key="c.id", where="c.isinactive = 'F'"):
        index.add(row)
        if index.size % 1000 == 0:
            _save(run)  # a sign of life while NetSuite is read
            keep()  # the index so far: see long_lived_objects
    keep()
    known = dict(
        CrossReference.objects.filter(
            owner.cross_references(),
            netsuite_connection=run.netsuite_connection,
            netsuite_type=plan.netsuite_type,
        ).values_list("external_id", "netsuite_id")
    )
    decided = {
        row.external_id: row
        for row in MatchResolution.objects.filter(
            netsuite_connection=run.netsuite_connection, netsuite_type=plan.netsuite_type
        ).select_related("decided_by")
    }
    rows = records.by_type.get(plan.salesforce_type, [])
    for start in range(0, len(rows), CHUNK):
        results = [
            _match(
                run,
                plan,
                record,
                records.stand_in(plan.salesforce_type, record),
                Lookups(index, known, decided, owner),
            )
            for record in rows[start : start + CHUNK]
        ]
        # A unique (run, type, id) row: a result stored twice is stored once.
        GoLiveResult.objects.bulk_create(results, ignore_conflicts=True)
        counts = {outcome: sum(r.outcome == outcome for r in results) for outcome in GoLiveOutcome.values}
        _save(
            run,
            done=run.done + len(results),
            linked=run.linked + counts[GoLiveOutcome.LINKED],
            suspects=run.suspects + counts[GoLiveOutcome.SUSPECT],
            unmatched=run.unmatched + counts[GoLiveOutcome.UNMATCHED],
            already_linked=run.already_linked + counts[GoLiveOutcome.ALREADY_LINKED],
            shared=run.shared + counts[GoLiveOutcome.SHARED],
        )
        if on_progress:
            on_progress(run)


@dataclass(frozen=True)
class Lookups:
    """What one record is matched against: NetSuite's index, the integration's cross-references (external
    id -> NetSuite id) and the people's earlier answers (by external id)."""

    index: CandidateIndex
    known: dict[str, str]
    decided: dict[str, MatchResolution]
    owner: Owner


def _match(
    run: GoLiveRun, plan: ObjectPlan, record: dict[str, Any], stand_in: dict[str, Any], lookups: Lookups
) -> GoLiveResult:
    index, known, decided, owner = lookups.index, lookups.known, lookups.decided, lookups.owner
    subject = plan.subject(record, stand_in)
    subject = replace(subject, external_id=owner.external_id(subject.external_id))
    result = GoLiveResult(
        run=run,
        salesforce_type=plan.salesforce_type,
        salesforce_id=subject.salesforce_id,
        salesforce_name=field_fit(GoLiveResult, "salesforce_name", subject.label),
        salesforce_fields={path: value for path, value in subject.values.items()},
        netsuite_type=plan.netsuite_type,
        external_id=subject.external_id,
    )
    linked_id = known.get(subject.external_id)
    carrying = index.by_external_id.get(subject.external_id)
    resolution = decided.get(subject.external_id)
    if linked_id or carrying:
        # The primary match: Concord wrote it, or the record already carries the external id.
        result.outcome = GoLiveOutcome.ALREADY_LINKED
        result.chosen_id = linked_id or (carrying.netsuite_id if carrying else "")
        result.reasons = [
            "Concord's cross-reference links it"
            if linked_id
            else "the NetSuite record carries its external id"
        ]
        result.candidates = candidate_fields([carrying] if carrying else [])
    elif resolution is not None:
        # A person answered this record's duplicate suspect before: the answer stands.
        who = resolution.decided_by.get_username()
        if resolution.choice == MatchChoice.LINK:
            chosen = index.by_id.get(resolution.netsuite_id)
            shared = chosen is not None and owner.carries_another(chosen)
            result.outcome = GoLiveOutcome.SHARED if shared else GoLiveOutcome.LINKED
            result.chosen_id = resolution.netsuite_id
            result.reasons = [f"chosen by {who}"]
            result.candidates = candidate_fields([chosen] if chosen else [])
        else:
            result.outcome = GoLiveOutcome.UNMATCHED
            result.reasons = [f"{who} decided a new NetSuite record is created"]
    else:
        # A record carrying another integration's external id is free to match (the matching core
        # passes over records carrying another id): it is shown, and linked, with its own id.
        found = index.candidates(subject)
        others = {c.netsuite_id: c for c in found if owner.carries_another(c)}
        freed = [replace(c, external_id="") if c.netsuite_id in others else c for c in found]
        decision = classify(subject=subject, config=plan.config, candidates=freed)
        result.outcome = str(decision.status)
        result.reasons = [decision.reason]
        result.match_key = decision.key
        result.candidates = candidate_fields(others.get(c.netsuite_id, c) for c in decision.candidates)
        result.chosen_id = decision.candidate.netsuite_id if decision.candidate else ""
        if result.outcome == GoLiveOutcome.LINKED and result.chosen_id in others:
            result.outcome = GoLiveOutcome.SHARED
            result.reasons.append(
                f"it carries another integration's external id ({others[result.chosen_id].external_id}): "
                "linked as shared, its external id is kept"
            )
    return result


def _chunks(rows: Iterator[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    chunk: list[dict[str, Any]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _save(run: GoLiveRun, **values: object) -> None:
    """Store progress if this delivery still owns the run (else raise :class:`Superseded`)."""
    values["heartbeat_at"] = timezone.now()
    # A plain UPDATE in its own short transaction: progress must be visible while the run goes on.
    if not GoLiveRun.objects.filter(pk=run.pk, attempt=run.attempt).update(**values):
        raise Superseded
    for name, value in values.items():
        setattr(run, name, value)


def stale_after() -> dt.timedelta:
    """How long a working run may show no sign of life before its worker counts as gone: the broker
    hands an unacknowledged task out again after Q_RETRY seconds."""
    return dt.timedelta(seconds=int(settings.Q_CLUSTER["retry"]))
