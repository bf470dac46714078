from __future__ import annotations

# The pipeline's fixtures (connectors to the seeded simulators), for the sweep's tests.
from tests.sync.pipeline.conftest import netsuite_count, ns, sf  # noqa: F401
