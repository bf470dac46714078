"""The batch runner evaluates the published rules of the integration its pair runs under, over HTTPS."""

from __future__ import annotations

from django.contrib.auth.models import User

from sync.connections.models import Connection
from sync.connections.services import salesforce_connector
from sync.integrations.models import Integration
from sync.pipeline.models import RecordStatus
from sync.pipeline.runner import run_batch
from sync.rules.services import rule_create, rule_version_approve, rule_version_publish, rule_version_submit
from tests.sync.pipeline.conftest import THREADED_DB

pytestmark = THREADED_DB


def _blocking_rule(integration: Integration, revops: User, finance: User) -> None:
    version = rule_create(
        user=revops,
        key="acme_holds_every_deal",
        integration=integration,
        name="Acme holds every deal",
        subject="opportunity",
        placement="pre_sale",
        severity="block",
        message="Acme's deals wait for the integration's go-live",
        condition="Amount < 0",
    )
    rule_version_submit(version=version, user=revops)
    rule_version_approve(version=version, user=finance, reason="acme is not live yet")
    rule_version_publish(version=version, user=finance)


def test_a_rule_of_one_integration_never_gates_another_integrations_pair(
    seeded_connections: tuple[Connection, Connection], revops: User, finance: User
) -> None:
    salesforce, netsuite = seeded_connections
    rows = salesforce_connector(salesforce).query(
        "SELECT Id FROM Opportunity WHERE IsWon = true ORDER BY Id LIMIT 2"
    )
    first, second = (str(row["Id"]) for row in rows)
    acme = Integration.objects.create(name="acme", namespace="ACQ")
    _blocking_rule(acme, revops, finance)

    # The pair is the primary's: acme's rule does not apply.
    job = run_batch(salesforce=salesforce, netsuite=netsuite, opportunity_ids=[first])
    record = job.records.get()
    assert record.status == RecordStatus.SYNCED, record.message

    # The same pair claimed by acme: its published rule blocks the deal.
    Integration.objects.filter(pk=acme.pk).update(
        salesforce_connection=salesforce, netsuite_connection=netsuite
    )
    job = run_batch(salesforce=salesforce, netsuite=netsuite, opportunity_ids=[second])
    record = job.records.get()
    assert record.status == RecordStatus.BLOCKED, (record.status, record.message)
    assert "Acme's deals wait" in record.message
