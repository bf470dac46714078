"""The return flow: NetSuite invoices, payments, sales-order status, customers, credit memos, refunds,
fulfilments and subscription status back into Salesforce.

Reading follows the catch-up poll's rules. SuiteQL pages are keyset pages on (lastmodifieddate to the
second, id), so transactions sharing a second across a page boundary are all read; each run starts
``overlap`` before the watermark, so a transaction saved late with an earlier stamp is still read. A
re-read is harmless because nothing is sent that Salesforce already holds: every target record is read
first and only records whose mapped values differ are written. The watermark moves only after the
writes of a run went through; a record Salesforce refuses (or that cannot be mapped) opens an exception
without holding back the others. Its retry re-reads that one record, and its next clean write resolves it.

Each record type is its own flow (:data:`FLOWS`) and can be paused alone. The run keeps one watermark for
the pair (``return-flow:<sf>:<ns>``), and a *held* watermark per paused type
(``return-flow:<sf>:<ns>:<type>``), set where the shared one stood when the type was first left out: a
paused type is not read, the shared watermark moves on for the others, and the held one does not. Once the
type runs again, the run reads from the oldest watermark of the types it reads, and drops the held one when
it succeeds, so nothing of the paused type is skipped (re-reading the others is harmless, see above).

Customers are read the same way (their own keyset over the customer table), only those Concord created
(a cross-reference), and update their Salesforce account. Accounts and opportunities are synced both
ways: :mod:`sync.pipeline.ownership` writes only the fields NetSuite owns and records conflicts.
Subscriptions and their lines are read the same way too (each by its own keyset: a change order may
touch only a line), only those Concord made (they carry the quote id, or a cross-reference), and update
the CPQ Contract and its SBQQ__Subscription__c records; in an org without CPQ they are left out with a
note, and in an account without SuiteBilling there is nothing to read.

The Salesforce records are written in stages, so a record can link to one written before it in the same
run: invoices, order status and accounts; then credit memos (linked to their Invoice__c); then refunds
(linked to their Credit_Memo__c, whose refunded amount and status they update); then fulfilment status
(on the opportunity) and subscription status. What each graph holds: :mod:`sync.pipeline.return_graphs`.
Credit memos and refunds are upserted by their NetSuite id, so a write whose answer was lost and that is
sent again leaves one record; updates by record Id never create anything.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone

from core.correlation import correlation, current_correlation_id
from core.fields import field_fit
from sync.connections.connectors.errors import ConnectorError
from sync.connections.connectors.netsuite import NetSuiteConnector, table_missing
from sync.connections.connectors.salesforce import RecordResult, SalesforceConnector
from sync.connections.metadata.selectors import org_supplied_currency
from sync.connections.metadata.services import metadata_first_read
from sync.connections.models import Connection
from sync.connections.services import netsuite_connector, salesforce_connector
from sync.integrations.selectors import integration_for_pair
from sync.mappings.engine import ObjectPayload
from sync.mappings.metadata_check import CURRENCY_FIELD
from sync.pipeline.eids import EidScope, eid_scope
from sync.pipeline.flow_state import flows_paused
from sync.pipeline.keyset import PAGE_SIZE, STAMP_FORMAT, keyset_rows
from sync.pipeline.keyset import stamp_text as _stamp_text
from sync.pipeline.models import (
    MESSAGE_LIMIT,
    JobStatus,
    PollWatermark,
    ReturnRecord,
    ReturnStatus,
    SyncJob,
)
from sync.pipeline.operations import invoice_ledger_record
from sync.pipeline.overrides import payload_with_overrides
from sync.pipeline.ownership import TWO_WAY_OBJECTS, Decision, OwnershipLedger, same_value
from sync.pipeline.polling import soql_datetime
from sync.pipeline.problems import (
    ExceptionScope,
    Problem,
    RecordRef,
    Severity,
    exception_queue,
    retryable,
    subsidiary_of,
)
from sync.pipeline.return_graphs import (
    CachedReader,
    ReturnOwnership,
    SalesforceLinks,
    credit_memo_graph,
    fulfillment_graph,
    ref_id,
    refund_graph,
    subscription_graph,
)
from sync.pipeline.sources import live_lookups, live_mapping

logger = logging.getLogger(__name__)
OVERLAP = dt.timedelta(minutes=2)
FIRST_RUN_LOOKBACK = dt.timedelta(hours=24)

# SuiteQL transaction type -> REST record type -> the shipped flow that maps it.
RECORD_TYPES = {
    "SalesOrd": "salesOrder",
    "CustInvc": "invoice",
    "CustPymt": "customerPayment",
    "CustCred": "creditMemo",
    "CustRfnd": "customerRefund",
    "ItemShip": "itemFulfillment",
}
FLOWS = {
    "invoice": "netsuite_invoice_to_salesforce",
    "customerPayment": "netsuite_payment_to_salesforce",
    "salesOrder": "netsuite_order_status_to_salesforce",
    "customer": "netsuite_customer_to_salesforce",
    "creditMemo": "netsuite_credit_memo_to_salesforce",
    "customerRefund": "netsuite_refund_to_salesforce",
    "itemFulfillment": "netsuite_fulfillment_to_salesforce",
    "subscription": "netsuite_subscription_to_salesforce",
}
# The Salesforce objects updated by record Id (never created); the others are upserted by these keys.
UPDATED_BY_ID = ("Opportunity", "Account", "Contract", "SBQQ__Subscription__c")
INVOICE_KEY = "NetSuite_Invoice_Id__c"
UPSERT_KEYS = {
    "Invoice__c": INVOICE_KEY,
    "Credit_Memo__c": "NetSuite_Credit_Memo_Id__c",
    "Refund__c": "NetSuite_Refund_Id__c",
}
# The stages of a run: the record types mapped, then the objects written, in order (see the docstring).
STAGES: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = (
    (("invoice", "customerPayment", "salesOrder", "customer"), ("Invoice__c", "Opportunity", "Account")),
    (("creditMemo",), ("Credit_Memo__c",)),
    (("customerRefund",), ("Refund__c", "Credit_Memo__c")),
    (("itemFulfillment", "subscription"), ("Opportunity", "Contract", "SBQQ__Subscription__c")),
)
# A record type that also updates what another type's own read writes, and that type's object: the own
# read (with the same balances, read this run) is written and the partial update left out.
PARTIAL_UPDATES = {
    "customerPayment": ("Invoice__c", "invoice"),
    "customerRefund": ("Credit_Memo__c", "credit memo"),
}
# Trail rows are one per record except a payment's (one per invoice it applies to).
PER_INVOICE_TRAIL = ("invoice", "customerPayment")
NO_CPQ_NOTE = (
    "subscription status not returned: this Salesforce org has no CPQ contracts with Concord's fields "
    "(Contract.SBQQ__Quote__c, NetSuite_Subscription_Id__c), so there is no contract to update"
)
NO_SUITEBILLING_NOTE = "subscription status not read: this NetSuite account has no SuiteBilling subscriptions"
JOB_FLOW = "netsuite_to_salesforce"

TrailKey = tuple[str, str, str]  # (NetSuite record type, internal id, invoice id or "")


@dataclass
class ReturnFlowResult:
    read: int = 0
    invoices_written: int = 0
    opportunities_written: int = 0
    accounts_written: int = 0
    credit_memos_written: int = 0
    refunds_written: int = 0
    contracts_written: int = 0
    subscriptions_written: int = 0
    conflicts: int = 0  # field conflicts recorded (sync.pipeline.ownership)
    unchanged: int = 0
    failed: int = 0
    watermark: dt.datetime | None = None
    problems: list[str] = field(default_factory=list)
    job: SyncJob | None = None
    # What each transaction read links to and what became of it: the job's ReturnRecords, unsaved.
    trail: dict[TrailKey, ReturnRecord] = field(default_factory=dict)
    # The subsidiary (id, name) of each NetSuite record read, for the scope of its exception.
    subsidiaries: dict[tuple[str, str], tuple[str, str]] = field(default_factory=dict)
    # Fields of an exception retry's approved value changes that went into a Salesforce body.
    overrides_sent: list[str] = field(default_factory=list)
    # What was left out on purpose and why (an org without CPQ); not a failure.
    notes: list[str] = field(default_factory=list)
    # The integration the run writes for (set when it maps): its exceptions' keys and scope.
    scope: EidScope | None = None

    @property
    def written(self) -> int:
        return (
            self.invoices_written
            + self.opportunities_written
            + self.accounts_written
            + self.credit_memos_written
            + self.refunds_written
            + self.contracts_written
            + self.subscriptions_written
        )


@dataclass
class _Pending:
    """One Salesforce record to write, and the NetSuite record it came from (for exceptions)."""

    key: str  # external id (Invoice__c) or record Id (Opportunity, Account)
    body: dict[str, Any]
    create_body: dict[str, Any]
    source: tuple[str, str]  # (NetSuite record type, internal id)
    salesforce_owned: tuple[str, ...] = ()  # fields the mapping says Salesforce owns
    record_only: tuple[str, ...] = ()  # fields whose conflicts are recorded, the owner's value not forced
    update_only: bool = False  # the mapping updates this record only: never created when missing

    @property
    def trail_key(self) -> TrailKey:
        record_type, record_id = self.source
        return (record_type, record_id, self.key if record_type in PER_INVOICE_TRAIL else "")


def changed_since(
    netsuite: NetSuiteConnector,
    since: dt.datetime,
    *,
    page_size: int = PAGE_SIZE,
    codes: Iterable[str] | None = None,
) -> Iterator[dict[str, Any]]:
    """Transactions of the return flow's types (``codes``: the SuiteQL types, all by default) with
    ``lastmodifieddate >= since`` in (second, id) order."""
    types = ", ".join(
        f"'{code}'" for code in (codes if codes is not None else RECORD_TYPES) if code in RECORD_TYPES
    )
    yield from keyset_rows(netsuite, since, "transaction", "id, type", f"type IN ({types})", page_size)


def customers_changed_since(
    netsuite: NetSuiteConnector, since: dt.datetime, *, page_size: int = PAGE_SIZE
) -> Iterator[dict[str, Any]]:
    """Customers Concord made (they carry the Salesforce account id) with ``lastmodifieddate >= since``."""
    condition = "custentity_sf_account_id IS NOT NULL"
    yield from keyset_rows(netsuite, since, "customer", "id", condition, page_size)


def subscriptions_changed_since(
    netsuite: NetSuiteConnector, since: dt.datetime, *, page_size: int = PAGE_SIZE
) -> Iterator[dict[str, Any]]:
    """Subscriptions changed since ``since``, and those whose lines changed (a change order may touch only
    a line): rows ``{"id": subscription id, "modified": stamp}``, each keyset read on its own table.
    Nothing where the account has no SuiteBilling (the tables do not exist)."""
    yield from keyset_rows(netsuite, since, "subscription", "id", "", page_size)
    try:
        for row in keyset_rows(netsuite, since, "subscriptionline", "id, subscription", "", page_size):
            yield {"id": row["subscription"], "modified": row["modified"]}
    except ConnectorError as error:
        if not table_missing(error, "subscriptionline"):
            raise


def return_flow_run(
    *,
    salesforce: Connection,
    netsuite: Connection,
    overlap: dt.timedelta = OVERLAP,
    start: dt.datetime | None = None,
    page_size: int = PAGE_SIZE,
) -> ReturnFlowResult:
    """Bring what NetSuite changed since the watermark into Salesforce; see the module docstring.

    A run that read anything is recorded as a :class:`SyncJob` (flow ``netsuite_to_salesforce``) with
    one :class:`ReturnRecord` per transaction (per invoice, for a payment), under one correlation id.
    """
    with correlation(current_correlation_id()) as correlation_id:
        return _return_flow_run(salesforce, netsuite, overlap, start, page_size, correlation_id)


def _return_flow_run(
    salesforce: Connection,
    netsuite: Connection,
    overlap: dt.timedelta,
    start: dt.datetime | None,
    page_size: int,
    correlation_id: str,
) -> ReturnFlowResult:
    mark, _ = PollWatermark.objects.get_or_create(
        name=f"return-flow:{salesforce.pk}:{netsuite.pk}",
        defaults={"salesforce_connection": salesforce, "netsuite_connection": netsuite, "watermark": start},
    )
    result = ReturnFlowResult(watermark=mark.watermark)
    reading, held = _types_to_read(mark, salesforce, netsuite)
    if not reading:
        return result  # every return flow is paused: nothing read, no watermark moves
    base = mark.watermark or timezone.now() - FIRST_RUN_LOOKBACK
    since = min([base, *(held[t].watermark or base for t in reading if t in held)]) - overlap
    ns = netsuite_connector(netsuite)
    sf = salesforce_connector(salesforce)
    metadata_first_read(salesforce)  # whether the org is single-currency (what is left out of writes)
    # The pair's integration: only its records come back, only to its own org (sync.pipeline.eids).
    scope = eid_scope(salesforce.pk, netsuite.pk)
    highest = mark.watermark
    changed: dict[str, list[str]] = {record_type: [] for record_type in FLOWS}
    codes = [code for code, record_type in RECORD_TYPES.items() if record_type in reading]
    for row in changed_since(ns, since, page_size=page_size, codes=codes) if codes else ():
        stamp = dt.datetime.strptime(_stamp_text(row["modified"]), STAMP_FORMAT).replace(tzinfo=dt.UTC)
        highest = stamp if highest is None or stamp > highest else highest
        changed[RECORD_TYPES[row["type"]]].append(str(row["id"]))
        result.read += 1
    customers = []
    for row in customers_changed_since(ns, since, page_size=page_size) if "customer" in reading else ():
        stamp = dt.datetime.strptime(_stamp_text(row["modified"]), STAMP_FORMAT).replace(tzinfo=dt.UTC)
        highest = stamp if highest is None or stamp > highest else highest
        customers.append(str(row["id"]))
    changed["customer"] = _known_customers(netsuite, customers, scope)
    result.read += len(changed["customer"])
    if "subscription" in reading:
        changed["subscription"], highest = _subscriptions_to_read(
            ns, sf, since, page_size, highest, result, scope
        )
    result.read += len(changed["subscription"])
    done = _map_and_write(ns, sf, changed, salesforce.pk, netsuite.pk, result, scope=scope)
    for note in result.notes:
        logger.info("return flow %s -> %s: %s", netsuite.name, salesforce.name, note)
    _record_job(result, salesforce, netsuite, "return_flow", correlation_id)
    if not done:
        return result  # the next run reads it all again
    PollWatermark.objects.filter(pk=mark.pk).update(
        watermark=highest, last_polled_at=timezone.now(), last_found=result.written
    )
    # The types read are caught up to the shared watermark again.
    PollWatermark.objects.filter(pk__in=[held[t].pk for t in reading if t in held]).delete()
    result.watermark = highest
    return result


def _types_to_read(
    mark: PollWatermark, salesforce: Connection, netsuite: Connection
) -> tuple[list[str], dict[str, PollWatermark]]:
    """The record types whose flow runs, and the held watermark of each type that has one (created here
    for a paused type, where the shared watermark stands, before the shared one moves on without it)."""
    paused = flows_paused(list(FLOWS.values()), integration_for_pair(salesforce.pk, netsuite.pk))
    held: dict[str, PollWatermark] = {}
    for record_type, flow in FLOWS.items():
        name = f"{mark.name}:{record_type}"
        if flow in paused:
            held[record_type], _ = PollWatermark.objects.get_or_create(
                name=name,
                defaults={
                    "salesforce_connection": salesforce,
                    "netsuite_connection": netsuite,
                    "watermark": mark.watermark or timezone.now() - FIRST_RUN_LOOKBACK,
                },
            )
        else:
            found = PollWatermark.objects.filter(name=name).first()
            if found is not None:
                held[record_type] = found
    return [t for t, flow in FLOWS.items() if flow not in paused], held


def _subscriptions_to_read(
    ns: NetSuiteConnector,
    sf: SalesforceConnector,
    since: dt.datetime,
    page_size: int,
    highest: dt.datetime | None,
    result: ReturnFlowResult,
    scope: EidScope,
) -> tuple[list[str], dt.datetime | None]:
    """The subscriptions changed (or whose lines changed) since ``since``, and those of contracts CPQ made
    since then without NetSuite's status; the highest stamp read. None read, with a note, in an account
    without SuiteBilling or an org without CPQ."""
    subscriptions: list[str] = []
    try:
        for row in subscriptions_changed_since(ns, since, page_size=page_size):
            stamp = dt.datetime.strptime(_stamp_text(row["modified"]), STAMP_FORMAT).replace(tzinfo=dt.UTC)
            highest = stamp if highest is None or stamp > highest else highest
            subscriptions.append(str(row["id"]))
    except ConnectorError as error:
        if not table_missing(error, "subscription"):
            raise
        result.notes.append(NO_SUITEBILLING_NOTE)
        return [], highest
    waiting = _contracts_waiting(sf, since)
    if waiting is None:
        if subscriptions:
            result.notes.append(NO_CPQ_NOTE)
        return [], highest
    subscriptions.extend(_subscriptions_of_quotes(ns, waiting, scope.suiteql_owned()))
    return list(dict.fromkeys(subscriptions)), highest


def _contracts_waiting(sf: SalesforceConnector, since: dt.datetime) -> list[str] | None:
    """The quotes of CPQ contracts made or changed since ``since`` that show no NetSuite subscription yet:
    CPQ may contract a deal after its NetSuite subscription last changed, so the subscription is read
    again for them. None in an org without CPQ (Salesforce refuses the fields)."""
    soql = (
        "SELECT SBQQ__Quote__c FROM Contract WHERE NetSuite_Subscription_Id__c = null "  # noqa: S608
        f"AND SBQQ__Quote__c != null AND SystemModstamp >= {soql_datetime(since)}"
    )
    try:
        return [str(row["SBQQ__Quote__c"]) for row in sf.query(soql)]
    except ConnectorError as error:
        if error.code in ("INVALID_FIELD", "INVALID_TYPE"):
            return None
        raise


def _subscriptions_of_quotes(ns: NetSuiteConnector, quotes: list[str], owned: str = "") -> list[str]:
    """The NetSuite subscriptions Concord made from ``quotes`` (their ``custrecord_sf_quote_id``) for the
    integration (``owned``: a SuiteQL condition on its external ids; another org may have the same quotes)."""
    found: list[str] = []
    also = f" AND {owned}" if owned else ""
    for start in range(0, len(quotes), 200):
        listed = ", ".join("'" + quote.replace("'", "''") + "'" for quote in quotes[start : start + 200])
        query = f"SELECT id FROM subscription WHERE custrecord_sf_quote_id IN ({listed}){also}"  # noqa: S608
        found.extend(str(row["id"]) for row in ns.suiteql(query))
    return found


def _known_customers(netsuite: Connection, ids: list[str], scope: EidScope) -> list[str]:
    """The customers the integration created or shares (a cross-reference of its own), in the order read;
    others are not its."""
    known: set[str] = set()
    for start in range(0, len(ids), 500):
        known.update(
            scope.xrefs()
            .filter(
                netsuite_connection=netsuite,
                netsuite_type="customer",
                netsuite_id__in=ids[start : start + 500],
            )
            .values_list("netsuite_id", flat=True)
        )
    return [record_id for record_id in ids if record_id in known]


@retryable
def return_record_retry(
    *,
    netsuite_type: str,
    netsuite_id: str,
    salesforce_connection_id: int,
    netsuite_connection_id: int,
    overrides: dict[str, object] | None = None,
) -> ReturnFlowResult:
    """An exception's retry: read, map and write that one NetSuite record again (the watermark stays),
    with the exception's approved ``overrides`` ({field: value}) in the Salesforce bodies."""
    salesforce = Connection.objects.get(pk=salesforce_connection_id)
    netsuite = Connection.objects.get(pk=netsuite_connection_id)
    changed: dict[str, list[str]] = {record_type: [] for record_type in FLOWS}
    changed[netsuite_type].append(netsuite_id)
    result = ReturnFlowResult(read=1)
    metadata_first_read(salesforce)
    with correlation(current_correlation_id()) as correlation_id:
        _map_and_write(
            netsuite_connector(netsuite),
            salesforce_connector(salesforce),
            changed,
            salesforce.pk,
            netsuite.pk,
            result,
            overrides=overrides,
            scope=eid_scope(salesforce.pk, netsuite.pk),
        )
        _record_job(result, salesforce, netsuite, "retry", correlation_id)
    if result.overrides_sent:
        exception_queue().overrides_sent(
            dedup_key=_dedup_key((salesforce.pk, netsuite.pk), result, (netsuite_type, netsuite_id)),
            fields=result.overrides_sent,
            job_id=result.job.pk if result.job is not None else None,
        )
    return result


def _record_job(
    result: ReturnFlowResult, salesforce: Connection, netsuite: Connection, trigger: str, correlation_id: str
) -> None:
    """Store the run as a job with its ReturnRecords (nothing when nothing was read)."""
    if not result.trail:
        return
    rows = list(result.trail.values())
    failed = sum(1 for row in rows if row.status == ReturnStatus.FAILED)
    status = (
        JobStatus.SUCCEEDED if not failed else JobStatus.PARTIAL if failed < len(rows) else JobStatus.FAILED
    )
    with transaction.atomic():
        job = SyncJob.objects.create(
            flow=JOB_FLOW,
            trigger=trigger,
            status=status,
            salesforce_connection=salesforce,
            netsuite_connection=netsuite,
            records_total=len(rows),
            records_synced=sum(1 for row in rows if row.status == ReturnStatus.WRITTEN),
            records_failed=failed,
            finished_at=timezone.now(),
            message="; ".join([*result.problems, *result.notes])[:MESSAGE_LIMIT],
            correlation_id=correlation_id,
        )
        for row in rows:
            row.job = job
            row.message = row.message[:MESSAGE_LIMIT]
        ReturnRecord.objects.bulk_create(rows)
    result.job = job


def _map_and_write(
    ns: NetSuiteConnector,
    sf: SalesforceConnector,
    changed: dict[str, list[str]],
    salesforce_pk: int,
    netsuite_pk: int,
    result: ReturnFlowResult,
    overrides: Mapping[str, Any] | None = None,
    scope: EidScope | None = None,
) -> bool:
    """Map and write stage by stage (:data:`STAGES`). False when a whole Salesforce call failed (down,
    session refused): nothing may be taken as done. Only ``scope``'s records (the pair's integration) are
    brought back (:class:`~sync.pipeline.return_graphs.ReturnOwnership`)."""
    pair = (salesforce_pk, netsuite_pk)
    scope = scope or eid_scope(salesforce_pk, netsuite_pk)
    result.scope = scope
    read = CachedReader(ns)
    links = SalesforceLinks(sf, netsuite_pk, scope)
    ownership = ReturnOwnership(scope, read, netsuite_pk)
    own: dict[str, set[str]] = {}  # keys written from a record's own read, by object
    # A single-currency org: CurrencyIsoCode is not written, and a record in another currency is refused.
    org_currency = org_supplied_currency(salesforce_pk)
    try:
        for record_types, objects in STAGES:
            if not any(changed.get(record_type) for record_type in record_types):
                continue
            targets = _map(
                read,
                links,
                ownership,
                record_types,
                changed,
                pair,
                result,
                overrides or {},
                own,
                org_currency,
            )
            for sobject in objects:
                written = _write(sf, sobject, targets.get(sobject, {}), pair, result)
                _count(result, sobject, written)
    except ConnectorError as error:
        result.problems.append(f"return flow write failed: {error}")
        for row in result.trail.values():
            if row.status == ReturnStatus.READ:
                row.status, row.message = ReturnStatus.FAILED, f"return flow write failed: {error}"
        return False
    return True


WRITTEN_COUNTS = {
    "Invoice__c": "invoices_written",
    "Opportunity": "opportunities_written",
    "Account": "accounts_written",
    "Credit_Memo__c": "credit_memos_written",
    "Refund__c": "refunds_written",
    "Contract": "contracts_written",
    "SBQQ__Subscription__c": "subscriptions_written",
}


def _count(result: ReturnFlowResult, sobject: str, written: int) -> None:
    name = WRITTEN_COUNTS[sobject]
    setattr(result, name, getattr(result, name) + written)


def _map(
    read: CachedReader,
    links: SalesforceLinks,
    ownership: ReturnOwnership,
    record_types: tuple[str, ...],
    changed: dict[str, list[str]],
    pair: tuple[int, int],
    result: ReturnFlowResult,
    overrides: Mapping[str, Any],
    own: dict[str, set[str]],
    org_currency: str = "",
) -> dict[str, dict[str, _Pending]]:
    """Read each changed record of ``record_types`` in full and map it: bodies by Salesforce object, then
    by external id or record Id. A record's own read wins over another's partial update of it (an
    invoice over its payment, a credit memo over its refund). In a single-currency org (``org_currency``)
    the bodies leave ``CurrencyIsoCode`` out, and a record in another currency is an exception."""
    integration = integration_for_pair(*pair)
    lookups, _ = live_lookups(read.ns, None, integration)
    targets: dict[str, dict[str, _Pending]] = {}
    for record_type in record_types:
        if not changed.get(record_type):
            continue
        version_id, mapping = live_mapping(FLOWS[record_type], integration)
        for record_id in changed[record_type]:
            graph = _graph_read(read, links, record_type, record_id)
            if graph is None or not ownership.owns(record_type, graph):
                continue  # not Concord's, or another integration's: nothing to bring back, nothing to note
            mapped = mapping.apply(graph, lookups=lookups)
            source = (record_type, record_id)
            result.subsidiaries[source] = subsidiary_of(graph)
            _trail(result, record_type, record_id, graph, version_id)
            if mapped.problems:
                _unmappable(source, pair, result, [str(problem) for problem in mapped.problems])
                continue
            if org_currency and not _in_org_currency(mapped.payloads, org_currency, source, pair, result):
                continue
            for payload in mapped.payloads:
                if overrides:
                    payload, applied = payload_with_overrides(payload, overrides, mapping.dependency_order())
                    result.overrides_sent.extend(f for f in applied if f not in result.overrides_sent)
                _collect(payload, source, result, own, targets)
    return targets


def _in_org_currency(
    payloads: list[ObjectPayload],
    org_currency: str,
    source: tuple[str, str],
    pair: tuple[int, int],
    result: ReturnFlowResult,
) -> bool:
    """A single-currency org has no ``CurrencyIsoCode``: every body loses it, and True when the record is
    in the org's currency. A record mapped to another currency is not written (its amounts would show in
    the org's currency): False, with an exception saying so."""
    foreign = sorted(
        {
            str(payload.body[CURRENCY_FIELD])
            for payload in payloads
            if payload.body.get(CURRENCY_FIELD)
            and str(payload.body[CURRENCY_FIELD]).upper() != org_currency.upper()
        }
    )
    if foreign:
        message = (
            f"NetSuite {source[0]} {source[1]} is in {', '.join(foreign)}, but the Salesforce org is "
            f"single-currency in {org_currency}: not written, since its amounts would show as {org_currency}"
        )
        for key, row in result.trail.items():
            if key[:2] == source:
                row.status, row.message = ReturnStatus.FAILED, message
        _fail(
            source, pair, result, title=message, code="CURRENCY_NOT_IN_ORG", message=message, severity="high"
        )
        return False
    for payload in payloads:
        payload.body.pop(CURRENCY_FIELD, None)
    return True


def _collect(
    payload: ObjectPayload,
    source: tuple[str, str],
    result: ReturnFlowResult,
    own: dict[str, set[str]],
    targets: dict[str, dict[str, _Pending]],
) -> None:
    """Add the payload to what the stage writes, unless it is another record's partial update of a record
    read (and written) on its own this run."""
    pending = _pending(payload, source)
    if pending is None:
        return
    partial = PARTIAL_UPDATES.get(source[0])
    if partial is not None and payload.target_type == partial[0]:
        if pending.key in own.get(partial[0], set()):
            # The record itself was read this run, with the same balances.
            _trail_mark(result, pending, ReturnStatus.READ, message=f"written with its {partial[1]}")
            return
    elif payload.target_type in UPSERT_KEYS:
        own.setdefault(payload.target_type, set()).add(pending.key)
    targets.setdefault(payload.target_type, {})[pending.key] = pending


def _graph_read(
    read: CachedReader, links: SalesforceLinks, record_type: str, record_id: str
) -> dict[str, Any] | None:
    """The changed record in full, with what its mapping reads through it: an invoice's customer, the
    invoices a payment applies to, and for the other types :mod:`sync.pipeline.return_graphs`."""
    if record_type == "creditMemo":
        return credit_memo_graph(read, links, record_id)
    if record_type == "customerRefund":
        return refund_graph(read, links, record_id)
    if record_type == "itemFulfillment":
        return fulfillment_graph(read, links, record_id)
    if record_type == "subscription":
        return subscription_graph(read, links, record_id)
    graph = dict(read(record_type, record_id, expand=True if record_type == "customer" else None))
    if record_type == "invoice" and (graph.get("entity") or {}).get("id"):
        graph["customer"] = read("customer", str(graph["entity"]["id"]))
    if record_type == "customerPayment":
        for line in (graph.get("apply") or {}).get("items") or []:
            doc = str((line.get("doc") or {}).get("id") or "")
            if line.get("apply") and doc:
                line["invoice"] = read("invoice", doc)
    return graph


def _unmappable(
    source: tuple[str, str], pair: tuple[int, int], result: ReturnFlowResult, problems: list[str]
) -> None:
    """The record's mapping failed: its trail rows say why and it opens an exception."""
    first = problems[0]
    for key, row in result.trail.items():
        if key[:2] == source:
            row.status, row.message = ReturnStatus.FAILED, first
    _fail(
        source,
        pair,
        result,
        title=f"NetSuite {source[0]} {source[1]} cannot be mapped: {first}",
        code="MAPPING",
        message="; ".join(problems),
        severity="medium",
    )


def _trail(
    result: ReturnFlowResult, record_type: str, record_id: str, graph: dict[str, Any], version_id: int | None
) -> None:
    """Note the record and NetSuite's links from it: the order an invoice (or a fulfilment) was created
    from, the invoices a payment applies to, a credit memo's invoice, the opportunity id an order (and its
    invoices) carry."""
    ref = ref_id

    common = {
        "netsuite_type": record_type,
        "netsuite_id": record_id,
        "tran_id": field_fit(ReturnRecord, "tran_id", str(graph.get("tranId") or "")),
        "mapping_version_id": version_id,
    }
    opportunity = field_fit(
        ReturnRecord, "opportunity_id", str(graph.get("custbody_sf_opportunity_id") or "")
    )
    if record_type == "customer":
        common["tran_id"] = field_fit(ReturnRecord, "tran_id", str(graph.get("entityId") or ""))
        rows = [ReturnRecord(**common)]
    elif record_type == "salesOrder":
        rows = [ReturnRecord(**common, opportunity_id=opportunity, sales_order_id=record_id)]
    elif record_type == "invoice":
        order = ref(graph.get("createdFrom"))
        rows = [
            ReturnRecord(**common, opportunity_id=opportunity, sales_order_id=order, invoice_id=record_id)
        ]
    elif record_type == "subscription":
        common["tran_id"] = field_fit(ReturnRecord, "tran_id", str(graph.get("name") or ""))
        contract = str((graph.get("contract") or {}).get("Id") or "")
        rows = [ReturnRecord(**common, salesforce_id=field_fit(ReturnRecord, "salesforce_id", contract))]
    elif record_type == "itemFulfillment":
        fulfilled: dict[str, Any] = graph.get("salesOrder") or {}
        opportunity = str(fulfilled.get("custbody_sf_opportunity_id") or "") or str(
            (graph.get("salesforce") or {}).get("Opportunity") or ""
        )
        rows = [
            ReturnRecord(
                **common,
                opportunity_id=field_fit(ReturnRecord, "opportunity_id", opportunity),
                sales_order_id=ref(graph.get("createdFrom")),
            )
        ]
    elif record_type == "creditMemo":
        invoice = graph.get("invoice") or {}
        opportunity = opportunity or field_fit(
            ReturnRecord, "opportunity_id", str(invoice.get("custbody_sf_opportunity_id") or "")
        )
        rows = [
            ReturnRecord(
                **common,
                opportunity_id=opportunity,
                sales_order_id=ref(invoice.get("createdFrom")),
                invoice_id=str(invoice.get("id") or ""),
            )
        ]
    elif record_type == "customerRefund":
        rows = [ReturnRecord(**common)]
    else:
        applied = [
            ref(line.get("doc"))
            for line in (graph.get("apply") or {}).get("items") or []
            if line.get("apply") and ref(line.get("doc"))
        ]
        rows = [ReturnRecord(**common, invoice_id=invoice_id) for invoice_id in dict.fromkeys(applied)]
        rows = rows or [ReturnRecord(**common)]
    for row in rows:
        third = row.invoice_id if record_type in PER_INVOICE_TRAIL else ""
        result.trail[(row.netsuite_type, row.netsuite_id, third)] = row


# A record written to several Salesforce records (a refund and its credit memos, a subscription and its
# contract) keeps the gravest outcome: failed over written over unchanged.
_OUTCOME_RANK: dict[str, int] = {
    ReturnStatus.READ: 0,
    ReturnStatus.UNCHANGED: 1,
    ReturnStatus.WRITTEN: 2,
    ReturnStatus.FAILED: 3,
}


def _trail_mark(
    result: ReturnFlowResult, item: _Pending, status: str, *, salesforce_id: str = "", message: str = ""
) -> None:
    row = result.trail.get(item.trail_key)
    if row is None:
        return
    if _OUTCOME_RANK.get(status, 0) < _OUTCOME_RANK.get(row.status, 0):
        return
    row.status, row.message = status, message
    if salesforce_id and not (item.source[0] == "subscription" and row.salesforce_id):
        row.salesforce_id = field_fit(ReturnRecord, "salesforce_id", salesforce_id)
    if item.key and item.source[0] == "salesOrder":
        row.opportunity_id = row.opportunity_id or field_fit(ReturnRecord, "opportunity_id", item.key)
    elif not row.opportunity_id and item.create_body.get("Opportunity__c"):
        row.opportunity_id = field_fit(
            ReturnRecord, "opportunity_id", str(item.create_body["Opportunity__c"])
        )


def _pending(payload: ObjectPayload, source: tuple[str, str]) -> _Pending | None:
    if not payload.external_id:
        return None
    return _Pending(
        payload.external_id,
        payload.to_json(update=True),
        payload.to_json(),
        source,
        payload.target_owned_fields if payload.target_type in TWO_WAY_OBJECTS else (),
        payload.record_only_fields,
        payload.mode == "update_only",
    )


def _write(
    sf: SalesforceConnector,
    sobject: str,
    pending: dict[str, _Pending],
    pair: tuple[int, int],
    result: ReturnFlowResult,
) -> int:
    """Write what differs from Salesforce, in sObject Collections batches of 200; returns records written."""
    if not pending:
        return 0
    key_field = UPSERT_KEYS.get(sobject, "Id")
    held = _held_read(sf, sobject, key_field, pending)
    ledger = _ledger_for(sobject, pending, pair)
    # The invoices' ledger rows name the integration whose org they are written to (once per batch).
    invoices_of = integration_for_pair(*pair).pk if sobject == "Invoice__c" else None
    decisions: dict[str, Decision] = {}
    records: list[dict[str, Any]] = []
    sources: list[_Pending] = []
    for key, item in pending.items():
        body = _body_to_send(sobject, item, held.get(key), pair, result, ledger, decisions, invoices_of)
        if body is not None:
            records.append({**body, key_field: key})
            sources.append(item)
    if not records:
        if ledger is not None:
            ledger.flush()
        return 0
    if sobject in UPSERT_KEYS:
        outcomes = sf.collections_upsert(sobject, key_field, records)
    else:
        outcomes = sf.collections_update(sobject, records)
    written = 0
    for item, outcome in zip(sources, outcomes, strict=True):
        if ledger is not None and item.key in decisions:
            result.conflicts += len(ledger.record(decisions[item.key], written=outcome.success))
        written += _outcome_record(sobject, item, outcome, held, pair, result, invoices_of)
    if ledger is not None:
        ledger.flush()
    return written


def _held_read(
    sf: SalesforceConnector, sobject: str, key_field: str, pending: dict[str, _Pending]
) -> dict[str, dict[str, Any]]:
    """What Salesforce holds now of the fields the run would write, by key."""
    fields = sorted({name for item in pending.values() for name in item.create_body})
    columns = ", ".join(dict.fromkeys(["Id", key_field, *fields]))
    return {
        str(row[key_field]): row
        for row in sf.query_in(
            f"SELECT {columns} FROM {sobject} WHERE {key_field} IN ({{ids}})",  # noqa: S608
            pending,
        )
    }


def _ledger_for(sobject: str, pending: dict[str, _Pending], pair: tuple[int, int]) -> OwnershipLedger | None:
    """The ownership ledger of a two-way object (who owns each field, the last values both held)."""
    if sobject not in TWO_WAY_OBJECTS:
        return None
    flow = FLOWS[next(iter(pending.values())).source[0]]
    return OwnershipLedger(
        netsuite_connection_id=pair[1],
        flow=flow,
        sobject=sobject,
        ids=list(pending),
        scope=eid_scope(pair[0], pair[1]),
    )


def _body_to_send(
    sobject: str,
    item: _Pending,
    current: dict[str, Any] | None,
    pair: tuple[int, int],
    result: ReturnFlowResult,
    ledger: OwnershipLedger | None,
    decisions: dict[str, Decision],
    invoices_of: int | None = None,
) -> dict[str, Any] | None:
    """The body to write for ``item``; None when nothing is to be written (gone, or already current)."""
    key = item.key
    if current is None and (sobject in UPDATED_BY_ID or (item.update_only and sobject != "Invoice__c")):
        result.unchanged += 1  # update only: a record Salesforce does not have is left alone
        _trail_mark(result, item, ReturnStatus.READ, message=f"Salesforce has no such {sobject.lower()}")
        return None
    body = item.create_body if current is None else item.body
    if ledger is not None and current is not None:
        # Only what NetSuite owns and Salesforce does not hold yet; conflicts are recorded on the way.
        decision = ledger.decide(
            salesforce_id=key,
            netsuite=item.source,
            held=current,
            mapped=item.create_body,
            salesforce_owned=item.salesforce_owned,
            record_only=item.record_only,
        )
        decisions[key] = decision
        body = decision.write
        if not body:
            result.conflicts += len(ledger.record(decision, written=True))
    if current is not None and all(_same(current.get(name), value) for name, value in body.items()):
        result.unchanged += 1
        _trail_mark(result, item, ReturnStatus.UNCHANGED, salesforce_id=str(current.get("Id") or ""))
        if sobject == "Invoice__c" and invoices_of is not None:
            invoice_ledger_record(
                netsuite_connection_id=pair[1],
                integration_id=invoices_of,
                invoice_id=key,
                body=item.create_body,
            )
        exception_queue().resolve(dedup_key=_dedup_key(pair, result, item.source), note="already current")
        return None
    return body


def _outcome_record(
    sobject: str,
    item: _Pending,
    outcome: RecordResult,
    held: dict[str, dict[str, Any]],
    pair: tuple[int, int],
    result: ReturnFlowResult,
    invoices_of: int | None = None,
) -> int:
    """Note one record's outcome (its trail, the invoice ledger, its exception); 1 when it was written."""
    if not outcome.success:
        _refused(sobject, item, outcome, pair, result)
        return 0
    held_id = str((held.get(item.key) or {}).get("Id") or "")
    _trail_mark(result, item, ReturnStatus.WRITTEN, salesforce_id=outcome.id or held_id)
    if sobject == "Invoice__c" and invoices_of is not None:
        invoice_ledger_record(
            netsuite_connection_id=pair[1],
            integration_id=invoices_of,
            invoice_id=item.key,
            body=item.create_body,
        )
    exception_queue().resolve(dedup_key=_dedup_key(pair, result, item.source), note="written")
    return 1


def _refused(
    sobject: str, item: _Pending, outcome: RecordResult, pair: tuple[int, int], result: ReturnFlowResult
) -> None:
    error = outcome.error(f"return flow {sobject}")
    _trail_mark(result, item, ReturnStatus.FAILED, message=error.message)
    _fail(
        item.source,
        pair,
        result,
        title=f"{sobject} {item.key} from NetSuite {item.source[0]} {item.source[1]}: {error.message}",
        code=error.code,
        message=error.message,
        severity="high",
        salesforce=RecordRef("salesforce", sobject, outcome.id or item.key),
    )


def _fail(
    source: tuple[str, str],
    pair: tuple[int, int],
    result: ReturnFlowResult,
    *,
    title: str,
    code: str,
    message: str,
    severity: Severity,
    salesforce: RecordRef | None = None,
) -> None:
    result.failed += 1
    result.problems.append(title)
    records = [RecordRef("netsuite", source[0], source[1])] + ([salesforce] if salesforce else [])
    subsidiary_id, subsidiary_name = result.subsidiaries.get(source, ("", ""))
    scope = _scope_of(pair, result)
    problem = Problem(
        category="return_flow",
        dedup_key=_dedup_key(pair, result, source),
        title=title[:200],
        severity=severity,
        records=records,
        scope=ExceptionScope(
            netsuite_connection_id=pair[1],
            integration_id=scope.integration_id,
            subsidiary_id=subsidiary_id,
            subsidiary_name=subsidiary_name,
        ),
        vendor_code=code,
        vendor_message=message,
        retry_task="sync.pipeline.returns.return_record_retry",
        retry_kwargs={
            "netsuite_type": source[0],
            "netsuite_id": source[1],
            "salesforce_connection_id": pair[0],
            "netsuite_connection_id": pair[1],
        },
    )
    exception_queue().report(problem)


def return_dedup_key(*, netsuite_connection_id: int, source: tuple[str, str], namespace: str = "") -> str:
    """The exception key of a NetSuite record (``source``: type, internal id) brought back to one
    integration's org. A record two integrations share (a customer one created and the other linked, its
    invoices) fails for each on its own: another integration's key carries its ``namespace``; the
    primary integration's keys are as they always were, so its open exceptions still dedupe."""
    record_type, record_id = source
    if namespace:
        return f"return:{netsuite_connection_id}:{namespace}:{record_type}:{record_id}"
    return f"return:{netsuite_connection_id}:{record_type}:{record_id}"


def _scope_of(pair: tuple[int, int], result: ReturnFlowResult) -> EidScope:
    if result.scope is None:
        result.scope = eid_scope(*pair)
    return result.scope


def _dedup_key(pair: tuple[int, int], result: ReturnFlowResult, source: tuple[str, str]) -> str:
    namespace = _scope_of(pair, result).namespace
    return return_dedup_key(netsuite_connection_id=pair[1], source=source, namespace=namespace)


def _same(held: Any, sent: Any) -> bool:
    """Whether Salesforce already holds ``sent`` (numbers compared by value: 4950.0 is 4950)."""
    return same_value(held, sent)
