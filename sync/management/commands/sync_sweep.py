"""The interrupted-work sweep from the terminal; resume an interrupted backfill or re-queue an
interrupted job's unfinished opportunities."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from sync.pipeline.backfills import backfill_resume
from sync.pipeline.jobs import job_requeue_unfinished
from sync.pipeline.models import Backfill, SyncJob
from sync.pipeline.sweeps import interrupted_sweep


class Command(BaseCommand):
    help = (
        "Mark jobs and backfills whose worker stopped as interrupted and resume what resumes by itself "
        "(what the schedule runs every minute); or resume one backfill / re-queue one job's unfinished "
        "opportunities."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--resume-backfill", type=int, metavar="ID", help="resume this backfill")
        parser.add_argument("--requeue-job", type=int, metavar="ID", help="re-queue this job's unfinished")
        parser.add_argument("--reason", default="", help="why (kept in the audit trail)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            if options["resume_backfill"]:
                backfill = Backfill.objects.filter(pk=options["resume_backfill"]).first()
                if backfill is None:
                    raise CommandError(f"no backfill #{options['resume_backfill']}")
                backfill = backfill_resume(backfill=backfill, actor=None, reason=options["reason"])
                self.stdout.write(f"Backfill #{backfill.pk} resumed from batch {backfill.batches + 1}.")
                return
            if options["requeue_job"]:
                job = SyncJob.objects.filter(pk=options["requeue_job"]).first()
                if job is None:
                    raise CommandError(f"no job #{options['requeue_job']}")
                queued = job_requeue_unfinished(job=job, user=None, reason=options["reason"])
                self.stdout.write(f"Job #{job.pk}: {len(queued)} unfinished opportunities queued again.")
                return
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        result = interrupted_sweep()
        self.stdout.write(
            f"Interrupted: {len(result.jobs_interrupted)} job(s), {len(result.backfills_interrupted)} "
            f"backfill(s) ({len(result.backfills_resumed)} resumed); go-live runs queued again: "
            f"{len(result.requeued.get('golive', []))}; exception retries sent again: "
            f"{len(result.requeued.get('exception-retries', []))}."
        )
