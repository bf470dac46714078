"""Connections: their secrets, and the connectors built from them.

The pipeline, the console and the commands all get their clients here, so a connection's settings
(CA bundle, timeouts, concurrency limit) apply everywhere the same way.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from core.audit import audit_actor
from core.secrets import decrypt, encrypt
from sync.connections.concurrency import LimiterSettings, slots_for
from sync.connections.connectors.netsuite import (
    MachineToMachineAuth,
    NetSuiteConfig,
    NetSuiteConnector,
    TokenAuth,
    account_is_sandbox,
)
from sync.connections.connectors.salesforce import (
    ClientCredentialsAuth,
    JwtBearerAuth,
    PasswordAuth,
    SalesforceConfig,
    SalesforceConnector,
)
from sync.connections.connectors.transport import RequestObserver, RetryPolicy
from sync.connections.models import Connection, ConnectionAuth, ConnectionEnvironment, ConnectionKind
from sync.connections.models.connections import AUTH_KIND
from sync.connections.permissions import can_manage_connections
from sync.connections.usage import api_usage_record

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


def connection_secrets_store(connection: Connection, values: Mapping[str, str]) -> list[str]:
    """Merge ``values`` into the stored secrets (blank values keep what is stored); not saved here.

    Secrets the connection's auth method does not use (left from a previous method) are dropped.
    Returns the names of the secrets that changed, so the caller can record that (never the values).
    """
    allowed = SECRET_FIELDS[connection.auth_method]
    unknown = sorted(set(values) - set(allowed))
    if unknown:
        raise ConnectionMisconfigured(f"{connection.auth_method} has no secret named {', '.join(unknown)}")
    current = connection_secrets(connection)
    changed = sorted(name for name in current if name not in allowed)
    current = {name: value for name, value in current.items() if name in allowed}
    changed += [name for name, value in values.items() if value and current.get(name) != value]
    current.update({name: value for name, value in values.items() if value})
    connection.secrets = encrypt(json.dumps(current, sort_keys=True)) if current else ""
    connection.secret_keys = sorted(current)
    return changed


# What a person may set on a connection (secrets go through ``secrets=``, test results are never set).
EDITABLE_FIELDS = (
    "name",
    "kind",
    "environment",
    "base_url",
    "auth_method",
    "account_id",
    "client_id",
    "username",
    "certificate_id",
    "api_version",
    "ca_bundle",
    "connect_timeout",
    "read_timeout",
    "concurrency_limit",
    "single_entity",
)


def auth_method_problem(*, kind: str, auth_method: str) -> str | None:
    """Why ``auth_method`` cannot sign in to a ``kind`` system, or ``None`` when it can."""
    expected = next((k for method, k in AUTH_KIND.items() if method == auth_method), None)
    if expected is None or expected == kind:
        return None
    label = dict(ConnectionAuth.choices).get(auth_method, auth_method)
    return f"{label} does not sign in to {dict(ConnectionKind.choices).get(kind, kind)}."


def account_environment_problem(connection: Connection) -> str | None:
    """Why a NetSuite account id cannot be the connection's environment (its id says sandbox or not)."""
    if connection.kind != ConnectionKind.NETSUITE or not connection.account_id:
        return None
    sandbox = account_is_sandbox(connection.account_id)
    if sandbox == (connection.environment == ConnectionEnvironment.SANDBOX):
        return None
    if sandbox:
        return (
            f"{connection.account_id} is a sandbox account (its id ends _SB...): "
            "make this a sandbox connection, or give the production account id"
        )
    return (
        f"{connection.account_id} is a production account: a sandbox account id looks like "
        f"{connection.account_id}_SB1 (Setup > Company > Company Information in the sandbox)"
    )


def _require_manager(actor: User) -> None:
    if not can_manage_connections(actor):
        raise PermissionDenied("Only admins create or change connections.")


def _apply(connection: Connection, fields: Mapping[str, Any], secrets: Mapping[str, str] | None) -> None:
    unknown = sorted(set(fields) - set(EDITABLE_FIELDS))
    if unknown:
        raise ValueError(f"not an editable connection field: {', '.join(unknown)}")
    for name, value in fields.items():
        setattr(connection, name, value)
    problem = auth_method_problem(kind=connection.kind, auth_method=connection.auth_method)
    if problem:
        raise ValidationError({"auth_method": problem})
    problem = account_environment_problem(connection)
    if problem:
        raise ValidationError({"account_id": problem})
    connection.full_clean()  # before the secrets: they are keyed by a valid auth method
    try:
        changed = connection_secrets_store(connection, {k: v for k, v in (secrets or {}).items() if v})
    except ConnectionMisconfigured as exc:
        raise ValidationError(str(exc)) from exc
    if changed:
        # The audit trail shows this timestamp (and secret_keys) changing; it never sees a value.
        connection.secrets_changed_at = timezone.now()


def connection_create(*, actor: User, secrets: Mapping[str, str] | None = None, **fields: Any) -> Connection:
    """A new connection; ``secrets`` holds the auth method's secret parameters (see SECRET_FIELDS)."""
    _require_manager(actor)
    connection = Connection()
    _apply(connection, fields, secrets)
    with audit_actor(actor), transaction.atomic():
        connection.save()
    return connection


def connection_update(
    *, actor: User, connection: Connection, secrets: Mapping[str, str] | None = None, **fields: Any
) -> Connection:
    """Change a connection. A blank secret keeps the stored value; one entry per change is audited."""
    _require_manager(actor)
    with audit_actor(actor), transaction.atomic():
        # Work on the stored row, locked, so two admins saving at once cannot lose each other's secrets.
        stored = Connection.objects.select_for_update().get(pk=connection.pk)
        _apply(stored, fields, secrets)
        stored.save()
    return stored


def connection_deactivate(*, actor: User, connection: Connection) -> Connection:
    """Stop using a connection (kept for the audit trail and the jobs that used it)."""
    _require_manager(actor)
    if not connection.is_active:
        return connection
    connection.is_active = False
    with audit_actor(actor), transaction.atomic():
        connection.save(update_fields=["is_active", "updated_at"])
    return connection


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


def connection_version_key(connection: Connection) -> str:
    """``<id>@<version>``: what the connectors' per-process caches (sign-ins, the environment check, the
    item ids) are kept by. The version digests everything a connector is built from (every editable
    field, the encrypted secrets) and the row's ``updated_at``, so a changed connection never uses what
    its previous version learnt, however it was saved; "" (no caching) for a connection not saved yet."""
    if connection.pk is None:
        return ""
    parts = [str(getattr(connection, name, "")) for name in EDITABLE_FIELDS]
    parts += [connection.secrets, str(connection.is_active), str(connection.updated_at)]
    digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:16]
    return f"{connection.pk}@{digest}"


def salesforce_connector(
    connection: Connection, *, observer: RequestObserver | None = None, retry: RetryPolicy | None = None
) -> SalesforceConnector:
    """A Salesforce client for ``connection`` (one per thread); ``retry`` overrides the default policy."""
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
        retry=retry or RetryPolicy(),
        expected_sandbox=connection.environment == ConnectionEnvironment.SANDBOX,
        session_key=connection_version_key(connection),
    )
    return SalesforceConnector(
        config,
        observer=observer,
        usage_observer=lambda used, limit: api_usage_record(
            connection_id=connection.pk, used=used, limit=limit
        ),
    )


def netsuite_connector(
    connection: Connection,
    *,
    observer: RequestObserver | None = None,
    limited: bool = True,
    retry: RetryPolicy | None = None,
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
        retry=retry or RetryPolicy(),
        expected_sandbox=connection.environment == ConnectionEnvironment.SANDBOX,
        cache_key=connection_version_key(connection),
    )
    slots = None
    if limited:
        limiter = LimiterSettings(
            limit=connection.concurrency_limit, lease_seconds=float(settings.NETSUITE_SLOT_LEASE_SECONDS)
        )
        slots = slots_for(connection.limiter_key, limiter, redis_url=settings.REDIS_URL or None)
    return NetSuiteConnector(config, slots=slots, observer=observer)


class NoSandboxConnection(Exception):
    """No sandbox connection of the kind asked for exists yet (for an integration:
    :func:`sync.integrations.sandboxes.reading_sandbox`)."""
