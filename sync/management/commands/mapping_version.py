"""``manage.py mapping_version``: mapping versions from the command line, with the console's four eyes.

    mapping_version list [FLOW] [--integration NAME]
    mapping_version export ID [FILE]                               # the version's JSON (stdout without FILE)
    mapping_version draft FLOW --user NAME [--integration NAME] [--based-on ID] [--notes TEXT]
    mapping_version import ID FILE --user NAME                     # replace a draft's rows with FILE
    mapping_version submit ID --user NAME [--reason TEXT]
    mapping_version approve ID --user NAME [--reason TEXT]         # not by one of its makers
    mapping_version reject ID --user NAME --reason TEXT
    mapping_version publish ID --user NAME [--reason TEXT]
    mapping_version rollback ID --user NAME --reason TEXT          # republish a superseded version

FILE is the mapping's JSON export (the console's "Export JSON", the API's ``spec``, or ``export`` here),
edited: every row with its conditions, transforms and ``"optional": true`` flag. ``import`` validates the
whole file first and changes nothing when it finds a problem (all of them are listed). A flow is the
integration's (``--integration``, the primary integration without it); a version id names its own. Each
step is taken as ``--user`` (an active account), checked and audited as in the console.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.commands import command_actor, command_file_text, command_json
from sync.integrations.choice import INTEGRATION_OPTION_HELP, command_integration
from sync.integrations.models import Integration
from sync.mappings.engine import MappingValidationError
from sync.mappings.models import Flow, MappingVersion
from sync.mappings.services import versions as services
from sync.mappings.services.specs import version_spec

MOVES: dict[str, Callable[..., MappingVersion]] = {
    "submit": services.version_submit,
    "approve": services.version_approve,
    "reject": services.version_reject,
    "publish": services.version_publish,
}
CHANGES = ("draft", "import", "rollback", *MOVES)


def read_spec(path: Path) -> Any:
    """The mapping JSON in ``path`` (validated by the service)."""
    return command_json(path, command_file_text(path))


class Command(BaseCommand):
    help = "List, export, draft, import, submit, approve, reject, publish and roll back mapping versions."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("step", choices=["list", "export", *CHANGES])
        parser.add_argument("target", nargs="?", help="list/draft: a flow key; otherwise: the version id")
        parser.add_argument("file", nargs="?", help="import: the mapping JSON; export: where to write it")
        parser.add_argument("--user", help="the account that takes the step (required for changes)")
        parser.add_argument("--based-on", type=int, help="draft: copy this version id (default: published)")
        parser.add_argument("--notes", default="", help="draft: why this version exists")
        parser.add_argument("--reason", default="", help="submit/approve/reject/publish/rollback: why")
        parser.add_argument("--integration", help=f"list/draft: {INTEGRATION_OPTION_HELP}")

    def handle(self, *args: Any, **options: Any) -> None:
        step = options["step"]
        if step == "list":
            self._list(options["target"], command_integration(options["integration"]))
            return
        if step == "export":
            self._export(self._version(options["target"]), options["file"])
            return
        user = command_actor(options["user"])
        try:
            version = self._change(step, user, options)
        except MappingValidationError as error:
            raise CommandError(str(error)) from error
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from error
        except PermissionDenied as error:
            raise CommandError(f"refused: {error}") from error
        self.stdout.write(
            self.style.SUCCESS(f"{version} (id {version.pk}) is {version.get_status_display().lower()}")
        )

    def _change(self, step: str, user: User, options: dict[str, Any]) -> MappingVersion:
        if step == "draft":
            based_on = self._version(str(options["based_on"])) if options["based_on"] else None
            return services.version_create_draft(
                flow=self._flow(options["target"], command_integration(options["integration"])),
                user=user,
                based_on=based_on,
                notes=options["notes"],
            )
        version = self._version(options["target"])
        if step == "import":
            if not options["file"]:
                raise CommandError("import needs a file: mapping_version import ID FILE --user NAME")
            return services.version_import(version=version, spec=read_spec(Path(options["file"])), user=user)
        if step == "rollback":
            return services.version_rollback(to=version, user=user, reason=options["reason"])
        return MOVES[step](version=version, user=user, reason=options["reason"])

    def _list(self, flow: str | None, integration: Integration) -> None:
        versions = MappingVersion.objects.select_related("flow").filter(flow__integration=integration)
        versions = versions.order_by("flow__key", "-number")
        if flow:
            versions = versions.filter(flow__key=flow)
        for version in versions:
            objects = version.object_mappings.count()
            self.stdout.write(f"{version.pk:>5}  {version}  {version.status}  {objects} objects")

    def _export(self, version: MappingVersion, file: str | None) -> None:
        text = json.dumps(version_spec(version), indent=2, ensure_ascii=False)
        if file:
            Path(file).write_text(text + "\n", encoding="utf-8")
            self.stdout.write(self.style.SUCCESS(f"{version} written to {file}"))
        else:
            self.stdout.write(text)

    def _flow(self, key: str | None, integration: Integration) -> Flow:
        flows = Flow.objects.filter(integration=integration)
        flow = flows.filter(key=key or "").first()
        if flow is None:
            known = ", ".join(flows.order_by("key").values_list("key", flat=True))
            raise CommandError(f"no flow {key!r} in integration {integration.name} (flows: {known})")
        return flow

    def _version(self, target: str | None) -> MappingVersion:
        if not target or not target.isdigit():
            raise CommandError("give the version id (see: mapping_version list)")
        version = MappingVersion.objects.select_related("flow").filter(pk=int(target)).first()
        if version is None:
            raise CommandError(f"no mapping version {target}")
        return version
