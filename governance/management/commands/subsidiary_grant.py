"""``manage.py subsidiary_grant SUBSIDIARY --user U | --group G [--revoke] [--as ADMIN]``: let a person or
an access group handle one subsidiary's exceptions (``all``: every subsidiary), before any exception
names it. SUBSIDIARY is its name as read from NetSuite (``EMEA``), its key or its NetSuite id; a name two
connections share is refused with the keys to choose from. The same service and audit entry as the user's
and the group's pages (admins; role groups are refused: give access to a person or a group of your own).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.core.management.base import CommandParser

from governance.management.holders import HolderGrantCommand
from sync.exceptions.models import Subsidiary
from sync.exceptions.selectors import subsidiary_find


class Command(HolderGrantCommand):
    help = "Grant (or revoke) a subsidiary's exceptions to a user or a group."
    kind = "subsidiary"
    target_option = "subsidiary"
    nothing_held = "no subsidiary"

    def add_target_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("subsidiary", help='a name ("EMEA"), key or NetSuite id; "all" for every one')

    def target_find(self, name: str, options: dict[str, Any], actor: User | None) -> Subsidiary:
        return subsidiary_find(name)
