"""Connectors built from stored connections reach the simulators over HTTPS (integration)."""

from __future__ import annotations

from sync.connections.models import Connection
from sync.connections.services import connection_secrets, netsuite_connector, salesforce_connector


def test_it_reads_salesforce_through_a_stored_connection(
    seeded_connections: tuple[Connection, Connection],
) -> None:
    connector = salesforce_connector(seeded_connections[0])
    rows = list(connector.query("SELECT Id, Name FROM Account LIMIT 3"))
    assert rows and all(row["Id"].startswith("001") for row in rows)


def test_it_reads_netsuite_through_a_stored_connection(
    seeded_connections: tuple[Connection, Connection],
) -> None:
    connector = netsuite_connector(seeded_connections[1])
    rows = list(connector.suiteql("SELECT id, name FROM subsidiary"))
    assert rows and {"id", "name"} <= set(rows[0])


def test_it_keeps_secrets_encrypted_at_rest(netsuite_connection: Connection) -> None:
    stored = Connection.objects.values_list("secrets", flat=True).get(pk=netsuite_connection.pk)
    assert stored.startswith("fernet:") and "concord-demo-token-secret" not in stored
    assert connection_secrets(netsuite_connection)["token_secret"] == "concord-demo-token-secret"
    assert netsuite_connection.secret_keys == ["consumer_secret", "token_id", "token_secret"]
