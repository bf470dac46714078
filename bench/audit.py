"""Audit browser benchmark: the browser's page queries over a trail of 1,000,000 entries.

    DEBUG=1 DATABASE_URL=sqlite:////tmp/audit-bench.sqlite3 PYTHONPATH=. .venv/bin/python bench/audit.py \
        [--entries 1000000] [--repeat 5]

Migrates the given (throw-away) database, bulk-inserts ``--entries`` chained entries through
``AuditEntry.objects.bulk_create`` (hashes included) spread over a year, 20 actors, 12 content types,
then times each query the browser runs for one page (the best of ``--repeat``): the first page, each
filter, a date range and a deep page via keyset. Writes bench/out/audit.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "console.settings")
django.setup()

from django.contrib.auth.models import AnonymousUser, User  # noqa: E402
from django.contrib.contenttypes.models import ContentType  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import QuerySet  # noqa: E402

from governance.audit_search import AuditFilters, audit_entries_filtered, audit_page  # noqa: E402
from governance.models import AuditEntry  # noqa: E402

GOAL_MS = 100.0
BATCH = 10_000


class Auditor(AnonymousUser):
    """Every permission: the benchmark times queries, not the permission check."""

    def has_perm(self, perm: str, obj: Any = None) -> bool:
        return True


def seed(total: int) -> None:
    actors = [User.objects.get_or_create(username=f"bench-actor-{n}")[0] for n in range(20)]
    types = list(ContentType.objects.order_by("id")[:12])
    # From tomorrow on: timestamps never go back along the chain, and creating the actors just wrote entries.
    start = dt.datetime.combine(dt.date.today() + dt.timedelta(days=1), dt.time.min, tzinfo=dt.UTC)
    step = dt.timedelta(days=365) / total
    made = AuditEntry.objects.count()
    while made < total:
        batch = []
        for n in range(made, min(made + BATCH, total)):
            batch.append(
                AuditEntry(
                    content_type=types[n % len(types)],
                    object_pk=str(n % 50_000),
                    object_id=n % 50_000,
                    object_repr=f"object {n % 50_000}",
                    action=n % 4 if n % 10 else 2,
                    changes={"name": [f"old {n}", f"new {n}"]},
                    cid=f"cid-{n // 5}",
                    actor=actors[n % len(actors)] if n % 3 else None,
                    timestamp=start + step * n,
                )
            )
        AuditEntry.objects.bulk_create(batch)
        made += len(batch)


def timed(entries: QuerySet[AuditEntry], before: int | None, repeat: int) -> tuple[float, int]:
    best, rows = float("inf"), 0
    for _ in range(repeat):
        began = time.perf_counter()
        page = audit_page(entries, before=before)
        best = min(best, (time.perf_counter() - began) * 1000)
        rows = len(page.rows)
    return best, rows


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    began = time.perf_counter()
    seed(args.entries)
    seeded_s = time.perf_counter() - began
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    user = Auditor()
    actor = User.objects.get(username="bench-actor-7")
    content_type = ContentType.objects.order_by("id")[3]
    day = dt.date.today() + dt.timedelta(days=60)
    max_id = AuditEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0
    cases: dict[str, tuple[AuditFilters, int | None]] = {
        "first page": (AuditFilters(), None),
        "actor": (AuditFilters(actor_id=actor.pk), None),
        "model + object": (AuditFilters(content_type_id=content_type.pk, object_pk="1239"), None),
        "action (delete)": (AuditFilters(action=2), None),
        "correlation id": (AuditFilters(cid="cid-100000"), None),
        "date range (one day, 60 days in)": (AuditFilters(date_from=day, date_to=day), None),
        "deep page (keyset, id < 1,000)": (AuditFilters(), 1000),
        "actor, deep page": (AuditFilters(actor_id=actor.pk), max_id // 100),
    }
    results = {}
    for name, (filters, before) in cases.items():
        ms, rows = timed(audit_entries_filtered(user=user, filters=filters), before, args.repeat)
        results[name] = {"ms": round(ms, 2), "rows": rows}
        print(f"{name:34} {ms:8.2f} ms  {rows} rows")
    out = {
        "vendor": connection.vendor,
        "entries": AuditEntry.objects.count(),
        "seed_seconds": round(seeded_s, 1),
        "queries": results,
    }
    print(json.dumps(out, indent=2))
    Path("bench/out").mkdir(parents=True, exist_ok=True)
    Path("bench/out/audit.json").write_text(json.dumps(out, indent=2))
    return 0 if all(r["ms"] < GOAL_MS for r in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
