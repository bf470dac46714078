"""Each dashboard figure against the seeded world of tests/console/conftest.py (exact numbers)."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from console import selectors
from sync.connections.models import Connection
from sync.exceptions.models import Subsidiary
from sync.exceptions.permissions import subsidiary_scope_grant
from sync.integrations.access import EVERYTHING, IntegrationScope
from sync.integrations.selectors import integration_for_connection
from sync.pipeline.inbox import inbox_add
from sync.pipeline.milestones import deal_milestones_backfilled
from sync.pipeline.models import DealMilestone, InboxMessage, InboxSource, RecordStatus, SyncJob, SyncRecord
from tests.console.conftest import FLOW, O1, O2, OTHER_FLOW, OpsWorld
from tests.sync.connections.support import offline_connection_pair

# Both CI stages: PostgreSQL computes quote to cash, elsewhere the rows do (tests/database_stage.py).
pytestmark = pytest.mark.database


def test_it_counts_volume_and_success_per_flow_per_day(ops_world: OpsWorld) -> None:
    volume = selectors.sync_volume(now=ops_world.now)
    assert volume.since == dt.date(2026, 6, 2) and len(volume.days) == 14
    flows = {flow.flow: flow for flow in volume.flows}
    assert list(flows) == [OTHER_FLOW, FLOW]
    main = flows[FLOW]
    assert (main.records, main.synced, main.failed, main.blocked, main.success_rate) == (15, 13, 2, 1, 86.7)
    assert main.daily_records == [0] * 12 + [5, 10]
    assert main.daily_success == [100.0] * 12 + [100.0, 80.0]
    other = flows[OTHER_FLOW]
    assert (other.records, other.synced, other.failed, other.blocked, other.success_rate) == (
        4,
        1,
        3,
        0,
        25.0,
    )
    assert other.daily_records[8] == 4  # 2026-06-10
    assert volume.records_chart is not None and volume.records_chart.peak == 10
    assert volume.success_chart is not None and volume.success_chart.peak == 100


def test_a_record_read_with_nothing_to_change_counts_as_a_success(ops_world: OpsWorld) -> None:
    # A return-flow run: 10 records read, 2 written, 7 unchanged, 1 failed.
    job = SyncJob.objects.create(
        flow="netsuite_to_salesforce",
        salesforce_connection=Connection.objects.get(name="ops-sf"),
        netsuite_connection=Connection.objects.get(name="ops-ns"),
        status="partial",
        records_total=10,
        records_synced=2,
        records_failed=1,
    )
    SyncJob.objects.filter(pk=job.pk).update(started_at=ops_world.now - dt.timedelta(hours=2))
    volume = selectors.sync_volume(now=ops_world.now)
    (returned,) = [flow for flow in volume.flows if flow.flow == "netsuite_to_salesforce"]
    assert (returned.records, returned.synced, returned.failed, returned.success_rate) == (10, 2, 1, 90.0)
    assert returned.daily_success[-1] == 90.0


def test_it_gives_the_exception_rate_of_the_last_seven_days(ops_world: OpsWorld, revops: User) -> None:
    rate = selectors.exception_rate(user=revops, now=ops_world.now)
    # Jobs from 2026-06-09: 10 + 5 + 4 records, 2 + 0 + 3 failed; exceptions first seen since: e1, e2, e3, e5.
    assert (rate.since, rate.records, rate.failed, rate.rate, rate.opened) == (
        dt.date(2026, 6, 9),
        19,
        5,
        26.3,
        4,
    )


def test_it_sorts_open_exceptions_by_age_against_their_sla(ops_world: OpsWorld, revops: User) -> None:
    rows = selectors.open_exceptions_by_age(user=revops, now=ops_world.now)
    assert [(row.bucket.key, row.total, row.within_sla, row.overdue) for row in rows] == [
        ("lt1d", 1, 1, 0),
        ("1to3d", 1, 0, 1),
        ("3to7d", 1, 0, 1),
        ("gt7d", 1, 1, 0),
    ]


def test_it_counts_only_the_exceptions_a_person_may_see(ops_world: OpsWorld, finance: User) -> None:
    assert sum(row.total for row in selectors.open_exceptions_by_age(user=finance, now=ops_world.now)) == 0
    assert selectors.exception_rate(user=finance, now=ops_world.now).opened == 0
    subsidiary_scope_grant(holder=finance, subsidiary=Subsidiary.objects.get(key="SUB-A"))
    finance = User.objects.get(pk=finance.pk)  # a fresh permission cache
    assert sum(row.total for row in selectors.open_exceptions_by_age(user=finance, now=ops_world.now)) == 4


def test_it_measures_queue_depth_and_lag(ops_world: OpsWorld) -> None:
    queue = selectors.queue_figures(now=ops_world.now)
    assert (queue.pending, queue.claimed, queue.lag_seconds, queue.tasks_queued) == (2, 1, 120.0, 0)


def test_it_measures_quote_to_cash_latency(ops_world: OpsWorld) -> None:
    q2c = selectors.quote_to_cash(now=ops_world.now)
    # Won: O1, O2, O4 and the three opportunities waiting in the queue (O3 is too old).
    assert (q2c.won, q2c.ordered, q2c.invoiced) == (6, 2, 1)
    assert (q2c.to_order_hours, q2c.order_to_invoice_hours, q2c.to_invoice_hours) == (3.0, 24.0, 26.0)
    assert [(deal.opportunity_id, deal.hours) for deal in q2c.slowest] == [(O1, 26.0)]


def test_a_backfill_does_not_count_as_a_deal_won(ops_world: OpsWorld) -> None:
    # Stored by the intake itself, which notes a won deal for the sources that report one.
    stored = inbox_add(
        [
            InboxMessage(
                notification_id="backfill:old",
                source=InboxSource.BACKFILL,
                salesforce_connection=ops_world.salesforce,
                netsuite_connection=ops_world.netsuite,
                record_id="006000000000777AAA",
            )
        ]
    )
    assert stored == 1 and not DealMilestone.objects.filter(opportunity_id="006000000000777AAA").exists()
    assert selectors.quote_to_cash(now=ops_world.now).won == 6


def test_a_deal_a_backfill_brought_in_is_not_won_when_polled_again(ops_world: OpsWorld) -> None:
    # O2 came in through a go-live backfill; its later poll event (an edit) says nothing about its win.
    job = SyncJob.objects.create(
        trigger="backfill", salesforce_connection=ops_world.salesforce, netsuite_connection=ops_world.netsuite
    )
    SyncRecord.objects.create(job=job, opportunity_id=O2, status=RecordStatus.SYNCED)
    # As the runner notes a backfill job's deals when it opens the job.
    deal_milestones_backfilled(
        integration_id=integration_for_connection(ops_world.salesforce.pk).pk,
        opportunity_ids=[O2],
        at=ops_world.now,
    )
    q2c = selectors.quote_to_cash(now=ops_world.now)
    assert (q2c.won, q2c.ordered, q2c.invoiced) == (5, 1, 1)
    assert q2c.to_order_hours == 2.0  # O1 alone


def test_it_computes_dso_per_currency(ops_world: OpsWorld) -> None:
    rows = selectors.days_sales_outstanding(today=ops_world.now.date())
    assert [(r.currency, r.receivables, r.sales, r.invoices, r.dso_days) for r in rows] == [
        ("EUR", Decimal("300"), Decimal("300"), 1, Decimal("90.0")),
        ("USD", Decimal("900"), Decimal("3000"), 2, Decimal("27.0")),
    ]


def test_it_shows_the_last_reconciliation_of_each_check(ops_world: OpsWorld) -> None:
    last = {row.check: row.run for row in selectors.last_reconciliations()}
    assert last["accounts"] is not None and last["accounts"].status == "failed"
    assert last["invoices"] is not None and last["invoices"].mismatch_total == 4
    assert last["opportunities"] is None


def test_it_reads_netsuite_concurrency_and_salesforce_api_usage(ops_world: OpsWorld) -> None:
    assert [(use.connection.name, use.in_use, use.limit) for use in selectors.netsuite_concurrency()] == [
        ("ops-ns", 2, 5)
    ]
    assert [(u.connection.name, u.used, u.limit, u.percent) for u in selectors.salesforce_api_usage()] == [
        ("ops-sf", 150, 15000, 1.0)
    ]


def test_the_dashboard_shares_one_quote_to_cash_computation_per_scope_for_minutes(
    ops_world: OpsWorld,
) -> None:
    from sync.integrations.access import IntegrationScope

    first = selectors.quote_to_cash_recent(now=ops_world.now)
    assert first == selectors.quote_to_cash(now=ops_world.now) and first.won == 6
    # Rows changed in place (no new message, no new job): the kept figures serve, not recomputed.
    won = dict(DealMilestone.objects.values_list("pk", "won_at"))
    DealMilestone.objects.update(won_at=None)
    assert selectors.quote_to_cash(now=ops_world.now).won == 0
    assert selectors.quote_to_cash_recent(now=ops_world.now).won == 6
    # Another scope is computed on its own; kept figures expire after QUOTE_TO_CASH_FRESH_SECONDS.
    limited = IntegrationScope(limited=True, integration_ids=frozenset({-1}))
    assert selectors.quote_to_cash_recent(now=ops_world.now, scope=limited).won == 0
    cache.clear()
    assert selectors.quote_to_cash_recent(now=ops_world.now).won == 0
    # The second day: a deal won and synced (a new inbox message and job) is counted at once, however
    # fresh the kept figures are.
    for pk, at in won.items():
        DealMilestone.objects.filter(pk=pk).update(won_at=at)
    assert selectors.quote_to_cash_recent(now=ops_world.now).won == 0  # kept
    job = SyncJob.objects.order_by("pk").last()
    assert job is not None
    SyncJob.objects.create(
        salesforce_connection=job.salesforce_connection,
        netsuite_connection=job.netsuite_connection,
        flow=job.flow,
    )
    assert selectors.quote_to_cash_recent(now=ops_world.now).won == 6


@pytest.mark.database  # no database, but beside this module's PostgreSQL-only checks: the stage keeps it
def test_the_median_interpolates_an_even_count_as_postgresql_does() -> None:
    assert selectors._median([]) is None
    assert selectors._median([5.0, 1.0, 3.0]) == 3.0
    assert selectors._median([4.0, 1.0, 2.0, 3.0]) == 2.5
    # percentile_cont(0.5) gives 100.55000000000001 here (30.2 + (170.9 - 30.2) * 0.5), which rounds up;
    # (30.2 + 170.9) / 2 is 100.55 and would round down: both paths must round the same float.
    assert selectors._median([170.9, 30.2]) == 100.6
    assert selectors._median([1.8, 179.7]) == 90.7


on_postgresql = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL only")


def _plant_deals(world: OpsWorld, *, seed: int) -> tuple[int, int]:
    """A few hundred deals in two integrations: times to the microsecond, even and odd counts, equal
    durations (ties broken by the opportunity id, in mixed case), orders before the win, invoices with no
    order, deals backfilled or won before the window (both left out)."""
    rng = random.Random(seed)
    ours = integration_for_connection(world.salesforce.pk).pk
    other_sf, _ = offline_connection_pair("q2c-other")
    theirs = integration_for_connection(other_sf.pk).pk
    rows = []
    for number in range(401):
        integration = ours if number % 3 else theirs
        won = world.now - dt.timedelta(days=rng.uniform(0, 95), microseconds=rng.randrange(10**6))
        ordered = won + dt.timedelta(hours=rng.choice((-1, 3, 3, 7.5)), microseconds=rng.randrange(999))
        # Half exactly 26, 40.25 or 100 hours after the win (equal durations), half at least 30 min more.
        extra = rng.choice((0, 0.5 + rng.random() / 2))
        invoiced = won + dt.timedelta(hours=rng.choice((26, 26, 40.25, 100)) + extra)
        rows.append(
            DealMilestone(
                integration_id=integration,
                # The same id in both integrations now and then; upper and lower case sort apart.
                opportunity_id=f"006{rng.choice('aA')}{number % 200:014d}",
                won_at=won,
                ordered_at=ordered if rng.random() < 0.8 else None,
                invoiced_at=invoiced if rng.random() < 0.6 else None,
                backfilled_at=world.now if rng.random() < 0.05 else None,
            )
        )
    DealMilestone.objects.bulk_create(rows, ignore_conflicts=True)
    return ours, theirs


def _both_ways(world: OpsWorld, scope: IntegrationScope, slowest: int) -> tuple[object, object]:
    since = world.now.date() - dt.timedelta(days=selectors.QUOTE_TO_CASH_DAYS - 1)
    deals = selectors.quote_to_cash_deals(since=since, scope=scope)
    return (
        selectors.quote_to_cash_in_database(deals=deals, since=since, slowest=slowest),
        selectors.quote_to_cash_from_rows(deals=deals, since=since, slowest=slowest),
    )


@on_postgresql
def test_postgresql_computes_the_same_quote_to_cash_as_python(ops_world: OpsWorld) -> None:
    ours, theirs = _plant_deals(ops_world, seed=24)
    scopes = [
        EVERYTHING,
        IntegrationScope(limited=True, integration_ids=frozenset({ours})),
        IntegrationScope(limited=True, integration_ids=frozenset({theirs})),
        IntegrationScope(limited=True, integration_ids=frozenset({-1})),
    ]
    for scope in scopes:
        for slowest in (0, 5, 60):
            in_database, from_rows = _both_ways(ops_world, scope, slowest)
            assert in_database == from_rows, (scope, slowest)
    everything, _ = _both_ways(ops_world, EVERYTHING, 60)
    assert isinstance(everything, selectors.QuoteToCash)
    assert everything.won > 200 and everything.invoiced > 100 and len(everything.slowest) == 60
    assert everything.to_order_hours is not None and everything.to_invoice_hours is not None
    # The slowest exactly 100 hours each, in descending code-point order of their ids (lower case first).
    top = [deal for deal in everything.slowest if deal.hours == 100.0]
    assert len(top) > 5 and [deal.opportunity_id for deal in top] == sorted(
        (deal.opportunity_id for deal in top), reverse=True
    )
    assert top[0].opportunity_id.startswith("006a") and top[-1].opportunity_id.startswith("006A")
    # The second day: moments move, deals drop out of the count (odd and even flip); still the same.
    DealMilestone.objects.filter(pk__in=DealMilestone.objects.order_by("pk").values("pk")[:7]).update(
        ordered_at=None, invoiced_at=ops_world.now
    )
    for scope in scopes:
        in_database, from_rows = _both_ways(ops_world, scope, 5)
        assert in_database == from_rows


def test_quote_to_cash_reads_a_handful_of_values_on_postgresql(ops_world: OpsWorld) -> None:
    _plant_deals(ops_world, seed=6)
    with CaptureQueriesContext(connection) as queries:
        q2c = selectors.quote_to_cash(now=ops_world.now)
    assert q2c.won > 200
    if connection.vendor == "postgresql":
        # One aggregate (counts and medians) and one top five: what comes back does not grow with the window.
        aggregate, slowest = (query["sql"] for query in queries)
        assert aggregate.count("percentile_cont(0.5) WITHIN GROUP") == 3 and "LIMIT" not in aggregate
        assert slowest.endswith("LIMIT 5")
        # Ties by code point whatever the database's collation (this machine's clusters are all C.UTF-8,
        # where the comparison test above could not tell).
        assert 'COLLATE "C" DESC' in slowest
    else:  # SQLite: every row of the window, the figures worked out in Python
        (rows,) = (query["sql"] for query in queries)
        assert "percentile_cont" not in rows
