"""The data migration that made lookup tables versioned: every table's entries as they were become its
first published version, so a running installation maps exactly as before."""

from __future__ import annotations

from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from sync.mappings.models import LookupVersion, VersionStatus
from sync.mappings.services.lookups import static_tables
from tests.sync.pipeline.conftest import THREADED_DB

BEFORE = [("sync", "0017_exception_overrides_sent"), ("governance", "0005_api_token")]


@THREADED_DB  # real commits: a migration cannot run inside the test's transaction
def test_existing_entries_become_the_first_published_version() -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    table = old.get_model("sync", "LookupTable").objects.create(name="country_to_subsidiary", revision=7)
    entry = old.get_model("sync", "LookupEntry")
    entry.objects.create(table=table, key="DE", value="3")
    entry.objects.create(table=table, key="FR", value={"id": "3"})

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    version = LookupVersion.objects.get(table__name="country_to_subsidiary")
    assert (version.number, version.status, version.table.revision) == (1, VersionStatus.PUBLISHED, 1)
    assert "revision 7" in version.notes
    assert static_tables()["country_to_subsidiary"] == {"DE": "3", "FR": {"id": "3"}}
