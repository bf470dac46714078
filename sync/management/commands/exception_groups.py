"""``manage.py exception_groups``: exceptions grouped by cause, and one action for a whole group, as a
named person (the same selectors, services, scope, rules and audit as the console and the API).

    manage.py exception_groups list --user frances [--integration acme] [--category mapping_problem]
    manage.py exception_groups show lookup-3f2a... --user frances
    manage.py exception_groups retry lookup-3f2a... --user frances --reason "FR is mapped now"
    manage.py exception_groups lookup-draft lookup-3f2a... --user rita --value 4 --reason "FR -> EMEA"
"""

from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.http import Http404

from core.commands import command_actor
from sync.exceptions import group_actions, groups
from sync.exceptions.group_forms import lookup_value_parse

ACTIONS = ("list", "show", "retry", "lookup-draft")


class Command(BaseCommand):
    help = (
        "List exception groups (same cause), show one, retry a whole group, or draft its missing lookup key."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=ACTIONS)
        parser.add_argument("key", nargs="?", help="the group's cause key (from list)")
        parser.add_argument(
            "--user", "--as", dest="user", help="the person reading or acting (their role and scope apply)"
        )
        parser.add_argument("--integration", default="", help="list: only this integration's (a name)")
        parser.add_argument("--category", default="", help="list: only this category's (a key)")
        parser.add_argument("--value", help='lookup-draft: the value, as text (4) or JSON ({"id": "4"})')
        parser.add_argument("--reason", default="")

    def handle(self, *args: Any, **options: Any) -> None:
        user = command_actor(options["user"])
        action, key = options["action"], options["key"] or ""
        if action != "list" and not key:
            raise CommandError(f"{action} needs the group's key (see: exception_groups list)")
        try:
            if action == "list":
                self._list(user, options)
            elif action == "show":
                self._show(user, key)
            elif action == "retry":
                report = group_actions.exception_group_retry(key=key, user=user, reason=options["reason"])
                self.stdout.write(f"{len(report.retried)} retries queued: {_ids(report.retried)}")
                for item_id, why in sorted(report.skipped.items()):
                    self.stdout.write(f"  #{item_id} not retried: {why}")
            else:
                if options["value"] is None:
                    raise CommandError("lookup-draft needs --value")
                draft = group_actions.exception_group_lookup_draft(
                    key=key, user=user, value=_value(options["value"]), reason=options["reason"]
                )
                self.stdout.write(
                    f"{draft.entry.key!r} -> {json.dumps(draft.entry.value)} in draft {draft.version} "
                    f"(version id {draft.version.pk}); submit it: manage.py lookup_version submit "
                    f"{draft.version.pk} --user {user.get_username()}"
                )
        except Http404 as error:
            raise CommandError(f"no exception group {key!r} that {user.get_username()} may see") from error
        except (PermissionDenied, ValidationError) as error:
            said = error.messages if isinstance(error, ValidationError) else [str(error)]
            raise CommandError("; ".join(said)) from error

    def _list(self, user: Any, options: dict[str, Any]) -> None:
        found = groups.exception_groups(
            user=user, integration=options["integration"].strip(), category=options["category"].strip()
        )
        if not found:
            self.stdout.write("No two open exceptions share a cause.")
        for group in found:
            self.stdout.write(
                f"{group.key}  {group.size} open ({group.retryable} retryable)  {group.description}"
            )

    def _show(self, user: Any, key: str) -> None:
        group = groups.exception_group_get(user=user, key=key)
        self.stdout.write(f"{group.description}\n{group.size} open, {group.retryable} retryable")
        for item in groups.exception_group_members(user=user, key=key)[:500]:
            self.stdout.write(f"  #{item.pk} {item.get_status_display()}: {item.title}")


def _ids(ids: list[int]) -> str:
    return ", ".join(f"#{item_id}" for item_id in ids) or "none"


def _value(raw: str) -> Any:
    try:
        return lookup_value_parse(raw)
    except ValidationError as error:  # not valid JSON
        raise CommandError(f"--value: {' '.join(error.messages)}") from error
