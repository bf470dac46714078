"""The dashboard's figures, each computed from the rows a person can open behind it.

Every function reads; none writes. Exception figures start from what the asking user may see
(:func:`sync.exceptions.selectors.exceptions_for_user`); the rest is data every role reads, narrowed to
``scope``: the integrations the person is limited to, or the one the dashboard's filter chose
(:mod:`sync.integrations.access`). Times are bucketed by UTC day. ``now`` is a parameter so tests can
pin the clock.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache
from django.db import connections
from django.db.models import (
    Aggregate,
    BooleanField,
    Case,
    CharField,
    Count,
    F,
    FloatField,
    Func,
    Min,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Collate, TruncDate
from django.urls import reverse

from core import labels
from core.charts import Trend, line_chart
from reconciliation.checks import CHECKS
from reconciliation.models import ReconciliationRun, RunStatus
from sync.connections.concurrency import LimiterSettings, slots_for
from sync.connections.models import ApiUsage, Connection, ConnectionKind
from sync.exceptions.models import ACTIVE_STATUSES, ExceptionItem
from sync.exceptions.permissions import AnyUser
from sync.exceptions.selectors import AGE_BUCKETS, AgeBucket, age_bucket_filter, exceptions_for_user
from sync.integrations.access import EVERYTHING, IntegrationScope
from sync.pipeline.models import (
    DealMilestone,
    InboxMessage,
    InboxStatus,
    RecordStatus,
    SyncedInvoice,
    SyncJob,
    SyncRecord,
)
from sync.pipeline.selectors import background_task_summary

VOLUME_DAYS = 14
EXCEPTION_RATE_DAYS = 7
QUOTE_TO_CASH_DAYS = 90
DSO_DAYS = 90


def _day_start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=dt.UTC)


def _percent(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


# -- sync volume and success per flow ------------------------------------------------------------------


@dataclass(frozen=True)
class FlowVolume:
    flow: str
    records: int  # opportunities processed by the flow's jobs in the window
    synced: int
    failed: int  # failed or blocked by a rule
    blocked: int
    success_rate: float | None  # percent of records synced
    daily_records: list[int]
    daily_success: list[float]  # a day without records counts as 100 (nothing failed)


@dataclass(frozen=True)
class Volume:
    since: dt.date
    days: list[dt.date]
    flows: list[FlowVolume]
    records_chart: Trend | None
    success_chart: Trend | None


def sync_volume(*, now: dt.datetime, scope: IntegrationScope = EVERYTHING, days: int = VOLUME_DAYS) -> Volume:
    """Records per flow per day over the last ``days`` days (today included), and the share synced."""
    since = now.astimezone(dt.UTC).date() - dt.timedelta(days=days - 1)
    day_list = [since + dt.timedelta(days=n) for n in range(days)]
    rows = (
        scope.filter(
            SyncJob.objects.filter(started_at__gte=_day_start(since)), salesforce="salesforce_connection"
        )
        .annotate(day=TruncDate("started_at", tzinfo=dt.UTC))
        .values("flow", "day")
        .annotate(total=Sum("records_total"), synced=Sum("records_synced"), failed=Sum("records_failed"))
    )
    per_day: dict[str, dict[dt.date, tuple[int, int, int]]] = defaultdict(dict)
    for row in rows:
        per_day[row["flow"]][row["day"]] = (row["total"] or 0, row["synced"] or 0, row["failed"] or 0)
    blocked = dict(
        scope.filter(
            SyncRecord.objects.filter(job__started_at__gte=_day_start(since), status=RecordStatus.BLOCKED),
            salesforce="job__salesforce_connection",
        )
        .values("job__flow")
        .annotate(n=Count("id"))
        .values_list("job__flow", "n")
    )
    flows = []
    for flow in sorted(per_day):
        figures = per_day[flow]
        daily = [figures.get(day, (0, 0, 0)) for day in day_list]
        total = sum(t for t, _, _ in daily)
        failed = sum(f for _, _, f in daily)
        # Success is the share that ended without a failure or a block (a job's records_failed counts
        # both): synced, or read with nothing to change (a return flow's unchanged invoice, say).
        flows.append(
            FlowVolume(
                flow=flow,
                records=total,
                synced=sum(s for _, s, _ in daily),
                failed=failed,
                blocked=blocked.get(flow, 0),
                success_rate=_percent(total - failed, total),
                daily_records=[t for t, _, _ in daily],
                daily_success=[_percent(t - f, t) if t else 100.0 for t, _, f in daily],  # type: ignore[misc]
            )
        )
    jobs_url = reverse("sync:jobs")

    def day_links(flow: FlowVolume, what: str, values: list[int] | list[float]) -> list[tuple[str, str]]:
        return [
            (
                f"{jobs_url}?{urlencode({'flow': flow.flow, 'day': day.isoformat()})}" if records else "",
                f"{labels.flow_label(flow.flow)} {day.isoformat()}: {value}{what}",
            )
            for day, records, value in zip(day_list, flow.daily_records, values, strict=True)
        ]

    return Volume(
        since=since,
        days=day_list,
        flows=flows,
        records_chart=line_chart(
            [(labels.flow_label(f.flow), f.daily_records) for f in flows],
            links=[day_links(f, " records", f.daily_records) for f in flows],
        )
        if flows
        else None,
        success_chart=line_chart(
            [(labels.flow_label(f.flow), f.daily_success) for f in flows],
            peak=100,
            links=[day_links(f, " % synced", f.daily_success) for f in flows],
        )
        if flows
        else None,
    )


# -- exceptions ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExceptionRate:
    since: dt.date
    records: int
    failed: int  # records failed or blocked
    rate: float | None  # percent of records that failed
    opened: int  # exceptions (that the user may see) first seen in the window


def exception_rate(
    *, user: AnyUser, now: dt.datetime, scope: IntegrationScope = EVERYTHING, days: int = EXCEPTION_RATE_DAYS
) -> ExceptionRate:
    since = now.astimezone(dt.UTC).date() - dt.timedelta(days=days - 1)
    jobs = scope.filter(
        SyncJob.objects.filter(started_at__gte=_day_start(since)), salesforce="salesforce_connection"
    )
    totals = jobs.aggregate(records=Sum("records_total"), failed=Sum("records_failed"))
    records, failed = totals["records"] or 0, totals["failed"] or 0
    opened = _exceptions(user, scope).filter(first_seen__gte=_day_start(since)).count()
    return ExceptionRate(since, records, failed, _percent(failed, records), opened)


@dataclass(frozen=True)
class AgeRow:
    bucket: AgeBucket
    total: int
    overdue: int  # past their SLA due time

    @property
    def within_sla(self) -> int:
        return self.total - self.overdue


def _exceptions(user: AnyUser, scope: IntegrationScope) -> QuerySet[ExceptionItem]:
    return scope.filter(exceptions_for_user(user), integration="integration")


def open_exceptions_by_age(
    *, user: AnyUser, now: dt.datetime, scope: IntegrationScope = EVERYTHING
) -> list[AgeRow]:
    """Active exceptions the user may see, by how long they have been open, and how many are overdue."""
    # One pass that names each row's bucket and lateness, then at most 2 x 4 groups: cheaper than eight
    # filtered counts, each testing every active row again (50,000 of them at a million exceptions).
    bucket = Case(
        *(When(age_bucket_filter(b, now=now), then=Value(b.key)) for b in AGE_BUCKETS),
        default=Value(""),
        output_field=CharField(),
    )
    late = Case(When(Q(due_at__lt=now), then=Value(True)), default=Value(False), output_field=BooleanField())
    groups = (
        _exceptions(user, scope)
        .filter(status__in=ACTIVE_STATUSES)
        .annotate(bucket=bucket, late=late)
        .values("bucket", "late")
        .annotate(n=Count("*"))
        .order_by()
    )
    totals: dict[str, int] = defaultdict(int)
    overdue: dict[str, int] = defaultdict(int)
    for row in groups:
        totals[row["bucket"]] += row["n"]
        if row["late"]:
            overdue[row["bucket"]] += row["n"]
    return [AgeRow(b, totals[b.key], overdue[b.key]) for b in AGE_BUCKETS]


# -- queue ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class QueueFigures:
    pending: int
    claimed: int
    oldest_waiting: dt.datetime | None
    lag_seconds: float | None  # age of the oldest message not yet done
    tasks_queued: int | None  # django-q2's queue; None when the broker cannot be asked


def queue_figures(*, now: dt.datetime, scope: IntegrationScope = EVERYTHING) -> QueueFigures:
    # Only the waiting rows are read (index inbox_status_received): the done ones are nearly all of a
    # busy inbox, and counting past them cost a scan of the table on every poll.
    waiting = InboxMessage.objects.filter(status__in=[InboxStatus.PENDING, InboxStatus.CLAIMED])
    counts = scope.filter(waiting, salesforce="salesforce_connection").aggregate(
        pending=Count("id", filter=Q(status=InboxStatus.PENDING)),
        claimed=Count("id", filter=Q(status=InboxStatus.CLAIMED)),
        oldest=Min("received_at", filter=Q(status__in=[InboxStatus.PENDING, InboxStatus.CLAIMED])),
    )
    oldest = counts["oldest"]
    return QueueFigures(
        pending=counts["pending"],
        claimed=counts["claimed"],
        oldest_waiting=oldest,
        lag_seconds=round((now - oldest).total_seconds(), 1) if oldest else None,
        tasks_queued=background_task_summary().queued,
    )


# -- quote to cash ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class SlowDeal:
    opportunity_id: str
    hours: float


@dataclass(frozen=True)
class QuoteToCash:
    since: dt.date
    won: int  # opportunities first reported Closed Won in the window
    ordered: int  # of those, with a sales order in NetSuite
    invoiced: int  # of those, with a first invoice synced back
    to_order_hours: float | None  # medians
    order_to_invoice_hours: float | None
    to_invoice_hours: float | None
    slowest: list[SlowDeal]  # won -> first invoice, slowest first


def _hours(start: dt.datetime, end: dt.datetime) -> float:
    return (end - start).total_seconds() / 3600


def _median(values: list[float]) -> float | None:
    """The median, rounded to 1 decimal; of an even count, the two middle values interpolated exactly as
    PostgreSQL's ``percentile_cont(0.5)`` does (``low + (high - low) * 0.5``, which can differ from
    ``(low + high) / 2`` in the last bit), so both paths of :func:`quote_to_cash` round the same float."""
    if not values:
        return None
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return round(ordered[middle], 1)
    low, high = ordered[middle - 1], ordered[middle]
    return round(low + (high - low) * 0.5, 1)


class _Hours(Func):
    """The hours from the first moment to the second, as the same float :func:`_hours` gives: the exact
    seconds (``EXTRACT`` returns numeric), rounded once to double precision, then divided by 3600."""

    template = "(EXTRACT(EPOCH FROM (%(expressions)s))::double precision / 3600)"
    arg_joiner = " - "
    output_field = FloatField()

    def __init__(self, start: str, end: str) -> None:
        super().__init__(end, start)


class _Median(Aggregate):
    """PostgreSQL's continuous median: NULLs left out, the mean of the two middle values of an even
    count; NULL over no rows."""

    function = "percentile_cont"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()


# How old the dashboard's quote-to-cash figures may be. They cover 90 days of deals and move by hours
# (medians of hours between milestones), while computing them still reads the window's deals off an
# index (about 0.1 s at 200k milestones on PostgreSQL, seconds in Python on SQLite): every viewer and
# every poll within this time shares one computation per scope.
QUOTE_TO_CASH_FRESH_SECONDS = 300


def _quote_to_cash_generation() -> str:
    """What changes whenever quote to cash's inputs may have: the newest inbox message and sync job (a
    won deal arrives in the inbox; orders and invoices are written by jobs). Two reads of a primary key's
    end, so kept figures are never older than the last sync, however fresh the cache entry."""
    newest_message = InboxMessage.objects.order_by("-pk").values_list("pk", flat=True).first()
    newest_job = SyncJob.objects.order_by("-pk").values_list("pk", flat=True).first()
    return f"{newest_message or 0}.{newest_job or 0}"


def quote_to_cash_recent(*, now: dt.datetime, scope: IntegrationScope = EVERYTHING) -> QuoteToCash:
    """:func:`quote_to_cash` for ``scope`` as computed at most :data:`QUOTE_TO_CASH_FRESH_SECONDS` ago."""
    ids = ",".join(str(pk) for pk in sorted(scope.integration_ids))
    since = now.astimezone(dt.UTC).date()
    key = (
        f"console:q2c:{since.isoformat()}:{_quote_to_cash_generation()}:"
        f"{'limited:' + ids if scope.limited else 'all'}"
    )
    found = cache.get(key)
    if not isinstance(found, QuoteToCash):
        found = quote_to_cash(now=now, scope=scope)
        cache.set(key, found, QUOTE_TO_CASH_FRESH_SECONDS)
    return found


def quote_to_cash(
    *,
    now: dt.datetime,
    scope: IntegrationScope = EVERYTHING,
    days: int = QUOTE_TO_CASH_DAYS,
    slowest: int = 5,
) -> QuoteToCash:
    """Closed Won (the first inbox event for the opportunity) -> sales order (its first synced record) ->
    first invoice (the first time the return flow synced one for it), for deals won in the window.

    The pipeline notes each moment as it happens (:class:`sync.pipeline.models.DealMilestone`); this reads
    the window's deals off the index on their won moment. A backfill reads history, so its events say
    nothing about when a deal was won: they set no won moment, and a deal a backfill brought in is left out
    (a later poll of it, after an edit, is not when it was won).

    On PostgreSQL the database computes the figures (:func:`quote_to_cash_in_database`: two queries
    returning a handful of values, however many deals the window holds); elsewhere (SQLite has no
    ``percentile_cont``) they are computed here from the rows (:func:`quote_to_cash_from_rows`). Both give
    the same result for the same rows.
    """
    since = now.astimezone(dt.UTC).date() - dt.timedelta(days=days - 1)
    deals = quote_to_cash_deals(since=since, scope=scope)
    if connections[deals.db].vendor == "postgresql":
        return quote_to_cash_in_database(deals=deals, since=since, slowest=slowest)
    return quote_to_cash_from_rows(deals=deals, since=since, slowest=slowest)


def quote_to_cash_deals(*, since: dt.date, scope: IntegrationScope = EVERYTHING) -> QuerySet[DealMilestone]:
    """The deals quote to cash counts: won since the start of ``since`` (UTC), never brought in by a
    backfill, of the integrations in ``scope``."""
    return scope.filter(
        DealMilestone.objects.filter(won_at__gte=_day_start(since), backfilled_at__isnull=True),
        integration="integration",
    )


def quote_to_cash_in_database(
    *, deals: QuerySet[DealMilestone], since: dt.date, slowest: int = 5
) -> QuoteToCash:
    """:func:`quote_to_cash` of ``deals`` (:func:`quote_to_cash_deals`) computed by PostgreSQL: one
    aggregate for the counts and the medians (``percentile_cont``), one top-``slowest`` query; only the
    rounding is done here, as :func:`quote_to_cash_from_rows` does it."""
    figures = deals.aggregate(
        won=Count("*"),  # not the primary key: the index on won_at does not carry it
        ordered=Count("ordered_at"),
        invoiced=Count("invoiced_at"),
        to_order=_Median(_Hours("won_at", "ordered_at")),
        order_to_invoice=_Median(_Hours("ordered_at", "invoiced_at")),
        to_invoice=_Median(_Hours("won_at", "invoiced_at")),
    )
    # Slowest first, by the interval itself (distinct intervals of microseconds stay distinct as hours, so
    # the order is the hours' order) with hours worked out for the few rows returned; a tie goes to the
    # greater opportunity id by code point (as Python compares strings), whatever the database's collation.
    slow = (
        deals.filter(invoiced_at__isnull=False)
        .order_by((F("invoiced_at") - F("won_at")).desc(), Collate("opportunity_id", "C").desc())
        .annotate(hours=_Hours("won_at", "invoiced_at"))
        .values_list("opportunity_id", "hours")[:slowest]
    )

    def rounded(median: float | None) -> float | None:
        return None if median is None else round(median, 1)

    return QuoteToCash(
        since=since,
        won=figures["won"],
        ordered=figures["ordered"],
        invoiced=figures["invoiced"],
        to_order_hours=rounded(figures["to_order"]),
        order_to_invoice_hours=rounded(figures["order_to_invoice"]),
        to_invoice_hours=rounded(figures["to_invoice"]),
        slowest=[SlowDeal(opportunity_id, round(hours, 1)) for opportunity_id, hours in slow],
    )


def quote_to_cash_from_rows(
    *, deals: QuerySet[DealMilestone], since: dt.date, slowest: int = 5
) -> QuoteToCash:
    """:func:`quote_to_cash` of ``deals`` (:func:`quote_to_cash_deals`) computed here from every row: for
    a database without ``percentile_cont``, and the reference :func:`quote_to_cash_in_database` is
    tested against."""
    won: dict[tuple[int, str], dt.datetime] = {}  # (integration id, opportunity id): won at
    ordered: dict[tuple[int, str], dt.datetime] = {}
    invoiced: dict[tuple[int, str], dt.datetime] = {}
    for integration_id, opportunity_id, won_at, ordered_at, invoiced_at in deals.values_list(
        "integration_id", "opportunity_id", "won_at", "ordered_at", "invoiced_at"
    ):
        if won_at is None:  # the window's filter leaves none out; for the type checker
            continue
        deal = (integration_id, opportunity_id)
        won[deal] = won_at
        if ordered_at is not None:
            ordered[deal] = ordered_at
        if invoiced_at is not None:
            invoiced[deal] = invoiced_at
    to_order = [_hours(won[deal], at) for deal, at in ordered.items()]
    order_to_invoice = [_hours(ordered[deal], at) for deal, at in invoiced.items() if deal in ordered]
    totals = sorted(((_hours(won[deal], at), deal[1]) for deal, at in invoiced.items()), reverse=True)
    return QuoteToCash(
        since=since,
        won=len(won),
        ordered=len(ordered),
        invoiced=len(invoiced),
        to_order_hours=_median(to_order),
        order_to_invoice_hours=_median(order_to_invoice),
        to_invoice_hours=_median([hours for hours, _ in totals]),
        slowest=[SlowDeal(o, round(hours, 1)) for hours, o in totals[:slowest]],
    )


# -- days sales outstanding ------------------------------------------------------------------------


@dataclass(frozen=True)
class DsoRow:
    currency: str
    receivables: Decimal  # open balance of every synced invoice
    sales: Decimal  # invoiced in the window
    invoices: int  # invoiced in the window
    dso_days: Decimal | None  # receivables / sales x days


def days_sales_outstanding(
    *, today: dt.date, scope: IntegrationScope = EVERYTHING, days: int = DSO_DAYS
) -> list[DsoRow]:
    """DSO per currency from the invoices and payments the return flow synced (never mixed currencies)."""
    window = Q(invoice_date__gt=today - dt.timedelta(days=days), invoice_date__lte=today)
    rows = (
        scope.filter(SyncedInvoice.objects.all(), integration="integration")
        .values("currency")
        .annotate(
            receivables=Sum("amount_remaining"),
            sales=Sum("amount", filter=window),
            invoices=Count("id", filter=window),
        )
        .order_by("currency")
    )
    result = []
    for row in rows:
        cents = Decimal("0.01")  # SQLite sums decimals without their scale; PostgreSQL keeps it
        receivables = Decimal(row["receivables"] or 0).quantize(cents)
        sales = Decimal(row["sales"] or 0).quantize(cents)
        dso = (receivables / sales * days).quantize(Decimal("0.1")) if sales else None
        result.append(DsoRow(row["currency"], receivables, sales, row["invoices"], dso))
    return result


# -- reconciliation, limits ------------------------------------------------------------------------


@dataclass(frozen=True)
class LastReconciliation:
    check: str
    label: str
    run: ReconciliationRun | None


def last_reconciliations(*, scope: IntegrationScope = EVERYTHING) -> list[LastReconciliation]:
    """The latest finished run of each check (succeeded or failed) among the integrations in ``scope``."""
    finished = scope.filter(
        ReconciliationRun.objects.filter(status__in=[RunStatus.SUCCEEDED, RunStatus.FAILED]),
        integration="integration",
    )
    return [
        LastReconciliation(name, check.title, finished.filter(check_name=name).first())
        for name, check in CHECKS.items()
    ]


@dataclass(frozen=True)
class ConcurrencyUse:
    connection: Connection
    in_use: int | None  # None when the limiter cannot be read
    limit: int


def netsuite_concurrency(*, scope: IntegrationScope = EVERYTHING) -> list[ConcurrencyUse]:
    """Request slots held right now per active NetSuite connection, across every worker."""
    result = []
    active = Connection.objects.filter(kind=ConnectionKind.NETSUITE, is_active=True)
    for connection in scope.filter(active, connection="pk").order_by("name"):
        limiter = slots_for(
            connection.limiter_key,
            LimiterSettings(limit=connection.concurrency_limit),
            redis_url=settings.REDIS_URL or None,
        )
        try:
            in_use: int | None = limiter.in_use()
        except Exception:  # Redis down: the figure is unknown, the dashboard still renders
            in_use = None
        result.append(ConcurrencyUse(connection, in_use, connection.concurrency_limit))
    return result


def salesforce_api_usage(*, scope: IntegrationScope = EVERYTHING) -> list[ApiUsage]:
    """The last ``Sforce-Limit-Info`` seen per Salesforce connection."""
    usage = scope.filter(ApiUsage.objects.select_related("connection"), connection="connection")
    return list(usage.order_by("connection__name"))


# -- open exceptions per currency ------------------------------------------------------------------


@dataclass(frozen=True)
class CurrencyExceptions:
    currency: str  # the currency of the exception's subsidiary as NetSuite names it; "" when none
    open: int


def open_exceptions_by_currency(*, user: AnyUser) -> list[CurrencyExceptions]:
    """Active exceptions ``user`` may see, per the currency of the subsidiary each is scoped to."""
    rows = (
        exceptions_for_user(user)
        .filter(status__in=ACTIVE_STATUSES)
        .values("subsidiary__currency")
        .annotate(open=Count("id"))
        .order_by("subsidiary__currency")
    )
    return [CurrencyExceptions(row["subsidiary__currency"] or "", row["open"]) for row in rows]
