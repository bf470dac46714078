"""The simulators this package serves."""

from __future__ import annotations

from simulators.core.runner import SimulatorSpec


def all_specs() -> list[SimulatorSpec]:
    from simulators.netsuite.spec import SPEC as NETSUITE
    from simulators.salesforce.spec import SPEC as SALESFORCE

    return [SALESFORCE, NETSUITE]
