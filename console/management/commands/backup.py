"""``manage.py backup FILE``: a consistent backup of the database (SQLite online backup, or pg_dump -Fc)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from console.backup import BackupError, backup_write


class Command(BaseCommand):
    help = (
        "Write a consistent backup of the database to a new file: SQLite's online backup API (safe while "
        "the web server and workers run), or pg_dump --format=custom on PostgreSQL. Keep "
        "FIELD_ENCRYPTION_KEYS and SECRET_KEY with it, apart: the backup's secrets need them."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("output", type=Path, help="the backup file to write (must not exist)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = backup_write(output=options["output"])
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            self.style.SUCCESS(f"{result.engine} backup written: {result.path} ({result.size} bytes)")
        )
