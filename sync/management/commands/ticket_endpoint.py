"""The exception tickets' endpoint in the terminal (admins; the same service and audit as the page).

    manage.py ticket_endpoint show
    manage.py ticket_endpoint set --url https://tracker.example/hooks/concord --secret-env TICKET_SECRET
    manage.py ticket_endpoint set --url ""        # back to EXCEPTION_TICKET_WEBHOOK_URL
    manage.py ticket_endpoint set --clear-secret  # back to EXCEPTION_TICKET_WEBHOOK_SECRET
    manage.py ticket_endpoint test                # sends a signed test ticket now

The secret is read from the environment variable named by ``--secret-env`` (never from the command line,
which other users of the machine can see) and stored encrypted; it is never printed.
"""

from __future__ import annotations

import os
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.commands import command_user
from sync.exceptions.ticket_endpoint import ticket_endpoint_set, ticket_endpoint_test
from sync.exceptions.tickets import ticket_endpoint


class Command(BaseCommand):
    help = "Show, set or test the endpoint exception tickets are delivered to."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["show", "set", "test"])
        parser.add_argument("--url", help="the receiver's https:// address (\"\" = the environment's)")
        parser.add_argument("--secret-env", help="name of an environment variable holding the signing secret")
        parser.add_argument("--clear-secret", action="store_true", help="forget the saved secret")
        parser.add_argument("--as", dest="username", help="the admin acting (default: the system)")

    def handle(self, *args: Any, **options: Any) -> None:
        user = command_user(options["username"]) if options["username"] else None
        try:
            if options["action"] == "set":
                secret = None
                if options["secret_env"]:
                    secret = os.environ.get(options["secret_env"], "")
                    if not secret:
                        raise CommandError(
                            f"the environment variable {options['secret_env']} is empty or unset"
                        )
                if options["url"] is None and secret is None and not options["clear_secret"]:
                    raise CommandError("nothing to change: give --url, --secret-env or --clear-secret")
                ticket_endpoint_set(
                    user=user, url=options["url"], secret=secret, clear_secret=options["clear_secret"]
                )
            elif options["action"] == "test":
                result = ticket_endpoint_test(user=user)
                if not result.ok:
                    raise CommandError(result.message)
                self.stdout.write(result.message)
        except (PermissionDenied, ValidationError) as error:
            messages = error.messages if isinstance(error, ValidationError) else [str(error)]
            raise CommandError("; ".join(messages)) from error
        endpoint = ticket_endpoint()
        self.stdout.write(f"url: {endpoint.url or '(none)'} ({endpoint.url_source or 'not set'})")
        self.stdout.write(
            f"secret: {'set' if endpoint.secret else 'none'} ({endpoint.secret_source or 'not set'})"
        )
