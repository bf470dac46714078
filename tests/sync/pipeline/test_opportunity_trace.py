"""The trace of one opportunity (``/sync/trace/<id>/``) over a real pipeline run: its NetSuite table lists
the records that deal's syncs wrote, and nothing of another deal, even one of the same account.

Transactional: the worker threads take NetSuite request slots through the database limiter.
"""

from __future__ import annotations

from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from sync.connections.connectors.salesforce import SalesforceConnector
from sync.connections.models import Connection
from sync.pipeline.models import CrossReference, JobStatus
from sync.pipeline.runner import run_batch
from sync.pipeline.selectors import opportunity_trace
from tests.sync.pipeline.conftest import THREADED_DB, won_ids

pytestmark = THREADED_DB


def test_it_lists_only_the_netsuite_records_of_the_traced_deal(
    seeded_connections: tuple[Connection, Connection],
    sf: SalesforceConnector,
    revops: User,
    revops_client: Client,
) -> None:
    salesforce, netsuite = seeded_connections
    accounts: dict[str, list[str]] = {}
    for row in sf.query("SELECT Id, AccountId FROM Opportunity WHERE IsWon = true ORDER BY Id"):
        accounts.setdefault(row["AccountId"], []).append(row["Id"])
    deal, second_deal = next(ids for ids in accounts.values() if len(ids) >= 2)[:2]
    # Every won deal: NetSuite numbers each record type from 1, so other deals' ids collide with this one's.
    job = run_batch(salesforce=salesforce, netsuite=netsuite, opportunity_ids=won_ids(sf))
    assert job.status == JobStatus.SUCCEEDED
    records = {record.opportunity_id: record for record in job.records.all()}
    # Run again: a second job of the same deals (all unchanged) is traced too.
    run_batch(salesforce=salesforce, netsuite=netsuite, opportunity_ids=[deal, second_deal])

    def written(opportunity_id: str) -> set[tuple[str, str]]:
        ids = records[opportunity_id].netsuite_ids
        return {(key.split("[")[0], netsuite_id) for key, netsuite_id in ids.items()}

    xrefs = opportunity_trace(user=revops, opportunity_id=deal)["xrefs"]
    assert isinstance(xrefs, list)
    listed = {(x.object_key, x.netsuite_id) for x in xrefs}
    assert listed == written(deal)
    # The second deal of the same account shares its customer, contact and billing account, not its order
    # or subscriptions; those (and every other deal's records) stay off this deal's trace.
    assert ("sales_order", records[second_deal].netsuite_ids["sales_order"]) not in listed
    assert written(second_deal) - written(deal)
    assert not (written(second_deal) - written(deal)) & listed
    others = CrossReference.objects.exclude(salesforce_id__in=[deal]).filter(object_key="sales_order")
    assert others.count() == len(records) - 1

    page = revops_client.get(reverse("sync:trace", args=[deal])).content.decode()
    assert f"<td>salesOrder</td><td>{deal}</td>" in page  # its sales order, by external id
    # No other deal's order is on the page. (A record the account's deals share, its billing account,
    # names the deal whose sync wrote it first: either of the two, as the batch's threads ran.)
    for other in records:
        if other != deal:
            assert f"<td>salesOrder</td><td>{other}</td>" not in page, other
    shared = {key for key, _ in written(deal) & written(second_deal)}
    assert shared and "sales_order" not in shared
