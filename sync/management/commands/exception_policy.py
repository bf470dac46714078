"""The exception policy in the terminal: the same services, checks and audit entries as the policy page
and the API (``--as USERNAME`` acts as that person, with their role; without it, as the system).

    manage.py exception_policy list
    manage.py exception_policy show sync_failure
    manage.py exception_policy set sync_failure --sla 4h --severity high --owner-group Finance \\
        --auto-ticket yes --runbook-file runbook.txt --as frances
    manage.py exception_policy level-add sync_failure --group Admin --duration 1d [--position 2]
    manage.py exception_policy level-set sync_failure 1 --duration 8h [--group G | --user U]
    manage.py exception_policy level-remove sync_failure 2
    manage.py exception_policy level-move sync_failure 2 1
    manage.py exception_policy ensure        # the shipped defaults (leaves edited categories alone)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.commands import command_user
from sync.exceptions import policy
from sync.exceptions.models import ExceptionCategory, Severity

ACTIONS = {
    "list": "every category and its path",
    "show": "one category, with its runbook",
    "set": "change a category's settings",
    "level-add": "add a level to the escalation path",
    "level-set": "change a level's owner or duration",
    "level-remove": "remove a level",
    "level-move": "move a level to another position",
    "ensure": "create the shipped categories; refresh those nobody edited",
}
POSITIONS = {"level-set": 1, "level-remove": 1, "level-move": 2}
YES = {"yes": True, "on": True, "true": True, "no": False, "off": False, "false": False}


class Command(BaseCommand):
    help = "List and edit exception categories (SLA, severity, owner, ticket, runbook, escalation path)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "action", choices=ACTIONS, help="; ".join(f"{k}: {v}" for k, v in ACTIONS.items())
        )
        parser.add_argument("category", nargs="?", help="the category's key (sync_failure, ...)")
        parser.add_argument(
            "positions", nargs="*", type=int, help="level-set/level-remove: POSITION; level-move: POSITION TO"
        )
        parser.add_argument("--as", dest="username", help="the person acting (their role applies)")
        parser.add_argument("--name")
        parser.add_argument("--sla", help="e.g. 4h, 1d 12h, 30m")
        parser.add_argument("--severity", choices=Severity.values)
        parser.add_argument("--owner-group", help="set: a group's name (clears the owner user)")
        parser.add_argument("--owner-user", help="set: a username (clears the owner group)")
        parser.add_argument("--no-owner", action="store_true", help="set: no default owner")
        parser.add_argument("--auto-ticket", choices=sorted(YES))
        parser.add_argument("--runbook-file", help="set: a text file with the runbook ('-': standard input)")
        parser.add_argument("--group", help="level-add/level-set: the level's group")
        parser.add_argument("--user", help="level-add/level-set: the level's user")
        parser.add_argument("--duration", help="level-add/level-set: time at this level, e.g. 8h")
        parser.add_argument("--position", type=int, help="level-add: 1 = first; default: last")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        user = _user(options["username"])
        try:
            if action == "list":
                self._list()
            elif action == "ensure":
                touched = policy.exception_policy_ensure()
                self.stdout.write(
                    f"Shipped defaults applied to: {', '.join(touched) or 'none (all up to date)'}"
                )
            else:
                if not options["category"]:
                    raise CommandError(f"{action} needs a category's key")
                wanted = POSITIONS.get(action, 0)
                if len(options["positions"]) != wanted:
                    raise CommandError(f"{action} takes {wanted} position(s) after the category")
                category = _category(options["category"])
                if action != "show":
                    self._change(action, category, user, options)
                    category.refresh_from_db()
                self._show(category)
        except (PermissionDenied, ValidationError) as error:
            messages = error.messages if isinstance(error, ValidationError) else [str(error)]
            raise CommandError("; ".join(messages)) from error

    def _change(
        self, action: str, category: ExceptionCategory, user: User | None, options: dict[str, Any]
    ) -> None:
        if action == "set":
            policy.category_update(category=category, user=user, **_settings(options))
        elif action == "level-add":
            if not options["duration"]:
                raise CommandError("level-add needs --duration")
            group, owner = policy.owner_find(group=options["group"], user=options["user"])
            policy.escalation_level_add(
                category=category,
                user=user,
                group=group,
                owner_user=owner,
                duration=policy.duration_parse(options["duration"], label="level's duration"),
                position=options["position"],
            )
        elif action == "level-set":
            group, owner = policy.owner_find(group=options["group"], user=options["user"])
            duration = options["duration"]
            policy.escalation_level_update(
                category=category,
                user=user,
                position=options["positions"][0],
                group=group,
                owner_user=owner,
                duration=policy.duration_parse(duration, label="level's duration") if duration else None,
            )
        elif action == "level-remove":
            policy.escalation_level_remove(category=category, user=user, position=options["positions"][0])
        elif action == "level-move":
            first, to = options["positions"]
            policy.escalation_level_move(category=category, user=user, position=first, to=to)

    def _list(self) -> None:
        for category in ExceptionCategory.objects.order_by("key"):
            self.stdout.write(_line(category))

    def _show(self, category: ExceptionCategory) -> None:
        self.stdout.write(_line(category))
        self.stdout.write(f"  name: {category.name}")
        self.stdout.write(
            f"  edited: {category.edited_at.isoformat() if category.edited_at else 'never (shipped)'}"
        )
        for level in policy.escalation_path(category):
            self.stdout.write(f"  level {level}")
        if category.runbook:
            self.stdout.write("  runbook:")
            for row in category.runbook.splitlines():
                self.stdout.write(f"    {row}")


def _line(category: ExceptionCategory) -> str:
    owner = (
        category.default_owner_group.name
        if category.default_owner_group
        else category.default_owner_user.get_username()
        if category.default_owner_user
        else "nobody"
    )
    path = " -> ".join(policy.escalation_path(category)) or "no escalation path"
    ticket = "ticket" if category.auto_ticket else "no ticket"
    return (
        f"{category.key}: SLA {policy.duration_text(category.sla)}, {category.default_severity}, "
        f"owner {owner}, {ticket}; {path}"
    )


def _settings(options: dict[str, Any]) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    if options["name"] is not None:
        changes["name"] = options["name"]
    if options["sla"] is not None:
        changes["sla"] = policy.duration_parse(options["sla"], label="SLA")
    if options["severity"] is not None:
        changes["default_severity"] = options["severity"]
    if options["no_owner"]:
        changes["default_owner_group"] = changes["default_owner_user"] = None
    elif options["owner_group"] or options["owner_user"]:
        group, owner = policy.owner_find(group=options["owner_group"], user=options["owner_user"])
        changes["default_owner_group" if group else "default_owner_user"] = group or owner
    if options["auto_ticket"] is not None:
        changes["auto_ticket"] = YES[options["auto_ticket"]]
    if options["runbook_file"]:
        source = options["runbook_file"]
        try:
            changes["runbook"] = (
                Path("/dev/stdin").read_text() if source == "-" else Path(source).read_text(encoding="utf-8")
            )
        except OSError as error:
            raise CommandError(f"cannot read the runbook file: {error}") from error
    if not changes:
        raise CommandError("nothing to change: give --sla, --severity, --owner-group, ... (see --help)")
    return changes


def _user(username: str | None) -> User | None:
    if not username:
        return None
    return command_user(username)


def _category(key: str) -> ExceptionCategory:
    category = ExceptionCategory.objects.filter(key=key).first()
    if category is None:
        known = ", ".join(ExceptionCategory.objects.order_by("key").values_list("key", flat=True))
        raise CommandError(f"no category {key!r} (known: {known or 'none; run: exception_policy ensure'})")
    return category
