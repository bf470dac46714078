"""Notifications in the terminal: the same services, permission checks and audit as the pages and the API.

    manage.py notifications channels
    manage.py notifications channel-add --name ops-slack --kind slack --url-env SLACK_HOOK \\
        --events escalated,connection_down,connection_back [--integration acme] [--as admin]
    manage.py notifications channel-add --name finance-mail --kind email --email-to books@example.com \\
        --events reconciliation_mismatches
    manage.py notifications channel-set ops-slack [--events ...] [--url-env NEW_HOOK] [--pause|--resume]
    manage.py notifications channel-test ops-slack
    manage.py notifications channel-remove ops-slack
    manage.py notifications policy [--delay-seconds 300] [--failure-rate-percent 20]
        [--failure-rate-min-records 10] [--failure-rate-window-minutes 60]
    manage.py notifications preference --as finance --event failure_rate --console on --email off
        [--integration acme]
    manage.py notifications deliveries [--status failed] [--limit 50]
    manage.py notifications resend 42 --reason "webhook fixed" [--as admin]
    manage.py notifications dispatch        # one tick of the schedule, now

A webhook URL is read from the environment variable named by ``--url-env`` (never from the command line,
which other users of the machine can see), stored encrypted and never printed.
"""

from __future__ import annotations

import os
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.commands import command_actor, command_user
from sync.integrations.models import Integration
from sync.notifications import services
from sync.notifications.events import notification_policy
from sync.notifications.models import DeliveryStatus, NotificationChannel, NotificationDelivery
from sync.notifications.selectors import DeliveryFilters, deliveries_visible_to
from sync.notifications.tasks import notifications_dispatch_task

ACTIONS = [
    "channels",
    "channel-add",
    "channel-set",
    "channel-test",
    "channel-remove",
    "policy",
    "preference",
    "deliveries",
    "resend",
    "dispatch",
]
ON_OFF = {"on": True, "off": False}


class Command(BaseCommand):
    help = "List and change notification channels, the policy and preferences; list and resend deliveries."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=ACTIONS)
        parser.add_argument("target", nargs="?", help="a channel's name or a delivery's id")
        parser.add_argument("--as", dest="username", help="the person acting (default: the system)")
        parser.add_argument("--name")
        parser.add_argument("--kind", choices=["slack", "teams", "email"])
        parser.add_argument("--url-env", help="environment variable holding the incoming webhook URL")
        parser.add_argument("--email-to", help="comma-separated addresses (e-mail channels)")
        parser.add_argument("--events", help="comma-separated event kinds")
        parser.add_argument("--integration", help="an integration's name (default: all)")
        state = parser.add_mutually_exclusive_group()
        state.add_argument("--pause", action="store_true")
        state.add_argument("--resume", action="store_true")
        for field in services.POLICY_FIELDS:
            parser.add_argument(f"--{field.replace('_', '-')}", type=int, dest=field)
        parser.add_argument("--event")
        parser.add_argument("--console", choices=list(ON_OFF))
        parser.add_argument("--email", choices=list(ON_OFF))
        parser.add_argument("--status", choices=DeliveryStatus.values)
        parser.add_argument("--limit", type=int, default=50)
        parser.add_argument("--reason", default="")

    def handle(self, *args: Any, **options: Any) -> None:
        user = command_user(options["username"]) if options["username"] else None
        handler = getattr(self, "_" + options["action"].replace("-", "_"))
        try:
            handler(user, options)
        except (PermissionDenied, ValidationError) as error:
            messages = error.messages if isinstance(error, ValidationError) else [str(error)]
            raise CommandError("; ".join(messages)) from error

    def _integration(self, options: dict[str, Any]) -> Integration | None:
        name = options["integration"]
        if not name:
            return None
        found = Integration.objects.filter(name=name).first()
        if found is None:
            raise CommandError(f"no integration {name!r}")
        return found

    def _channel(self, options: dict[str, Any]) -> NotificationChannel:
        found = NotificationChannel.objects.filter(name=options["target"] or "").first()
        if found is None:
            raise CommandError(f"no channel {options['target']!r}: see `notifications channels`")
        return found

    def _url(self, options: dict[str, Any]) -> str:
        if not options["url_env"]:
            return ""
        url = os.environ.get(options["url_env"], "")
        if not url:
            raise CommandError(f"the environment variable {options['url_env']} is empty or unset")
        return url

    def _events(self, options: dict[str, Any]) -> list[str] | None:
        return [part.strip() for part in options["events"].split(",")] if options["events"] else None

    def _channels(self, user: Any, options: dict[str, Any]) -> None:
        for channel in NotificationChannel.objects.select_related("integration").order_by("name"):
            where = channel.email_to or channel.url_hint
            scope = channel.integration.name if channel.integration else "all"
            state = "active" if channel.is_active else "paused"
            self.stdout.write(
                f"{channel.name}\t{channel.kind}\t{scope}\t{','.join(channel.events)}\t{where}\t{state}"
            )

    def _channel_add(self, user: Any, options: dict[str, Any]) -> None:
        if not options["name"] or not options["kind"] or not options["events"]:
            raise CommandError("channel-add needs --name, --kind and --events")
        channel = services.channel_create(
            user=user,
            name=options["name"],
            kind=options["kind"],
            events=self._events(options) or [],
            webhook_url=self._url(options),
            email_to=options["email_to"] or "",
            integration=self._integration(options),
        )
        self.stdout.write(f"added channel {channel.name} ({channel.kind})")

    def _channel_set(self, user: Any, options: dict[str, Any]) -> None:
        channel = self._channel(options)
        active = True if options["resume"] else False if options["pause"] else None
        services.channel_update(
            user=user,
            channel=channel,
            name=options["name"],
            events=self._events(options),
            webhook_url=self._url(options),
            email_to=options["email_to"],
            is_active=active,
            integration=self._integration(options) if options["integration"] else "unchanged",
        )
        self.stdout.write(f"saved channel {channel.name}")

    def _channel_test(self, user: Any, options: dict[str, Any]) -> None:
        result = services.channel_test(user=user, channel=self._channel(options))
        if not result.ok:
            raise CommandError(result.message)
        self.stdout.write(result.message)

    def _channel_remove(self, user: Any, options: dict[str, Any]) -> None:
        channel = self._channel(options)
        services.channel_delete(user=user, channel=channel)
        self.stdout.write(f"removed channel {channel.name}")

    def _policy(self, user: Any, options: dict[str, Any]) -> None:
        values = {field: options[field] for field in services.POLICY_FIELDS if options[field] is not None}
        policy = services.policy_set(user=user, **values) if values else notification_policy()
        for field in services.POLICY_FIELDS:
            self.stdout.write(f"{field}: {getattr(policy, field)}")

    def _preference(self, user: Any, options: dict[str, Any]) -> None:
        person = command_actor(options["username"])
        if not options["event"] or not options["console"] or not options["email"]:
            raise CommandError("preference needs --as, --event, --console on|off and --email on|off")
        services.preference_set(
            user=person,
            event=options["event"],
            integration=self._integration(options),
            console=ON_OFF[options["console"]],
            email=ON_OFF[options["email"]],
        )
        self.stdout.write(f"saved {person.username}'s preference for {options['event']}")

    def _deliveries(self, user: Any, options: dict[str, Any]) -> None:
        if user is not None:
            found = deliveries_visible_to(user, DeliveryFilters(status=options["status"] or ""))
        else:
            found = NotificationDelivery.objects.select_related("event", "channel", "user")
            if options["status"]:
                found = found.filter(status=options["status"])
        for delivery in found.order_by("-created_at", "-id")[: options["limit"]]:
            to = delivery.channel.name if delivery.channel else delivery.address
            self.stdout.write(
                f"{delivery.pk}\t{delivery.status}\t{delivery.attempts}\t{delivery.target}\t{to}\t"
                f"{delivery.event.title}\t{delivery.last_error}"
            )

    def _resend(self, user: Any, options: dict[str, Any]) -> None:
        target = options["target"] or ""
        delivery = NotificationDelivery.objects.filter(pk=int(target) if target.isdigit() else 0).first()
        if delivery is None:
            raise CommandError(f"no delivery {target!r}")
        services.delivery_resend(user=user, delivery=delivery, reason=options["reason"])
        self.stdout.write(f"delivery {delivery.pk} will be sent again")

    def _dispatch(self, user: Any, options: dict[str, Any]) -> None:
        self.stdout.write(notifications_dispatch_task())
