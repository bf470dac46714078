from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import dj_database_url
import pytest

# The seeded simulators and stored connections the sync tests use.
from tests.sync.conftest import (  # noqa: F401
    netsuite_sim,
    salesforce_sim,
    seeded_connections,
    seeded_simulators,
    simulator_dir,
)
from tests.sync.pipeline.conftest import ns, sf  # noqa: F401


@pytest.fixture
def soak_database_url() -> Iterator[str]:
    """'' (the driver's own SQLite file), or a PostgreSQL database of its own beside the suite's."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        yield ""
        return
    import psycopg
    from psycopg import sql

    config = dj_database_url.parse(url)
    name = f"concord_soak_{uuid.uuid4().hex[:10]}"
    yield url.rsplit("/", 1)[0] + "/" + name
    with psycopg.connect(
        dbname="postgres",
        user=config["USER"] or None,
        password=config["PASSWORD"] or None,
        host=config["HOST"] or None,
        port=config["PORT"] or None,
        autocommit=True,
    ) as server:
        server.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
