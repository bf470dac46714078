"""``python -m simulators {salesforce,netsuite,seed} ...``: run a simulator or seed their data."""

from __future__ import annotations

import argparse
import sys

from simulators.core.runner import SimulatorSpec, add_common_arguments, serve_forever
from simulators.registry import all_specs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m simulators", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    specs: dict[str, SimulatorSpec] = {spec.name: spec for spec in all_specs()}
    for spec in specs.values():
        sub = commands.add_parser(spec.name, help=f"serve the {spec.name} simulator over HTTPS")
        add_common_arguments(sub, spec.default_port)
        spec.add_arguments(sub)
    seed_parser = commands.add_parser(
        "seed", help="write a deterministic data set into both simulators' stores"
    )
    from simulators.seed import add_arguments as add_seed_arguments
    from simulators.seed import run as run_seed

    add_seed_arguments(seed_parser)
    options = vars(parser.parse_args(argv))
    command = options.pop("command")
    if command == "seed":
        return run_seed(options)
    serve_forever(specs[command], options)
    return 0


if __name__ == "__main__":
    sys.exit(main())
