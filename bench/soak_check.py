"""The soak's invariants, checked once the run has settled (issue 12, point 2).

For each opportunity of the run: exactly one sales order in NetSuite with its id as externalId, or an
open exception in the queue; none missing, none duplicated (the sales orders NetSuite gained during the
run are exactly the synced ones; no customer or contact external id twice; no order holding a quote line
twice, as a retried write without ``?replace=item`` would leave it); every inbox row DONE (a
set-aside row only with its open exception); every cross-reference names the record NetSuite holds under
its external id. NetSuite is read through the real connector (SuiteQL), Concord's side through the ORM.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from sync.connections.connectors.netsuite import NetSuiteConnector
from sync.connections.models import Connection
from sync.exceptions.models import ACTIVE_STATUSES, ExceptionItem
from sync.pipeline.failures import sync_dedup_key
from sync.pipeline.inbox import inbox_dedup_key
from sync.pipeline.models import CrossReference, InboxMessage, InboxStatus

# NetSuite record types whose cross-references the check compares, with their SuiteQL table and filter.
CHECKED_TYPES = {
    "salesOrder": ("transaction", "recordtype = 'salesorder'"),
    "customer": ("customer", ""),
    "contact": ("contact", ""),
}
SAMPLE = 10  # ids listed per violation kind; the counts are complete


@dataclass
class SoakReport:
    opportunities: int = 0
    synced_once: int = 0
    in_exception_queue: int = 0
    lost: list[str] = field(default_factory=list)
    duplicated_orders: list[str] = field(default_factory=list)
    duplicated_order_lines: list[str] = field(default_factory=list)
    unexplained_new_orders: int = 0
    duplicate_customers: list[str] = field(default_factory=list)
    duplicate_contacts: list[str] = field(default_factory=list)
    inbox_rows: int = 0
    inbox_done: int = 0
    inbox_set_aside: int = 0
    inbox_unfinished: list[int] = field(default_factory=list)
    inbox_set_aside_without_exception: list[int] = field(default_factory=list)
    xref_checked: int = 0
    xref_mismatched: list[str] = field(default_factory=list)
    synced_without_xref: list[str] = field(default_factory=list)

    def violations(self) -> dict[str, int]:
        """Each broken invariant with how many cases break it (empty when the run is sound)."""
        found = {
            "lost": len(self.lost),
            "duplicated_orders": len(self.duplicated_orders),
            "duplicated_order_lines": len(self.duplicated_order_lines),
            "unexplained_new_orders": self.unexplained_new_orders,
            "duplicate_customers": len(self.duplicate_customers),
            "duplicate_contacts": len(self.duplicate_contacts),
            "inbox_unfinished": len(self.inbox_unfinished),
            "inbox_set_aside_without_exception": len(self.inbox_set_aside_without_exception),
            "xref_mismatched": len(self.xref_mismatched),
            "synced_without_xref": len(self.synced_without_xref),
        }
        return {name: count for name, count in found.items() if count}

    @property
    def ok(self) -> bool:
        return not self.violations() and self.synced_once + self.in_exception_queue == self.opportunities

    def summary(self) -> dict[str, Any]:
        """Counts, plus a sample of the ids behind each violation (JSON-ready)."""
        data = asdict(self)
        for name, value in data.items():
            if isinstance(value, list):
                data[name] = {"count": len(value), "sample": value[:SAMPLE]}
        data["violations"] = self.violations()
        data["ok"] = self.ok
        return data


def netsuite_external_ids(netsuite: NetSuiteConnector, netsuite_type: str) -> list[tuple[str, str]]:
    """(externalId, internal id) of every record of a checked type that has an external id."""
    table, where = CHECKED_TYPES[netsuite_type]
    rows = netsuite.suiteql_by_key(f"SELECT id, externalid FROM {table}", where=where)  # noqa: S608
    return [(str(row["externalid"]), str(row["id"])) for row in rows if row.get("externalid")]


def sales_order_count(netsuite: NetSuiteConnector) -> int:
    table, where = CHECKED_TYPES["salesOrder"]
    return sum(1 for _ in netsuite.suiteql_by_key(f"SELECT id FROM {table}", where=where))  # noqa: S608


def orders_without_external_id(netsuite: NetSuiteConnector) -> int:
    """Sales orders NetSuite holds with no external id (none of Concord's writes makes one)."""
    return sales_order_count(netsuite) - len(netsuite_external_ids(netsuite, "salesOrder"))


def orders_with_a_quote_line_twice(netsuite: NetSuiteConnector) -> list[str]:
    """External ids of the sales orders holding some quote line more than once (lines appended to the
    ones an earlier write left, instead of replacing them)."""
    query = (
        "SELECT t.externalid AS eid, COUNT(*) AS n FROM transactionline tl "
        "JOIN transaction t ON t.id = tl.transaction "
        "WHERE t.recordtype = 'salesorder' AND tl.custcol_sf_quote_line_id IS NOT NULL "
        "GROUP BY t.externalid, tl.custcol_sf_quote_line_id HAVING COUNT(*) > 1"
    )
    return sorted({str(row.get("eid") or "") for row in netsuite.suiteql(query)})


def soak_check(
    *,
    netsuite: NetSuiteConnector,
    netsuite_connection: Connection,
    opportunity_ids: Sequence[str],
    orders_without_external_id_before: int | None = None,
) -> SoakReport:
    """Check the invariants for ``opportunity_ids``.

    NetSuite refuses a second record with the same external id, so a duplicated order would be one
    created without it: given ``orders_without_external_id_before`` (see
    :func:`orders_without_external_id`, taken when the run started), the check counts those gained.
    """
    wanted = list(dict.fromkeys(opportunity_ids))
    report = SoakReport(opportunities=len(wanted))
    in_netsuite = {kind: netsuite_external_ids(netsuite, kind) for kind in CHECKED_TYPES}
    orders = Counter(eid for eid, _ in in_netsuite["salesOrder"])
    report.duplicate_customers = _twice(in_netsuite["customer"])
    report.duplicate_contacts = _twice(in_netsuite["contact"])
    report.duplicated_order_lines = orders_with_a_quote_line_twice(netsuite)

    queued = _opportunities_with_open_exceptions(netsuite_connection)
    for opportunity_id in wanted:
        count = orders.get(opportunity_id, 0)
        if count == 1:
            report.synced_once += 1
        elif count > 1:
            report.duplicated_orders.append(opportunity_id)
        elif opportunity_id in queued:
            report.in_exception_queue += 1
        else:
            report.lost.append(opportunity_id)
    if orders_without_external_id_before is not None:
        without = sales_order_count(netsuite) - len(in_netsuite["salesOrder"])
        report.unexplained_new_orders = max(0, without - orders_without_external_id_before)

    _check_inbox(report, wanted)
    _check_cross_references(report, netsuite_connection, in_netsuite, wanted, orders)
    return report


def _twice(pairs: Iterable[tuple[str, str]]) -> list[str]:
    counts = Counter(eid for eid, _ in pairs)
    return sorted(eid for eid, n in counts.items() if n > 1)


def _opportunities_with_open_exceptions(netsuite_connection: Connection) -> set[str]:
    """Opportunities an open exception names: a failed sync (its dedup key) or a set-aside inbox row."""
    prefix = sync_dedup_key(netsuite_connection_id=netsuite_connection.pk, opportunity_id="")
    keys = ExceptionItem.objects.filter(status__in=ACTIVE_STATUSES).values_list("dedup_key", flat=True)
    found = {key[len(prefix) :] for key in keys if key.startswith(prefix)}
    set_aside = InboxMessage.objects.filter(status=InboxStatus.FAILED)
    open_keys = set(keys)
    found.update(m.record_id for m in set_aside if inbox_dedup_key(m) in open_keys)
    return found


def _check_inbox(report: SoakReport, wanted: list[str]) -> None:
    rows = list(InboxMessage.objects.filter(record_id__in=wanted))
    open_keys = set(
        ExceptionItem.objects.filter(status__in=ACTIVE_STATUSES).values_list("dedup_key", flat=True)
    )
    report.inbox_rows = len(rows)
    for row in rows:
        if row.status == InboxStatus.DONE:
            report.inbox_done += 1
        elif row.status == InboxStatus.FAILED:
            report.inbox_set_aside += 1
            if inbox_dedup_key(row) not in open_keys:
                report.inbox_set_aside_without_exception.append(row.pk)
        else:
            report.inbox_unfinished.append(row.pk)


def _check_cross_references(
    report: SoakReport,
    netsuite_connection: Connection,
    in_netsuite: dict[str, list[tuple[str, str]]],
    wanted: list[str],
    orders: Counter[str],
) -> None:
    by_type = {kind: dict(pairs) for kind, pairs in in_netsuite.items()}
    rows = CrossReference.objects.filter(
        netsuite_connection=netsuite_connection, netsuite_type__in=list(CHECKED_TYPES)
    ).values_list("netsuite_type", "external_id", "netsuite_id")
    order_xrefs: set[str] = set()
    for netsuite_type, external_id, netsuite_id in rows:
        report.xref_checked += 1
        if netsuite_type == "salesOrder":
            order_xrefs.add(external_id)
        if by_type[netsuite_type].get(external_id) != netsuite_id:
            report.xref_mismatched.append(f"{netsuite_type}:{external_id}")
    report.synced_without_xref = [i for i in wanted if orders.get(i) == 1 and i not in order_xrefs]
