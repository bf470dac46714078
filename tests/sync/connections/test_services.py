"""Connection services: who may change connections, and where secrets must never show up."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from cryptography.fernet import Fernet
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command
from django.forms.models import model_to_dict
from django.test import override_settings

from core.secrets import SecretUnreadable, encrypt
from governance.models import AuditEntry
from sync.connections.connectors.transport import RequestRecord
from sync.connections.models import Connection
from sync.connections.services import (
    connection_create,
    connection_deactivate,
    connection_secrets,
    connection_update,
    netsuite_connector,
    salesforce_connector,
)

TOKEN_SECRET = "ns-token-secret-plaintext-7d1e"

NETSUITE_FIELDS: dict[str, Any] = {
    "name": "ns-prod",
    "kind": "netsuite",
    "environment": "production",
    "base_url": "https://1234567.suitetalk.api.netsuite.com",
    "auth_method": "ns_token",
    "account_id": "1234567",
    "client_id": "consumer-key",
}
NETSUITE_SECRETS = {"consumer_secret": "cs-plain-1", "token_id": "tid-plain-1", "token_secret": TOKEN_SECRET}


def _every_audit_text() -> str:
    """Everything the audit trail holds, every column of every entry, as one string."""
    return "\n".join(json.dumps(model_to_dict(entry), default=str) for entry in AuditEntry.objects.all())


def test_it_creates_a_connection_with_encrypted_secrets(admin: User) -> None:
    connection = connection_create(actor=admin, secrets=NETSUITE_SECRETS, **NETSUITE_FIELDS)
    assert connection.pk and connection.secret_keys == ["consumer_secret", "token_id", "token_secret"]
    assert connection.secrets_changed_at is not None
    assert connection_secrets(connection) == NETSUITE_SECRETS
    assert TOKEN_SECRET not in Connection.objects.values_list("secrets", flat=True).get()


@pytest.mark.parametrize("persona", ["revops", "finance", "auditor", "outsider"])
def test_it_refuses_everyone_but_admins(persona: str, request: pytest.FixtureRequest, admin: User) -> None:
    actor: User = request.getfixturevalue(persona)
    with pytest.raises(PermissionDenied):
        connection_create(actor=actor, secrets=NETSUITE_SECRETS, **NETSUITE_FIELDS)
    connection = connection_create(actor=admin, secrets=NETSUITE_SECRETS, **NETSUITE_FIELDS)
    with pytest.raises(PermissionDenied):
        connection_update(actor=actor, connection=connection, base_url="https://evil.example")
    with pytest.raises(PermissionDenied):
        connection_deactivate(actor=actor, connection=connection)
    assert Connection.objects.get().base_url == NETSUITE_FIELDS["base_url"]


def test_it_keeps_a_secret_left_blank_and_dates_a_changed_one(admin: User) -> None:
    connection = connection_create(actor=admin, secrets=NETSUITE_SECRETS, **NETSUITE_FIELDS)
    first = connection.secrets_changed_at
    connection = connection_update(
        actor=admin,
        connection=connection,
        secrets={"token_secret": "", "consumer_secret": ""},
        read_timeout=60,
    )
    assert connection_secrets(connection) == NETSUITE_SECRETS and connection.secrets_changed_at == first
    connection = connection_update(actor=admin, connection=connection, secrets={"token_secret": "fresh"})
    assert connection_secrets(connection)["token_secret"] == "fresh"
    assert connection.secrets_changed_at is not None and first is not None
    assert connection.secrets_changed_at > first


def test_it_validates_before_saving(admin: User) -> None:
    with pytest.raises(ValidationError) as caught:
        connection_create(actor=admin, **{**NETSUITE_FIELDS, "auth_method": "sf_password"})
    assert "auth_method" in caught.value.message_dict
    with pytest.raises(ValidationError):
        connection_create(actor=admin, **{**NETSUITE_FIELDS, "base_url": "not a url"})
    assert not Connection.objects.exists()


def test_it_drops_secrets_of_a_previous_auth_method(admin: User) -> None:
    connection = connection_create(actor=admin, secrets=NETSUITE_SECRETS, **NETSUITE_FIELDS)
    connection = connection_update(
        actor=admin,
        connection=connection,
        auth_method="ns_m2m",
        certificate_id="cert-1",
        secrets={"private_key_pem": "-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----"},
    )
    assert connection.secret_keys == ["private_key_pem"]


def test_it_deactivates(admin: User) -> None:
    connection = connection_create(actor=admin, secrets=NETSUITE_SECRETS, **NETSUITE_FIELDS)
    connection_deactivate(actor=admin, connection=connection)
    assert Connection.objects.get().is_active is False


def test_the_audit_trail_shows_that_secrets_changed_but_never_a_value(admin: User) -> None:
    connection = connection_create(actor=admin, secrets=NETSUITE_SECRETS, **NETSUITE_FIELDS)
    ciphertexts = [Connection.objects.values_list("secrets", flat=True).get()]
    connection_update(
        actor=admin,
        connection=connection,
        secrets={"token_secret": "rotated-token-secret-99"},
        read_timeout=45,
    )
    ciphertexts.append(Connection.objects.values_list("secrets", flat=True).get())
    entries = AuditEntry.objects.get_for_object(connection).order_by("timestamp", "id")
    assert [entry.action for entry in entries] == [AuditEntry.Action.CREATE, AuditEntry.Action.UPDATE]
    created, updated = entries
    assert "secret_keys" in created.changes and "secrets_changed_at" in created.changes
    assert {"secrets_changed_at", "read_timeout"} <= set(updated.changes)
    assert updated.actor == admin
    everything = _every_audit_text()
    for leaked in [*NETSUITE_SECRETS.values(), "rotated-token-secret-99", *ciphertexts]:
        assert leaked not in everything
    assert "fernet:" not in everything


def test_secrets_never_reach_the_logs(
    seeded_connections: tuple[Connection, Connection], caplog: pytest.LogCaptureFixture
) -> None:
    salesforce, netsuite = seeded_connections
    secrets = [*connection_secrets(salesforce).values(), *connection_secrets(netsuite).values()]
    assert len(secrets) == 6
    seen: list[RequestRecord] = []
    log = logging.getLogger("concord.test.requests")

    def observer(record: RequestRecord) -> None:
        seen.append(record)
        log.debug("%s", record)  # what a job log would keep

    caplog.set_level(logging.DEBUG)
    sf = salesforce_connector(salesforce, observer=observer)
    assert list(sf.query("SELECT Id, Name FROM Account LIMIT 2"))
    ns = netsuite_connector(netsuite, observer=observer)
    assert ns.ping()
    ns.upsert("customer", "LOG-CHECK-1", {"companyName": "Log check", "subsidiary": {"id": "1"}})
    assert len(seen) >= 4 and caplog.records
    text = caplog.text + "\n".join(str(record) for record in seen)
    for secret in secrets:
        assert secret not in text, "a secret reached the logs"


def _keys(*keys: str) -> Any:
    return override_settings(FIELD_ENCRYPTION_KEYS=list(keys))


def test_rotate_field_keys_moves_every_secret_to_the_new_key(admin: User, capsys: Any) -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    with _keys(old):
        first = connection_create(actor=admin, secrets=NETSUITE_SECRETS, **NETSUITE_FIELDS)
        second = connection_create(
            actor=admin,
            secrets={"password": "sf-password", "client_secret": "sf-client-secret"},
            name="sf-prod",
            kind="salesforce",
            environment="production",
            base_url="https://login.salesforce.com",
            auth_method="sf_password",
            username="u@example.com",
            client_id="cid",
        )
    with _keys(new):
        with pytest.raises(SecretUnreadable):
            connection_secrets(first)
    with _keys(new, old):
        call_command("rotate_field_keys")
    assert "re-encrypted 2 secret(s)" in capsys.readouterr().out
    with _keys(new):
        assert connection_secrets(Connection.objects.get(pk=first.pk)) == NETSUITE_SECRETS
        assert connection_secrets(Connection.objects.get(pk=second.pk))["password"] == "sf-password"


def test_rotate_field_keys_reports_secrets_no_key_opens(admin: User) -> None:
    lost, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    with _keys(new):
        readable = connection_create(actor=admin, secrets=NETSUITE_SECRETS, **NETSUITE_FIELDS)
        before = Connection.objects.values_list("secrets", flat=True).get(pk=readable.pk)
    with _keys(lost):
        orphan_secret = encrypt(json.dumps({"token_secret": "x"}))
    orphan = Connection.objects.create(**{**NETSUITE_FIELDS, "name": "ns-orphan"}, secrets=orphan_secret)
    with _keys(new), pytest.raises(CommandError, match=rf"sync\.Connection#{orphan.pk}\.secrets"):
        call_command("rotate_field_keys")
    # Nothing changed: the readable secret was not re-encrypted either (one transaction).
    assert Connection.objects.values_list("secrets", flat=True).get(pk=readable.pk) == before
