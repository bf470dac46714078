"""Check the audit trail's hash chain and its checkpoints; exit non-zero at the first broken link."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from governance.audit_checkpoints import expected_head_parse
from governance.chain_verify import VERIFY_BATCH, ChainHeadRecord, chain_verify


class Command(BaseCommand):
    help = (
        "Walk every audit entry in id order, recompute its hash and check its link to the previous entry, "
        "and check that every recorded checkpoint (and every --expect head) is still in the chain. Prints "
        "the head when the chain is intact; otherwise names the first broken link and exits with status 1."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=VERIFY_BATCH, help="entries read per query")
        parser.add_argument(
            "--expect",
            action="append",
            default=[],
            metavar="ENTRY_ID:HASH:COUNT",
            help="a head recorded elsewhere (e.g. a checkpoint's log line) that must still be in the chain",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        expect: list[ChainHeadRecord] = []
        for text in options["expect"]:
            try:
                expect.append(expected_head_parse(text))
            except ValueError as exc:
                raise CommandError(str(exc)) from exc
        report = chain_verify(batch_size=options["batch_size"], expect=expect)
        link = report.first_break
        if link is not None:
            reason = f" ({link.detail})" if link.detail else ""
            raise CommandError(
                f"audit chain broken at entry {link.entry_id} ({report.checked} entries checked): "
                f"{link.field} expected {link.expected or '(empty)'}, stored {link.stored or '(empty)'}"
                + reason
            )
        self.stdout.write(
            f"audit chain intact: {report.checked} entries, head {report.head or '(empty)'}"
            + (f" (entry {report.head_id})" if report.head_id else "")
            + f", {report.checkpoints_checked} checkpoints and {len(expect)} expected heads matched"
        )
