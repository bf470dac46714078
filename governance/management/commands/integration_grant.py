"""``manage.py integration_grant USER INTEGRATION | --group G INTEGRATION [--revoke] [--as ADMIN]``: limit a
person (or every member of an access group) to an integration, on top of the ones they already hold; a
person holding no integration grant sees every integration. The same service and audit entry as the user's
and the group's pages (admins; role groups are refused: give access to a person or a group of your own).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from governance.management.holders import grant_actor, holder_grant_change
from sync.integrations.models import Integration


class Command(BaseCommand):
    help = "Limit a user or a group to an integration (or, with --revoke, take it back)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "names", nargs="+", metavar="USER INTEGRATION", help="the username, then the integration"
        )
        parser.add_argument("--group", help="the access group's name (then give only the INTEGRATION)")
        parser.add_argument("--revoke", action="store_true")
        parser.add_argument("--as", dest="username", help="the admin acting (default: the system)")

    def handle(self, *args: Any, **options: Any) -> None:
        names: list[str] = options["names"]
        expected = 1 if options["group"] else 2
        if len(names) != expected:
            raise CommandError("give USER INTEGRATION, or --group G INTEGRATION")
        integration = Integration.objects.filter(name=names[-1]).first()
        if integration is None:
            known = ", ".join(Integration.objects.order_by("name").values_list("name", flat=True)) or "none"
            raise CommandError(f"no integration {names[-1]!r} (there are: {known})")
        actor = grant_actor(options["username"])
        try:
            who, held = holder_grant_change(
                user=None if options["group"] else names[0],
                group=options["group"],
                kind="integration",
                target=integration,
                revoke=options["revoke"],
                actor=actor,
            )
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from error
        self.stdout.write(f"{who} now holds: {', '.join(held) or 'no integration (sees every integration)'}")
