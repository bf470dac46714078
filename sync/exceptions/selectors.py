"""Reads of the exception queue and of a person's notifications. Every read starts from what the asking
user may see (:mod:`sync.exceptions.permissions`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils import timezone

from core.access import object_get_for_user
from sync.exceptions.models import (
    ACTIVE_STATUSES,
    ExceptionEvent,
    ExceptionItem,
    ExceptionOverride,
    Notification,
    Subsidiary,
)
from sync.exceptions.permissions import AnyUser, exceptions_visible_to


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
    integration: str = ""  # an integration's name: only its exceptions (within what the user may see)


def age_bucket_filter(bucket: AgeBucket, *, now: datetime) -> Q:
    """Exceptions first seen ``bucket``'s age ago: older than its lower bound, younger than its upper."""
    condition = Q(first_seen__lte=now - bucket.older_than)
    if bucket.younger_than is not None:
        condition &= Q(first_seen__gt=now - bucket.younger_than)
    return condition


def exceptions_for_user(user: AnyUser) -> QuerySet[ExceptionItem]:
    """The exceptions ``user`` may see (see :mod:`sync.exceptions.permissions` for the rule)."""
    return exceptions_visible_to(user).select_related(
        "category", "subsidiary", "integration", "owner_user", "owner_group"
    )


def exception_queue(
    *, user: AnyUser, filters: ExceptionFilters, now: datetime | None = None
) -> QuerySet[ExceptionItem]:
    items = exceptions_for_user(user)
    if filters.status == "active":
        items = items.filter(status__in=ACTIVE_STATUSES)
    elif filters.status:
        items = items.filter(status=filters.status)
    # The filters that name one value of one field.
    exact = {
        "category__key": filters.category,
        "severity": filters.severity,
        "integration__name": filters.integration,
    }
    items = items.filter(**{lookup: value for lookup, value in exact.items() if value})
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


def exception_get_for_user(*, user: AnyUser, item_id: int | str) -> ExceptionItem:
    """The exception ``item_id`` if it is in ``user``'s scope, else 404 (pages and API alike: outside the
    scope an exception does not exist for them)."""
    return object_get_for_user(exceptions_for_user(user), name="exception", pk=item_id)


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


def subsidiary_find(text: str) -> Subsidiary:
    """The subsidiary ``text`` names: its key, else its name as read from NetSuite ("EMEA"), else its
    NetSuite id; a clear error when none or several match (the keys to choose from)."""
    text = text.strip()
    found = Subsidiary.objects.filter(key=text).first()
    if found is not None:
        return found
    for lookup in ("name__iexact", "netsuite_id"):
        matches = list(Subsidiary.objects.filter(**{lookup: text}).order_by("key")[:10])
        if len(matches) == 1:
            return matches[0]
        if matches:
            keys = ", ".join(match.key for match in matches)
            raise ValidationError(f"{len(matches)} subsidiaries are called {text!r}: give one key of {keys}.")
    raise ValidationError(
        f"No subsidiary is called {text!r}. Read them from NetSuite first (manage.py netsuite_lists_read)."
    )
