"""The exception queue's value actions in the terminal, as a named person (same services, same rules and
audit as the console and the API).

    manage.py exception_act 12 edit --as frances --field customer.currency --value '"1"' --reason "PO"
    manage.py exception_act 12 approve --as frank --override 7 --reason "matches the PO"
    manage.py exception_act 12 accept --as frances --field Amount --system netsuite
    manage.py exception_act 12 retry --as frances
    manage.py exception_act 12 cancel --as frances --reason "wrong subsidiary still"
    manage.py exception_act 12 payload --as frances --set 'customer.currency="1"' --set memo=PO-7
    manage.py exception_act 12 tag --as frances --tag "waiting on customer"
    manage.py exception_act 12 untag --as frances --tag "waiting on customer"
    manage.py exception_act 12 show
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.commands import command_user
from sync.exceptions import actions as actions
from sync.exceptions import payload, tags
from sync.exceptions.forms import SYSTEM_NAMES, value_choice_label
from sync.exceptions.models import ExceptionItem

ACTIONS = ("show", "retry", "edit", "accept", "approve", "reject", "cancel", "payload", "tag", "untag")


class Command(BaseCommand):
    help = (
        "Edit a value, take one system's value, approve or reject a change, retry an exception or cancel "
        "its waiting retry, set values for its next retry, or tag it."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("item", type=int, help="the exception's number")
        parser.add_argument("action", choices=ACTIONS)
        parser.add_argument("--as", dest="username", help="the person acting (their role and scope apply)")
        parser.add_argument("--field", help="edit/accept: the field (customer.currency, or a bare path)")
        parser.add_argument("--value", help='edit: the new value as JSON (42, "text", {"id": "7"}) or text')
        parser.add_argument(
            "--system",
            choices=sorted(SYSTEM_NAMES),
            help="accept: " + "; ".join(f"{key} = {value_choice_label(key)}" for key in sorted(SYSTEM_NAMES)),
        )
        parser.add_argument("--override", type=int, help="approve/reject: the value change's number")
        parser.add_argument(
            "--set",
            action="append",
            default=[],
            metavar="FIELD=VALUE",
            help="payload: a value for the next retry (JSON or text); repeat for several fields",
        )
        parser.add_argument("--tag", help="tag/untag: the tag's name")
        parser.add_argument("--reason", default="")

    def handle(self, *args: Any, **options: Any) -> None:
        item = ExceptionItem.objects.filter(pk=options["item"]).first()
        if item is None:
            raise CommandError(f"no exception #{options['item']}")
        action = options["action"]
        if action != "show":
            try:
                self._act(item, action, self._user(options["username"]), options)
            except (PermissionDenied, ValidationError) as error:
                messages = error.messages if isinstance(error, ValidationError) else [str(error)]
                raise CommandError("; ".join(messages)) from error
            item.refresh_from_db()
        self._show(item)

    @staticmethod
    def _user(username: str | None) -> User:
        if not username:
            raise CommandError("say who acts: --as USERNAME")
        return command_user(username)

    def _act(self, item: ExceptionItem, action: str, user: User, options: dict[str, Any]) -> None:
        reason = options["reason"]
        if action in ("cancel", "payload", "tag", "untag"):
            self._organise(item, action, user, options)
        elif action == "retry":
            actions.exception_retry(item=item, user=user, reason=reason)
        elif action in ("edit", "accept"):
            if not options["field"]:
                raise CommandError(f"{action} needs --field")
            if action == "edit":
                actions.exception_value_edit(
                    item=item,
                    user=user,
                    field=options["field"],
                    new_value=_json(options["value"]),
                    reason=reason,
                )
            elif not options["system"]:
                raise CommandError("accept needs --system")
            else:
                actions.exception_accept_other_value(
                    item=item, user=user, field=options["field"], system=options["system"], reason=reason
                )
        else:
            override = item.overrides.filter(pk=options["override"]).first() if options["override"] else None
            if override is None:
                raise CommandError(f"{action} needs --override with a value change of exception #{item.pk}")
            if action == "approve":
                actions.exception_override_approve(override=override, user=user, reason=reason)
            else:
                actions.exception_override_reject(override=override, user=user, reason=reason)

    @staticmethod
    def _organise(item: ExceptionItem, action: str, user: User, options: dict[str, Any]) -> None:
        if action == "cancel":
            payload.exception_retry_cancel(item=item, user=user, reason=options["reason"])
        elif action == "payload":
            changes = {}
            for pair in options["set"]:
                field, equals, value = pair.partition("=")
                if not equals or not field.strip():
                    raise CommandError(f"--set wants FIELD=VALUE, not {pair!r}")
                changes[field.strip()] = _json(value)
            if not changes:
                raise CommandError("payload needs at least one --set FIELD=VALUE")
            payload.exception_payload_edit(item=item, user=user, changes=changes, reason=options["reason"])
        elif not options["tag"]:
            raise CommandError(f"{action} needs --tag")
        elif action == "tag":
            tags.exception_tag_add(item=item, user=user, name=options["tag"])
        else:
            tags.exception_tag_remove(item=item, user=user, name=options["tag"])

    def _show(self, item: ExceptionItem) -> None:
        self.stdout.write(f"#{item.pk} {item.title}\nStatus: {item.get_status_display()}")
        if item.vendor_code or item.vendor_message:
            self.stdout.write(f"Error: {item.vendor_code} {item.vendor_message}".rstrip())
        for field in item.details.get("sent") or {}:
            self.stdout.write(f"Sent {field}: {json.dumps(item.details['sent'][field])}")
        for override in item.overrides.select_related("proposed_by", "approved_by"):
            approved = f" by {override.approved_by.get_username()}" if override.approved_by else ""
            sent = " · sent" if override.sent_at else ""
            self.stdout.write(
                f"Change #{override.pk} {override.field}: {json.dumps(override.old_value)} to "
                f"{json.dumps(override.new_value)} ({override.get_status_display()}{approved}{sent})"
            )
        item_tags = tags.exception_tags(item=item)
        self.stdout.write(f"Tags: {', '.join(item_tags) if item_tags else 'none'}")
        for row in payload.next_retry_payload(item=item):
            self.stdout.write(f"Next retry sends {row.field}: {json.dumps(row.next)} ({row.state})")
        for retry in payload.exception_retries(item=item):
            by = retry.requested_by.get_username() if retry.requested_by else "Concord"
            error = f": {retry.error}" if retry.error else ""
            self.stdout.write(
                f"Retry #{retry.pk} asked by {by} at {retry.requested_at:%Y-%m-%d %H:%M:%S}: "
                f"{retry.get_status_display()}{error}"
            )
        for event in item.events.select_related("actor"):
            actor = event.actor.get_username() if event.actor else "Concord"
            self.stdout.write(
                f"  {event.at:%Y-%m-%d %H:%M:%S} {event.get_action_display()} by {actor}: {event.reason}"
            )


def _json(raw: str | None) -> Any:
    if raw is None:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return raw
