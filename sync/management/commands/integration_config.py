"""``manage.py integration_config NAME --submit|--publish --user U [--reason ..]``: an integration's
configuration through four eyes in one step each (every draft submitted; every submitted version approved
and published by someone who made none of them)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.commands import command_user
from sync.onboarding.cli import integration_named, validation_error
from sync.onboarding.review import config_publish_all, config_submit_all


class Command(BaseCommand):
    help = "Submit every draft of an integration's configuration, or approve and publish every submitted one."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name")
        step = parser.add_mutually_exclusive_group(required=True)
        step.add_argument("--submit", action="store_true", help="submit every draft (as its maker)")
        step.add_argument(
            "--publish", action="store_true", help="approve and publish every submitted version (four eyes)"
        )
        parser.add_argument("--user", required=True, help="who does it (recorded; four eyes are checked)")
        parser.add_argument("--reason", default="")

    def handle(self, *args: Any, **options: Any) -> None:
        integration = integration_named(options["name"])
        user = command_user(options["user"])
        review = config_submit_all if options["submit"] else config_publish_all
        try:
            report = review(integration=integration, user=user, reason=options["reason"])
        except ValidationError as error:
            raise validation_error(error) from error
        except PermissionDenied as error:
            raise CommandError(f"{user.username} may not do this: {error}") from error
        done = "submitted" if options["submit"] else "approved and published"
        for label in report.moved:
            self.stdout.write(f"  {label}")
        self.stdout.write(self.style.SUCCESS(f"{len(report.moved)} versions of {integration.name} {done}."))
