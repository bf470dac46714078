"""Pages at volume (issue 24 point 6): p95 of the queue (as it opens, searched, and grouped by cause),
jobs, inbox, audit and dashboard pages through the full Django stack on PostgreSQL, with each page's
query plans summarised, and a verdict.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/concord_volume PYTHONPATH=. .venv/bin/python \\
        -m bench.volume [--seed --exceptions 1000000 --jobs 1000000 --audit 10000000] [--requests 40]

With ``--seed`` it first migrates the (throw-away) database and tops it up with ``manage.py seed_volume``
(a year of rows: 5 % of exceptions active, two integrations at 9:1). Then, for each page and persona, it
sends ``--warmup`` requests (the first one's time is shown apart: cold caches, and the dashboard's
quote-to-cash figures computed rather than kept) and ``--requests`` timed ones through Django's test
client: URL routing, every middleware (sessions, authentication, CSRF, htmx, auditlog, correlation ids),
the view, its selectors and the templates, production settings (``DEBUG`` off). Each page's SQL is
captured once and explained (``EXPLAIN (ANALYZE, FORMAT JSON)``): the summary names every scan of a big
table and the index it used.

The verdict (:func:`verdict`): every page's p95 under :data:`GOAL_MS`, no sequential scan of a big table
(:data:`BIG_TABLES`), every page answered 200 with rows on it. Exit status 0 when it holds, 1 otherwise;
the figures also go to ``bench/out/volume.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

GOAL_MS = 100.0
BIG_TABLES = frozenset(
    {
        "sync_exceptionitem",
        "sync_syncjob",
        "sync_inboxmessage",
        "governance_auditentry",
        "sync_dealmilestone",  # one row per deal: as many as won events
    }
)
# A seeded exception of the smaller integration (volume-b), active (every 20th is), so both personas
# find it: searched by its name (the title) and by its Salesforce id (the records, the dedup key).
SEARCHED = 12200
OUT = Path("bench/out/volume.json")


@dataclass(frozen=True)
class Page:
    name: str
    url: str
    persona: str
    expect: str  # text that only a page with rows on it shows


@dataclass
class PlanSummary:
    """One query's plan: its scans (``Index Scan sync_syncjob using ...``), time, and big seq scans."""

    sql: str
    ms: float
    scans: list[str]
    seq_scans_of_big_tables: list[str]


@dataclass
class PageResult:
    page: Page
    status: int
    has_rows: bool
    timings_ms: list[float]
    cpu_ms: list[float] = field(default_factory=list)  # this process's CPU per request (Django's side)
    first_ms: float = 0.0  # the first request of the run (cold caches), outside the percentiles
    queries: int = 0
    plans: list[PlanSummary] = field(default_factory=list)

    @property
    def p50(self) -> float:
        return statistics.median(self.timings_ms)

    @property
    def p95(self) -> float:
        return percentile(self.timings_ms, 95)


def percentile(values: list[float], pct: float) -> float:
    """The nearest-rank percentile (p95 of 40 timings is the 38th smallest)."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * pct // 100))  # ceil without floats
    return ordered[int(rank) - 1]


def _bitmap_indexes(plan: dict[str, Any]) -> Iterator[str]:
    """The indexes under a Bitmap Heap Scan (its Bitmap Index Scans, through BitmapOr/BitmapAnd)."""
    if plan.get("Index Name"):
        yield plan["Index Name"]
    for child in plan.get("Plans", []):
        yield from _bitmap_indexes(child)


def plan_scans(plan: dict[str, Any]) -> Iterator[tuple[str, str, str]]:
    """(node type, relation, index) of every scan in an EXPLAIN (FORMAT JSON) plan tree; a Bitmap Heap
    Scan names the indexes its bitmap was built from ("a, b"), which its children do not (no relation)."""
    node = plan.get("Node Type", "")
    if node == "Bitmap Heap Scan" and plan.get("Relation Name"):
        yield node, plan["Relation Name"], ", ".join(dict.fromkeys(_bitmap_indexes(plan)))
        return
    if "Scan" in node and plan.get("Relation Name"):
        yield node, plan["Relation Name"], plan.get("Index Name", "")
    for child in plan.get("Plans", []):
        yield from plan_scans(child)


def plan_summary(sql: str, explained: list[dict[str, Any]]) -> PlanSummary:
    root = explained[0]
    scans = []
    big_seq = []
    for node, relation, index in plan_scans(root["Plan"]):
        scans.append(f"{node} {relation}" + (f" using {index}" if index else ""))
        if node == "Seq Scan" and relation in BIG_TABLES:
            big_seq.append(relation)
    return PlanSummary(sql, round(float(root.get("Execution Time", 0.0)), 2), scans, big_seq)


def verdict(results: Iterable[PageResult], goal_ms: float = GOAL_MS) -> list[str]:
    """What fails the goal, one line per problem; empty when every page passes."""
    problems = []
    for result in results:
        name = f"{result.page.name} ({result.page.persona})"
        if result.status != 200:
            problems.append(f"{name}: answered {result.status}")
        if not result.has_rows:
            problems.append(f"{name}: no rows on the page (did the seed run?)")
        if not result.timings_ms:
            problems.append(f"{name}: not timed")
        elif result.p95 >= goal_ms:
            problems.append(f"{name}: p95 {result.p95:.1f} ms, goal under {goal_ms:.0f} ms")
        for plan in result.plans:
            for table in plan.seq_scans_of_big_tables:
                problems.append(f"{name}: sequential scan of {table} in {plan.sql[:120]}")
    return problems


def report_lines(results: list[PageResult]) -> Iterator[str]:
    yield (
        f"{'page':10} {'persona':8} {'url':40} {'first':>7} {'p50 ms':>7} {'p95 ms':>7} {'max ms':>7}"
        f" {'CPU p95':>7} {'SQL ms':>7} {'queries':>7}"
    )
    for result in results:
        cpu = percentile(result.cpu_ms, 95) if result.cpu_ms else 0.0
        sql_ms = sum(plan.ms for plan in result.plans)
        yield (
            f"{result.page.name:10} {result.page.persona:8} {result.page.url:40}"
            f" {result.first_ms:7.1f} {result.p50:7.1f} {result.p95:7.1f} {max(result.timings_ms):7.1f}"
            f" {cpu:7.1f} {sql_ms:7.1f} {result.queries:7d}"
        )
    for result in results:
        yield ""
        yield f"{result.page.name} ({result.page.persona}), {result.page.url}: plans reading the big tables"
        for plan in result.plans:
            if plan.scans and any(table in scan for scan in plan.scans for table in BIG_TABLES):
                yield f"  {plan.ms:7.2f} ms  {'; '.join(plan.scans)}"


# -- Django from here on -----------------------------------------------------------------------------

PAGES = (
    Page("queue", "/exceptions/", "revops", "Opportunity Volume deal"),
    Page("queue", "/exceptions/", "limited", "Opportunity Volume deal"),
    Page("search", f"/exceptions/?q=Volume+deal+{SEARCHED}", "revops", f"Volume deal {SEARCHED}:"),
    Page("search", f"/exceptions/?q=006V{SEARCHED:014d}", "limited", f"Volume deal {SEARCHED}:"),
    Page("groups", "/exceptions/groups/", "revops", 'href="/exceptions/groups/'),
    Page("groups", "/exceptions/groups/", "limited", 'href="/exceptions/groups/'),
    Page("jobs", "/sync/jobs/", "revops", 'href="/sync/jobs/'),
    Page("jobs", "/sync/jobs/", "limited", 'href="/sync/jobs/'),
    Page("inbox", "/sync/inbox/", "revops", "006V"),
    Page("inbox", "/sync/inbox/?status=failed", "revops", "006V"),
    Page("audit", "/governance/audit/", "auditor", "object "),
    Page("dashboard", "/", "revops", "Queue depth"),
    Page("dashboard", "/", "finance", "Exceptions"),
    Page("dashboard", "/", "admin", "Queue depth"),
    Page("dashboard", "/", "auditor", "Exceptions"),
)


def _setup_django() -> None:
    # Production settings: DEBUG off (no query log, cached templates), the test client's host allowed.
    os.environ.setdefault("DEBUG", "0")
    os.environ.setdefault("SECRET_KEY", "bench-volume-not-secret")
    os.environ.setdefault("FIELD_ENCRYPTION_KEYS", "YmVuY2gtdm9sdW1lLWZpZWxkLWtleS0zMi1ieXRlcyE=")
    os.environ.setdefault("ALLOWED_HOSTS", "testserver")
    os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
    os.environ.setdefault("SESSION_COOKIE_SECURE", "0")
    os.environ.setdefault("CSRF_COOKIE_SECURE", "0")
    os.environ.setdefault("STATIC_MANIFEST", "0")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "console.settings")
    import django

    django.setup()


def _personas() -> dict[str, Any]:
    from django.contrib.auth.models import User
    from django.core.management import call_command

    from core.roles import REVOPS
    from governance.services import user_roles_set
    from sync.integrations.access import integration_access_grant
    from sync.integrations.models import Integration

    call_command("seed_personas", quiet_logins=True)
    users = {name: User.objects.get(username=name) for name in ("revops", "finance", "admin", "auditor")}
    limited, _ = User.objects.get_or_create(username="volume-limited")
    user_roles_set(user=limited, roles=[REVOPS.name])
    integration_access_grant(holder=limited, integration=Integration.objects.get(name="volume-b"))
    users["limited"] = limited
    return users


def _explain(sqls: list[str]) -> list[PlanSummary]:
    from django.db import connection

    plans = []
    with connection.cursor() as cursor:
        for sql in sqls:
            if not sql.lstrip().upper().startswith("SELECT"):
                continue
            cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}")
            explained = cursor.fetchone()[0]
            plans.append(
                plan_summary(sql, explained if isinstance(explained, list) else json.loads(explained))
            )
    return plans


def _signed_in(client: Any, user: Any) -> Any:
    """``client`` signed in as ``user`` as the console would have it: a person whose role needs a second
    factor (Admin, Finance: MFA_REQUIRED_ROLES) has a confirmed TOTP device and a session that passed
    its code (what ``django_otp.login`` records), so every request also pays the factor's check."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from governance.mfa.services import DEVICE_NAME, mfa_required

    client.force_login(user)
    if mfa_required(user=user):
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
        device = device or TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=True)
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return client


def measure(page: Page, user: Any, *, warmup: int, requests: int) -> PageResult:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = _signed_in(Client(), user)
    # The first request's SQL is the one explained: it includes what later requests find kept (the
    # dashboard's quote-to-cash figures), so a plan that reads a big table in full is never hidden.
    began = time.perf_counter()
    with CaptureQueriesContext(connection) as captured:
        response = client.get(page.url)
    first_ms = (time.perf_counter() - began) * 1000
    # Read now: captured_queries slices the live log, which the next request clears.
    sqls = [query["sql"] for query in captured.captured_queries]
    body = response.content.decode(errors="replace")
    for _ in range(warmup - 1):
        client.get(page.url)
    timings, cpu = [], []
    for _ in range(requests):
        began, began_cpu = time.perf_counter(), time.process_time()
        client.get(page.url)
        timings.append((time.perf_counter() - began) * 1000)
        cpu.append((time.process_time() - began_cpu) * 1000)
    return PageResult(
        page=page,
        status=response.status_code,
        has_rows=page.expect in body,
        timings_ms=timings,
        cpu_ms=cpu,
        first_ms=first_ms,
        queries=len(sqls),
        plans=_explain(sqls),
    )


def _load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", action="store_true", help="migrate and seed_volume first")
    parser.add_argument("--exceptions", type=int, default=1_000_000)
    parser.add_argument("--jobs", type=int, default=1_000_000)
    parser.add_argument("--audit", type=int, default=10_000_000)
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--only", default="", help="comma-separated page names")
    args = parser.parse_args(argv)
    _setup_django()
    from django.core.management import call_command
    from django.db import connection

    if connection.vendor != "postgresql":
        print("bench/volume.py measures PostgreSQL: set DATABASE_URL=postgres://...", file=sys.stderr)
        return 2
    if args.seed:
        call_command("migrate", verbosity=0)
        call_command("seed_volume", exceptions=args.exceptions, jobs=args.jobs, audit=args.audit, verbosity=1)
    users = _personas()
    counts = {}
    with connection.cursor() as cursor:
        for table in sorted(BIG_TABLES):
            cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 - fixed table names
            counts[table] = cursor.fetchone()[0]
    only = {name for name in args.only.split(",") if name}
    load_before = _load()
    results = [
        measure(page, users[page.persona], warmup=args.warmup, requests=args.requests)
        for page in PAGES
        if not only or page.name in only
    ]
    load_after = _load()
    for line in report_lines(results):
        print(line)
    problems = verdict(results)
    print()
    print(f"rows: {', '.join(f'{table} {n:,}' for table, n in counts.items())}")
    print(f"load average (1/5/15 min): {load_before} before, {load_after} after")
    print("\n".join(f"FAIL {problem}" for problem in problems) if problems else "PASS: every page under goal")
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(
        json.dumps(
            {
                "rows": counts,
                "load_before": load_before,
                "load_after": load_after,
                "pages": [
                    {**asdict(result), "p50": round(result.p50, 2), "p95": round(result.p95, 2)}
                    for result in results
                ],
                "problems": problems,
            },
            indent=2,
        )
    )
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
