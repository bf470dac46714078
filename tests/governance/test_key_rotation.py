"""Key rotation end to end, as docs/secrets.md tells an operator to do it: connections to the simulators
with encrypted secrets, the new key put in front of the old one, ``rotate_field_keys``, then settings with
only the new key, and both connections still sign in over HTTPS and read and write."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from django.conf import settings
from django.core.management import CommandError, call_command
from django.test import override_settings

from core.secrets import SecretUnreadable
from sync.connections.checks import connection_test
from sync.connections.models import Connection
from sync.connections.services import connection_secrets, netsuite_connector, salesforce_connector


def test_a_rotated_key_still_signs_in_to_both_systems_over_https(
    seeded_connections: tuple[Connection, Connection], capsys: pytest.CaptureFixture[str]
) -> None:
    salesforce_connection, netsuite_connection = seeded_connections
    old = list(settings.FIELD_ENCRYPTION_KEYS)
    new = Fernet.generate_key().decode()
    before = dict(Connection.objects.values_list("pk", "secrets"))
    plain = {pk: connection_secrets(Connection.objects.get(pk=pk)) for pk in before}
    assert all(plain.values())
    # Step 1: the new key first, the old one still there; rotate.
    with override_settings(FIELD_ENCRYPTION_KEYS=[new, *old]):
        call_command("rotate_field_keys")
    assert "re-encrypted" in capsys.readouterr().out
    after = dict(Connection.objects.values_list("pk", "secrets"))
    assert all(after[pk] != before[pk] for pk in before)  # every stored secret was rewritten
    # Step 2: the old key removed (a restart with FIELD_ENCRYPTION_KEYS=new only).
    with override_settings(FIELD_ENCRYPTION_KEYS=[new]):
        for connection in Connection.objects.all():
            assert connection_secrets(connection) == plain[connection.pk]
            result = connection_test(connection=connection)
            assert result.ok and result.diagnosis == "OK", result.message
        # And real work over HTTPS: a SOQL query, a NetSuite upsert and read.
        salesforce = salesforce_connector(Connection.objects.get(pk=salesforce_connection.pk))
        assert list(salesforce.query("SELECT Id, Name FROM Account LIMIT 1"))
        netsuite = netsuite_connector(Connection.objects.get(pk=netsuite_connection.pk))
        assert netsuite.ping()
        netsuite.upsert(
            "customer", "ROTATION-CHECK-1", {"companyName": "Rotation check", "subsidiary": {"id": "1"}}
        )
    # The old key alone no longer opens them: the rotation really moved every secret.
    with override_settings(FIELD_ENCRYPTION_KEYS=old), pytest.raises(SecretUnreadable):
        connection_secrets(Connection.objects.get(pk=netsuite_connection.pk))


def test_rotation_with_the_old_key_missing_changes_nothing(
    seeded_connections: tuple[Connection, Connection],
) -> None:
    _, netsuite_connection = seeded_connections
    before = Connection.objects.values_list("secrets", flat=True).get(pk=netsuite_connection.pk)
    with override_settings(FIELD_ENCRYPTION_KEYS=[Fernet.generate_key().decode()]):
        with pytest.raises(CommandError, match="no configured key opens"):
            call_command("rotate_field_keys")
    assert Connection.objects.values_list("secrets", flat=True).get(pk=netsuite_connection.pk) == before
    result = connection_test(connection=Connection.objects.get(pk=netsuite_connection.pk))
    assert result.ok, result.message
