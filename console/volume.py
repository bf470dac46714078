"""Seeding a database at volume: exceptions, jobs, inbox messages and audit entries for the benchmark
(``manage.py seed_volume``, ``bench/volume.py``).

What it writes is plausible rather than real: two integrations (``volume-a`` with nine rows in ten,
``volume-b`` with the rest, so a person limited to one integration sees a realistic share), a year of
history, and a small active backlog (:data:`ACTIVE_EVERY`: one exception in twenty is still open, in
progress or waiting for approval; the rest are resolved or ignored), as a queue looks after a year of
work; ``active_every`` changes the share (1: every exception active, half of them open, as the browser
journeys at volume want). Exceptions share causes as real ones do (:mod:`sync.exceptions.causes`): the
missing-lookup ones miss one of a few countries from the integration's ``country_to_subsidiary`` table
(seeded with the shipped tables), the others group by category, error code and field.

Every count is a *total*: seeding tops each table up to it, so an interrupted or repeated seed neither
doubles the rows nor starts again (10,000,000 audit entries take long enough to seed once).

Rows go in by batches: PostgreSQL ``COPY`` (a million rows a minute or so, indexes live), else
``bulk_create`` (SQLite, for the tests). Audit entries stay a valid hash chain: each batch is sealed by
:func:`governance.chain.entries_seal` under the chain lock, exactly as ``AuditEntry.objects.bulk_create``
does, then copied; ``manage.py verify_audit_chain`` passes over a seeded trail.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from auditlog.context import disable_auditlog
from django.contrib.auth.models import User
from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models, transaction

from governance import chain
from governance.models import AuditEntry
from sync.connections.models import Connection, ConnectionAuth, ConnectionEnvironment, ConnectionKind
from sync.exceptions.causes import cause_key_for
from sync.exceptions.models import (
    ACTIVE_STATUSES,
    ExceptionCategory,
    ExceptionItem,
    ExceptionStatus,
    Severity,
    Subsidiary,
)
from sync.integrations.models import Integration
from sync.mappings.services.lookups import lookup_tables_seed_defaults
from sync.pipeline.models import DealMilestone, InboxMessage, InboxSource, InboxStatus, JobStatus, SyncJob

BATCH = 20_000
ACTIVE_EVERY = 20  # one exception in 20 is active (5 %); at 1,000,000 that is a backlog of 50,000
HISTORY = dt.timedelta(days=365)
PREFIX = "volume"
FLOWS = ("opportunity_to_netsuite", "invoice_to_salesforce", "payment_to_salesforce")
CATEGORY_KEYS = ("sync_failure", "blocked_rule", "mismatch", "missing_lookup")
ACTIVE_CYCLE = (
    ExceptionStatus.OPEN,
    ExceptionStatus.OPEN,
    ExceptionStatus.IN_PROGRESS,
    ExceptionStatus.PENDING_APPROVAL,
)
ERROR_PATH = "customer/subsidiary"
SEVERITIES = (Severity.LOW, Severity.MEDIUM, Severity.MEDIUM, Severity.HIGH, Severity.CRITICAL)
# Countries the shipped country_to_subsidiary table does not have: each a cause of many missing_lookup rows.
MISSING_COUNTRIES = ("NL", "ES", "IT")
LOOKUP_TABLE = "country_to_subsidiary"


@dataclass(frozen=True)
class VolumeWorld:
    """The rows every seeded row points at."""

    integrations: tuple[Integration, Integration]
    categories: tuple[ExceptionCategory, ...]
    subsidiaries: tuple[Subsidiary, ...]
    actors: tuple[User, ...]
    content_types: tuple[ContentType, ...]

    def integration(self, n: int) -> Integration:
        """Nine rows in ten are volume-a's, the tenth volume-b's (active exceptions too: every 20th row)."""
        return self.integrations[1] if (n * 2654435761 % 2**32 >> 16) % 10 == 9 else self.integrations[0]


@dataclass(frozen=True)
class SeedReport:
    table: str
    before: int
    added: int
    seconds: float

    @property
    def total(self) -> int:
        return self.before + self.added


def _connection(name: str, kind: str) -> Connection:
    auth = ConnectionAuth.SF_PASSWORD if kind == ConnectionKind.SALESFORCE else ConnectionAuth.NS_TOKEN
    found, _ = Connection.objects.get_or_create(
        name=name,
        defaults={
            "kind": kind,
            "environment": ConnectionEnvironment.SANDBOX,
            "base_url": f"https://{name}.invalid",
            "auth_method": auth,
        },
    )
    return found


def volume_world() -> VolumeWorld:
    """The integrations, categories, subsidiaries and actors the seeded rows use (created once)."""
    netsuite = _connection(f"{PREFIX}-ns", ConnectionKind.NETSUITE)
    integrations = []
    for name, namespace in (("a", "VA"), ("b", "VB")):
        salesforce = _connection(f"{PREFIX}-sf-{name}", ConnectionKind.SALESFORCE)
        integration, _ = Integration.objects.get_or_create(
            name=f"{PREFIX}-{name}",
            defaults={
                "label": f"Volume {name.upper()}",
                "namespace": namespace,
                "salesforce_connection": salesforce,
                "netsuite_connection": netsuite,
            },
        )
        integrations.append(integration)
        lookup_tables_seed_defaults(integration)  # the tables a missing-lookup group's draft goes into
    categories = tuple(
        ExceptionCategory.objects.get_or_create(
            key=key, defaults={"name": key.replace("_", " ").capitalize()}
        )[0]
        for key in CATEGORY_KEYS
    )
    subsidiaries = tuple(
        Subsidiary.objects.get_or_create(
            key=f"{PREFIX}-{country}",
            defaults={"name": f"Volume {country}", "country": country, "currency": currency},
        )[0]
        for country, currency in (("US", "USD"), ("FR", "EUR"), ("GB", "GBP"), ("DE", "EUR"))
    )
    actors = tuple(User.objects.get_or_create(username=f"{PREFIX}-actor-{n}")[0] for n in range(10))
    content_types = tuple(ContentType.objects.order_by("id")[:12])
    return VolumeWorld((integrations[0], integrations[1]), categories, subsidiaries, actors, content_types)


def _moment(n: int, total: int, now: dt.datetime) -> dt.datetime:
    """Row ``n`` of ``total``, spread evenly over the last year, oldest first."""
    return now - HISTORY + HISTORY * ((n + 1) / max(total, 1))


@functools.lru_cache(maxsize=256)
def _cause_key(integration_id: int, category: str, vendor_code: str, lookup_miss: str, path: str) -> str:
    """A seeded row's cause key, worked out once per set of facts (a few dozen in a million rows): the
    message counts only when it names a lookup miss (the other rows' messages differ per deal but name
    no cause)."""
    return cause_key_for(
        category=category,
        integration_id=integration_id,
        vendor_code=vendor_code,
        vendor_message=lookup_miss,
        error_path=path,
    )


def exception_row(
    n: int, total: int, world: VolumeWorld, now: dt.datetime, *, active_every: int = ACTIVE_EVERY
) -> dict[str, Any]:
    first_seen = _moment(n, total, now)
    active = n % active_every == 0
    if active:
        status = ACTIVE_CYCLE[(n // active_every) % len(ACTIVE_CYCLE)]
    else:
        status = ExceptionStatus.IGNORED if n % 7 == 0 else ExceptionStatus.RESOLVED
    category = world.categories[n % len(world.categories)]
    record = f"006V{n:014d}"
    integration = world.integration(n)
    vendor_code = "INVALID_FLD_VALUE" if n % 2 else ""
    miss = ""
    if category.key == "missing_lookup":
        country = MISSING_COUNTRIES[(n // len(world.categories)) % len(MISSING_COUNTRIES)]
        miss = f"customer / subsidiary / subsidiary.id: no '{country}' in lookup table '{LOOKUP_TABLE}'"
    return {
        "category_id": category.pk,
        "severity": SEVERITIES[n % len(SEVERITIES)],
        "status": status,
        "dedup_key": f"{PREFIX}:{category.key}:{record}",
        "title": f"Opportunity Volume deal {n}: NetSuite refused the sales order",
        "records": [{"system": "salesforce", "object_type": "Opportunity", "id": record}],
        "subsidiary_id": world.subsidiaries[n % len(world.subsidiaries)].pk,
        "integration_id": integration.pk,
        "vendor_code": vendor_code,
        "vendor_message": miss or f"Invalid value for field subsidiary on deal {n}",
        "error_path": ERROR_PATH,
        "cause_key": _cause_key(integration.pk, category.key, vendor_code, miss, ERROR_PATH),
        "mapping_row": "",
        "rule": "",
        "details": {"seeded": True},
        "retry_task": "",
        "retry_kwargs": {},
        "owner_user_id": world.actors[n % len(world.actors)].pk if n % 3 == 0 else None,
        "owner_group_id": None,
        # Due within a day of arriving; the active ones spread over the year are mostly overdue.
        "due_at": first_seen + dt.timedelta(days=1),
        "escalation_level": 0,
        "occurrence_count": 1 + n % 3,
        "first_seen": first_seen,
        "last_seen": first_seen + dt.timedelta(minutes=n % 120),
        "closed_at": None if active else first_seen + dt.timedelta(hours=1 + n % 48),
    }


def job_row(n: int, total: int, world: VolumeWorld, now: dt.datetime) -> dict[str, Any]:
    started = _moment(n, total, now)
    integration = world.integration(n)
    failed = 1 if n % 11 == 0 else 0
    return {
        "flow": FLOWS[n % len(FLOWS)],
        "trigger": "outbound_message",
        "status": JobStatus.PARTIAL if failed else JobStatus.SUCCEEDED,
        "salesforce_connection_id": integration.salesforce_connection_id,
        "netsuite_connection_id": integration.netsuite_connection_id,
        "heartbeat_at": started,
        "mapping_version_id": None,
        "worker": f"worker-{n % 4}",
        "started_at": started,
        "finished_at": started + dt.timedelta(seconds=2 + n % 30),
        "records_total": 5,
        "records_synced": 5 - failed,
        "records_failed": failed,
        "netsuite_writes": 5 - failed,
        "netsuite_writes_skipped": 0,
        "message": "",
        "correlation_id": f"{PREFIX}-job-{n}",
    }


def inbox_row(n: int, total: int, world: VolumeWorld, now: dt.datetime) -> dict[str, Any]:
    received = _moment(n, total, now)
    integration = world.integration(n)
    # The newest few are still waiting or claimed, one in a thousand was set aside.
    waiting = total - n <= 50
    status = (
        (InboxStatus.PENDING if n % 2 else InboxStatus.CLAIMED)
        if waiting
        else InboxStatus.FAILED
        if n % 1000 == 999
        else InboxStatus.DONE
    )
    return {
        "notification_id": f"{PREFIX}-{n}",
        "source": InboxSource.OUTBOUND_MESSAGE,
        "listener_id": None,
        "salesforce_connection_id": integration.salesforce_connection_id,
        "netsuite_connection_id": integration.netsuite_connection_id,
        "sobject": "Opportunity",
        "record_id": f"006V{n:014d}",
        "fields": {"StageName": "Closed Won"},
        "received_at": received,
        "status": status,
        "claim_token": "",
        "lease_until": None,
        "attempts": 1,
        "job_id": None,
        "processed_at": None if waiting else received + dt.timedelta(seconds=3),
        "last_error": "",
        "correlation_id": "",
        "overrides": {},
    }


def milestone_row(n: int, total: int, world: VolumeWorld, now: dt.datetime) -> dict[str, Any]:
    """The milestones of the deal inbox message ``n`` reports won: nine in ten ordered hours later, two in
    three of those invoiced days after the order (the newest not yet)."""
    won = _moment(n, total, now)
    ordered = won + dt.timedelta(hours=1 + n % 6) if n % 10 else None
    invoiced = ordered + dt.timedelta(days=1 + n % 5) if ordered and n % 3 else None
    return {
        "integration_id": world.integration(n).pk,
        "opportunity_id": f"006V{n:014d}",
        "won_at": won,
        "ordered_at": ordered if ordered and ordered < now else None,
        "invoiced_at": invoiced if invoiced and invoiced < now else None,
        "backfilled_at": None,
    }


def audit_entry(n: int, world: VolumeWorld, at: dt.datetime) -> AuditEntry:
    return AuditEntry(
        content_type=world.content_types[n % len(world.content_types)],
        object_pk=str(n % 50_000),
        object_id=n % 50_000,
        object_repr=f"object {n % 50_000}",
        action=n % 4 if n % 10 else AuditEntry.Action.DELETE,
        changes={"name": [f"old {n}", f"new {n}"]},
        changes_text="",
        cid=f"{PREFIX}-cid-{n // 5}",
        actor=world.actors[n % len(world.actors)] if n % 3 else None,
        timestamp=at,
        additional_data={"flag": "review"} if n % 1000 == 0 else None,
    )


def _copy_value(field: models.Field[Any, Any], value: Any) -> Any:
    if value is not None and isinstance(field, models.JSONField):
        return json.dumps(value, cls=DjangoJSONEncoder)
    return value


def _copy(model: type[models.Model], rows: list[dict[str, Any]] | list[AuditEntry], with_id: bool) -> None:
    """``rows`` into ``model``'s table by PostgreSQL COPY (the fastest way in, indexes and all)."""
    fields = [f for f in model._meta.concrete_fields if with_id or not f.primary_key]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor, cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        for row in rows:
            if isinstance(row, dict):
                # A field the maker leaves out takes its default (as bulk_create gives it on SQLite).
                copy.write_row(
                    [_copy_value(f, row[f.attname] if f.attname in row else f.get_default()) for f in fields]
                )
            else:
                copy.write_row([_copy_value(f, getattr(row, f.attname)) for f in fields])


@contextlib.contextmanager
def _history_kept(model: type[models.Model]) -> Iterator[None]:
    """bulk_create with the seeded dates kept: it stamps ``auto_now``/``auto_now_add`` fields (a job's
    ``started_at``, an inbox message's ``received_at``) with the present otherwise, and the year of history
    would all be today on SQLite (COPY writes the values as given)."""
    stamped = [
        field
        for field in model._meta.concrete_fields
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)
    ]
    flags = [(field.auto_now, field.auto_now_add) for field in stamped]  # type: ignore[attr-defined]
    for field in stamped:
        field.auto_now = field.auto_now_add = False  # type: ignore[attr-defined]
    try:
        yield
    finally:
        for field, (now, now_add) in zip(stamped, flags, strict=True):
            field.auto_now, field.auto_now_add = now, now_add  # type: ignore[attr-defined]


def _seed_rows(
    model: type[models.Model],
    *,
    existing: models.QuerySet[Any],
    total: int,
    make: Callable[[int, int, VolumeWorld, dt.datetime], dict[str, Any]],
    world: VolumeWorld,
    now: dt.datetime,
    batch: int,
    progress: Callable[[str], None],
) -> int:
    made = existing.count()
    start = made
    while made < total:
        rows = [make(n, total, world, now) for n in range(made, min(made + batch, total))]
        with transaction.atomic():
            if connection.vendor == "postgresql":
                _copy(model, rows, with_id=False)
            else:
                with _history_kept(model):
                    model._default_manager.bulk_create([model(**row) for row in rows])
        made += len(rows)
        progress(f"{model._meta.db_table}: {made:,} / {total:,}")
    return made - start


def _seeded_causes_fill(world: VolumeWorld) -> int:
    """Give the active seeded exceptions of an older seed (before cause keys) theirs, so the queue has
    groups; closed ones are no group's, and updating a million rows would cost minutes. An older seed's
    messages name no lookup miss, so their cause is the category, code and path alone."""
    filled = 0
    for integration in world.integrations:
        for category in world.categories:
            for vendor_code in ("INVALID_FLD_VALUE", ""):
                filled += ExceptionItem.objects.filter(
                    cause_key="",
                    status__in=ACTIVE_STATUSES,
                    dedup_key__startswith=f"{PREFIX}:{category.key}:",
                    integration=integration,
                    vendor_code=vendor_code,
                ).update(cause_key=_cause_key(integration.pk, category.key, vendor_code, "", ERROR_PATH))
    return filled


def _seed_audit(
    *, total: int, world: VolumeWorld, now: dt.datetime, batch: int, progress: Callable[[str], None]
) -> int:
    made = AuditEntry.objects.count()
    start = made
    # Timestamps never go back along the chain, and the trail already has entries of today (migrations,
    # sign-ins): the seeded year runs on from the newest entry, one step per entry.
    step = HISTORY / max(total, 1)
    at = chain.chain_head(AuditEntry).timestamp or now - HISTORY
    while made < total:
        entries = []
        for n in range(made, min(made + batch, total)):
            at += step
            entries.append(audit_entry(n, world, at))
        if connection.vendor == "postgresql":
            with transaction.atomic():
                # What AuditEntry.objects.bulk_create does, with COPY in place of its INSERT.
                chain.chain_lock("default", entries)
                chain.entries_seal(entries, chain.chain_head(AuditEntry))
                _copy(AuditEntry, entries, with_id=True)
        else:
            AuditEntry.objects.bulk_create(entries)
        made += len(entries)
        progress(f"{AuditEntry._meta.db_table}: {made:,} / {total:,}")
    return made - start


def _report(table: str, before: int, added: int, began: float) -> SeedReport:
    return SeedReport(table, before, added, round(time.perf_counter() - began, 1))


def volume_seed(
    *,
    exceptions: int = 0,
    jobs: int = 0,
    inbox: int = 0,
    audit: int = 0,
    batch: int = BATCH,
    active_every: int = ACTIVE_EVERY,
    now: dt.datetime | None = None,
    progress: Callable[[str], None] = lambda line: None,
) -> list[SeedReport]:
    """Top the tables up to the totals given (0: leave that table alone); analyse them on PostgreSQL.

    Counts are of the whole table, seeded or not: a database that already holds 10,000 exceptions gets
    ``exceptions - 10,000`` more. One exception in ``active_every`` is active (open, in progress or
    waiting for approval, in a 2:1:1 cycle). Returns what each table held before and how many rows were
    added.
    """
    if min(exceptions, jobs, inbox, audit, batch - 1) < 0:
        raise ValueError("counts must be 0 or more, the batch 1 or more")
    if active_every < 1:
        raise ValueError("--active-every must be 1 or more (1: every exception active)")
    now = now or dt.datetime.now(dt.UTC)
    with disable_auditlog():  # the scaffolding is no person's change, and would date the trail today
        world = volume_world()
    plan: list[tuple[type[models.Model], int, Any, models.QuerySet[Any]]] = [
        (
            ExceptionItem,
            exceptions,
            functools.partial(exception_row, active_every=active_every),
            ExceptionItem.objects.all(),
        ),
        (SyncJob, jobs, job_row, SyncJob.objects.all()),
        (InboxMessage, inbox, inbox_row, InboxMessage.objects.all()),
        # One deal per seeded won event (the inbox rows); the deals of other rows are no seed's.
        (
            DealMilestone,
            inbox,
            milestone_row,
            DealMilestone.objects.filter(opportunity_id__startswith="006V"),
        ),
    ]
    reports = []
    for model, total, make, existing in plan:
        if total:
            began, before = time.perf_counter(), existing.count()
            added = _seed_rows(
                model,
                existing=existing,
                total=total,
                make=make,
                world=world,
                now=now,
                batch=batch,
                progress=progress,
            )
            reports.append(_report(model._meta.db_table, before, added, began))
    if exceptions:
        _seeded_causes_fill(world)
    if audit:
        began, before = time.perf_counter(), AuditEntry.objects.count()
        added = _seed_audit(total=audit, world=world, now=now, batch=batch, progress=progress)
        reports.append(_report(AuditEntry._meta.db_table, before, added, began))
    if connection.vendor == "postgresql" and any(report.added for report in reports):
        # VACUUM as well: COPY leaves the visibility map unset, and index-only scans need it. VACUUM
        # cannot run inside a transaction (a caller's, e.g. a test's): ANALYZE alone there.
        command = "ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE"
        with connection.cursor() as cursor:
            for report in reports:
                cursor.execute(f"{command} {connection.ops.quote_name(report.table)}")
    return reports


def iter_reports(reports: list[SeedReport]) -> Iterator[str]:
    for report in reports:
        yield (
            f"{report.table}: {report.before:,} before, {report.added:,} added, {report.total:,} now"
            f" ({report.seconds} s)"
        )
