"""Show or change the retention policy, or prune now (audited).

manage.py retention
manage.py retention --jobs-days 180 --inbox-days 30 --exceptions-days keep --as admin --reason "..."
manage.py retention --run --dry-run
manage.py retention --run --as admin
"""

from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.commands import command_user
from sync.retention.policy import FIELDS, retention_policy, retention_policy_set
from sync.retention.prune import retention_prune


def _days(raw: str) -> int | None:
    if raw.strip().lower() in {"keep", "forever", "none"}:
        return None
    try:
        return int(raw)
    except ValueError:
        raise CommandError(f"{raw!r} is not a number of days (or 'keep' to keep for ever)") from None


class Command(BaseCommand):
    help = (
        "Show the retention policy; set days per kind (--jobs-days, --inbox-days, --exceptions-days: a "
        "number or 'keep'; --as an admin, audited); or prune now (--run, --dry-run to count only)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        for field in FIELDS:
            parser.add_argument(f"--{field.replace('_', '-')}", dest=field, help="days, or 'keep'")
        parser.add_argument(
            "--as", dest="username", help="the admin changing it or running the prune (audited)"
        )
        parser.add_argument("--reason", default="")
        parser.add_argument("--run", action="store_true", help="prune now")
        parser.add_argument(
            "--dry-run", action="store_true", help="with --run: count what would go, change nothing"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        days = {field: _days(options[field]) for field in FIELDS if options.get(field) is not None}
        if days and options["run"]:
            raise CommandError("set the policy or run the prune, not both at once")
        if options["dry_run"] and not options["run"]:
            raise CommandError("--dry-run goes with --run")
        if days:
            if not options["username"]:
                raise CommandError("say who changes it: --as USERNAME")
            try:
                retention_policy_set(user=command_user(options["username"]), reason=options["reason"], **days)
            except (PermissionDenied, ValidationError) as error:
                raise CommandError(" ".join(getattr(error, "messages", [str(error)]))) from error
        if options["run"]:
            runner = command_user(options["username"]) if options["username"] else None
            result = retention_prune(user=runner, dry_run=options["dry_run"])
            self.stdout.write(json.dumps(result.as_dict(), sort_keys=True))
            return
        policy = retention_policy()
        for field in FIELDS:
            value = getattr(policy, field)
            self.stdout.write(f"{field}: {'keep' if value is None else value}")
        mark = policy.rolled_up_through
        self.stdout.write(f"counted through: {mark.isoformat() if mark else 'not yet'}")
        self.stdout.write(f"last run: {policy.last_run_at.isoformat() if policy.last_run_at else 'never'}")
