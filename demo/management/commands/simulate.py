"""``manage.py simulate``: serve both simulators (seeded on first start) until Ctrl-C."""

from __future__ import annotations

import signal
import threading
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from demo.launcher import SimulatorPlan, simulator_commands, simulator_data_ensure
from demo.processes import ChildProcesses


class Command(BaseCommand):
    help = "Serve the Salesforce and NetSuite simulators over HTTPS (seeding them first if empty)."

    def add_arguments(self, parser: CommandParser) -> None:
        default = SimulatorPlan.default()
        parser.add_argument("--data-dir", type=Path, default=default.data_dir)
        parser.add_argument("--salesforce-port", type=int, default=default.salesforce_port)
        parser.add_argument("--netsuite-port", type=int, default=default.netsuite_port)
        parser.add_argument("--accounts", type=int, default=50, help="accounts to seed into empty stores")

    def handle(self, *args: Any, **options: Any) -> None:
        plan = SimulatorPlan(
            data_dir=options["data_dir"].resolve(),
            salesforce_port=options["salesforce_port"],
            netsuite_port=options["netsuite_port"],
        )
        for system, counts in simulator_data_ensure(plan, accounts=options["accounts"]).items():
            self.stdout.write(f"Seeded {system}: " + ", ".join(f"{n} {kind}" for kind, n in counts.items()))
        self.stdout.write(f"CA certificate: {plan.ca_file}")
        stop = threading.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: stop.set())
        children = ChildProcesses(simulator_commands(plan))
        children.start()
        try:
            self.stdout.write(
                f"Salesforce: {plan.url(plan.salesforce_port)}  NetSuite: {plan.url(plan.netsuite_port)}"
                "  (Ctrl-C stops both)"
            )
            while not stop.wait(0.5):
                exited = children.first_exited()
                if exited is not None:
                    self.stderr.write(f"{exited.command.name} stopped (exit {exited.process.returncode}).")
                    raise SystemExit(1)
        finally:
            children.stop()
