"""``manage.py restore_check``: after a restore, the audit chain verifies and every secret decrypts."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from console.backup import restore_check


class Command(BaseCommand):
    help = (
        "Check a restored database before it serves: the audit chain verifies (with its checkpoints) and "
        "every stored secret decrypts with FIELD_ENCRYPTION_KEYS. Exit status 1 on either failure."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        report = restore_check()
        link = report.chain.first_break
        if link is not None:
            raise CommandError(
                f"audit chain broken at entry {link.entry_id} ({report.chain.checked} entries checked): "
                f"{link.field} {link.detail}".strip()
            )
        if report.unreadable:
            shown = ", ".join(report.unreadable[:10]) + (" ..." if len(report.unreadable) > 10 else "")
            raise CommandError(
                f"{len(report.unreadable)} secret(s) no configured FIELD_ENCRYPTION_KEYS key opens: {shown}. "
                "Restore with the keys the backup was made with (add them to FIELD_ENCRYPTION_KEYS)."
            )
        decrypted = sum(report.secrets.values())
        self.stdout.write(
            self.style.SUCCESS(
                f"audit chain intact: {report.chain.checked} entries; {decrypted} secret(s) decrypted"
            )
        )
