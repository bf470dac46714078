"""``make demo``: migrate, seed personas and simulators, then run everything until Ctrl-C."""

from __future__ import annotations

import io
import logging.config
import os
import signal
import socket
import sys
import threading
import time
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from console.log_format import logging_config
from console.management.commands.seed_personas import demo_password, persona_logins
from demo.launcher import (
    SimulatorPlan,
    demo_connections_ensure,
    demo_listener_ensure,
    demo_rules_ensure,
    simulator_commands,
    simulator_data_ensure,
    simulator_sign_ins,
)
from demo.processes import ChildCommand, ChildProcesses, quiet_environment


def demo_commands(*, host: str, port: int, plan: SimulatorPlan | None = None) -> list[ChildCommand]:
    """Everything the demo runs side by side; each entry is one long-lived process (group)."""
    manage = [sys.executable, str(settings.BASE_DIR / "manage.py")]
    return [
        ChildCommand("web", [*manage, "runserver", f"{host}:{port}", "--noreload"]),
        ChildCommand("worker", [*manage, "qcluster"]),
        *simulator_commands(plan or SimulatorPlan.default()),
    ]


class Command(BaseCommand):
    help = "Run the demo: migrate, create the personas, serve the console with a worker; Ctrl-C stops all."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--accounts", type=int, default=50, help="accounts seeded into the simulators")
        default = SimulatorPlan.default()
        parser.add_argument("--salesforce-port", type=int, default=default.salesforce_port)
        parser.add_argument("--netsuite-port", type=int, default=default.netsuite_port)
        parser.add_argument(
            "--no-story",
            action="store_true",
            help="open the console on an empty history (the story is otherwise played once, see demo_story)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError("the demo runs with DEBUG=1 (make demo sets it); it is not for production")
        host, port = options["host"], options["port"]
        environment = quiet_environment(os.environ)
        # This process runs the story and the setup below: the same quiet terminal as its children.
        logging.config.dictConfig(
            logging_config(
                log_format=settings.LOG_FORMAT, level=environment["LOG_LEVEL"], quiet_requests=True
            )
        )
        plan = self._setup(options)

        stop = threading.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: stop.set())

        children = ChildProcesses(demo_commands(host=host, port=port, plan=plan), env=environment)
        # The simulators first: the story plays against them before the console and its worker start.
        children.start([command.name for command in simulator_commands(plan)])
        exit_code = 0
        try:
            simulators_up = all(
                _wait_for_port(plan.host, p, stop=stop, timeout=30)
                for p in (plan.salesforce_port, plan.netsuite_port)
            )
            if simulators_up and not options["no_story"] and not stop.is_set():
                self._story(plan)
            children.start()
            if simulators_up and _wait_for_port(host, port, stop=stop, timeout=30):
                endpoint = demo_listener_ensure(plan, console_url=f"http://{host}:{port}")
                self.stdout.write(f"Closed Won opportunities in the Salesforce simulator post to {endpoint}")
                self.stdout.write(self.style.SUCCESS(f"\nConcord is running at http://{host}:{port}/"))
                self.stdout.write(persona_logins(demo_password()))
                self.stdout.write(simulator_sign_ins(plan))
                self.stdout.write("Press Ctrl-C to stop everything.\n")
            while not stop.wait(0.5):
                exited = children.first_exited()
                if exited is not None:
                    self.stderr.write(f"{exited.command.name} stopped (exit {exited.process.returncode}).")
                    exit_code = 1
                    break
        finally:
            self.stdout.write("Stopping: " + ", ".join(command.name for command in children.commands))
            children.stop()
            survivors = children.alive()
            if survivors:
                self.stderr.write("Still running: " + ", ".join(survivors))
                exit_code = 1
            else:
                self.stdout.write("All stopped.")
        if exit_code:
            raise SystemExit(exit_code)

    def _setup(self, options: dict[str, Any]) -> SimulatorPlan:
        """Everything before the processes start (idempotent): database, personas, schedules, simulator
        data, connections, mappings and rules."""
        settings.VAR_DIR.mkdir(parents=True, exist_ok=True)
        call_command("migrate", interactive=False, verbosity=0)
        self.stdout.write("Database migrated.")
        call_command("seed_personas", quiet_logins=True)
        call_command("exceptions_schedules_ensure", stdout=io.StringIO())
        call_command("audit_schedules_ensure", stdout=io.StringIO())
        # The daily reconciliation and the sweeps that find interrupted reconciliation and release test runs.
        call_command("reconciliation_schedules_ensure", stdout=io.StringIO())
        call_command("release_test_sweep", "--ensure-schedule", stdout=io.StringIO())
        plan = SimulatorPlan(
            data_dir=SimulatorPlan.default().data_dir,
            salesforce_port=options["salesforce_port"],
            netsuite_port=options["netsuite_port"],
        )
        for system, counts in simulator_data_ensure(plan, accounts=options["accounts"]).items():
            self.stdout.write(
                f"Seeded the {system} simulator: " + ", ".join(f"{n} {k}" for k, n in counts.items())
            )
        demo_connections_ensure(plan)
        self.stdout.write(
            f"Sandbox connections: Salesforce {plan.url(plan.salesforce_port)}, "
            f"NetSuite {plan.url(plan.netsuite_port)} (CA {plan.ca_file})"
        )
        call_command("mapping_seed_defaults", verbosity=0, stdout=io.StringIO())
        if demo_rules_ensure() and options["no_story"]:
            self.stdout.write(
                "Shipped business rules installed as RevOps drafts: approve them at /sync/rules/."
            )
        call_command("sync_schedules_ensure", stdout=io.StringIO())
        return plan

    def _story(self, plan: SimulatorPlan) -> None:
        """Play the story once (demo_story); a story that fails leaves the console to open anyway."""
        try:
            call_command(
                "demo_story",
                data_dir=plan.data_dir,
                salesforce_port=plan.salesforce_port,
                netsuite_port=plan.netsuite_port,
                stdout=self.stdout,
            )
        except Exception as error:  # the demo still opens: say what stopped the story
            self.stderr.write(f"The demo story stopped: {error.__class__.__name__}: {error}")


def _wait_for_port(host: str, port: int, *, stop: threading.Event, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not stop.is_set():
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.2)
    return False
