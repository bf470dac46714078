"""Show or change the retention policy, or prune now (audited).

manage.py retention show
manage.py retention set --jobs-days 180 --inbox-days 30 --exceptions-days keep --as admin --reason "..."
manage.py retention run --dry-run
manage.py retention run --as admin
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
    help = "Show or set how long finished sync history is kept, or prune it now (--dry-run: count only)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("show", help="the policy, the rollup's mark and the last run")
        change = sub.add_parser("set", help="change days per kind (audited)")
        for field in FIELDS:
            change.add_argument(f"--{field.replace('_', '-')}", dest=field, help="days, or 'keep'")
        change.add_argument("--as", dest="username", required=True, help="the admin changing it")
        change.add_argument("--reason", default="")
        run = sub.add_parser("run", help="prune now")
        run.add_argument("--dry-run", action="store_true", help="count what would go; change nothing")
        run.add_argument("--as", dest="username", help="the person running it (audited; default: the system)")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "set":
            user = command_user(options["username"])
            days = {field: _days(options[field]) for field in FIELDS if options.get(field) is not None}
            if not days:
                raise CommandError("give at least one of --jobs-days, --inbox-days, --exceptions-days")
            try:
                retention_policy_set(user=user, reason=options["reason"], **days)
            except (PermissionDenied, ValidationError) as error:
                raise CommandError(" ".join(getattr(error, "messages", [str(error)]))) from error
        elif action == "run":
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
