from __future__ import annotations

# The seeded simulators and stored connections the sync tests use.
from tests.sync.conftest import (  # noqa: F401
    netsuite_sim,
    salesforce_sim,
    seeded_connections,
    seeded_simulators,
    simulator_dir,
)
from tests.sync.pipeline.conftest import ns, sf  # noqa: F401
