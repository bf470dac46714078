"""``manage.py lookup_version``: lookup table versions from the command line, with the console's four eyes.

    lookup_version list [TABLE] [--integration NAME]
    lookup_version import TABLE FILE --user NAME [--integration NAME] [--notes TEXT]  # FILE as a draft
    lookup_version submit ID --user NAME [--reason TEXT]
    lookup_version approve ID --user NAME [--reason TEXT]         # not by its maker
    lookup_version reject ID --user NAME --reason TEXT
    lookup_version publish ID --user NAME [--reason TEXT]

FILE is JSON (``{"key": value}`` or ``[{"key": ..., "value": ...}]``) or CSV with the columns ``key`` and
``value``. A table is the integration's (``--integration``, the primary integration without it); a version
id names its own. Each step is taken as ``--user`` (an active account), checked and audited as in the console.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.commands import command_actor, command_file_text, command_json
from sync.integrations.choice import INTEGRATION_OPTION_HELP, command_integration
from sync.integrations.models import Integration
from sync.mappings.models import LookupVersion
from sync.mappings.services import lookup_versions as services

MOVES: dict[str, Callable[..., LookupVersion]] = {
    "submit": services.lookup_version_submit,
    "approve": services.lookup_version_approve,
    "reject": services.lookup_version_reject,
    "publish": services.lookup_version_publish,
}


def read_entries(path: Path) -> Any:
    """The raw entries of a JSON or CSV file (checked by ``lookup_entries_parse``)."""
    text = command_file_text(path)
    if path.suffix.lower() == ".csv":
        reader = csv.DictReader(text.splitlines())
        if reader.fieldnames is None:
            raise CommandError(f"{path} is empty: give a header line 'key,value'")
        return [dict(row) for row in reader]
    return command_json(path, text, hint="a CSV file's name ends in .csv")


class Command(BaseCommand):
    help = "List, import (as a draft), submit, approve, reject and publish lookup table versions."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("step", choices=["list", "import", *MOVES])
        parser.add_argument(
            "target", nargs="?", help="list: a table; import: the table; else: the version id"
        )
        parser.add_argument("file", nargs="?", help="import: a JSON or CSV file of entries")
        parser.add_argument("--user", help="the account that takes the step (required for changes)")
        parser.add_argument("--notes", default="", help="import: why this version exists")
        parser.add_argument("--reason", default="", help="submit/approve/reject/publish: why")
        parser.add_argument("--integration", help=f"list/import: {INTEGRATION_OPTION_HELP}")

    def handle(self, *args: Any, **options: Any) -> None:
        step = options["step"]
        if step == "list":
            self._list(options["target"], command_integration(options["integration"]))
            return
        user = command_actor(options["user"])
        try:
            if step == "import":
                version = self._import(
                    options["target"],
                    options["file"],
                    user=user,
                    notes=options["notes"],
                    integration=command_integration(options["integration"]),
                )
            else:
                version = MOVES[step](
                    version=self._version(options["target"]), user=user, reason=options["reason"]
                )
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from error
        except PermissionDenied as error:
            raise CommandError(f"refused: {error}") from error
        self.stdout.write(
            self.style.SUCCESS(f"{version} (id {version.pk}) is {version.get_status_display().lower()}")
        )

    def _list(self, table: str | None, integration: Integration) -> None:
        versions = LookupVersion.objects.select_related("table").filter(table__integration=integration)
        versions = versions.order_by("table__name", "-number")
        if table:
            versions = versions.filter(table__name=table)
        for version in versions:
            self.stdout.write(
                f"{version.pk:>5}  {version}  {version.status}  {version.entries.count()} entries"
            )

    def _version(self, target: str | None) -> LookupVersion:
        if not target or not target.isdigit():
            raise CommandError("give the version id (see: lookup_version list)")
        version = LookupVersion.objects.select_related("table").filter(pk=int(target)).first()
        if version is None:
            raise CommandError(f"no lookup version {target}")
        return version

    def _import(
        self, table_name: str | None, file: str | None, *, user: User, notes: str, integration: Integration
    ) -> LookupVersion:
        if not table_name or not file:
            raise CommandError(
                "import needs the table and a file: lookup_version import TABLE FILE --user NAME"
            )
        table = services.lookup_table_get(table_name, integration)
        return services.lookup_version_create_draft(
            table=table, user=user, notes=notes, entries=read_entries(Path(file))
        )
