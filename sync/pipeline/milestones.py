"""Writing each deal's milestones (:class:`~sync.pipeline.models.DealMilestone`) where they happen.

- **won**: the inbox intake (:func:`sync.pipeline.inbox.inbox_add`), for a new Opportunity event from a
  source that reports a deal as it is won (an outbound message, a webhook, the catch-up poll): never a
  backfill's, a re-run's or a push's;
- **ordered**: the runner storing a record as synced (its first sales order in NetSuite);
- **invoiced**: the invoice ledger (:func:`sync.pipeline.operations.invoice_ledger_record`), with the
  invoice's first sync;
- **backfilled**: the runner opening a backfill job's records.

Each write is one upsert that keeps the earliest moment: it fills an empty one or moves it earlier,
never later. Delivery is at least once and batches run concurrently, so a redelivered event, a re-sync,
a second invoice of the same deal or two workers reporting the same deal leave the figure where the
first moment put it, whatever order they commit in. Workers write these; no person does, so nothing is
audited.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from django.db import connections, router

from sync.pipeline.models import DealMilestone, InboxMessage, InboxSource

# Inbox sources that report a deal as it is won (a backfill or a re-run reads it again later).
WON_SOURCES = (InboxSource.OUTBOUND_MESSAGE, InboxSource.WEBHOOK, InboxSource.POLL)
# The trigger of the jobs a backfill runs (sync.pipeline.backfills).
BACKFILL_TRIGGER = "backfill"
MOMENTS = ("won_at", "ordered_at", "invoiced_at", "backfilled_at")
BATCH = 500


@dataclass(frozen=True)
class DealMoment:
    integration_id: int
    opportunity_id: str
    at: dt.datetime


def _earliest(moments: Iterable[DealMoment]) -> dict[tuple[int, str], dt.datetime]:
    """One moment per deal, the earliest: an upsert may not touch one row twice."""
    found: dict[tuple[int, str], dt.datetime] = {}
    for moment in moments:
        if not moment.opportunity_id:
            continue
        key = (moment.integration_id, moment.opportunity_id)
        if key not in found or moment.at < found[key]:
            found[key] = moment.at
    return found


def _note(column: str, moments: Iterable[DealMoment]) -> int:
    """Upsert ``column`` of each deal to the earliest of its stored and its given moment.

    ``INSERT ... ON CONFLICT (integration, opportunity) DO UPDATE ... WHERE stored IS NULL OR stored >
    given``: one statement per 500 deals, on PostgreSQL and SQLite alike; concurrent writers of one deal
    are serialised by the unique constraint."""
    if column not in MOMENTS:
        raise ValueError(f"not a milestone: {column}")
    earliest = _earliest(moments)
    if not earliest:
        return 0
    connection = connections[router.db_for_write(DealMilestone)]
    quote = connection.ops.quote_name
    field = next(f for f in DealMilestone._meta.concrete_fields if f.name == column)
    table = quote(DealMilestone._meta.db_table)
    limit = DealMilestone._meta.get_field("opportunity_id").max_length or 18
    columns = [quote("integration_id"), quote("opportunity_id"), *(quote(name) for name in MOMENTS)]
    placeholders = "(%s, %s, " + ", ".join("%s" if name == column else "NULL" for name in MOMENTS) + ")"
    target = quote(column)
    items = sorted(earliest.items())  # one order for every writer: no deadlock between two batches
    for start in range(0, len(items), BATCH):
        batch = items[start : start + BATCH]
        params: list[Any] = []
        for (integration_id, opportunity_id), at in batch:
            params += [integration_id, opportunity_id[:limit], field.get_db_prep_save(at, connection)]
        # Identifiers come from the model's metadata, quoted; every value is a bound parameter.
        sql = (
            f"INSERT INTO {table} ({', '.join(columns)}) "  # noqa: S608
            f"VALUES {', '.join([placeholders] * len(batch))} "
            f"ON CONFLICT ({quote('integration_id')}, {quote('opportunity_id')}) "
            f"DO UPDATE SET {target} = excluded.{target} "
            f"WHERE {table}.{target} IS NULL OR {table}.{target} > excluded.{target}"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
    return len(items)


def deal_milestones_won(*, messages: Iterable[InboxMessage], integration_of: dict[int, int]) -> int:
    """Note the deals that newly stored inbox ``messages`` report won (their ``received_at``);
    ``integration_of`` maps each message's Salesforce connection to its integration."""
    return _note(
        "won_at",
        (
            DealMoment(
                integration_of[message.salesforce_connection_id], message.record_id, message.received_at
            )
            for message in messages
            if message.sobject == "Opportunity" and message.source in WON_SOURCES and message.received_at
        ),
    )


def deal_milestones_won_sql(*, inserted: str, integration_of: dict[int, int]) -> tuple[str, list[Any]]:
    """The won upsert of :func:`deal_milestones_won` as SQL over the rows a data-modifying CTE named
    ``inserted`` returned (columns ``salesforce_connection_id``, ``sobject``, ``source``, ``record_id``,
    ``received_at``): PostgreSQL's one-statement intake (:func:`sync.pipeline.inbox.inbox_add`), where the
    new rows and their deals' milestones are written by one statement, so only the rows actually inserted
    count and both commit or neither. The same rule as :func:`_note`: one row per deal, the earliest
    moment, filled in or moved earlier, never later; deals written in one order. Returns the SQL of a
    statement to put in a ``WITH`` (``<name> AS (<sql>)``) and its parameters."""
    params: list[Any] = [value for pair in sorted(integration_of.items()) for value in pair]
    params += ["Opportunity", *(str(source) for source in WON_SOURCES)]
    return _won_text(router.db_for_write(DealMilestone), inserted, len(integration_of)), params


@lru_cache(maxsize=64)
def _won_text(alias: str, inserted: str, pairs: int) -> str:
    """The text of :func:`deal_milestones_won_sql` (built once per shape: asked for on every notification)."""
    connection = connections[alias]
    quote = connection.ops.quote_name
    table = quote(DealMilestone._meta.db_table)
    limit = DealMilestone._meta.get_field("opportunity_id").max_length or 18
    target = quote("won_at")
    columns = [quote("integration_id"), quote("opportunity_id"), *(quote(name) for name in MOMENTS)]
    moments = ", ".join(f"min(i.{quote('received_at')})" if name == "won_at" else "NULL" for name in MOMENTS)
    values = ", ".join(["(%s, %s)"] * pairs)
    record = f"left(i.{quote('record_id')}, {int(limit)})"
    sources = ", ".join(["%s"] * len(WON_SOURCES))
    return (
        f"INSERT INTO {table} ({', '.join(columns)}) "  # noqa: S608
        f"SELECT m.integration_id, {record}, {moments} "
        f"FROM {inserted} AS i JOIN (VALUES {values}) AS m (connection_id, integration_id) "
        f"ON m.connection_id = i.{quote('salesforce_connection_id')} "
        f"WHERE i.{quote('sobject')} = %s AND i.{quote('source')} IN ({sources}) "
        f"AND i.{quote('record_id')} <> '' AND i.{quote('received_at')} IS NOT NULL "
        f"GROUP BY 1, 2 ORDER BY 1, 2 "
        f"ON CONFLICT ({quote('integration_id')}, {quote('opportunity_id')}) "
        f"DO UPDATE SET {target} = excluded.{target} "
        f"WHERE {table}.{target} IS NULL OR {table}.{target} > excluded.{target}"
    )


def deal_milestone_ordered(*, integration_id: int, opportunity_id: str, at: dt.datetime) -> int:
    """Note that the deal's record was synced to NetSuite at ``at`` (its sales order)."""
    return _note("ordered_at", [DealMoment(integration_id, opportunity_id, at)])


def deal_milestone_invoiced(*, integration_id: int, opportunity_id: str, at: dt.datetime) -> int:
    """Note that an invoice of the deal was first synced back at ``at``."""
    return _note("invoiced_at", [DealMoment(integration_id, opportunity_id, at)])


def deal_milestones_backfilled(
    *, integration_id: int, opportunity_ids: Iterable[str], at: dt.datetime
) -> int:
    """Note that a backfill job read these deals: they are not counted as won (see DealMilestone)."""
    return _note("backfilled_at", (DealMoment(integration_id, i, at) for i in opportunity_ids))
