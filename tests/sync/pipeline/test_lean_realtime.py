"""A lone opportunity on a warm connection (issue 26 point 2), over real HTTPS against both simulators: the
requests it costs, and the per-connection caches behind that count dropped when what they depend on
changes (the second day: the connection edited, the sessions expired, an item changed in NetSuite).

Requests are read from the simulators' own request logs (``/_control/requests``), so every request counts:
sign-ins, checks, searches, writes, the write-back.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from unittest import mock

import pytest
from django.contrib.auth.models import User

from simulators.core.runner import RunningSimulator
from sync.catalogue.services import catalogue_sync_run
from sync.connections.connectors.netsuite import NetSuiteConnector
from sync.connections.connectors.salesforce import SalesforceConnector
from sync.connections.connectors.transport import ConnectorSession
from sync.connections.models import Connection
from sync.connections.services import connection_update
from sync.mappings.services.seed import mapping_seed_defaults
from sync.pipeline.models import JobStatus, RecordStatus, SyncRecord
from sync.pipeline.runner import run_batch
from tests.simulators.conftest import https_session
from tests.sync.full_graph import FULL_GRAPH
from tests.sync.pipeline.conftest import THREADED_DB

pytestmark = THREADED_DB
ENVIRONMENT_CHECK = '{"q": "SELECT id FROM customer"}'  # the NetSuite connector's first request (body)


class Log:
    """One simulator's request log."""

    def __init__(self, running: RunningSimulator) -> None:
        self.url = running.url + "/_control/requests"
        self.session = https_session(running.ca_file)

    def clear(self) -> None:
        self.session.delete(self.url).raise_for_status()

    def take(self) -> list[dict[str, Any]]:
        """The requests since the last take (or clear)."""
        answer = self.session.get(self.url)
        answer.raise_for_status()
        self.clear()
        return list(answer.json()["requests"])


@pytest.fixture
def logs(seeded_simulators: tuple[RunningSimulator, RunningSimulator]) -> Iterator[tuple[Log, Log]]:
    salesforce, netsuite = Log(seeded_simulators[0]), Log(seeded_simulators[1])
    yield salesforce, netsuite


@pytest.fixture
def graphs(seeded_connections: tuple[Connection, Connection], sf: SalesforceConnector) -> dict[str, Any]:
    """Every won opportunity's graph, by id (read once, before the runs counted)."""
    mapping_seed_defaults()
    ids = [row["Id"] for row in sf.query("SELECT Id FROM Opportunity WHERE IsWon = true ORDER BY Id")]
    return sf.fetch_opportunity_graphs(ids, FULL_GRAPH)


def _skus(graph: dict[str, Any]) -> set[str]:
    return {str(line["SBQQ__ProductCode__c"]) for line in (graph["primary_quote"] or {}).get("lines") or []}


def _packaged(graph: dict[str, Any]) -> bool:
    lines = (graph["primary_quote"] or {}).get("lines") or []
    return any(line.get("SBQQ__RequiredBy__c") for line in lines)


def _by_account(graphs: dict[str, Any]) -> dict[str, list[str]]:
    accounts: dict[str, list[str]] = {}
    for opportunity_id, graph in sorted(graphs.items()):
        accounts.setdefault(graph["AccountId"], []).append(opportunity_id)
    return accounts


def _sync(connections: tuple[Connection, Connection], opportunity_id: str) -> SyncRecord:
    salesforce, netsuite = connections
    job = run_batch(salesforce=salesforce, netsuite=netsuite, opportunity_ids=[opportunity_id])
    record = job.records.get()
    assert job.status == JobStatus.SUCCEEDED and record.status == RecordStatus.SYNCED, record.message
    return record


def _described(requests: list[dict[str, Any]]) -> list[str]:
    return [f"{r['method']} {r['path']} {r['detail'][:60]}" for r in requests]


def test_a_lone_opportunity_on_a_warm_connection_costs_at_most_3_salesforce_and_7_netsuite_requests(
    seeded_connections: tuple[Connection, Connection],
    graphs: dict[str, Any],
    logs: tuple[Log, Log],
) -> None:
    sf_log, ns_log = logs
    accounts = _by_account(graphs)
    # An account with two won opportunities; warm: the other accounts' first (sign-ins, environment
    # checks, their SKUs' item ids).
    twice = next(ids for ids in accounts.values() if len(ids) >= 2 and _packaged(graphs[ids[0]]))
    first, second = twice[:2]
    warm = [ids[0] for ids in accounts.values() if ids is not twice]
    assert _skus(graphs[first]) | _skus(graphs[second]) <= set().union(*(_skus(graphs[i]) for i in warm))
    salesforce, netsuite = seeded_connections
    run_batch(salesforce=salesforce, netsuite=netsuite, opportunity_ids=warm)
    sf_log.clear()
    ns_log.clear()

    # A new account: its customer and contacts searched for (one UNION ALL query for both record types),
    # then written, with the billing account, the order, its subscription and the activation.
    record = _sync(seeded_connections, first)
    sf_requests, ns_requests = sf_log.take(), ns_log.take()
    assert len(sf_requests) == 3, _described(sf_requests)  # the graph (2 reads) and one write-back
    assert [r["method"] for r in sf_requests] == ["GET", "GET", "PATCH"]
    searches = [r for r in ns_requests if r["path"].endswith("/suiteql")]
    assert len(searches) == 1, _described(searches)  # matching, one request for customer and contacts
    query = searches[0]["detail"]  # the log keeps a query up to 4,000 characters: this one whole
    assert query.startswith('{"q": "SELECT \'contact\' AS kind, ') and " ... " not in query
    assert " UNION ALL SELECT 'customer' AS kind, " in query and "LOWER(c.companyname) LIKE" in query
    # Everything else is a write: nothing is read back, nothing is asked twice.
    writes = [r for r in ns_requests if r["method"] in ("PUT", "PATCH", "POST") and r not in searches]
    assert len(writes) == record.writes and len(ns_requests) == len(searches) + len(writes), _described(
        ns_requests
    )
    assert all(r["detail"] != ENVIRONMENT_CHECK for r in ns_requests)

    # The account's next opportunity: its customer, contacts and billing account are known (their
    # cross-references say what NetSuite holds), so only what is new is written.
    record = _sync(seeded_connections, second)
    sf_requests, ns_requests = sf_log.take(), ns_log.take()
    assert len(sf_requests) <= 3, _described(sf_requests)
    assert len(ns_requests) <= 7, _described(ns_requests)
    assert not [r for r in ns_requests if r["path"].endswith("/suiteql")], "no search for known records"
    assert record.writes_skipped >= 2  # the customer and the billing account, unchanged


def test_a_lone_opportunitys_job_sends_on_the_netsuite_sessions_earlier_jobs_gave_back(
    seeded_connections: tuple[Connection, Connection], graphs: dict[str, Any]
) -> None:
    # Each job has its own connector and threads; their sessions (TLS connections) are the process's.
    first, *warm = [ids[0] for ids in _by_account(graphs).values()]
    salesforce, netsuite = seeded_connections
    run_batch(salesforce=salesforce, netsuite=netsuite, opportunity_ids=warm)
    made: list[str] = []

    class Counted(ConnectorSession):
        def __init__(self, **kwargs: Any) -> None:
            made.append(kwargs.get("system", ""))
            super().__init__(**kwargs)

    with mock.patch("sync.connections.connectors.netsuite.ConnectorSession", Counted):
        record = _sync(seeded_connections, first)
    assert record.writes >= 4  # customer, contacts, billing account, order...: all on kept sessions
    assert made == []


def test_an_edited_connection_signs_in_and_is_checked_again(
    seeded_connections: tuple[Connection, Connection],
    seeded_simulators: tuple[RunningSimulator, RunningSimulator],
    graphs: dict[str, Any],
    logs: tuple[Log, Log],
    admin: User,
) -> None:
    sf_log, ns_log = logs
    first, second, third, fourth = [ids[0] for ids in _by_account(graphs).values()][:4]
    _sync(seeded_connections, first)
    sf_log.clear()
    ns_log.clear()
    _sync(seeded_connections, second)
    assert not [r for r in sf_log.take() if r["path"].endswith("/oauth2/token")]
    assert not [r for r in ns_log.take() if r["detail"] == ENVIRONMENT_CHECK]

    # The second day: an admin edits both connections (any saved change is a new version).
    salesforce, netsuite = seeded_connections
    edited = (
        connection_update(actor=admin, connection=salesforce, read_timeout=90.0),
        connection_update(actor=admin, connection=netsuite, read_timeout=90.0),
    )
    _sync(edited, third)
    requests = sf_log.take()
    assert [r["path"].rsplit("/", 1)[-1] for r in requests[:1]] == ["token"]  # signed in afresh
    assert "IsSandbox" in requests[1]["detail"]  # and the org checked again
    assert [r["detail"] for r in ns_log.take()][:1] == [ENVIRONMENT_CHECK]

    # Salesforce ends every session (a password change, an admin's revoke): refused once, signed in again.
    running = seeded_simulators[0]
    expire = running.url + "/_control/salesforce/expire-sessions"
    https_session(running.ca_file).post(expire).raise_for_status()
    _sync(edited, fourth)
    statuses = [(r["path"].rsplit("/", 1)[-1], r["status"]) for r in sf_log.take()]
    assert statuses[:2] == [("", 401), ("token", 200)], statuses


def test_an_item_changed_in_netsuite_is_used_once_the_catalogue_sync_has_seen_it(
    seeded_connections: tuple[Connection, Connection],
    graphs: dict[str, Any],
    logs: tuple[Log, Log],
    ns: NetSuiteConnector,
) -> None:
    sf_log, ns_log = logs
    salesforce, netsuite = seeded_connections
    sku = "SVC-ONB"
    with_sku = [ids[0] for ids in _by_account(graphs).values() if sku in _skus(graphs[ids[0]])]
    first, second = with_sku[:2]
    assert catalogue_sync_run(salesforce=salesforce, netsuite=netsuite, full=True).failed == 0
    _sync(seeded_connections, first)
    ns_log.clear()
    (old,) = ns.suiteql(f"SELECT id FROM item WHERE itemid = '{sku}'")  # noqa: S608

    # The second day: the service gets a new item in NetSuite (the old one renamed), and the catalogue
    # sync reads the change (its watermark moves: the version the item ids are kept by).
    ns.patch("serviceSaleItem", str(old["id"]), {"itemId": f"{sku}-2025"})
    new = ns.create("serviceSaleItem", {"itemId": sku, "displayName": "Onboarding (new)", "basePrice": 1500})
    assert catalogue_sync_run(salesforce=salesforce, netsuite=netsuite).read >= 2
    ns_log.clear()

    record = _sync(seeded_connections, second)
    asked = [r["detail"] for r in ns_log.take() if "FROM item" in r["detail"]]
    assert len(asked) == 1 and f"'{sku}'" in asked[0]  # the SKUs asked again
    order = ns.get("salesOrder", record.netsuite_ids["sales_order"], expand=True)
    items = {line["item"]["id"] for line in order["item"]["items"]}
    assert new in items and str(old["id"]) not in items
