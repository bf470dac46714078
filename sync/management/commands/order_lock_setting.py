"""Show or change from which status Concord stops editing NetSuite sales orders in place (audited).

manage.py order_lock_setting
manage.py order_lock_setting --set approved --as frances --reason "orders are final once approved"
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.commands import command_user
from sync.lifecycle.locks import order_lock_setting, order_lock_setting_set
from sync.lifecycle.models import LockFrom


class Command(BaseCommand):
    help = "Show or set the sales order lock: 'fulfilled' (default) or 'approved'."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--set", dest="lock_from", choices=LockFrom.values)
        parser.add_argument("--as", dest="username", help="the person changing it (audited)")
        parser.add_argument("--reason", default="")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["lock_from"]:
            if not options["username"]:
                raise CommandError("say who changes it: --as USERNAME")
            user = command_user(options["username"])
            try:
                order_lock_setting_set(user=user, lock_from=options["lock_from"], reason=options["reason"])
            except (PermissionDenied, ValidationError) as error:
                raise CommandError(str(error)) from error
        setting = order_lock_setting()
        self.stdout.write(f"lock_from: {setting.lock_from} ({setting.get_lock_from_display()})")
