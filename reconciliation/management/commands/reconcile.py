from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from reconciliation.checks import CHECKS
from reconciliation.models import RunStatus
from reconciliation.services import reconciliation_run


class Command(BaseCommand):
    help = "Run reconciliation checks now (all of them by default) and print what each found."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("checks", nargs="*", metavar="CHECK", help=f"any of: {', '.join(CHECKS)}")

    def handle(self, *args: Any, **options: Any) -> None:
        names = options["checks"] or list(CHECKS)
        unknown = [name for name in names if name not in CHECKS]
        if unknown:
            raise CommandError(f"unknown check {', '.join(unknown)}; known checks: {', '.join(CHECKS)}")
        failed = []
        for name in names:
            run = reconciliation_run(check=name)
            summary = ", ".join(f"{kind} {n}" for kind, n in run.class_counts) if run.counts else ""
            self.stdout.write(
                f"{name}: {run.status} (run #{run.pk}) salesforce {run.counts.get('salesforce_records', 0)}, "
                f"netsuite {run.counts.get('netsuite_records', 0)}, matched {run.counts.get('matched', 0)}; "
                f"{summary or 'nothing compared'}"
            )
            if run.status != RunStatus.SUCCEEDED:
                self.stderr.write(f"{name}: {run.error}")
                failed.append(name)
        if failed:
            raise CommandError(f"reconciliation failed: {', '.join(failed)}")
