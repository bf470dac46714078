"""``manage.py flow_grant FLOW --user U | --group G [--integration NAME] [--revoke] [--as ADMIN]``: let a
person or an access group edit one flow's mapping drafts (``all``: every flow) beyond their role. FLOW is
its label as the user's and the group's pages show it (``"acme · opportunity_to_netsuite"``), or its key
in ``--integration`` (the primary integration without it): every integration has its own flows under the
same keys. The same service and audit entry as those pages (admins; role groups are refused: give access
to a person or a group of your own).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.core.management.base import CommandParser

from governance.access_grants import flow_find
from governance.management.holders import HolderGrantCommand
from sync.integrations.choice import INTEGRATION_OPTION_HELP
from sync.mappings.models import Flow


class Command(HolderGrantCommand):
    help = "Grant (or revoke) a flow's mapping drafts to a user or a group."
    kind = "flow"
    target_option = "flow"
    nothing_held = "no flow of their own"

    def add_target_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "flow", help='a flow key, or its label ("acme · opportunity_to_netsuite"); "all" for every flow'
        )
        parser.add_argument("--integration", help=f"the flow's integration: {INTEGRATION_OPTION_HELP}")

    def target_find(self, name: str, options: dict[str, Any], actor: User | None) -> Flow:
        return flow_find(name, integration=options["integration"], user=actor)
