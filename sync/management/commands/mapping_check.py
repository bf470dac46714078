"""Check a mapping version as the editor does: the engine's problems, then the check against the sandbox
connections' cached metadata (sources in the org, types, targets writable, required fields, values).

Prints one problem a line with its severity; exit status 1 when any is an error (what refuses submit and
publish), 0 otherwise. ``--mapping-version`` is the version's number in the flow (default: the newest).
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from sync.integrations.choice import INTEGRATION_OPTION_HELP, command_integration
from sync.mappings.models import MappingVersion
from sync.mappings.services.specs import problem_json, spec_all_problems, version_spec

FLOW = "opportunity_to_netsuite"


class Command(BaseCommand):
    help = "Check a mapping version against the engine and the connected systems' metadata."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--flow", default=FLOW, help=f"the flow's key (default {FLOW})")
        parser.add_argument("--mapping-version", type=int, help="the version number (default: the newest)")
        parser.add_argument("--json", action="store_true", help="print the problems as JSON")
        parser.add_argument("--integration", help=INTEGRATION_OPTION_HELP)

    def handle(self, *args: Any, **options: Any) -> None:
        integration = command_integration(options["integration"])
        versions = MappingVersion.objects.select_related("flow").filter(
            flow__integration=integration, flow__key=options["flow"]
        )
        if options["mapping_version"] is not None:
            versions = versions.filter(number=options["mapping_version"])
        version = versions.order_by("-number").first()
        if version is None:
            raise CommandError(f"flow {options['flow']!r} has no such version")
        problems = [
            problem_json(problem) for problem in spec_all_problems(version_spec(version), integration)
        ]
        if options["json"]:
            self.stdout.write(json.dumps(problems, indent=2))
        else:
            for problem in problems:
                self.stdout.write(f"{problem['severity']:7} {problem['text']}")
            errors = sum(1 for problem in problems if problem["severity"] == "error")
            self.stdout.write(f"{version}: {len(problems)} problem(s), {errors} error(s)")
        if any(problem["severity"] == "error" for problem in problems):
            raise CommandError("the version has errors: it cannot be submitted or published as it is")
