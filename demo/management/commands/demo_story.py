"""``manage.py demo_story``: play a few simulated weeks of business through the real pipeline, once."""

from __future__ import annotations

import io
import time
from pathlib import Path
from typing import Any

import requests
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from demo.launcher import SimulatorPlan, demo_connections_ensure, demo_rules_ensure
from demo.story import Story, StoryPlan, story_played


class Command(BaseCommand):
    help = (
        "Play the demo's story against the running simulators: deals closed and synced, orders billed "
        "and paid, rules published, exceptions worked, a reconciliation run, over simulated weeks "
        "(once per database; `make demo` runs it before the console opens)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        default = SimulatorPlan.default()
        story = StoryPlan()
        parser.add_argument(
            "--data-dir",
            type=Path,
            default=default.data_dir,
            help="the simulators' (for their CA certificate)",
        )
        parser.add_argument("--salesforce-port", type=int, default=default.salesforce_port)
        parser.add_argument("--netsuite-port", type=int, default=default.netsuite_port)
        parser.add_argument("--days", type=int, default=story.days, help="simulated days, ending today")
        parser.add_argument("--deals-per-day", type=int, default=story.deals_per_day)

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError(
                "the demo story runs with DEBUG=1 on a demo database; it is not for production"
            )
        if options["days"] < 5 or options["deals_per_day"] < 1:
            raise CommandError("the story needs at least 5 days and 1 deal a day")
        if story_played():
            self.stdout.write(
                "The demo story has already played here (Concord has sync jobs): nothing to do."
            )
            return
        plan = SimulatorPlan(
            data_dir=options["data_dir"].resolve(),
            salesforce_port=options["salesforce_port"],
            netsuite_port=options["netsuite_port"],
        )
        _simulators_answer(plan)
        # What `manage.py demo` sets up first; all idempotent, so the story also runs on its own.
        call_command("seed_personas", quiet_logins=True, stdout=io.StringIO())
        demo_connections_ensure(plan)
        call_command("mapping_seed_defaults", verbosity=0, stdout=io.StringIO())
        demo_rules_ensure()
        started = time.monotonic()
        self.stdout.write(f"Playing the demo story ({options['days']} simulated days)...")
        log = Story(
            simulators=plan, plan=StoryPlan(days=options["days"], deals_per_day=options["deals_per_day"])
        ).play(say=self.stdout.write)
        self.stdout.write("\n".join(log.lines()))
        self.stdout.write(f"  ({time.monotonic() - started:.0f} s)")


def _simulators_answer(plan: SimulatorPlan) -> None:
    session = requests.Session()
    session.trust_env = False
    session.verify = str(plan.ca_file)
    for name, port in (("salesforce", plan.salesforce_port), ("netsuite", plan.netsuite_port)):
        try:
            session.get(f"{plan.url(port)}/_control/{name}", timeout=5).raise_for_status()
        except requests.RequestException as error:
            raise CommandError(
                f"the {name} simulator does not answer at {plan.url(port)} ({error.__class__.__name__}); "
                "start both with `manage.py simulate` (or run `make demo`, which plays the story itself)"
            ) from error
