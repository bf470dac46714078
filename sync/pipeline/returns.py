"""The return flow: NetSuite invoices, customer payments and sales-order status back into Salesforce.

Reading follows the catch-up poll's rules. SuiteQL pages are keyset pages on (lastmodifieddate to the
second, id), so transactions sharing a second across a page boundary are all read; each run starts
``overlap`` before the watermark, so a transaction saved late with an earlier stamp is still read. A
re-read is harmless because nothing is sent that Salesforce already holds: every target record is read
first and only records whose mapped values differ are written. The watermark moves only after the
writes of a run went through; a record Salesforce refuses (or that cannot be mapped) opens an exception
without holding back the others. Its retry re-reads that one record, and its next clean write resolves it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils import timezone

from sync.connectors.errors import ConnectorError
from sync.connectors.netsuite import NetSuiteConnector
from sync.connectors.salesforce import SalesforceConnector
from sync.mapping import ObjectPayload
from sync.models import Connection, PollWatermark, Severity
from sync.pipeline.sources import live_lookups, live_mapping
from sync.services.connections import netsuite_connector, salesforce_connector
from sync.services.exception_retry import retryable
from sync.services.exceptions import RecordRef, exception_auto_resolve, exception_raise
from sync.services.operations import invoice_ledger_record

OVERLAP = dt.timedelta(minutes=2)
FIRST_RUN_LOOKBACK = dt.timedelta(hours=24)
PAGE_SIZE = 1000
STAMP = "YYYY-MM-DD HH24:MI:SS"
STAMP_FORMAT = "%Y-%m-%d %H:%M:%S"

# SuiteQL transaction type -> REST record type -> the shipped flow that maps it.
RECORD_TYPES = {"SalesOrd": "salesOrder", "CustInvc": "invoice", "CustPymt": "customerPayment"}
FLOWS = {
    "invoice": "netsuite_invoice_to_salesforce",
    "customerPayment": "netsuite_payment_to_salesforce",
    "salesOrder": "netsuite_order_status_to_salesforce",
}
INVOICE_KEY = "NetSuite_Invoice_Id__c"


@dataclass
class ReturnFlowResult:
    read: int = 0
    invoices_written: int = 0
    opportunities_written: int = 0
    unchanged: int = 0
    failed: int = 0
    watermark: dt.datetime | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def written(self) -> int:
        return self.invoices_written + self.opportunities_written


@dataclass
class _Pending:
    """One Salesforce record to write, and the NetSuite record it came from (for exceptions)."""

    key: str  # external id (Invoice__c) or record Id (Opportunity)
    body: dict[str, Any]
    create_body: dict[str, Any]
    source: tuple[str, str]  # (NetSuite record type, internal id)


def changed_since(
    netsuite: NetSuiteConnector, since: dt.datetime, *, page_size: int = PAGE_SIZE
) -> Iterator[dict[str, Any]]:
    """Invoices, payments and sales orders with ``lastmodifieddate >= since`` in (second, id) order."""
    stamp_of = f"TO_CHAR(lastmodifieddate, '{STAMP}')"
    types = ", ".join(f"'{code}'" for code in RECORD_TYPES)
    start = since.astimezone(dt.UTC).strftime(STAMP_FORMAT)
    after: tuple[str, int] | None = None
    while True:
        where = f"type IN ({types}) AND {stamp_of} >= '{start}'"
        if after is not None:
            # Strictly after the last row read: a later second, or the same second and a greater id.
            where += f" AND ({stamp_of} > '{after[0]}' OR ({stamp_of} = '{after[0]}' AND id > {after[1]}))"
        page = netsuite.suiteql_page(
            f"SELECT id, type, {stamp_of} AS modified FROM transaction WHERE {where} "  # noqa: S608
            f"ORDER BY {stamp_of}, id",
            limit=page_size,
        )
        yield from page.items
        if not page.has_more or not page.items:
            return
        last = page.items[-1]
        following = (_stamp_text(last["modified"]), int(last["id"]))
        if following == after:
            raise RuntimeError(f"keyset paging made no progress at {following}")
        after = following


def return_flow_run(
    *,
    salesforce: Connection,
    netsuite: Connection,
    overlap: dt.timedelta = OVERLAP,
    start: dt.datetime | None = None,
    page_size: int = PAGE_SIZE,
) -> ReturnFlowResult:
    """Bring what NetSuite changed since the watermark into Salesforce; see the module docstring."""
    mark, _ = PollWatermark.objects.get_or_create(
        name=f"return-flow:{salesforce.pk}:{netsuite.pk}",
        defaults={"salesforce_connection": salesforce, "netsuite_connection": netsuite, "watermark": start},
    )
    since = (mark.watermark or timezone.now() - FIRST_RUN_LOOKBACK) - overlap
    ns = netsuite_connector(netsuite)
    sf = salesforce_connector(salesforce)
    result = ReturnFlowResult(watermark=mark.watermark)
    highest = mark.watermark
    changed: dict[str, list[str]] = {record_type: [] for record_type in FLOWS}
    for row in changed_since(ns, since, page_size=page_size):
        stamp = dt.datetime.strptime(_stamp_text(row["modified"]), STAMP_FORMAT).replace(tzinfo=dt.UTC)
        highest = stamp if highest is None or stamp > highest else highest
        changed[RECORD_TYPES[row["type"]]].append(str(row["id"]))
        result.read += 1
    if not _map_and_write(ns, sf, changed, salesforce.pk, netsuite.pk, result):
        return result  # the next run reads it all again
    PollWatermark.objects.filter(pk=mark.pk).update(
        watermark=highest, last_polled_at=timezone.now(), last_found=result.written
    )
    result.watermark = highest
    return result


@retryable
def return_record_retry(
    *,
    netsuite_type: str,
    netsuite_id: str,
    salesforce_connection_id: int,
    netsuite_connection_id: int,
    overrides: dict[str, object] | None = None,
) -> ReturnFlowResult:
    """An exception's retry: read, map and write that one NetSuite record again (the watermark stays)."""
    salesforce = Connection.objects.get(pk=salesforce_connection_id)
    netsuite = Connection.objects.get(pk=netsuite_connection_id)
    changed: dict[str, list[str]] = {record_type: [] for record_type in FLOWS}
    changed[netsuite_type].append(netsuite_id)
    result = ReturnFlowResult(read=1)
    _map_and_write(
        netsuite_connector(netsuite),
        salesforce_connector(salesforce),
        changed,
        salesforce.pk,
        netsuite.pk,
        result,
    )
    return result


def _map_and_write(
    ns: NetSuiteConnector,
    sf: SalesforceConnector,
    changed: dict[str, list[str]],
    salesforce_pk: int,
    netsuite_pk: int,
    result: ReturnFlowResult,
) -> bool:
    """False when a whole Salesforce call failed (down, session refused): nothing may be taken as done."""
    pair = (salesforce_pk, netsuite_pk)
    invoices, opportunities = _map(ns, changed, pair, result)
    try:
        result.invoices_written = _write(sf, "Invoice__c", invoices, pair, result)
        result.opportunities_written = _write(sf, "Opportunity", opportunities, pair, result)
    except ConnectorError as error:
        result.problems.append(f"return flow write failed: {error}")
        return False
    return True


def _map(
    ns: NetSuiteConnector, changed: dict[str, list[str]], pair: tuple[int, int], result: ReturnFlowResult
) -> tuple[dict[str, _Pending], dict[str, _Pending]]:
    """Read each changed transaction in full and map it: Invoice__c bodies by external id (an invoice's
    own read wins over a payment's partial update of it) and Opportunity bodies by Id."""
    lookups, _ = live_lookups(ns)
    cache: dict[tuple[str, str], dict[str, Any]] = {}

    def read(record_type: str, record_id: str) -> dict[str, Any]:
        if (record_type, record_id) not in cache:
            cache[record_type, record_id] = ns.get(record_type, record_id, expand=record_type != "customer")
        return cache[record_type, record_id]

    invoices: dict[str, _Pending] = {}
    opportunities: dict[str, _Pending] = {}
    for record_type in ("invoice", "customerPayment", "salesOrder"):
        _, mapping = live_mapping(FLOWS[record_type])
        for record_id in changed[record_type]:
            graph = dict(read(record_type, record_id))
            if record_type == "invoice" and (graph.get("entity") or {}).get("id"):
                graph["customer"] = read("customer", str(graph["entity"]["id"]))
            if record_type == "customerPayment":
                for line in (graph.get("apply") or {}).get("items") or []:
                    doc = str((line.get("doc") or {}).get("id") or "")
                    if line.get("apply") and doc:
                        line["invoice"] = read("invoice", doc)
            mapped = mapping.apply(graph, lookups=lookups)
            source = (record_type, record_id)
            if mapped.problems:
                first = mapped.problems[0]
                _fail(
                    source,
                    pair,
                    result,
                    title=f"NetSuite {record_type} {record_id} cannot be mapped: {first}",
                    code="MAPPING",
                    message="; ".join(str(problem) for problem in mapped.problems),
                    severity=Severity.MEDIUM,
                )
                continue
            for payload in mapped.payloads:
                pending = _pending(payload, source)
                if pending is None:
                    continue
                target = invoices if payload.target_type == "Invoice__c" else opportunities
                if record_type == "customerPayment" and pending.key in invoices:
                    continue  # the invoice itself was read this run, with the same balances
                target[pending.key] = pending
    return invoices, opportunities


def _pending(payload: ObjectPayload, source: tuple[str, str]) -> _Pending | None:
    if not payload.external_id:
        return None
    return _Pending(payload.external_id, payload.to_json(update=True), payload.to_json(), source)


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
    fields = sorted({name for item in pending.values() for name in item.create_body})
    key_field = INVOICE_KEY if sobject == "Invoice__c" else "Id"
    columns = ", ".join(dict.fromkeys(["Id", key_field, *fields]))
    held = {
        str(row[key_field]): row
        for row in sf.query_in(
            f"SELECT {columns} FROM {sobject} WHERE {key_field} IN ({{ids}})",  # noqa: S608
            pending,
        )
    }
    records: list[dict[str, Any]] = []
    sources: list[_Pending] = []
    for key, item in pending.items():
        current = held.get(key)
        if current is None and sobject == "Opportunity":
            result.unchanged += 1  # update only: an opportunity Salesforce no longer has is left alone
            continue
        body = item.create_body if current is None else item.body
        if current is not None and all(_same(current.get(name), value) for name, value in body.items()):
            result.unchanged += 1
            if sobject == "Invoice__c":
                invoice_ledger_record(netsuite_connection_id=pair[1], invoice_id=key, body=item.create_body)
            exception_auto_resolve(dedup_key=_dedup_key(pair[1], item.source), note="already current")
            continue
        if sobject == "Invoice__c":
            records.append({**body, INVOICE_KEY: key})
        else:
            records.append({**body, "Id": key})
        sources.append(item)
    if not records:
        return 0
    if sobject == "Invoice__c":
        outcomes = sf.collections_upsert(sobject, INVOICE_KEY, records)
    else:
        outcomes = sf.collections_update(sobject, records)
    written = 0
    for item, outcome in zip(sources, outcomes, strict=True):
        if outcome.success:
            written += 1
            if sobject == "Invoice__c":
                invoice_ledger_record(
                    netsuite_connection_id=pair[1], invoice_id=item.key, body=item.create_body
                )
            exception_auto_resolve(dedup_key=_dedup_key(pair[1], item.source), note="written")
            continue
        error = outcome.error(f"return flow {sobject}")
        _fail(
            item.source,
            pair,
            result,
            title=f"{sobject} {item.key} from NetSuite {item.source[0]} {item.source[1]}: {error.message}",
            code=error.code,
            message=error.message,
            severity=Severity.HIGH,
            salesforce=RecordRef("salesforce", sobject, outcome.id or item.key),
        )
    return written


def _fail(
    source: tuple[str, str],
    pair: tuple[int, int],
    result: ReturnFlowResult,
    *,
    title: str,
    code: str,
    message: str,
    severity: str,
    salesforce: RecordRef | None = None,
) -> None:
    result.failed += 1
    result.problems.append(title)
    records = [RecordRef("netsuite", source[0], source[1])] + ([salesforce] if salesforce else [])
    exception_raise(
        category="return_flow",
        dedup_key=_dedup_key(pair[1], source),
        title=title[:200],
        severity=severity,
        records=records,
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


def _dedup_key(netsuite_pk: int, source: tuple[str, str]) -> str:
    return f"return:{netsuite_pk}:{source[0]}:{source[1]}"


def _same(held: Any, sent: Any) -> bool:
    """Whether Salesforce already holds ``sent`` (numbers compared by value: 4950.0 is 4950)."""
    if held in (None, "") and sent in (None, ""):
        return True
    if isinstance(sent, int | float) and not isinstance(sent, bool):
        try:
            return Decimal(str(held)) == Decimal(str(sent))
        except (InvalidOperation, ValueError):
            return False
    return bool(held == sent)


def _stamp_text(value: Any) -> str:
    text = str(value)
    dt.datetime.strptime(text, STAMP_FORMAT)  # refuses anything that is not a plain stamp (it goes in SQL)
    return text
