"""Record the audit chain's head now (a checkpoint) and print it."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from governance.audit_checkpoints import LOG_LINE, audit_checkpoint_record
from governance.models import CheckpointSource


class Command(BaseCommand):
    help = (
        "Record a checkpoint of the audit chain: the newest entry's id and hash and the number of entries, "
        "in the checkpoint table and in the logs; verify_audit_chain then detects a lost or rewritten tail."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        checkpoint = audit_checkpoint_record(source=CheckpointSource.COMMAND)
        line = LOG_LINE.format(
            entry_id=checkpoint.entry_id or 0,
            entry_hash=checkpoint.entry_hash or "-",
            entry_count=checkpoint.entry_count,
        )
        self.stdout.write(f"{line} (checkpoint {checkpoint.pk})")
