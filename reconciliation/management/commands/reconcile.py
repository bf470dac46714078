from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from reconciliation.checks import CHECKS
from reconciliation.models import ReconciliationRun, RunStatus
from reconciliation.services import reconciliation_rerun, reconciliation_run, reconciliation_sweep
from sync.integrations.models import Integration
from sync.integrations.selectors import integration_by_name, primary_integration


class Command(BaseCommand):
    help = (
        "Run reconciliation checks of an integration now (all of them, of the primary integration, by "
        "default) and print what each found."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("checks", nargs="*", metavar="CHECK", help=f"any of: {', '.join(CHECKS)}")
        parser.add_argument(
            "--sweep",
            action="store_true",
            help="mark runs whose worker stopped (no heartbeat) interrupted and queue their check again",
        )
        parser.add_argument(
            "--rerun", type=int, metavar="RUN_ID", help="queue an interrupted or failed run's check again"
        )
        parser.add_argument("--reason", default="", help="why (kept in the audit trail with --rerun)")
        parser.add_argument(
            "--integration",
            metavar="NAME",
            default="",
            help="the integration whose pair to reconcile (default: the primary one)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["sweep"]:
            result = reconciliation_sweep()
            self.stdout.write(
                f"interrupted {result.interrupted or 'none'}; queued again {result.rerun or 'none'}; "
                f"tasks sent again {result.redelivered or 'none'}"
            )
            return
        if options["rerun"] is not None:
            run = ReconciliationRun.objects.filter(pk=options["rerun"]).first()
            if run is None:
                raise CommandError(f"no reconciliation run #{options['rerun']}")
            try:
                new = reconciliation_rerun(run=run, actor=None, reason=options["reason"])
            except ValidationError as error:
                raise CommandError("; ".join(error.messages)) from error
            self.stdout.write(f"{run.check_name}: run #{new.pk} {new.status} (again for run #{run.pk})")
            return
        integration = _integration(options["integration"])
        names = options["checks"] or list(CHECKS)
        unknown = [name for name in names if name not in CHECKS]
        if unknown:
            raise CommandError(f"unknown check {', '.join(unknown)}; known checks: {', '.join(CHECKS)}")
        failed = []
        for name in names:
            run = reconciliation_run(check=name, integration=integration)
            if run.status == RunStatus.SKIPPED:
                self.stdout.write(f"{name}: skipped (run #{run.pk}) {run.note}")
                continue
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


def _integration(name: str) -> Integration:
    if not name:
        return primary_integration()
    try:
        return integration_by_name(name)
    except Integration.DoesNotExist:
        known = ", ".join(Integration.objects.values_list("name", flat=True))
        raise CommandError(f"no integration {name!r}; known integrations: {known}") from None
