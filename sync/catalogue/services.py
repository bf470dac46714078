"""The catalogue sync: NetSuite items and their prices become Salesforce products and price book entries.

A run reads the sale items NetSuite changed since the pair's watermark (``catalogue:<sf>:<ns>``; the
first run, and a ``full`` run, read the whole catalogue) with keyset SuiteQL pages on lastmodifieddate
(:mod:`sync.pipeline.keyset`), each item in full, and its pricing matrix (SuiteQL ``pricing``). The
published mapping of ``netsuite_item_to_salesforce`` (the shipped one until a version is published) maps
each item to a Product2 and one PricebookEntry per price whose NetSuite price level is listed in the
lookup table ``pricebook_by_price_level`` (level -> Pricebook2 Id; ``standard`` is the org's standard
price book); in a single-currency org only the prices in the org's currency are synced.
:mod:`sync.catalogue.writes` writes only what Salesforce does not hold yet: a re-run writes nothing.

Each item read is a :class:`~sync.pipeline.models.ReturnRecord` (type ``item``) of one
:class:`~sync.pipeline.models.SyncJob` (flow ``netsuite_item_to_salesforce``). An item Salesforce refuses,
or that cannot be mapped, opens one exception (category ``catalogue``) whose retry syncs that item again;
its next clean sync resolves it. The watermark moves only when no whole Salesforce call failed.

Runs are idempotent and safe to deliver twice (django-q2 may): a second run at once finds nothing to
write; two runs of one pair at the same moment are kept apart by a cache lock (the second does nothing).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from core.correlation import correlation, current_correlation_id
from core.fields import field_fit
from sync.catalogue.reads import (
    STANDARD,
    ChangedItem,
    ItemPrice,
    item_prices,
    items_by_id,
    items_changed_since,
    price_level_names,
)
from sync.catalogue.writes import (
    EntryPlan,
    ProductPlan,
    WriteCount,
    entries_write,
    is_multi_currency,
    org_currency,
    products_write,
    standard_pricebook_id,
)
from sync.connections.connectors.errors import ConnectorError
from sync.connections.connectors.netsuite import NetSuiteConnector
from sync.connections.connectors.salesforce import SalesforceConnector
from sync.connections.metadata.selectors import org_supplied_currency
from sync.connections.models import Connection
from sync.connections.services import netsuite_connector, salesforce_connector
from sync.integrations.models import Integration
from sync.integrations.selectors import integration_for_pair
from sync.mappings.engine import CompiledMapping, StaticLookups
from sync.mappings.services.lookups import mapping_tables
from sync.pipeline.flow_state import CATALOGUE_FLOW
from sync.pipeline.keyset import stamp_time
from sync.pipeline.models import MESSAGE_LIMIT, JobStatus, PollWatermark, ReturnRecord, ReturnStatus, SyncJob
from sync.pipeline.problems import ExceptionScope, Problem, RecordRef, exception_queue, retryable
from sync.pipeline.sources import live_lookups, live_mapping

OVERLAP = dt.timedelta(minutes=2)
EPOCH = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
LOCK_SECONDS = 15 * 60
PRICE_LEVEL_TABLE = "pricebook_by_price_level"
CURRENCY_TABLE = "currency_id_to_code"


@dataclass
class CatalogueResult:
    read: int = 0
    products_written: int = 0
    entries_written: int = 0
    unchanged: int = 0
    failed: int = 0
    skipped: str = ""  # why nothing ran (another run holds the lock)
    watermark: dt.datetime | None = None
    problems: list[str] = field(default_factory=list)
    job: SyncJob | None = None
    rows: list[ReturnRecord] = field(default_factory=list)  # one per item read, saved with the job

    @property
    def written(self) -> int:
        return self.products_written + self.entries_written


@dataclass
class _Item:
    """One item of the run: what was read, its plans, and its trail row."""

    changed: ChangedItem
    record: dict[str, Any]
    row: ReturnRecord
    product: ProductPlan | None = None
    entries: list[EntryPlan] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    code: str = ""


def catalogue_sync_run(
    *,
    salesforce: Connection,
    netsuite: Connection,
    trigger: str = "schedule",
    full: bool = False,
    item_ids: list[str] | None = None,
) -> CatalogueResult:
    """Sync the items changed since the watermark (all of them when ``full``, or only ``item_ids``, which
    leaves the watermark alone); see the module docstring."""
    lock = f"catalogue-sync:{salesforce.pk}:{netsuite.pk}"
    if not cache.add(lock, trigger, timeout=LOCK_SECONDS):
        return CatalogueResult(skipped="another catalogue sync of these connections is running")
    try:
        with correlation(current_correlation_id()) as correlation_id:
            return _run(salesforce, netsuite, trigger, full, item_ids, correlation_id)
    finally:
        cache.delete(lock)


def _run(
    salesforce: Connection,
    netsuite: Connection,
    trigger: str,
    full: bool,
    item_ids: list[str] | None,
    correlation_id: str,
) -> CatalogueResult:
    mark, _ = PollWatermark.objects.get_or_create(
        name=f"catalogue:{salesforce.pk}:{netsuite.pk}",
        defaults={"salesforce_connection": salesforce, "netsuite_connection": netsuite, "watermark": None},
    )
    result = CatalogueResult(watermark=mark.watermark)
    ns = netsuite_connector(netsuite)
    sf = salesforce_connector(salesforce)
    try:
        if item_ids is not None:
            changed = items_by_id(ns, item_ids)
        else:
            since = EPOCH if full or mark.watermark is None else mark.watermark - OVERLAP
            changed = list(items_changed_since(ns, since))
    except ConnectorError as error:
        result.problems.append(f"reading NetSuite's items failed: {error}")
        if trigger != "schedule":
            _record_job(result, salesforce, netsuite, trigger, correlation_id)
        return result  # the watermark stays: the next run reads it all again
    result.read = len(changed)
    highest = max((stamp_time(item.modified) for item in changed), default=mark.watermark)
    done = True
    if changed:
        done = _sync(ns, sf, changed, (salesforce.pk, netsuite.pk), result)
    if changed or trigger != "schedule":
        _record_job(result, salesforce, netsuite, trigger, correlation_id)
    if done and item_ids is None:
        PollWatermark.objects.filter(pk=mark.pk).update(
            watermark=highest, last_polled_at=timezone.now(), last_found=result.written
        )
        result.watermark = highest
    return result


def _sync(
    ns: NetSuiteConnector,
    sf: SalesforceConnector,
    changed: list[ChangedItem],
    pair: tuple[int, int],
    result: CatalogueResult,
) -> bool:
    """Map and write ``changed``; False when a whole call failed (nothing may be taken as done)."""
    integration = integration_for_pair(*pair)
    version_id, mapping = live_mapping(CATALOGUE_FLOW, integration)
    lookups, _ = live_lookups(ns, None, integration)
    tables = mapping_tables(None, integration)
    items: list[_Item] = []
    try:
        multi, only_currency = _org_currencies(sf, pair[0])
        books, standard = _books(sf, dict(tables.get(PRICE_LEVEL_TABLE) or {}))
        prices = item_prices(
            ns,
            [item.id for item in changed],
            currency_codes=dict(tables.get(CURRENCY_TABLE) or {}),
            level_names=price_level_names(ns),
        )
        for read in changed:
            record = ns.get(read.record_type, read.id, expand=False)
            row = ReturnRecord(
                netsuite_type="item",
                netsuite_id=read.id,
                tran_id=field_fit(ReturnRecord, "tran_id", read.item_id),
                mapping_version_id=version_id,
            )
            graph = {**record, "prices": _price_rows(prices.get(read.id, []), books, only_currency)}
            items.append(_Item(read, graph, row))
        _map(mapping, lookups, items, multi, standard)
        count = WriteCount()
        products_write(sf, [i.product for i in items if i.product is not None], count)
        for item in items:
            if item.product is not None and item.product.salesforce_id:
                for entry in item.entries:
                    entry.body["Product2Id"] = item.product.salesforce_id
        entries_write(
            sf,
            [e for i in items if i.product is not None and i.product.salesforce_id for e in i.entries],
            multi_currency=multi,
            count=count,
        )
    except ConnectorError as error:
        result.problems.append(f"catalogue sync failed: {error}")
        for item in items:
            item.row.status, item.row.message = ReturnStatus.FAILED, f"catalogue sync failed: {error}"
        result.failed = len(items)
        result.rows = [item.row for item in items]
        return False
    result.products_written, result.entries_written = count.products_written, count.entries_written
    for item in items:
        _settle(item, pair, result, integration)
    result.rows = [item.row for item in items]
    return True


def _books(sf: SalesforceConnector, table: dict[str, Any]) -> tuple[dict[str, str], str]:
    """(NetSuite price level id -> Pricebook2 Id, the standard book's Id): ``standard`` in the table is
    the org's standard price book."""
    standard = standard_pricebook_id(sf)
    books = {
        str(level): (standard if str(book) == STANDARD else str(book))
        for level, book in table.items()
        if book
    }
    return books, standard


def _org_currencies(sf: SalesforceConnector, salesforce_pk: int) -> tuple[bool, str]:
    """(whether the org has multiple currencies, its one currency when it has not): as the connection's
    metadata refresh learnt them, else asked of the org (metadata never read)."""
    supplied = org_supplied_currency(salesforce_pk)
    if supplied:
        return False, supplied
    multi = is_multi_currency(sf)
    return multi, "" if multi else org_currency(sf)


def _price_rows(prices: list[ItemPrice], books: dict[str, str], only_currency: str) -> list[dict[str, Any]]:
    """The item's prices that go to Salesforce, as the mapping reads them: each level with a book, each
    currency (only the org's own in a single-currency org)."""
    rows = []
    for price in prices:
        book = books.get(price.level_id)
        if not book or (only_currency and price.currency != only_currency):
            continue
        rows.append(
            {
                "key": f"{price.level_id}:{price.currency}",
                "priceLevel": price.level_id,
                "priceLevelName": price.level_name,
                "currency": price.currency,
                "price": str(price.price),
                "pricebook": book,
            }
        )
    return rows


def _map(
    mapping: CompiledMapping, lookups: StaticLookups, items: list[_Item], multi: bool, standard: str
) -> None:
    """Each item's Product2 body and its entries' bodies (their Product2Id is set once the product is
    written: the mapping is given a placeholder)."""
    for item in items:
        product = mapping.apply_object("product", item.record, lookups=lookups)
        refs = {"product": f"product:{item.changed.id}"}
        price = mapping.apply_object("price", item.record, refs=refs, lookups=lookups)
        problems = [str(problem) for problem in [*product.problems, *price.problems]]
        if problems or not product.payloads:
            item.problems = problems or ["the mapping made no product"]
            item.code = "MAPPING"
            continue
        body = product.payloads[0].to_json()
        item.product = ProductPlan(
            item.changed.id, str(body.get("ProductCode") or item.changed.item_id), body
        )
        for payload in price.payloads:
            entry = payload.to_json()
            if not multi:
                entry.pop("CurrencyIsoCode", None)
            item.entries.append(
                EntryPlan(item.changed.id, entry, standard=entry.get("Pricebook2Id") == standard)
            )


def _settle(item: _Item, pair: tuple[int, int], result: CatalogueResult, integration: Integration) -> None:
    """The item's trail row, counts and exception from its plans' outcomes."""
    errors = list(item.problems)
    code = item.code
    product = item.product
    if product is not None and product.error:
        errors.append(f"Product2: {product.error}")
        code = code or product.error_code
    for entry in item.entries:
        if entry.error:
            book, currency = entry.body.get("Pricebook2Id"), entry.body.get("CurrencyIsoCode", "")
            errors.append(f"PricebookEntry {book} {currency}".rstrip() + f": {entry.error}")
            code = code or entry.error_code
    row = item.row
    row.salesforce_id = field_fit(ReturnRecord, "salesforce_id", product.salesforce_id if product else "")
    if errors:
        result.failed += 1
        row.status, row.message = ReturnStatus.FAILED, "; ".join(errors)
        result.problems.append(f"item {item.changed.item_id} ({item.changed.id}): {errors[0]}")
        _report(item, pair, code, errors, integration)
        return
    wrote = bool(product and product.written) or any(entry.written for entry in item.entries)
    row.status = ReturnStatus.WRITTEN if wrote else ReturnStatus.UNCHANGED
    if not wrote:
        result.unchanged += 1
    key = catalogue_dedup_key(pair[1], item.changed.id, integration.namespace)
    exception_queue().resolve(dedup_key=key, note="synced")


def _report(
    item: _Item, pair: tuple[int, int], code: str, errors: list[str], integration: Integration
) -> None:
    records = [RecordRef("netsuite", item.changed.record_type, item.changed.id)]
    if item.product is not None and item.product.salesforce_id:
        records.append(RecordRef("salesforce", "Product2", item.product.salesforce_id))
    exception_queue().report(
        Problem(
            category="catalogue",
            dedup_key=catalogue_dedup_key(pair[1], item.changed.id, integration.namespace),
            title=f"NetSuite item {item.changed.item_id} ({item.changed.id}) to Salesforce: {errors[0]}"[
                :200
            ],
            severity="high" if code != "MAPPING" else "medium",
            records=records,
            scope=ExceptionScope(netsuite_connection_id=pair[1], integration_id=integration.pk),
            vendor_code=code,
            vendor_message="; ".join(errors),
            details={"item": item.changed.item_id},
            retry_task="sync.catalogue.services.catalogue_item_retry",
            retry_kwargs={
                "netsuite_id": item.changed.id,
                "salesforce_connection_id": pair[0],
                "netsuite_connection_id": pair[1],
            },
        )
    )


def catalogue_dedup_key(netsuite_pk: int, item_id: str, namespace: str = "") -> str:
    """The exception key of a NetSuite item synced to one integration's org: every org gets the account's
    items, so another integration's key carries its ``namespace`` (the primary's keys are unchanged)."""
    if namespace:
        return f"catalogue:{netsuite_pk}:{namespace}:item:{item_id}"
    return f"catalogue:{netsuite_pk}:item:{item_id}"


def _record_job(
    result: CatalogueResult, salesforce: Connection, netsuite: Connection, trigger: str, correlation_id: str
) -> None:
    rows = result.rows
    failed = sum(1 for row in rows if row.status == ReturnStatus.FAILED)
    if not rows:
        status = JobStatus.SUCCEEDED
    else:
        status = (
            JobStatus.SUCCEEDED
            if not failed
            else JobStatus.PARTIAL
            if failed < len(rows)
            else JobStatus.FAILED
        )
    with transaction.atomic():
        job = SyncJob.objects.create(
            flow=CATALOGUE_FLOW,
            trigger=field_fit(SyncJob, "trigger", trigger),
            status=status,
            salesforce_connection=salesforce,
            netsuite_connection=netsuite,
            records_total=len(rows),
            records_synced=sum(1 for row in rows if row.status == ReturnStatus.WRITTEN),
            records_failed=failed,
            finished_at=timezone.now(),
            message="; ".join(result.problems)[:MESSAGE_LIMIT],
            correlation_id=correlation_id,
        )
        for row in rows:
            row.job = job
            row.message = row.message[:MESSAGE_LIMIT]
        ReturnRecord.objects.bulk_create(rows)
    result.job = job


@retryable
def catalogue_item_retry(
    *,
    netsuite_id: str,
    salesforce_connection_id: int,
    netsuite_connection_id: int,
    overrides: dict[str, object] | None = None,
) -> CatalogueResult:
    """An exception's retry: sync that one item again (the watermark stays). Value overrides do not
    apply to the catalogue: fix the item in NetSuite or the product in Salesforce."""
    del overrides
    return catalogue_sync_run(
        salesforce=Connection.objects.get(pk=salesforce_connection_id),
        netsuite=Connection.objects.get(pk=netsuite_connection_id),
        trigger="retry",
        item_ids=[netsuite_id],
    )
