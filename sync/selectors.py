"""Reads for the sync area: background work django-q2 has done and has waiting, connections, the
exception queue and business rules."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.db import connections, router
from django.db.models import Q, QuerySet
from django.utils import timezone
from django_q.brokers import get_broker
from django_q.models import Task

from core.roles import VIEW_CONSOLE
from sync.connections.models import Connection
from sync.exceptions.models import (
    ACTIVE_STATUSES,
    ExceptionEvent,
    ExceptionItem,
    ExceptionOverride,
    Notification,
)
from sync.exceptions.permissions import AnyUser, exceptions_visible_to
from sync.golive.models import GoLiveOutcome, GoLiveRun
from sync.pipeline.models import Listener
from sync.rules.models import Rule, RuleStatus, RuleVersion


def listener_active_by_token_hash(*, token_hash: str, kind: str) -> Listener | None:
    """The active listener of ``kind`` whose URL token hashes to ``token_hash``, else None (the inbound
    views' 404; see :func:`sync.pipeline.models.inbound.path_token_hash`).

    Asked on every inbound request, so written as one raw, indexed query: the ORM spends ~0.35 ms of
    CPU compiling the equivalent filter, a large part of a listener request (bench/ingest.py).
    """
    connection = connections[router.db_for_read(Listener)]
    quote = connection.ops.quote_name
    table = quote(Listener._meta.db_table)
    sql = (
        f"SELECT * FROM {table} WHERE {quote('path_token_hash')} = %s AND {quote('kind')} = %s "  # noqa: S608
        f"AND {quote('is_active')} = %s"
    )
    return next(iter(Listener.objects.raw(sql, [token_hash, kind, True])), None)


@dataclass(frozen=True)
class TaskSummary:
    queued: int | None  # None when the broker cannot be asked (e.g. Redis is down)
    succeeded: int
    failed: int
    last_finished: datetime | None


def background_task_summary() -> TaskSummary:
    try:
        queued: int | None = get_broker().queue_size()
    except Exception:  # a broker outage must not take the dashboard down with it
        queued = None
    last = Task.objects.order_by("-stopped").values_list("stopped", flat=True).first()
    return TaskSummary(
        queued=queued,
        succeeded=Task.objects.filter(success=True).count(),
        failed=Task.objects.filter(success=False).count(),
        last_finished=last,
    )


def background_tasks_recent(*, limit: int = 20, failed_only: bool = False) -> QuerySet[Task]:
    tasks = Task.objects.order_by("-stopped")
    if failed_only:
        tasks = tasks.filter(success=False)
    return tasks[:limit]


def connections_visible(*, user: User | AnonymousUser) -> QuerySet[Connection]:
    """The connections ``user`` may see: all of them for anyone with a console role, else none."""
    if not user.has_perm(VIEW_CONSOLE):
        return Connection.objects.none()
    return Connection.objects.all()


def connection_get(*, user: User | AnonymousUser, connection_id: int) -> Connection | None:
    return connections_visible(user=user).filter(pk=connection_id).first()


# The exception queue. Every read starts from what the asking user may see (sync.exceptions.permissions).


@dataclass(frozen=True)
class AgeBucket:
    key: str
    label: str
    older_than: timedelta
    younger_than: timedelta | None


# How long exceptions have been open (since first seen), as the dashboard groups them.
AGE_BUCKETS = (
    AgeBucket("lt1d", "under 1 day", timedelta(0), timedelta(days=1)),
    AgeBucket("1to3d", "1-3 days", timedelta(days=1), timedelta(days=3)),
    AgeBucket("3to7d", "3-7 days", timedelta(days=3), timedelta(days=7)),
    AgeBucket("gt7d", "over 7 days", timedelta(days=7), None),
)
AGE_BUCKETS_BY_KEY = {bucket.key: bucket for bucket in AGE_BUCKETS}


@dataclass(frozen=True)
class ExceptionFilters:
    status: str = ""  # a status, "active" (the default view) or "" for all
    category: str = ""  # category key
    severity: str = ""
    owner: str = ""  # "me", a username or a group name
    overdue: bool = False
    age: str = ""  # an AGE_BUCKETS key: open for that long (since first seen)
    since: date | None = None  # first seen on or after this day (UTC)


def age_bucket_filter(bucket: AgeBucket, *, now: datetime) -> Q:
    """Exceptions first seen ``bucket``'s age ago: older than its lower bound, younger than its upper."""
    condition = Q(first_seen__lte=now - bucket.older_than)
    if bucket.younger_than is not None:
        condition &= Q(first_seen__gt=now - bucket.younger_than)
    return condition


def exceptions_for_user(user: AnyUser) -> QuerySet[ExceptionItem]:
    """The exceptions ``user`` may see (see :mod:`sync.exceptions.permissions` for the rule)."""
    return exceptions_visible_to(user).select_related("category", "subsidiary", "owner_user", "owner_group")


def exception_queue(
    *, user: AnyUser, filters: ExceptionFilters, now: datetime | None = None
) -> QuerySet[ExceptionItem]:
    items = exceptions_for_user(user)
    if filters.status == "active":
        items = items.filter(status__in=ACTIVE_STATUSES)
    elif filters.status:
        items = items.filter(status=filters.status)
    if filters.category:
        items = items.filter(category__key=filters.category)
    if filters.severity:
        items = items.filter(severity=filters.severity)
    if filters.owner == "me" and isinstance(user, User):
        items = items.filter(Q(owner_user=user) | Q(owner_group__in=user.groups.all()))
    elif filters.owner:
        items = items.filter(Q(owner_user__username=filters.owner) | Q(owner_group__name=filters.owner))
    if filters.overdue:
        items = items.filter(status__in=ACTIVE_STATUSES, due_at__lt=now or timezone.now())
    if filters.age in AGE_BUCKETS_BY_KEY:
        items = items.filter(age_bucket_filter(AGE_BUCKETS_BY_KEY[filters.age], now=now or timezone.now()))
    if filters.since is not None:
        items = items.filter(first_seen__gte=datetime.combine(filters.since, time.min, tzinfo=UTC))
    return items.order_by("due_at", "-last_seen", "-id")


def exception_get_for_user(*, user: AnyUser, item_id: int) -> ExceptionItem | None:
    return exceptions_for_user(user).filter(pk=item_id).first()


def exception_history(*, item: ExceptionItem) -> QuerySet[ExceptionEvent]:
    return item.events.select_related("actor").order_by("at", "id")


def exception_overrides(*, item: ExceptionItem) -> QuerySet[ExceptionOverride]:
    return item.overrides.select_related("proposed_by", "approved_by").order_by("proposed_at", "id")


def notifications_unread_count(*, user: AnyUser) -> int:
    if not isinstance(user, User):
        return 0
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def notifications_recent(*, user: AnyUser, limit: int = 50) -> QuerySet[Notification]:
    if not isinstance(user, User):
        return Notification.objects.none()
    return Notification.objects.filter(user=user).select_related("item")[:limit]


# -- business rules ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RuleRow:
    rule: Rule
    published: RuleVersion | None
    open_version: RuleVersion | None  # the draft, submitted or approved version, if any


def rules_list(*, user: Any) -> list[RuleRow]:
    """Every rule with its published and open versions; anyone with a console role reads rules."""
    if not user.has_perm(VIEW_CONSOLE):
        return []
    rows: dict[int, dict[str, Any]] = {}
    rules = Rule.objects.order_by("key")
    for rule in rules:
        rows[rule.pk] = {"rule": rule, "published": None, "open_version": None}
    for version in RuleVersion.objects.exclude(status=RuleStatus.RETIRED).select_related("rule"):
        slot = "published" if version.status == RuleStatus.PUBLISHED else "open_version"
        rows[version.rule_id][slot] = version
    return [RuleRow(**row) for row in rows.values()]


def rule_get(*, user: Any, key: str) -> Rule | None:
    if not user.has_perm(VIEW_CONSOLE):
        return None
    return Rule.objects.filter(key=key).first()


def rule_versions(*, rule: Rule) -> QuerySet[RuleVersion]:
    return rule.versions.select_related("created_by", "approved_by", "published_by").order_by("-number")


def rule_version_get(*, user: Any, version_id: int) -> RuleVersion | None:
    if not user.has_perm(VIEW_CONSOLE):
        return None
    return RuleVersion.objects.select_related("rule").filter(pk=version_id).first()


GOLIVE_SHOWN = 200  # rows of each list on a go-live run's page


def golive_results_to_review(*, run: GoLiveRun) -> dict[str, Any]:
    """What a person reviews before confirming: suspects with their candidates, the links to be written,
    and links NetSuite refused (each list capped at :data:`GOLIVE_SHOWN`)."""
    results = run.results.order_by("salesforce_type", "salesforce_name", "id")
    return {
        "suspects": list(results.filter(outcome=GoLiveOutcome.SUSPECT)[:GOLIVE_SHOWN]),
        "links": list(results.filter(outcome=GoLiveOutcome.LINKED)[:GOLIVE_SHOWN]),
        "refused": list(
            results.filter(outcome=GoLiveOutcome.LINKED, applied_at__isnull=True).exclude(message="")[
                :GOLIVE_SHOWN
            ]
        ),
        "shown": GOLIVE_SHOWN,
    }
