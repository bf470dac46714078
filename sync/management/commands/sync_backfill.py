"""Backfill: run the Closed Won pipeline over history, in batches, with progress on the terminal."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from sync.connections.cli import active_connection, progress_bar
from sync.connections.models import ConnectionKind
from sync.pipeline.backfills import backfill_execute
from sync.pipeline.models import Backfill


class Command(BaseCommand):
    help = "Sync every won opportunity changed since DATE to NetSuite (same pipeline, batches of 200)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--since", required=True, type=dt.date.fromisoformat, help="YYYY-MM-DD (UTC)")
        parser.add_argument("--salesforce", required=True, help="Salesforce connection name")
        parser.add_argument("--netsuite", required=True, help="NetSuite connection name")
        parser.add_argument("--batch", type=int, default=200)

    def handle(self, *args: Any, **options: Any) -> None:
        backfill = Backfill.objects.create(
            salesforce_connection=active_connection(options["salesforce"], ConnectionKind.SALESFORCE),
            netsuite_connection=active_connection(options["netsuite"], ConnectionKind.NETSUITE),
            since=options["since"],
        )
        announced = False

        def progress(run: Backfill) -> None:
            nonlocal announced
            if not announced:
                self.stdout.write(f"{run.total} won opportunities changed since {options['since']}")
                announced = True
            elif run.total is not None:
                self.stdout.write(
                    f"{progress_bar(run.done, run.total)} {run.done}/{run.total} (failed {run.failed})"
                )

        backfill = backfill_execute(backfill, batch=options["batch"], on_progress=progress)
        self.stdout.write(
            self.style.SUCCESS(
                f"Backfill finished: {backfill.done - backfill.failed} synced, {backfill.failed} failed."
            )
        )
