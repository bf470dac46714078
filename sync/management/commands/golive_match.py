"""The go-live assistant in the terminal: match every Salesforce account and contact against NetSuite.

Without ``--apply`` it only scans (nothing is written to either system) and prints the counts; with
``--apply`` it asks for confirmation (``--yes`` skips the question) and then links the confident matches
and opens the duplicate suspects as exceptions. ``--run ID --apply`` applies a scan made earlier (from
the console or this command) after its review.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from sync.connections.cli import active_connection, progress_bar
from sync.connections.models import ConnectionKind
from sync.golive.models import GoLiveRun, GoLiveStatus
from sync.golive.scan import golive_scan_execute
from sync.golive.services import golive_apply_confirm, golive_apply_execute, golive_start, run_is_stale


class Command(BaseCommand):
    help = (
        "Match all Salesforce accounts and contacts against NetSuite; link the confident matches on --apply."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--salesforce", help="Salesforce connection name (for a new scan)")
        parser.add_argument("--netsuite", help="NetSuite connection name (for a new scan)")
        parser.add_argument(
            "--run", type=int, help="apply this earlier scan (with --apply) instead of scanning"
        )
        parser.add_argument("--apply", action="store_true", help="link the confident matches after the scan")
        parser.add_argument("--yes", action="store_true", help="do not ask before applying")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["run"] is not None:
            run = GoLiveRun.objects.filter(pk=options["run"]).first()
            if run is None:
                raise CommandError(f"no go-live match #{options['run']}")
            if not options["apply"]:
                self._counts(run)
                return
        else:
            if not options["salesforce"] or not options["netsuite"]:
                raise CommandError("name the connections (--salesforce and --netsuite) or an earlier --run")
            try:
                run = golive_start(
                    actor=None,
                    salesforce=active_connection(options["salesforce"], ConnectionKind.SALESFORCE),
                    netsuite=active_connection(options["netsuite"], ConnectionKind.NETSUITE),
                    run_now=True,
                )
            except ValidationError as error:
                raise CommandError("; ".join(error.messages)) from error
            self.stdout.write(
                f"Go-live match #{run.pk}: reading Salesforce and NetSuite (nothing is written)"
            )
            run = golive_scan_execute(run, on_progress=self._scan_progress)
            self._counts(run)
            if not options["apply"]:
                self.stdout.write(f"Nothing written. To link: manage.py golive_match --run {run.pk} --apply")
                return
        self._apply(run, assume_yes=options["yes"])

    def _apply(self, run: GoLiveRun, *, assume_yes: bool) -> None:
        if run.status != GoLiveStatus.READY and not run_is_stale(run):
            raise CommandError(
                f"go-live match #{run.pk} is {run.get_status_display().lower()}, not ready to apply"
            )
        question = (
            f"Write the Salesforce id as externalId on {run.linked} NetSuite records and open "
            f"{run.suspects} duplicate-suspect exceptions? [y/N] "
        )
        if not assume_yes and input(question).strip().lower() not in ("y", "yes"):
            self.stdout.write("Nothing applied.")
            return
        try:
            run = golive_apply_confirm(run=run, actor=None, run_now=True)
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from error
        golive_apply_execute(run, slice_size=None, on_progress=self._apply_progress)
        run.refresh_from_db()
        self.stdout.write(
            self.style.SUCCESS(
                f"Applied: {run.links_applied} linked, {run.links_failed} failed, "
                f"{run.exceptions_raised} duplicate suspects in the exception queue; "
                f"{run.unmatched} unmatched left to the sync."
            )
        )

    def _counts(self, run: GoLiveRun) -> None:
        self.stdout.write(
            f"Go-live match #{run.pk} ({run.get_status_display()}): {run.linked} to link, "
            f"{run.suspects} suspects, {run.unmatched} unmatched, {run.already_linked} already linked"
        )

    def _scan_progress(self, run: GoLiveRun) -> None:
        if run.total is not None and run.status == GoLiveStatus.SCANNING:
            self.stdout.write(f"{progress_bar(run.done, run.total)} {run.done}/{run.total} matched")

    def _apply_progress(self, run: GoLiveRun) -> None:
        if run.total is not None:
            self.stdout.write(f"{progress_bar(run.done, run.total)} {run.done}/{run.total} applied")
