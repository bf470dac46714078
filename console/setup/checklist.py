"""The first-run checklist: what an installation needs before its first deal syncs, each step judged from
the database by one small function.

Every step has a title, why it matters, a link to the page that does it, and a *check*: a function that
reads the evidence and returns a :class:`StepState` (done or not, and the evidence in one sentence). The
checks only read; nothing here writes. When a feature later records better evidence (the NetSuite lists
read with their names, a metadata catalogue, a listener's test notification), point the step's check at
it: each check is the one place that decides its step.

The order differs from issue 20's wording in one place: the go-live scan matches records with the
published mapping's match keys (sync/golive/match.py), so mappings and rules are published before it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone

from sync.connections.models import Connection, ConnectionKind
from sync.exceptions.models import Subsidiary
from sync.golive.models import GoLiveRun, GoLiveStatus
from sync.integrations.access import EVERYTHING, IntegrationScope
from sync.integrations.selectors import primary_integration
from sync.mappings.models import Flow, LookupTable, VersionStatus
from sync.pipeline.models import Listener, ListenerKind, RecordStatus, SyncRecord
from sync.rules.models import Rule, RuleStatus

SYSTEMS = {ConnectionKind.SALESFORCE: "Salesforce", ConnectionKind.NETSUITE: "NetSuite"}


@dataclass(frozen=True)
class StepState:
    done: bool
    evidence: str


@dataclass(frozen=True)
class Step:
    key: str
    title: str
    why: str
    url_name: str
    check: Callable[[IntegrationScope], StepState]


@dataclass(frozen=True)
class StepResult:
    key: str
    title: str
    why: str
    url: str
    done: bool
    evidence: str


@dataclass(frozen=True)
class Checklist:
    steps: list[StepResult]

    @property
    def done_count(self) -> int:
        return sum(step.done for step in self.steps)

    @property
    def complete(self) -> bool:
        return self.done_count == len(self.steps)

    @property
    def next_step(self) -> StepResult | None:
        return next((step for step in self.steps if not step.done), None)

    def as_dict(self) -> dict[str, Any]:
        return {
            "complete": self.complete,
            "done": self.done_count,
            "total": len(self.steps),
            "steps": [asdict(step) for step in self.steps],
        }


def _when(moment: Any) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else "never"


def _active(kind: str, scope: IntegrationScope) -> list[Connection]:
    active = Connection.objects.filter(kind=kind, is_active=True)
    return list(scope.filter(active, connection="pk").order_by("name"))


# -- the checks -----------------------------------------------------------------------------------------


def connections_check(scope: IntegrationScope = EVERYTHING) -> StepState:
    """An active connection to each system."""
    found = {kind: _active(kind, scope) for kind in SYSTEMS}
    missing = [SYSTEMS[kind] for kind, rows in found.items() if not rows]
    named = "; ".join(
        f"{SYSTEMS[kind]}: " + ", ".join(f"{row.name} ({row.environment})" for row in rows)
        for kind, rows in found.items()
        if rows
    )
    if missing:
        return StepState(
            False, f"No active {' or '.join(missing)} connection yet." + (f" {named}." if named else "")
        )
    return StepState(True, named + ".")


def connections_test_check(scope: IntegrationScope = EVERYTHING) -> StepState:
    """Each system has an active connection whose last test passed."""
    lines, missing = [], []
    for kind, system in SYSTEMS.items():
        rows = _active(kind, scope)
        passed = [row for row in rows if row.last_test_ok]
        if passed:
            newest = max(passed, key=lambda row: row.last_tested_at or timezone.now())
            lines.append(f"{newest.name} tested OK at {_when(newest.last_tested_at)}")
        else:
            tried = [row for row in rows if row.last_tested_at]
            missing.append(
                f"{system}: "
                + ("; ".join(f"{row.name} failed: {row.last_test_message}" for row in tried) or "not tested")
            )
    if missing:
        return StepState(False, " ".join(f"{line}." for line in missing + lines))
    return StepState(True, "; ".join(lines) + ".")


def metadata_check(scope: IntegrationScope = EVERYTHING) -> StepState:
    """The systems' metadata and the NetSuite lists people grant and route by have been read.

    Evidence: a passing test of each active connection (the Salesforce test describes Opportunity, the
    NetSuite one queries it: sync/connections/checks.py) and, for every active NetSuite connection, its
    subsidiaries and lists read with their names (sync/exceptions/netsuite_lists.py, ``read_at``). Point
    this at the metadata catalogue too when it exists (issue 21).
    """
    untested = [row.name for kind in SYSTEMS for row in _active(kind, scope) if not row.last_test_ok]
    unread = [
        row.name
        for row in _active(ConnectionKind.NETSUITE, scope)
        if not Subsidiary.objects.filter(netsuite_connection=row, read_at__isnull=False).exists()
    ]
    if not any(_active(kind, scope) for kind in SYSTEMS):
        return StepState(False, "No connections yet.")
    if untested or unread:
        missing = []
        if untested:
            missing.append(f"Test {', '.join(untested)} (the test reads each system's metadata)")
        if unread:
            missing.append(f"Read NetSuite's subsidiaries and lists from {', '.join(unread)}")
        return StepState(False, " ".join(f"{line}." for line in missing))
    named = Subsidiary.objects.filter(
        netsuite_connection__in=_active(ConnectionKind.NETSUITE, scope), read_at__isnull=False
    )
    count = named.count()
    shown = ", ".join(named.order_by("name").values_list("name", flat=True)[:5])
    return StepState(
        True,
        f"Both systems' metadata read; {count} NetSuite subsidiar{'y' if count == 1 else 'ies'} "
        f"read with names: {shown}.",
    )


def lookups_check(scope: IntegrationScope = EVERYTHING) -> StepState:
    """Every lookup table has a published version (none is left as a draft only)."""
    tables = (
        LookupTable.objects.filter(integration=primary_integration())
        .annotate(published=Count("versions", filter=Q(versions__status=VersionStatus.PUBLISHED)))
        .order_by("name")
    )
    if not tables:
        return StepState(False, "No lookup tables yet: install the shipped mappings and lookup tables.")
    waiting = [table.name for table in tables if not table.published]
    if waiting:
        return StepState(False, f"Not published yet: {', '.join(waiting)}.")
    return StepState(True, f"{len(tables)} lookup table(s) published: {', '.join(t.name for t in tables)}.")


def mappings_rules_check(scope: IntegrationScope = EVERYTHING) -> StepState:
    """Every flow has a published mapping, and every rule a published version."""
    primary = primary_integration()  # the first run sets up the primary integration
    flows = (
        Flow.objects.filter(integration=primary)
        .annotate(published=Count("versions", filter=Q(versions__status=VersionStatus.PUBLISHED)))
        .order_by("key")
    )
    rules = (
        Rule.objects.filter(integration=primary)
        .annotate(published=Count("versions", filter=Q(versions__status=RuleStatus.PUBLISHED)))
        .order_by("key")
    )
    if not flows:
        return StepState(False, "No mappings yet: install the shipped mappings, then have them approved.")
    if not rules:
        return StepState(False, f"{len(flows)} flow(s), but no business rules: install the shipped rules.")
    flows_waiting = [flow.key for flow in flows if not flow.published]
    rules_waiting = [rule.key for rule in rules if not rule.published]
    waiting = [*flows_waiting, *rules_waiting]
    if waiting:
        return StepState(
            False,
            f"Waiting to be published: {len(flows_waiting)} of {len(flows)} mapping(s), "
            f"{len(rules_waiting)} of {len(rules)} rule(s) ({', '.join(waiting[:6])}).",
        )
    return StepState(True, f"{len(flows)} mapping(s) and {len(rules)} rule(s) published.")


def listener_check(scope: IntegrationScope = EVERYTHING) -> StepState:
    """An active Salesforce Outbound Message listener whose path is proven: a test notification (its page,
    the API or ``listener_test``) or a real notification reached it."""
    listeners = scope.filter(
        Listener.objects.filter(kind=ListenerKind.OUTBOUND_MESSAGE, is_active=True),
        salesforce="salesforce_connection",
    ).order_by("created_at")
    if not listeners:
        return StepState(False, "No active Outbound Message listener yet.")
    for listener in listeners:
        if listener.last_received_at:
            return StepState(
                True, f"Listener {listener.name}: last notification {_when(listener.last_received_at)}."
            )
        if listener.last_test_at:
            return StepState(
                True,
                f"Listener {listener.name}: test notification acknowledged {_when(listener.last_test_at)}.",
            )
    return StepState(
        False,
        f"Listener {listeners[0].name} created {_when(listeners[0].created_at)}: send it a test notification "
        "from its page to prove the path.",
    )


def golive_check(scope: IntegrationScope = EVERYTHING) -> StepState:
    """A go-live scan finished (ready for review, or applied)."""
    runs = scope.filter(GoLiveRun.objects.all(), salesforce="salesforce_connection")
    run = runs.filter(status__in=(GoLiveStatus.READY, GoLiveStatus.APPLIED)).order_by("-pk").first()
    if run is None:
        failed = runs.filter(status=GoLiveStatus.FAILED).order_by("-pk").first()
        return StepState(
            False, f"Last scan #{failed.pk} failed: {failed.error}" if failed else "No finished scan yet."
        )
    return StepState(
        True,
        f"Scan #{run.pk} {run.get_status_display().lower()}: {run.linked} linked, {run.suspects} to review, "
        f"{run.unmatched} unmatched.",
    )


def first_deal_check(scope: IntegrationScope = EVERYTHING) -> StepState:
    """A Closed Won opportunity synced to NetSuite, with the ids NetSuite gave it."""
    record = (
        scope.filter(SyncRecord.objects.all(), salesforce="job__salesforce_connection")
        .filter(status=RecordStatus.SYNCED)
        .exclude(netsuite_ids={})
        .select_related("job")
        .order_by("finished_at", "pk")
        .first()
    )
    if record is None:
        return StepState(False, "No deal synced yet: mark an opportunity Closed Won in Salesforce.")
    main = [key for key in ("sales_order", "customer") if key in record.netsuite_ids]
    keys = main or sorted(record.netsuite_ids)[:3]
    ids = ", ".join(f"NetSuite {key.replace('_', ' ')} {record.netsuite_ids[key]}" for key in keys)
    return StepState(
        True,
        f"Opportunity {record.opportunity_id} synced in job #{record.job_id} at {_when(record.finished_at)} "
        f"({ids}).",
    )


STEPS: tuple[Step, ...] = (
    Step(
        "connections",
        "Connect Salesforce and NetSuite",
        "Concord reads and writes both systems through these connections.",
        "sync:connection-create",
        connections_check,
    ),
    Step(
        "test",
        "Test both connections",
        "A test signs in and reads a little from each system, and says plainly what is wrong if it cannot.",
        "sync:connections",
        connections_test_check,
    ),
    Step(
        "metadata",
        "Read the systems' metadata and lists",
        "Mappings and access grants name objects, fields and NetSuite lists such as subsidiaries.",
        "sync:netsuite-lists",
        metadata_check,
    ),
    Step(
        "lookups",
        "Review and publish the lookup tables",
        "Lookup tables turn Salesforce values (countries, currencies) into NetSuite ids.",
        "sync:mapping-lookups",
        lookups_check,
    ),
    Step(
        "mappings",
        "Publish the mappings and business rules",
        "Each flow runs its published mapping; rules hold back deals that should not sync. Another person "
        "approves what one person proposes (four eyes): invite them under Governance, Users.",
        "sync:mappings",
        mappings_rules_check,
    ),
    Step(
        "listener",
        "Create the Closed Won listener and test it",
        "Salesforce posts each Closed Won opportunity to the listener's URL (an Outbound Message); a test "
        "notification proves Concord can be reached at that URL.",
        "sync:listeners",
        listener_check,
    ),
    Step(
        "golive",
        "Run the go-live scan",
        "It matches the records both systems already hold, so the first sync links instead of duplicating.",
        "sync:golive",
        golive_check,
    ),
    Step(
        "first-deal",
        "Sync the first deal",
        "The whole path works: Salesforce notified the listener and a worker wrote the order to NetSuite.",
        "sync:jobs",
        first_deal_check,
    ),
)


def setup_checklist(*, scope: IntegrationScope = EVERYTHING) -> Checklist:
    """Every step, judged now, on the connections, listeners, scans and deals of ``scope`` (a person
    limited to some integrations sees their integrations' setup only)."""
    results = []
    for step in STEPS:
        state = step.check(scope)
        results.append(
            StepResult(
                key=step.key,
                title=step.title,
                why=step.why,
                url=reverse(step.url_name),
                done=state.done,
                evidence=state.evidence,
            )
        )
    return Checklist(results)
