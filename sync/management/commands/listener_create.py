"""``manage.py listener_create NAME --salesforce SF --netsuite NS --base-url URL``: a new inbound listener.

Prints the listener's URL, which carries its secret token: this is the only time it is shown (Concord
keeps only a hash), and the steps to set up Salesforce (or the webhook sender), as the listener's page
shows them. ``listener_rotate_token`` gives a listener a new URL.
"""

from __future__ import annotations

import os
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from sync.connections.cli import active_connection
from sync.connections.models import ConnectionKind
from sync.pipeline.listener.cli import url_and_setup_write
from sync.pipeline.listener.services import listener_create
from sync.pipeline.models import ListenerKind


class Command(BaseCommand):
    help = (
        "Create an inbound listener and print its URL (shown once: only a hash of its token is kept) "
        "and the steps to set up the sender."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help="a short name (letters, digits, - and _)")
        parser.add_argument("--salesforce", required=True, help="the Salesforce connection's name")
        parser.add_argument("--netsuite", required=True, help="the NetSuite connection's name")
        parser.add_argument("--kind", choices=ListenerKind.values, default=ListenerKind.OUTBOUND_MESSAGE)
        parser.add_argument("--org-id", default="", help="the Salesforce org id allowed to post (outbound)")
        parser.add_argument(
            "--signing-secret-env",
            default="",
            help="name of an environment variable holding the webhook's HMAC key (kept off the command line)",
        )
        parser.add_argument(
            "--base-url", required=True, help="the console's address as the sender reaches it"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        secret = os.environ.get(options["signing_secret_env"], "") if options["signing_secret_env"] else ""
        try:
            listener, token = listener_create(
                name=options["name"],
                kind=options["kind"],
                salesforce_connection=active_connection(options["salesforce"], ConnectionKind.SALESFORCE),
                netsuite_connection=active_connection(options["netsuite"], ConnectionKind.NETSUITE),
                allowed_org_id=options["org_id"],
                signing_secret=secret,
            )
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from error
        self.stdout.write(f"Listener {listener.name} created. Its URL (shown only now; keep it secret):")
        url_and_setup_write(self.stdout, listener=listener, token=token, base_url=options["base_url"])
