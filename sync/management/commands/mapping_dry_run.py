"""The dry run in the terminal: map one sandbox opportunity (by name or id) with a mapping version and
print what the sync would change in NetSuite's sandbox. Nothing is written anywhere.

``--mapping-version`` is the version's number in the flow (default: the published one). An unknown or
ambiguous opportunity, a broken draft or an unreachable sandbox ends with a message and exit status 1.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from sync.integrations.choice import INTEGRATION_OPTION_HELP, command_integration
from sync.integrations.models import Integration
from sync.mappings.engine import MappingValidationError
from sync.mappings.models import MappingVersion, VersionStatus
from sync.pipeline.preview import Preview, PreviewUnavailable, mapping_dry_run

FLOW = "opportunity_to_netsuite"


class Command(BaseCommand):
    help = "Map a sandbox opportunity (name or id) with a mapping version and show what would change."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("opportunity", help="the opportunity's Salesforce id or its name")
        parser.add_argument("--flow", default=FLOW, help=f"the flow's key (default {FLOW})")
        parser.add_argument(
            "--mapping-version", type=int, help="the version number (default: the published one)"
        )
        parser.add_argument("--json", action="store_true", help="print the whole preview as JSON")
        parser.add_argument("--integration", help=INTEGRATION_OPTION_HELP)

    def handle(self, *args: Any, **options: Any) -> None:
        integration = command_integration(options["integration"])
        version = self._version(options["flow"], options["mapping_version"], integration)
        try:
            preview = mapping_dry_run(version=version, opportunity=options["opportunity"])
        except PreviewUnavailable as error:
            raise CommandError(str(error)) from error
        except MappingValidationError as error:
            raise CommandError("; ".join(str(problem) for problem in error.problems)) from error
        if options["json"]:
            self.stdout.write(json.dumps(asdict(preview), indent=2, default=str))
        else:
            self._print(version, preview)

    @staticmethod
    def _version(flow: str, number: int | None, integration: Integration) -> MappingVersion:
        versions = MappingVersion.objects.select_related("flow").filter(
            flow__integration=integration, flow__key=flow
        )
        if number is None:
            version = versions.filter(status=VersionStatus.PUBLISHED).first()
            if version is None:
                raise CommandError(f"flow {flow!r} has no published version: name one with --mapping-version")
            return version
        version = versions.filter(number=number).first()
        if version is None:
            raise CommandError(f"flow {flow!r} has no version {number}")
        return version

    def _print(self, version: MappingVersion, preview: Preview) -> None:
        self.stdout.write(f"{version}: opportunity {preview.opportunity_name} ({preview.opportunity_id})")
        if not preview.won:
            self.stdout.write(
                f"  not won yet (stage {preview.stage}): the sync writes nothing for it today; "
                "below is what it would send once won"
            )
        for problem in preview.problems:
            self.stdout.write(f"  problem: {problem}")
        for record in preview.records:
            head = f"{record.object_key} -> {record.target_type} {record.external_id}"
            if not record.written:
                why = "create-only, never updated" if record.exists else "update-only, never created"
                self.stdout.write(f"{head}: nothing would change ({why})")
            elif not record.exists:
                self.stdout.write(f"{head}: not in NetSuite yet, the sync would create it")
            elif not record.differences:
                self.stdout.write(
                    f"{head}: NetSuite id {record.current and record.current['id']}, no changes"
                )
            else:
                netsuite_id = record.current and record.current["id"]
                count = len(record.differences)
                if record.unchanged_since_sync:
                    self.stdout.write(
                        f"{head}: NetSuite id {netsuite_id}, {count} field(s) changed in NetSuite since the "
                        "last sync (skipped until the Salesforce data changes)"
                    )
                else:
                    self.stdout.write(f"{head}: NetSuite id {netsuite_id}, {count} change(s)")
                for difference in record.differences:
                    label = "" if difference.change == "changed" else f" (line {difference.change})"
                    self.stdout.write(
                        f"  {difference.path}{label}: {difference.netsuite!r} -> {difference.mapped!r}"
                    )
