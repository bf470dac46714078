"""Reads of exception groups: the exceptions that share a cause key (:mod:`sync.exceptions.causes`).

A group is not stored: it is the set of exceptions with one ``cause_key`` that the asking person may see
(:func:`sync.exceptions.permissions.exceptions_visible_to`), so two people may see different sizes of one
group, and a person limited to integration B never sees A's (the cause key names the integration, and
every read starts from the person's scope). The queue lists the groups of two or more active exceptions;
a group's page lists its members, each with its own history. The actions on a whole group live in
:mod:`sync.exceptions.group_actions`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Max, Min, Q, QuerySet
from django.http import Http404

from sync.exceptions.causes import Cause, LookupMiss, cause_describe, cause_of_item
from sync.exceptions.models import ACTIVE_STATUSES, ExceptionItem, ExceptionStatus
from sync.exceptions.permissions import AnyUser, exceptions_visible_to

GROUPS_LIMIT = 200  # groups listed on one page: the largest first


@dataclass(frozen=True)
class ExceptionGroup:
    """Exceptions of one cause that a person may see; ``size`` counts the active ones."""

    key: str
    size: int
    retryable: int  # active members with a retry that no approval holds back
    first_seen: datetime
    last_seen: datetime
    sample: ExceptionItem  # the newest member: the group's category, integration and words come from it
    description: str
    cause: Cause | None

    @property
    def kind(self) -> str:
        return self.cause.kind if self.cause is not None else ""

    @property
    def lookup_miss(self) -> LookupMiss | None:
        """The lookup table and key the group's exceptions miss, when that is the cause."""
        if self.cause is None or self.cause.kind != "lookup":
            return None
        _, table, key = self.cause.parts
        return LookupMiss(table=table, key=key)


def _retryable_filter() -> Q:
    return Q(status__in=(ExceptionStatus.OPEN, ExceptionStatus.IN_PROGRESS)) & ~Q(retry_task="")


def exception_groups(
    *, user: AnyUser, integration: str = "", category: str = "", min_size: int = 2, limit: int = GROUPS_LIMIT
) -> list[ExceptionGroup]:
    """The causes shared by at least ``min_size`` of the active exceptions ``user`` may see, the largest
    first (then the most recent); ``integration`` (a name) and ``category`` (a key) narrow them."""
    items = exceptions_visible_to(user).filter(status__in=ACTIVE_STATUSES).exclude(cause_key="")
    if integration:
        items = items.filter(integration__name=integration)
    if category:
        items = items.filter(category__key=category)
    rows = list(
        items.values("cause_key")
        .annotate(
            size=Count("id"),
            retryable=Count("id", filter=_retryable_filter()),
            first=Min("first_seen"),
            last=Max("last_seen"),
            newest=Max("id"),
        )
        .filter(size__gte=max(min_size, 1))
        .order_by("-size", "-last", "cause_key")[:limit]
    )
    samples = ExceptionItem.objects.select_related("category", "integration", "subsidiary").in_bulk(
        [row["newest"] for row in rows]
    )
    return [
        _group(
            row["cause_key"], row["size"], row["retryable"], row["first"], row["last"], samples[row["newest"]]
        )
        for row in rows
    ]


def _group(
    key: str, size: int, retryable: int, first: datetime, last: datetime, sample: ExceptionItem
) -> ExceptionGroup:
    return ExceptionGroup(
        key=key,
        size=size,
        retryable=retryable,
        first_seen=first,
        last_seen=last,
        sample=sample,
        description=cause_describe(sample),
        cause=cause_of_item(sample),
    )


def exception_group_members(*, user: AnyUser, key: str, active_only: bool = True) -> QuerySet[ExceptionItem]:
    """The exceptions of cause ``key`` that ``user`` may see (the active ones unless ``active_only`` is
    False), the newest first."""
    items = exceptions_visible_to(user).filter(cause_key=key)
    if active_only:
        items = items.filter(status__in=ACTIVE_STATUSES)
    return items.select_related(
        "category", "subsidiary", "integration", "owner_user", "owner_group"
    ).order_by("-last_seen", "-id")


def exception_group_get(*, user: AnyUser, key: str) -> ExceptionGroup:
    """The group of cause ``key`` as ``user`` sees it, else 404 (no exception of that cause is theirs:
    outside the scope a group does not exist, as for one exception)."""
    members = exception_group_members(user=user, key=key, active_only=False) if key else None
    newest = members.first() if members is not None else None
    if members is None or newest is None:
        raise Http404("No such exception group")
    active = members.filter(status__in=ACTIVE_STATUSES)
    figures = active.aggregate(
        size=Count("id"),
        retryable=Count("id", filter=_retryable_filter()),
        first=Min("first_seen"),
        last=Max("last_seen"),
    )
    sample = active.first() or newest
    return _group(
        key,
        figures["size"],
        figures["retryable"],
        figures["first"] or sample.first_seen,
        figures["last"] or sample.last_seen,
        sample,
    )


def cause_group_sizes(*, user: AnyUser, keys: Iterable[str]) -> dict[str, int]:
    """How many active exceptions ``user`` may see share each of ``keys`` (one query for a page)."""
    wanted = sorted({key for key in keys if key})
    if not wanted:
        return {}
    rows = (
        exceptions_visible_to(user)
        .filter(cause_key__in=wanted, status__in=ACTIVE_STATUSES)
        .values("cause_key")
        .annotate(size=Count("id"))
        .order_by()
    )
    return {row["cause_key"]: row["size"] for row in rows}


def cause_group_sizes_set(*, user: AnyUser, items: list[ExceptionItem]) -> None:
    """Keep on each of ``items`` (a page, already read) how many active exceptions ``user`` may see share
    its cause, as ``cause_group_size`` (0 for none): one query for the page, read by the queue's badge."""
    sizes = cause_group_sizes(user=user, keys=(item.cause_key for item in items))
    for item in items:
        item.cause_group_size = sizes.get(item.cause_key, 0) if item.cause_key else 0  # type: ignore[attr-defined]
