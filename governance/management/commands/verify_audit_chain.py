"""Check the audit trail's hash chain; exit non-zero at the first broken link."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from governance.chain import VERIFY_BATCH, chain_verify


class Command(BaseCommand):
    help = (
        "Walk every audit entry in id order, recompute its hash and check its link to the previous entry. "
        "Prints the head hash when the chain is intact (record it elsewhere to detect a rewritten tail); "
        "otherwise names the first broken link and exits with status 1."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=VERIFY_BATCH, help="entries read per query")

    def handle(self, *args: Any, **options: Any) -> None:
        report = chain_verify(batch_size=options["batch_size"])
        link = report.first_break
        if link is not None:
            raise CommandError(
                f"audit chain broken at entry {link.entry_id} ({report.checked} entries checked): "
                f"{link.field} expected {link.expected or '(empty)'}, stored {link.stored or '(empty)'}"
            )
        self.stdout.write(f"audit chain intact: {report.checked} entries, head {report.head or '(empty)'}")
