"""Backfill: run the Closed Won pipeline over history, in batches, with progress on the terminal."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from sync.models import Connection, ConnectionKind
from sync.pipeline.polling import closed_won_since
from sync.pipeline.runner import run_batch
from sync.services.connections import salesforce_connector


class Command(BaseCommand):
    help = "Sync every won opportunity changed since DATE to NetSuite (same pipeline, batches of 200)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--since", required=True, type=dt.date.fromisoformat, help="YYYY-MM-DD (UTC)")
        parser.add_argument("--salesforce", required=True, help="Salesforce connection name")
        parser.add_argument("--netsuite", required=True, help="NetSuite connection name")
        parser.add_argument("--batch", type=int, default=200)

    def handle(self, *args: Any, **options: Any) -> None:
        salesforce = _connection(options["salesforce"], ConnectionKind.SALESFORCE)
        netsuite = _connection(options["netsuite"], ConnectionKind.NETSUITE)
        since = dt.datetime.combine(options["since"], dt.time(), tzinfo=dt.UTC)
        ids = [row["Id"] for row in closed_won_since(salesforce_connector(salesforce), since)]
        total, done, failed = len(ids), 0, 0
        self.stdout.write(f"{total} won opportunities changed since {options['since']}")
        size = max(1, min(200, options["batch"]))
        for start in range(0, total, size):
            job = run_batch(
                salesforce=salesforce,
                netsuite=netsuite,
                opportunity_ids=ids[start : start + size],
                trigger="backfill",
            )
            done += job.records_total
            failed += job.records_failed
            self.stdout.write(
                f"{_bar(done, total)} {done}/{total} (job {job.pk}: {job.status}, failed {failed})"
            )
        self.stdout.write(self.style.SUCCESS(f"Backfill finished: {done - failed} synced, {failed} failed."))


def _bar(done: int, total: int, width: int = 30) -> str:
    filled = width * done // total if total else width
    return "[" + "#" * filled + "." * (width - filled) + "]"


def _connection(name: str, kind: str) -> Connection:
    connection = Connection.objects.filter(name=name, kind=kind, is_active=True).first()
    if connection is None:
        raise CommandError(f"no active {kind} connection named {name!r}")
    return connection
