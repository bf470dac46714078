"""Seed the database at volume for the benchmark (bench/volume.py): see :mod:`console.volume`."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from console.volume import ACTIVE_EVERY, BATCH, iter_reports, volume_seed


class Command(BaseCommand):
    help = (
        "Top the tables up to the given totals with a year of plausible rows: exceptions, sync jobs, inbox "
        "messages and (hash-chained) audit entries. COPY on PostgreSQL; use a throw-away database."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--exceptions", type=int, default=0, help="total exceptions wanted")
        parser.add_argument("--jobs", type=int, default=0, help="total sync jobs wanted")
        parser.add_argument("--inbox", type=int, default=None, help="total inbox messages (default: --jobs)")
        parser.add_argument("--audit", type=int, default=0, help="total audit entries wanted")
        parser.add_argument("--batch", type=int, default=BATCH, help="rows per COPY / bulk insert")
        parser.add_argument(
            "--active-every",
            type=int,
            default=ACTIVE_EVERY,
            help=f"one exception in N is active, half of those open (default {ACTIVE_EVERY}; 1: all active)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        inbox = options["jobs"] if options["inbox"] is None else options["inbox"]
        verbosity = options["verbosity"]
        try:
            reports = volume_seed(
                exceptions=options["exceptions"],
                jobs=options["jobs"],
                inbox=inbox,
                audit=options["audit"],
                batch=options["batch"],
                active_every=options["active_every"],
                progress=(lambda line: self.stderr.write(line)) if verbosity > 1 else (lambda line: None),
            )
        except ValueError as error:
            raise CommandError(str(error)) from error
        for line in iter_reports(reports):
            self.stdout.write(line)
