"""Release test runs whose worker stopped: sweep them, retry one, or ensure the sweep's schedule."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from governance.releases.models import ReleaseTestRun
from governance.releases.testing import (
    release_test_run_retry,
    release_test_sweep,
    release_test_sweep_schedule_ensure,
)


class Command(BaseCommand):
    help = (
        "Mark release test runs whose worker stopped (no heartbeat) interrupted; --retry starts one again "
        "(as --user, audited); --ensure-schedule creates the every-minute sweep in django-q2 (idempotent)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--retry", type=int, metavar="RUN_ID", help="retry an interrupted or failed run")
        parser.add_argument("--user", help="who retries (a RevOps user: a test run is started by a person)")
        parser.add_argument("--reason", default="", help="why (kept in the audit trail with --retry)")
        parser.add_argument("--ensure-schedule", action="store_true", help="create the sweep's schedule")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["ensure_schedule"]:
            schedule = release_test_sweep_schedule_ensure()
            self.stdout.write(f"{schedule.name}: every {schedule.minutes} minute")
            return
        if options["retry"] is not None:
            self._retry(options["retry"], options["user"], options["reason"])
            return
        interrupted, sent = release_test_sweep()
        self.stdout.write(f"interrupted {interrupted or 'none'}; tasks sent again {sent or 'none'}")

    def _retry(self, run_id: int, username: str | None, reason: str) -> None:
        run = ReleaseTestRun.objects.select_related("release").filter(pk=run_id).first()
        if run is None:
            raise CommandError(f"no release test run #{run_id}")
        user = User.objects.filter(username=username or "", is_active=True).first()
        if user is None:
            raise CommandError("--user must name an active user who may start test runs (RevOps)")
        try:
            new = release_test_run_retry(run=run, user=user, reason=reason)
        except (ValidationError, PermissionDenied) as error:
            messages = error.messages if isinstance(error, ValidationError) else [str(error)]
            raise CommandError("; ".join(messages)) from error
        self.stdout.write(f"test run #{new.pk} {new.status} (a retry of #{run.pk})")
