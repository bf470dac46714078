"""Catch-up polling: Closed Won opportunities the listener missed (Salesforce drops an outbound message
after 24 hours of failed deliveries), read by SystemModstamp watermark into the same inbox.

"Closed Won" is the trigger of the pair's integration's flow (:mod:`sync.pipeline.triggers`): ``IsWon =
true`` by default, the checkbox (``Send_to_NetSuite__c = true``) or the user's condition. A paused flow is
still polled: its events wait in the inbox, unclaimed (the claim holds that integration's rows only), and
drain on resume.

Never skipping a record takes three things. Pages are keyset pages on (SystemModstamp, Id), so records
sharing one second on both sides of a page boundary are all read. Each poll starts ``overlap`` before
the watermark, so a record whose change committed late with an earlier stamp (a long transaction, clock
skew between Salesforce's app servers) is still read. And re-reading is harmless: the inbox dedupes on
``poll:<Id>:<SystemModstamp>``, so the same version of a record becomes one event however often it is seen.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from django.utils import timezone

from sync.connections.connectors.salesforce import SalesforceConnector
from sync.connections.models import Connection
from sync.connections.services import salesforce_connector
from sync.integrations.selectors import integration_for_pair
from sync.pipeline.cancellation_flow import contract_cancellations_notice
from sync.pipeline.eids import eid_scope
from sync.pipeline.flow_state import closed_won_trigger
from sync.pipeline.inbox import inbox_add
from sync.pipeline.models import (
    CrossReference,
    InboxMessage,
    InboxSource,
    PollWatermark,
    RecordStatus,
    SyncRecord,
)
from sync.pipeline.triggers import trigger_where

OVERLAP = dt.timedelta(minutes=10)
FIRST_POLL_LOOKBACK = dt.timedelta(hours=24)
PAGE_SIZE = 2000
WON = "IsWon = true"  # the default trigger's criterion (sync.pipeline.triggers.trigger_where)
# A deal lost after it synced is a cancellation: the poll reads lost deals too and keeps those Concord
# synced (sync.pipeline.cancellation_flow judges them in the batch).
LOST = "IsClosed = true AND IsWon = false"


def soql_datetime(value: dt.datetime) -> str:
    """A SOQL date-time literal with milliseconds: SystemModstamp has them, and a keyset comparison on a
    value cut to the second would read the same record again forever."""
    value = value.astimezone(dt.UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def parse_modstamp(value: str) -> dt.datetime:
    """``2026-01-02T00:00:00.000+0000`` (Salesforce's JSON form) as an aware datetime."""
    return dt.datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%f%z")


def closed_won_since(
    salesforce: SalesforceConnector, since: dt.datetime, *, page_size: int = PAGE_SIZE, where: str = WON
) -> Iterator[dict[str, Any]]:
    """Due opportunities (``where``: the trigger's criterion) with ``SystemModstamp >= since`` in
    (SystemModstamp, Id) order, keyset-paged."""
    criterion = where
    after: tuple[str, str] | None = None
    while True:
        where = f"{criterion} AND SystemModstamp >= {soql_datetime(since)}"
        if after is not None:
            stamp, last_id = after
            # Strictly after the last row read: a later second, or the same second and a greater Id.
            where += f" AND (SystemModstamp > {stamp} OR (SystemModstamp = {stamp} AND Id > '{last_id}'))"
        rows = list(
            salesforce.query(
                f"SELECT Id, SystemModstamp FROM Opportunity WHERE {where} "  # noqa: S608 - ids and dates only
                f"ORDER BY SystemModstamp, Id LIMIT {int(page_size)}"
            )
        )
        yield from rows
        if len(rows) < page_size:
            return
        last = rows[-1]
        following = (soql_datetime(parse_modstamp(last["SystemModstamp"])), _salesforce_id(last["Id"]))
        if following == after:
            raise RuntimeError(f"keyset paging made no progress at {following}")  # never loop on API calls
        after = following


def closed_won_after(
    salesforce: SalesforceConnector, since: dt.datetime, *, after: str, limit: int, where: str = WON
) -> list[str]:
    """The ids of up to ``limit`` won opportunities with ``SystemModstamp >= since`` and an Id after
    ``after`` ("" for the first), in Id order: a backfill's next batch.

    Keyset on Id alone, not on the stamp: syncing an opportunity writes NetSuite ids back to it, which
    moves its SystemModstamp, so a stamp cursor would meet every synced record again."""
    where = f"{where} AND SystemModstamp >= {soql_datetime(since)}"
    if after:
        where += f" AND Id > '{_salesforce_id(after)}'"
    rows = salesforce.query(
        f"SELECT Id FROM Opportunity WHERE {where} ORDER BY Id LIMIT {int(limit)}"  # noqa: S608 - ids, dates
    )
    return [str(row["Id"]) for row in rows]


def closed_won_count(salesforce: SalesforceConnector, since: dt.datetime, *, where: str = WON) -> int:
    """How many due opportunities have ``SystemModstamp >= since`` (a backfill's total, for progress)."""
    where = f"{where} AND SystemModstamp >= {soql_datetime(since)}"
    return salesforce.count(f"SELECT COUNT() FROM Opportunity WHERE {where}")  # noqa: S608 - a date only


def poll_closed_won(
    *,
    salesforce: Connection,
    netsuite: Connection,
    overlap: dt.timedelta = OVERLAP,
    page_size: int = PAGE_SIZE,
    start: dt.datetime | None = None,
) -> int:
    """Put every won opportunity changed since the watermark (minus ``overlap``) into the inbox.

    Returns how many inbox messages were new. ``start`` sets where a first poll begins (default: 24 h ago).
    """
    mark, _ = PollWatermark.objects.get_or_create(
        name=f"closed-won:{salesforce.pk}:{netsuite.pk}",
        defaults={"salesforce_connection": salesforce, "netsuite_connection": netsuite, "watermark": start},
    )
    since = (mark.watermark or timezone.now() - FIRST_POLL_LOOKBACK) - overlap
    highest = mark.watermark
    rows: list[InboxMessage] = []
    criterion = trigger_where(closed_won_trigger(integration_for_pair(salesforce.pk, netsuite.pk)))
    connector = salesforce_connector(salesforce)
    found = list(closed_won_since(connector, since, page_size=page_size, where=criterion))
    found += lost_after_sync_since(
        connector, netsuite, since, page_size=page_size, salesforce_connection=salesforce
    )
    for record in found:
        stamp = parse_modstamp(record["SystemModstamp"])
        highest = stamp if highest is None or stamp > highest else highest
        rows.append(
            InboxMessage(
                notification_id=f"poll:{record['Id']}:{soql_datetime(stamp)}",
                source=InboxSource.POLL,
                salesforce_connection=salesforce,
                netsuite_connection=netsuite,
                record_id=record["Id"],
                fields={"SystemModstamp": record["SystemModstamp"]},
            )
        )
    created = 0
    for start_at in range(0, len(rows), 500):
        created += inbox_add(rows[start_at : start_at + 500])
    # Cancelled CPQ contracts of synced deals are cancellations too.
    contract_cancellations_notice(salesforce=salesforce, netsuite=netsuite, since_soql=soql_datetime(since))
    # The watermark only moves forward, and only after the rows it covers are stored.
    PollWatermark.objects.filter(pk=mark.pk).update(
        watermark=highest, last_polled_at=timezone.now(), last_found=created
    )
    return created


def lost_after_sync_since(
    salesforce: SalesforceConnector,
    netsuite: Connection,
    since: dt.datetime,
    *,
    page_size: int = PAGE_SIZE,
    salesforce_connection: Connection | None = None,
) -> list[dict[str, Any]]:
    """Opportunities lost (closed, not won) since ``since`` that Concord synced to ``netsuite`` before
    from this org (``salesforce_connection``: another org may have synced an opportunity of the same id)."""
    lost = list(closed_won_since(salesforce, since, page_size=page_size, where=LOST))
    if not lost:
        return []
    ids = [str(row["Id"]) for row in lost]
    records = SyncRecord.objects.filter(
        opportunity_id__in=ids, status=RecordStatus.SYNCED, job__netsuite_connection=netsuite
    )
    xrefs = CrossReference.objects.filter(
        netsuite_connection=netsuite, netsuite_type="salesOrder", salesforce_id__in=ids
    )
    if salesforce_connection is not None:
        records = records.filter(job__salesforce_connection=salesforce_connection)
        xrefs = eid_scope(salesforce_connection.pk, netsuite.pk).xrefs(xrefs)
    synced = set(records.values_list("opportunity_id", flat=True))
    synced |= set(xrefs.values_list("salesforce_id", flat=True))
    return [row for row in lost if str(row["Id"]) in synced]


def _salesforce_id(value: str) -> str:
    if not value.isalnum():
        raise ValueError(f"not a Salesforce id: {value!r}")
    return value
