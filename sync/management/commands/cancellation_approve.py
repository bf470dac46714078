"""Approve a cancellation waiting for finance, as a named finance approver (the same service as the
exception page's Approve button and the API's /exceptions/<id>/approve/; audited). The cancellation then
runs in a worker.

    manage.py cancellation_approve 3 --as frank --reason "customer confirmed"
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.commands import command_user
from sync.exceptions import actions
from sync.exceptions.models import ExceptionItem
from sync.lifecycle.models import Cancellation


class Command(BaseCommand):
    help = "Approve a cancellation (by its number, see cancellation_list) as a finance approver."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("cancellation", type=int, help="the cancellation's number")
        parser.add_argument("--as", dest="username", required=True, help="the finance approver")
        parser.add_argument("--reason", default="")

    def handle(self, *args: Any, **options: Any) -> None:
        cancellation = Cancellation.objects.filter(pk=options["cancellation"]).first()
        if cancellation is None:
            raise CommandError(f"no cancellation #{options['cancellation']}")
        item = (
            ExceptionItem.objects.filter(pk=cancellation.exception_id).first()
            if cancellation.exception_id
            else None
        )
        if item is None:
            raise CommandError(f"cancellation #{cancellation.pk} awaits no approval: {cancellation.status}")
        user = command_user(options["username"])
        try:
            actions.exception_approve(item=item, user=user, reason=options["reason"])
        except (PermissionDenied, ValidationError) as error:
            messages = error.messages if isinstance(error, ValidationError) else [str(error)]
            raise CommandError("; ".join(messages)) from error
        self.stdout.write(f"approved: cancellation #{cancellation.pk} (exception #{item.pk}) runs now")
