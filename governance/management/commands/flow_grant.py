"""``manage.py flow_grant FLOW --user U | --group G [--integration NAME] [--revoke] [--as ADMIN]``: let a
person or an access group edit one flow's mapping drafts (``all``: every flow) beyond their role. FLOW is
its label as the user's and the group's pages show it (``"acme · opportunity_to_netsuite"``), or its key
in ``--integration`` (the primary integration without it): every integration has its own flows under the
same keys. The same service and audit entry as those pages (admins; role groups are refused: give access
to a person or a group of your own).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from governance.access_grants import EVERY, flow_find
from governance.management.holders import grant_actor, holder_grant_change
from sync.integrations.choice import INTEGRATION_OPTION_HELP
from sync.mappings.models import Flow


class Command(BaseCommand):
    help = "Grant (or revoke) a flow's mapping drafts to a user or a group."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "flow", help='a flow key, or its label ("acme · opportunity_to_netsuite"); "all" for every flow'
        )
        parser.add_argument("--integration", help=f"the flow's integration: {INTEGRATION_OPTION_HELP}")
        parser.add_argument("--user", help="the username")
        parser.add_argument("--group", help="the access group's name")
        parser.add_argument("--revoke", action="store_true")
        parser.add_argument("--as", dest="username", help="the admin acting (default: the system)")

    def handle(self, *args: Any, **options: Any) -> None:
        if bool(options["user"]) == bool(options["group"]):
            raise CommandError("give --user or --group (one of them)")
        actor = grant_actor(options["username"])
        target: Flow | None = None
        try:
            if options["flow"].strip() != EVERY:
                target = flow_find(options["flow"], integration=options["integration"], user=actor)
            who, held = holder_grant_change(
                user=options["user"],
                group=options["group"],
                kind="flow",
                target=target,
                revoke=options["revoke"],
                actor=actor,
            )
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from error
        self.stdout.write(f"{who} now holds: {', '.join(held) or 'no flow of their own'}")
