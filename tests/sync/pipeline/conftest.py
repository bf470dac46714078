from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.apps import apps

from sync.connections.connectors.netsuite import NetSuiteConnector
from sync.connections.connectors.salesforce import SalesforceConnector
from sync.connections.models import Connection
from sync.connections.services import netsuite_connector, salesforce_connector
from tests.sync.full_graph import FULL_GRAPH

# Tests whose worker threads use the database need real commits (transaction=True). Naming every app as
# available makes Django's flush truncate with CASCADE: on PostgreSQL auditlog's own (swapped-out) log
# table still references auth_user, and a plain TRUNCATE of auth_user is refused.
THREADED_DB = pytest.mark.django_db(
    transaction=True,
    available_apps=[config.name for config in apps.get_app_configs()],
)


@pytest.fixture
def sf(seeded_connections: tuple[Connection, Connection]) -> SalesforceConnector:
    return salesforce_connector(seeded_connections[0])


@pytest.fixture
def ns(seeded_connections: tuple[Connection, Connection]) -> NetSuiteConnector:
    return netsuite_connector(seeded_connections[1], limited=False)


@pytest.fixture
def netsuite_count(ns: NetSuiteConnector) -> Callable[[str, str], int]:
    """How many records of a type NetSuite holds with a given external id."""

    def count(record_type: str, external_id: str) -> int:
        escaped = external_id.replace("'", "''")
        rows = list(ns.suiteql(f"SELECT id FROM {record_type} WHERE externalid = '{escaped}'"))  # noqa: S608
        return len(rows)

    return count


def won_ids(sf: SalesforceConnector) -> list[str]:
    return [row["Id"] for row in sf.query("SELECT Id FROM Opportunity WHERE IsWon = true ORDER BY Id")]


def graph_of(sf: SalesforceConnector, opportunity_id: str) -> dict[str, Any]:
    return sf.fetch_opportunity_graphs([opportunity_id], FULL_GRAPH)[opportunity_id]
