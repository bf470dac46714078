"""A listener's URL token is its credential: shown once (creation, rotation; console-free paths: the
service's return value and the commands' output), stored only as a SHA-256, looked up by that hash."""

from __future__ import annotations

import hashlib
import re
from io import StringIO
from typing import Any

from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client

from governance.models import AuditEntry
from simulators.salesforce.org import DEFAULT_ORG_ID
from sync.connections.models import Connection
from sync.pipeline.listener.services import listener_create, listener_token_rotate
from sync.pipeline.listener.setup import listener_url
from sync.pipeline.models import Listener
from tests.sync.pipeline.conftest import THREADED_DB
from tests.sync.pipeline.listener.test_outbound_message import envelope, post

BASE = "https://concord.example"


def _create(connections: tuple[Connection, Connection]) -> tuple[Listener, str]:
    return listener_create(
        name="closed-won",
        salesforce_connection=connections[0],
        netsuite_connection=connections[1],
        allowed_org_id=DEFAULT_ORG_ID,
    )


def _path(url: str) -> str:
    return url.removeprefix(BASE)


def test_it_stores_only_a_hash_of_the_url_token(
    client: Client, connections: tuple[Connection, Connection], enqueued: list[str]
) -> None:
    listener, token = _create(connections)
    assert len(token) >= 43  # 256 random bits
    row = Listener.objects.filter(pk=listener.pk).values().get()
    assert row["path_token_hash"] == hashlib.sha256(token.encode()).hexdigest()
    assert token not in str(row)
    trail = str([(e.changes, e.additional_data) for e in AuditEntry.objects.get_for_object(listener)])
    assert token not in trail and row["path_token_hash"] not in trail
    url = listener_url(listener=listener, token=token, base_url=BASE + "/")
    assert url == f"{BASE}/sync/inbound/outbound-message/{token}/"
    assert post(client, _path(url), envelope("04l000000000001AAA")).status_code == 200
    # The stored hash is no credential: a leaked row does not give the URL away.
    hashed = f"/sync/inbound/outbound-message/{row['path_token_hash']}/"
    assert post(client, hashed, envelope("04l000000000002AAA")).status_code == 404


def test_rotation_gives_a_new_url_and_the_old_one_stops(
    client: Client, connections: tuple[Connection, Connection], enqueued: list[str], admin: Any
) -> None:
    listener, old = _create(connections)
    old_url = _path(listener_url(listener=listener, token=old, base_url=BASE))
    assert post(client, old_url, envelope("04l000000000001AAA")).status_code == 200  # memoised now
    new = listener_token_rotate(listener=listener, user=admin)
    assert new != old
    assert post(client, old_url, envelope("04l000000000002AAA")).status_code == 404
    new_url = _path(listener_url(listener=listener, token=new, base_url=BASE))
    assert post(client, new_url, envelope("04l000000000003AAA")).status_code == 200
    (entry,) = AuditEntry.objects.get_for_object(listener).filter(
        additional_data__event="listener_token_rotated"
    )
    assert entry.actor == admin and new not in str(entry.changes) and old not in str(entry.changes)


def test_the_commands_print_the_url_once_and_rotate_it(
    client: Client, connections: tuple[Connection, Connection], enqueued: list[str]
) -> None:
    out = StringIO()
    call_command(
        "listener_create",
        "from-cli",
        "--salesforce",
        connections[0].name,
        "--netsuite",
        connections[1].name,
        "--org-id",
        DEFAULT_ORG_ID,
        "--base-url",
        BASE,
        stdout=out,
    )
    # The URL, then the setup steps naming the same URL (and nothing else under BASE).
    (first,) = set(re.findall(rf"{re.escape(BASE)}/\S+", out.getvalue()))
    assert "shown only now" in out.getvalue()
    assert f"Endpoint URL: {first}" in out.getvalue()
    assert "created, and any time it's edited to subsequently meet criteria" in out.getvalue()
    assert post(client, _path(first), envelope("04l000000000001AAA")).status_code == 200
    out = StringIO()
    call_command("listener_rotate_token", "from-cli", "--base-url", BASE, stdout=out)
    (second,) = set(re.findall(rf"{re.escape(BASE)}/\S+", out.getvalue()))
    assert (
        f"Endpoint URL: {second}" in out.getvalue()
        and "Opportunity: Stage equals Closed Won" in out.getvalue()
    )
    assert second != first
    assert post(client, _path(first), envelope("04l000000000002AAA")).status_code == 404
    assert post(client, _path(second), envelope("04l000000000003AAA")).status_code == 200
    assert (
        Listener.objects.get(name="from-cli").path_token_hash
        == hashlib.sha256(
            second.removeprefix(f"{BASE}/sync/inbound/outbound-message/").rstrip("/").encode()
        ).hexdigest()
    )


@THREADED_DB  # real commits, and a flush PostgreSQL accepts afterwards (see its comment)
def test_the_migration_hashes_the_tokens_already_in_use() -> None:
    try:
        _migrate_with_tokens_in_use()
    finally:
        # Migrate the rest of the way, pass or fail, so the database is as every other test expects.
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())


def _migrate_with_tokens_in_use() -> None:
    before, after = [("sync", "0019_interrupted_work")], [("sync", "0020_listener_token_hash")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old_apps = executor.loader.project_state(before).apps
    old_connection = old_apps.get_model("sync", "Connection")
    sf = old_connection.objects.create(
        name="token-migration-sf", kind="salesforce", auth_method="sf_password", base_url="https://sf.example"
    )
    ns = old_connection.objects.create(
        name="token-migration-ns", kind="netsuite", auth_method="ns_token", base_url="https://ns.example"
    )
    old_listener = old_apps.get_model("sync", "Listener")
    tokens = {}
    for name in ("one", "two"):
        made = old_listener.objects.create(name=name, salesforce_connection=sf, netsuite_connection=ns)
        tokens[name] = made.path_token
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(after)
    new_listener = executor.loader.project_state(after).apps.get_model("sync", "Listener")
    hashes = dict(new_listener.objects.values_list("name", "path_token_hash"))
    assert hashes == {name: hashlib.sha256(token.encode()).hexdigest() for name, token in tokens.items()}
