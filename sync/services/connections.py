"""Connections: their secrets, and the connectors built from them.

The pipeline, the console and the commands all get their clients here, so a connection's settings
(CA bundle, timeouts, concurrency limit) apply everywhere the same way.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from django.conf import settings

from governance.secrets import decrypt, encrypt
from sync.concurrency import LimiterSettings, slots_for
from sync.connectors.netsuite import MachineToMachineAuth, NetSuiteConfig, NetSuiteConnector, TokenAuth
from sync.connectors.salesforce import (
    ClientCredentialsAuth,
    JwtBearerAuth,
    PasswordAuth,
    SalesforceConfig,
    SalesforceConnector,
)
from sync.connectors.transport import RequestObserver
from sync.models import Connection, ConnectionAuth, ConnectionKind

# The secret parameters of each auth method; everything else about a connection is plain config.
SECRET_FIELDS: dict[str, tuple[str, ...]] = {
    ConnectionAuth.SF_JWT_BEARER: ("private_key_pem",),
    ConnectionAuth.SF_PASSWORD: ("password", "security_token", "client_secret"),
    ConnectionAuth.SF_CLIENT_CREDENTIALS: ("client_secret",),
    ConnectionAuth.NS_TOKEN: ("consumer_secret", "token_id", "token_secret"),
    ConnectionAuth.NS_M2M: ("private_key_pem",),
}


class ConnectionMisconfigured(ValueError):
    """The connection lacks something its auth method needs; the message says what."""


def connection_secrets(connection: Connection) -> dict[str, str]:
    """The decrypted secrets of ``connection`` (only for building a connector; never display them)."""
    if not connection.secrets:
        return {}
    values: dict[str, str] = json.loads(decrypt(connection.secrets))
    return values


def connection_secrets_store(connection: Connection, values: dict[str, str]) -> list[str]:
    """Merge ``values`` into the stored secrets (blank values keep what is stored); not saved here.

    Returns the names of the secrets that changed, so the caller can record that (never the values).
    """
    allowed = SECRET_FIELDS[connection.auth_method]
    unknown = sorted(set(values) - set(allowed))
    if unknown:
        raise ConnectionMisconfigured(f"{connection.auth_method} has no secret named {', '.join(unknown)}")
    current = connection_secrets(connection)
    changed = [name for name, value in values.items() if value and current.get(name) != value]
    current.update({name: value for name, value in values.items() if value})
    connection.secrets = encrypt(json.dumps(current, sort_keys=True)) if current else ""
    connection.secret_keys = sorted(current)
    return changed


def ca_bundle_path(pem: str) -> str | None:
    """A file holding ``pem`` (requests wants a path), named by its hash so processes share it."""
    if not pem.strip():
        return None
    digest = hashlib.sha256(pem.encode()).hexdigest()[:24]
    folder = Path(settings.VAR_DIR) / "ca-bundles"
    path = folder / f"{digest}.pem"
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(f".{digest[:6]}.tmp")
        partial.write_text(pem)
        partial.replace(path)  # atomic: a concurrent reader never sees half a bundle
    return str(path)


def _require(connection: Connection, secrets: dict[str, str], *names: str) -> None:
    missing = [name for name in names if not (secrets.get(name) or getattr(connection, name, ""))]
    if missing:
        raise ConnectionMisconfigured(f"connection {connection.name!r} needs {', '.join(missing)}")


def salesforce_connector(
    connection: Connection, *, observer: RequestObserver | None = None
) -> SalesforceConnector:
    """A Salesforce client for ``connection`` (one per thread)."""
    if connection.kind != ConnectionKind.SALESFORCE:
        raise ConnectionMisconfigured(f"connection {connection.name!r} is not a Salesforce connection")
    secrets = connection_secrets(connection)
    auth: PasswordAuth | ClientCredentialsAuth | JwtBearerAuth
    if connection.auth_method == ConnectionAuth.SF_PASSWORD:
        _require(connection, secrets, "username", "password", "client_id", "client_secret")
        auth = PasswordAuth(
            username=connection.username,
            password=secrets["password"],
            security_token=secrets.get("security_token", ""),
            client_id=connection.client_id,
            client_secret=secrets["client_secret"],
        )
    elif connection.auth_method == ConnectionAuth.SF_CLIENT_CREDENTIALS:
        _require(connection, secrets, "client_id", "client_secret")
        auth = ClientCredentialsAuth(client_id=connection.client_id, client_secret=secrets["client_secret"])
    else:
        _require(connection, secrets, "client_id", "username", "private_key_pem")
        auth = JwtBearerAuth(
            client_id=connection.client_id,
            username=connection.username,
            private_key_pem=secrets["private_key_pem"],
        )
    config = SalesforceConfig(
        login_url=connection.base_url.rstrip("/"),
        auth=auth,
        api_version=connection.api_version or "60.0",
        ca_bundle=ca_bundle_path(connection.ca_bundle),
        connect_timeout=connection.connect_timeout,
        read_timeout=connection.read_timeout,
    )
    return SalesforceConnector(config, observer=observer)


def netsuite_connector(
    connection: Connection, *, observer: RequestObserver | None = None, limited: bool = True
) -> NetSuiteConnector:
    """A NetSuite client for ``connection``, sharing its concurrency limit with every other worker."""
    if connection.kind != ConnectionKind.NETSUITE:
        raise ConnectionMisconfigured(f"connection {connection.name!r} is not a NetSuite connection")
    secrets = connection_secrets(connection)
    auth: TokenAuth | MachineToMachineAuth
    if connection.auth_method == ConnectionAuth.NS_TOKEN:
        _require(
            connection, secrets, "account_id", "client_id", "consumer_secret", "token_id", "token_secret"
        )
        auth = TokenAuth(
            consumer_key=connection.client_id,
            consumer_secret=secrets["consumer_secret"],
            token_id=secrets["token_id"],
            token_secret=secrets["token_secret"],
        )
    else:
        _require(connection, secrets, "account_id", "client_id", "certificate_id", "private_key_pem")
        auth = MachineToMachineAuth(
            client_id=connection.client_id,
            certificate_id=connection.certificate_id,
            private_key_pem=secrets["private_key_pem"],
        )
    config = NetSuiteConfig(
        account_id=connection.account_id,
        auth=auth,
        base_url=connection.base_url.rstrip("/"),
        ca_bundle=ca_bundle_path(connection.ca_bundle),
        connect_timeout=connection.connect_timeout,
        read_timeout=connection.read_timeout,
    )
    slots = None
    if limited:
        limiter = LimiterSettings(limit=connection.concurrency_limit)
        slots = slots_for(connection.limiter_key, limiter, redis_url=settings.REDIS_URL or None)
    return NetSuiteConnector(config, slots=slots, observer=observer)
