"""``manage.py setup`` (``concord setup``): install or upgrade, one command; see console/setup/install.py."""

from __future__ import annotations

import getpass
import io
import os
import sys
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from console.setup.checklist import setup_checklist
from console.setup.install import (
    DEFAULTS_COMMANDS,
    ENV_USERNAME,
    SCHEDULE_COMMANDS,
    AdminRequest,
    SetupInputError,
    admin_from_environment,
    admin_request_check,
    migrations_pending,
)
from governance.first_admin import first_admin_create_from_shell, first_run_open, setup_code_ensure


class Command(BaseCommand):
    help = (
        "Install or upgrade Concord (safe to run again): migrate, collect the static files, create the "
        "missing schedules, apply the shipped defaults, and make the first administrator from "
        "CONCORD_ADMIN_USERNAME / _EMAIL / _PASSWORD (or _PASSWORD_FILE) or a prompt while no user exists."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--no-input", action="store_false", dest="interactive", help="never prompt for the first admin"
        )
        parser.add_argument(
            "--skip-static", action="store_true", help="do not collect the static files (the image did)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:  # bad input stops setup before anything changes
            admin = admin_from_environment(os.environ)
        except SetupInputError as exc:
            raise CommandError(str(exc)) from exc
        pending = migrations_pending()
        call_command("migrate", interactive=False, verbosity=0)
        self.stdout.write(
            f"Database: {len(pending)} migration(s) applied" if pending else "Database: up to date"
        )
        if not options["skip_static"]:
            call_command("collectstatic", interactive=False, verbosity=0)
            self.stdout.write("Static files collected.")
        for argv in (*SCHEDULE_COMMANDS, *DEFAULTS_COMMANDS):
            self._run(argv)
        self._first_admin(admin, interactive=options["interactive"])
        checklist = setup_checklist()
        self.stdout.write(
            self.style.SUCCESS(
                f"Setup done. First-run checklist: {checklist.done_count} of {len(checklist.steps)} steps "
                "done (manage.py setup_status, or /setup/ in the console)."
            )
        )

    def _run(self, argv: tuple[str, ...]) -> None:
        output = io.StringIO()
        call_command(*argv, stdout=output)
        for line in output.getvalue().splitlines():
            self.stdout.write(f"  {line}")

    def _first_admin(self, admin: AdminRequest | None, *, interactive: bool) -> None:
        if not first_run_open():
            note = f" ({ENV_USERNAME} left unused)" if admin else ""
            self.stdout.write(f"Users: the first administrator exists{note}.")
            return
        if admin is None and interactive and sys.stdin.isatty():
            admin = self._prompt()
        if admin is None:
            path = setup_code_ensure()
            self.stdout.write(
                f"No user yet: set {ENV_USERNAME} (and _EMAIL, _PASSWORD or _PASSWORD_FILE) and run setup "
                f"again, or open /setup/first-admin/ with the setup code in {path}."
            )
            return
        try:
            user = first_admin_create_from_shell(
                username=admin.username, email=admin.email, password=admin.password
            )
        except (PermissionDenied, ValidationError) as exc:
            raise CommandError("; ".join(getattr(exc, "messages", [str(exc)]))) from exc
        self.stdout.write(f"First administrator {user.username} created with the Admin role.")

    def _prompt(self) -> AdminRequest:
        self.stdout.write("No user yet: the first administrator (the Admin role).")
        username = input("Username: ").strip()
        email = input("E-mail: ").strip()
        password = getpass.getpass("Password: ")
        if password != getpass.getpass("Password (again): "):
            raise CommandError("the two passwords differ; nothing was created, run setup again")
        request = AdminRequest(username=username, email=email, password=password)
        try:
            admin_request_check(request)
        except SetupInputError as exc:
            raise CommandError(str(exc)) from exc
        return request
