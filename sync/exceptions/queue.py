"""The exception queue at volume: filtered, searched, sorted and paged, for the page, the API, the CSV
export and ``manage.py exceptions`` alike.

Built on :func:`sync.exceptions.selectors.exception_queue` (what the person may see, the filters the
dashboard links use) and adds what a backlog of thousands needs:

* filters by **flow** (read from the exception's key, see :data:`FLOW_KEY_PATTERNS`) and **subsidiary**;
* **search** by record id (Salesforce or NetSuite), by name (the title carries the record's name) and by
  the vendor's message; ``#123`` or ``123`` also finds exception 123;
* **sorting** by every column the table shows (:data:`SORTS`), each ending on ``id`` so the order is total;
* **paging** by offset with a **capped count**: a page reads ``page_size + 1`` rows (is there a next
  page?) and counts at most :data:`COUNT_CAP` rows (``LIMIT`` inside the count), so a page of a million
  open exceptions costs what a page of a thousand does. Beyond :data:`MAX_OFFSET` the page asks for a
  narrower filter instead of scanning further.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, fields, replace
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Case, F, IntegerField, Q, QuerySet, Value, When
from django.db.models.expressions import OrderBy
from guardian.shortcuts import get_objects_for_user

from core.labels import flow_label
from sync.exceptions.groups import cause_group_sizes_set
from sync.exceptions.models import ExceptionItem, Severity, Subsidiary
from sync.exceptions.permissions import HANDLE_EXCEPTIONS, AnyUser
from sync.exceptions.selectors import ExceptionFilters, exception_queue
from sync.exceptions.tags import items_tagged
from sync.integrations.access import integration_scope
from sync.pipeline.flow_state import CATALOGUE_FLOW, CLOSED_WON_FLOW
from sync.pipeline.returns import FLOWS as RETURN_FLOWS

PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
COUNT_CAP = 1000  # "1,000+": counted no further
MAX_OFFSET = 10_000  # deeper than this, filter instead (an offset scan grows with the offset)
SEARCH_MAX = 200

# Which flow an exception belongs to, read from its key (sync.pipeline.*_dedup_key): the Closed Won flow
# raises ``sync:``, ``match:``, ``cancel:`` and ``inbox:`` keys; a return flow
# ``return:<netsuite>:[<namespace>:]<record type>:<id>``; the catalogue ``catalogue:``. Reconciliation's
# ``recon:`` findings belong to no flow. Anchored patterns: a prefix is an index range on PostgreSQL.
FLOW_KEY_PATTERNS: dict[str, str] = {
    CLOSED_WON_FLOW: r"^(sync|match|cancel|inbox):",
    CATALOGUE_FLOW: r"^catalogue:",
    **{
        flow: rf"^return:[0-9]+:([A-Z][A-Z0-9]*:)?{record_type}:"
        for record_type, flow in RETURN_FLOWS.items()
    },
}
FLOW_PREFIXES: dict[str, tuple[str, ...]] = {
    CLOSED_WON_FLOW: ("sync:", "match:", "cancel:", "inbox:"),
    CATALOGUE_FLOW: ("catalogue:",),
    **{flow: ("return:",) for flow in RETURN_FLOWS.values()},
}

_SEVERITY_RANK = Case(
    *(When(severity=value, then=Value(rank)) for rank, value in enumerate(Severity.values)),
    default=Value(-1),
    output_field=IntegerField(),
)


@dataclass(frozen=True)
class Sort:
    label: str
    order: tuple[str, ...]  # field names, "-" for descending; the severity rank is "severity_rank"


# The table's columns, and the order each sorts by (ascending; "-<key>" reverses it).
SORTS: dict[str, Sort] = {
    "due": Sort("Due", ("due_at", "-last_seen", "-id")),
    "id": Sort("#", ("id",)),
    "title": Sort("Exception", ("title", "id")),
    "category": Sort("Category", ("category__name", "id")),
    "severity": Sort("Severity", ("severity_rank", "id")),
    "status": Sort("Status", ("status", "id")),
    "owner": Sort("Owner", ("owner_user__username", "owner_group__name", "id")),
    "seen": Sort("Seen", ("last_seen", "id")),
    "subsidiary": Sort("Subsidiary", ("subsidiary__name", "id")),
    "integration": Sort("Integration", ("integration__name", "id")),
}
DEFAULT_SORT = "due"


@dataclass(frozen=True)
class QueueFilters(ExceptionFilters):
    """The dashboard's filters (:class:`ExceptionFilters`) plus the backlog's."""

    flow: str = ""  # a flow key (FLOW_KEY_PATTERNS)
    subsidiary: str = ""  # a subsidiary's key
    search: str = ""  # record id, name or message
    tag: str = ""  # a tag people put on exceptions (sync.exceptions.tags)
    sort: str = DEFAULT_SORT  # a SORTS key, "-" first for descending


@dataclass(frozen=True)
class QueuePage:
    items: list[ExceptionItem]
    number: int
    page_size: int
    has_next: bool
    count: int  # at most COUNT_CAP + 1
    too_deep: bool = False  # asked for a page past MAX_OFFSET: nothing read

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def count_capped(self) -> bool:
        return self.count > COUNT_CAP

    @property
    def count_text(self) -> str:
        return f"{COUNT_CAP:,}+" if self.count_capped else f"{self.count:,}"

    @property
    def first_index(self) -> int:
        return (self.number - 1) * self.page_size + 1 if self.items else 0

    @property
    def last_index(self) -> int:
        return (self.number - 1) * self.page_size + len(self.items)


def queue_filters_clean(filters: QueueFilters) -> QueueFilters:
    """``filters`` checked: a clear error for a flow, a sort or a search Concord does not know."""
    errors = []
    if filters.flow and filters.flow not in FLOW_KEY_PATTERNS:
        errors.append(f"Unknown flow {filters.flow!r}: one of {', '.join(sorted(FLOW_KEY_PATTERNS))}.")
    if filters.sort.removeprefix("-") not in SORTS:
        errors.append(f'Unknown sort {filters.sort!r}: one of {", ".join(SORTS)} ("-" first to reverse).')
    if len(filters.search) > SEARCH_MAX:
        errors.append(f"Search for at most {SEARCH_MAX} characters.")
    if errors:
        raise ValidationError(errors)
    return replace(filters, search=filters.search.strip())


def queue_filters_from(data: dict[str, Any]) -> QueueFilters:
    """Filters from plain values (a command's options): unknown names are ignored, none is required."""
    names = {field.name for field in fields(QueueFilters)}
    return queue_filters_clean(
        QueueFilters(**{k: v for k, v in data.items() if k in names and v is not None})
    )


def exception_queue_search(
    *, user: AnyUser, filters: QueueFilters, now: datetime | None = None
) -> QuerySet[ExceptionItem]:
    """The exceptions ``user`` may see that match ``filters``, in the order asked for."""
    filters = queue_filters_clean(filters)
    items = exception_queue(user=user, filters=filters, now=now)
    if filters.flow:
        prefixes = Q()
        for prefix in FLOW_PREFIXES[filters.flow]:
            prefixes |= Q(dedup_key__startswith=prefix)
        items = items.filter(prefixes, dedup_key__regex=FLOW_KEY_PATTERNS[filters.flow])
    if filters.subsidiary:
        items = items.filter(subsidiary__key=filters.subsidiary)
    if filters.search:
        items = items.filter(_search_condition(filters.search))
    if filters.tag:
        items = items_tagged(items, filters.tag)
    return _sorted(items, filters.sort)


def _search_condition(text: str) -> Q:
    condition = (
        Q(title__icontains=text)
        | Q(vendor_message__icontains=text)
        | Q(records__icontains=text)  # the records' ids (and names, where a source gives one)
        | Q(dedup_key__contains=text)  # the opportunity or NetSuite id a key is built from
    )
    number = re.fullmatch(r"#?([0-9]{1,18})", text)  # 18 digits: always within a BigAutoField
    if number:
        condition |= Q(pk=int(number.group(1)))
    return condition


def _sorted(items: QuerySet[ExceptionItem], sort: str) -> QuerySet[ExceptionItem]:
    descending = sort.startswith("-")
    order = SORTS[sort.removeprefix("-")].order
    if any(name.lstrip("-") == "severity_rank" for name in order):
        items = items.alias(severity_rank=_SEVERITY_RANK)
    return items.order_by(*(_order_by(name, flip=descending) for name in order))


# The sort fields that may be empty (no due time, no owner, no subsidiary or integration).
_NULLABLE = frozenset(
    {"due_at", "owner_user__username", "owner_group__name", "subsidiary__name", "integration__name"}
)


def _order_by(name: str, *, flip: bool) -> OrderBy:
    descending = name.startswith("-") != flip
    name = name.lstrip("-")
    field = F(name)
    if name not in _NULLABLE:
        # No NULLS clause on a column that has none: the default order then matches a plain index
        # (due_at, last_seen DESC, id DESC).
        return field.desc() if descending else field.asc()
    # Empty values (no due time, no owner) last either way: a person looks at what is set first.
    return field.desc(nulls_last=True) if descending else field.asc(nulls_last=True)


def queue_page(
    *, user: AnyUser, filters: QueueFilters, page: int = 1, page_size: int = PAGE_SIZE
) -> QueuePage:
    """Page ``page`` (from 1) of the queue, with a count capped at :data:`COUNT_CAP`."""
    page, page_size = max(page, 1), min(max(page_size, 1), MAX_PAGE_SIZE)
    offset = (page - 1) * page_size
    items = exception_queue_search(user=user, filters=filters)
    if offset > MAX_OFFSET:
        return QueuePage([], page, page_size, has_next=False, count=queue_count(items), too_deep=True)
    rows = list(items[offset : offset + page_size + 1])
    cause_group_sizes_set(user=user, items=rows[:page_size])  # the rows' "Group of N" badges
    has_next = len(rows) > page_size
    if not has_next and (rows or offset == 0):
        # The last page: every match lies before its end, so the count is known without a query (a
        # search that finds a few rows costs one read of the index instead of two).
        count = min(offset + len(rows), COUNT_CAP + 1)
    else:
        count = queue_count(items)
    return QueuePage(rows[:page_size], page, page_size, has_next=has_next, count=count)


def queue_count(items: QuerySet[ExceptionItem], *, cap: int | None = None) -> int:
    """How many of ``items``, counted up to ``cap + 1`` (``SELECT COUNT(*) FROM (... LIMIT cap+1)``);
    ``cap`` defaults to :data:`COUNT_CAP`."""
    return items.order_by()[: (COUNT_CAP if cap is None else cap) + 1].count()


def queue_iterate(*, user: AnyUser, filters: QueueFilters, chunk_size: int = 2000) -> Iterator[ExceptionItem]:
    """Every matching exception, read in chunks (the export: memory stays flat however many)."""
    return exception_queue_search(user=user, filters=filters).iterator(chunk_size=chunk_size)


def flow_choices() -> list[tuple[str, str]]:
    """The flows the queue filters by, labelled as the flow pages label them."""
    return [(key, flow_label(key)) for key in FLOW_KEY_PATTERNS]


def queue_subsidiaries(user: AnyUser) -> QuerySet[Subsidiary]:
    """The subsidiaries ``user``'s filter offers: of their integrations' NetSuite accounts, and only the
    ones granted to them when they hold no model-wide grant (Finance per subsidiary)."""
    subsidiaries = integration_scope(user).filter(Subsidiary.objects.all(), connection="netsuite_connection")
    if not user.has_perm(HANDLE_EXCEPTIONS):
        granted = get_objects_for_user(
            user, HANDLE_EXCEPTIONS, klass=Subsidiary, accept_global_perms=False, with_superuser=False
        )
        subsidiaries = subsidiaries.filter(pk__in=granted.values("pk"))
    return subsidiaries.order_by("name", "key")
