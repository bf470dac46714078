"""Every sync records the mapping version it ran: the flow's published one (integration)."""

from __future__ import annotations

from collections.abc import Callable

from sync.connections.connectors.salesforce import SalesforceConnector
from sync.connections.models import Connection
from sync.mappings.models import MappingVersion
from sync.mappings.services.seed import mapping_seed_defaults
from sync.pipeline.models import SyncRecord
from sync.pipeline.runner import run_batch
from tests.sync.pipeline.conftest import THREADED_DB, won_ids

pytestmark = THREADED_DB


def test_it_records_the_published_mapping_version_on_every_job_and_record(
    seeded_connections: tuple[Connection, Connection],
    sf: SalesforceConnector,
    netsuite_count: Callable[[str, str], int],
) -> None:
    mapping_seed_defaults()
    published = MappingVersion.objects.get(flow__key="opportunity_to_netsuite", status="published")
    opportunity_id = won_ids(sf)[0]
    job = run_batch(
        salesforce=seeded_connections[0], netsuite=seeded_connections[1], opportunity_ids=[opportunity_id]
    )
    assert job.mapping_version_id == published.pk
    assert list(SyncRecord.objects.filter(job=job).values_list("mapping_version_id", flat=True)) == [
        published.pk
    ]
    assert netsuite_count("transaction", opportunity_id) == 1
