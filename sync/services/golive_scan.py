"""The go-live scan: every Salesforce account and contact matched against NetSuite, nothing written.

NetSuite's customers and contacts are read once (SuiteQL keyset pages) into an index keyed by each
normalised match key, so each Salesforce record is compared only with the few NetSuite records that
share a key with it (not every record with every record). Salesforce is read page by page; results and
progress are stored every :data:`CHUNK` records so the console's progress bar moves while it runs.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from sync.connectors.netsuite import NetSuiteConnector
from sync.connectors.salesforce import SalesforceConnector
from sync.models import CrossReference, GoLiveOutcome, GoLiveResult, GoLiveRun, GoLiveStatus
from sync.services import golive_match
from sync.services.golive_match import ObjectPlan
from sync.services.connections import netsuite_connector, salesforce_connector

CHUNK = 500  # Salesforce records matched between two progress saves

Progress = Callable[[GoLiveRun], None]


@dataclass
class NetSuiteIndex:
    """NetSuite records by (key name, normalised value); records already carrying an externalId apart."""

    rows: dict[str, dict[str, Any]] = field(default_factory=dict)
    by_key: dict[tuple[str, str], list[str]] = field(default_factory=lambda: defaultdict(list))
    by_external_id: dict[str, str] = field(default_factory=dict)

    def add(self, row: dict[str, Any], keys: Iterable[str]) -> None:
        record_id = str(row["id"])
        self.rows[record_id] = row
        external_id = str(row.get("externalid") or "")
        if external_id:
            # Linked to some Salesforce record already: never a candidate for another one.
            self.by_external_id[external_id] = record_id
            return
        for name, value in golive_match.netsuite_keys(row, keys).items():
            self.by_key[(name, value)].append(record_id)

    def candidates(self, keys: dict[str, str]) -> list[dict[str, Any]]:
        """The NetSuite records sharing at least one normalised key with a Salesforce record."""
        found: dict[str, None] = {}
        for name, value in keys.items():
            for record_id in self.by_key.get((name, value), ()):
                found[record_id] = None
        return [self.rows[record_id] for record_id in found]


def golive_scan_execute(run: GoLiveRun, *, on_progress: Progress | None = None) -> GoLiveRun:
    """Scan for ``run`` now: read both systems, match, store one result per Salesforce record.

    Claims the run first (queued -> scanning), so a redelivered task does nothing. Nothing is written to
    Salesforce or NetSuite. On failure the run is marked failed with the reason and the error re-raised.
    """
    claimed = GoLiveRun.objects.filter(pk=run.pk, status=GoLiveStatus.QUEUED).update(
        status=GoLiveStatus.SCANNING
    )
    run.refresh_from_db()
    if not claimed:
        return run
    try:
        version_id, plans = golive_match.object_plans()
        salesforce = salesforce_connector(run.salesforce_connection)
        netsuite = netsuite_connector(run.netsuite_connection)
        total = sum(salesforce.count(_count_query(plan.soql)) for plan in plans)
        _save(run, mapping_version_id=version_id, total=total)
        if on_progress:
            on_progress(run)
        for plan in plans:
            _scan_object(run, plan, salesforce, netsuite, on_progress)
    except Exception as exc:  # the run stops; the reason is shown where it was started
        _save(run, status=GoLiveStatus.FAILED, error=str(exc)[:2000], finished_at=timezone.now())
        raise
    _save(run, status=GoLiveStatus.READY, scanned_at=timezone.now())
    if on_progress:
        on_progress(run)
    return run


def _scan_object(
    run: GoLiveRun,
    plan: ObjectPlan,
    salesforce: SalesforceConnector,
    netsuite: NetSuiteConnector,
    on_progress: Progress | None,
) -> None:
    index = NetSuiteIndex()
    for row in netsuite.suiteql_by_key(plan.suiteql):
        index.add(row, plan.keys)
    cross_references = dict(
        CrossReference.objects.filter(
            netsuite_connection=run.netsuite_connection, netsuite_type=plan.netsuite_type
        ).values_list("salesforce_id", "netsuite_id")
    )
    for chunk in _chunks(salesforce.query(plan.soql), CHUNK):
        results = [_match(run, plan, record, index, cross_references) for record in chunk]
        GoLiveResult.objects.bulk_create(results, ignore_conflicts=True)
        counts = {outcome: sum(r.outcome == outcome for r in results) for outcome in GoLiveOutcome.values}
        _save(
            run,
            done=run.done + len(results),
            linked=run.linked + counts[GoLiveOutcome.LINKED],
            suspects=run.suspects + counts[GoLiveOutcome.SUSPECT],
            unmatched=run.unmatched + counts[GoLiveOutcome.UNMATCHED],
            already_linked=run.already_linked + counts[GoLiveOutcome.ALREADY_LINKED],
        )
        if on_progress:
            on_progress(run)


def _match(
    run: GoLiveRun,
    plan: ObjectPlan,
    record: dict[str, Any],
    index: NetSuiteIndex,
    cross_references: dict[str, str],
) -> GoLiveResult:
    salesforce_id = str(record["Id"])
    fields = {name: value for name, value in record.items() if name not in ("attributes", "Id")}
    result = GoLiveResult(
        run=run,
        salesforce_type=plan.salesforce_type,
        salesforce_id=salesforce_id,
        salesforce_name=golive_match.display_name(record)[:255],
        salesforce_fields=fields,
        netsuite_type=plan.netsuite_type,
        external_id=salesforce_id,
    )
    linked_id = cross_references.get(salesforce_id) or index.by_external_id.get(salesforce_id)
    if linked_id:
        result.outcome = GoLiveOutcome.ALREADY_LINKED
        result.chosen_id = linked_id
        result.reasons = ["Concord already links it" if salesforce_id in cross_references else
                          "the NetSuite record already carries its id as externalId"]
        return result
    keys = golive_match.salesforce_keys(record, plan.keys)
    decision = golive_match.classify(keys, index.candidates(keys), plan.keys)
    result.outcome = decision.outcome
    result.reasons = list(decision.reasons)
    result.candidates = [
        {"id": str(candidate.row["id"]), "fields": _shown(candidate.row), "reasons": list(candidate.reasons)}
        for candidate in decision.candidates
    ]
    result.chosen_id = decision.chosen_id
    return result


def _shown(row: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in row.items() if name != "id"}


def _count_query(soql: str) -> str:
    """``SELECT COUNT() FROM X`` for ``SELECT a, b FROM X [ORDER BY ...]``."""
    after_from = soql[soql.upper().index(" FROM ") :]
    order = after_from.upper().find(" ORDER BY ")
    return "SELECT COUNT()" + (after_from[:order] if order >= 0 else after_from)


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
    for name, value in values.items():
        setattr(run, name, value)
    # A plain UPDATE in its own short transaction: progress must be visible while the run goes on.
    GoLiveRun.objects.filter(pk=run.pk).update(**values)
