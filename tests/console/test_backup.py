"""A backup restored into an empty database is whole: the audit chain verifies and every connection's
secret decrypts to what was entered; with another key the secrets fail clearly (issue 25, point 8).

PostgreSQL (when the suite runs on it): ``manage.py backup`` is ``pg_dump -Fc``, restored with
``pg_restore`` into a new empty database. SQLite (when the suite runs on it): SQLite's online backup,
copied to a new place. Either way the restored database is then checked by Django processes of its own
pointed at it (``DATABASE_URL``), as an operator would after a restore."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dj_database_url
import pytest
from cryptography.fernet import Fernet
from django.apps import apps
from django.conf import settings
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import connection

from console.backup import BackupError, backup_write
from governance.audit_checkpoints import audit_checkpoint_record
from governance.models import AuditEntry, CheckpointSource
from sync.connections.services import connection_create, connection_update

ROOT = Path(__file__).resolve().parents[2]
# Real commits, for pg_dump and the SQLite backup to see the rows. Every app available, like the suite's
# other transactional tests (tests/sync/pipeline/conftest.py): the set-up re-creates the content types and
# permissions a previous transactional test's flush removed (the admin persona needs its permissions).
pytestmark = [
    pytest.mark.django_db(
        transaction=True, available_apps=[config.name for config in apps.get_app_configs()]
    ),
    pytest.mark.database,  # both CI stages: SQLite's online backup, pg_dump (tests/database_stage.py)
]
ON_POSTGRESQL = os.environ.get("DATABASE_URL", "").startswith("postgres")

SECRETS_PRINT = (
    "import json; from sync.connections.models import Connection; "
    "from sync.connections.services import connection_secrets; "
    "print(json.dumps({c.name: connection_secrets(c) for c in Connection.objects.order_by('name')}))"
)


def _fill(admin: User) -> dict[str, dict[str, str]]:
    """Connections with encrypted secrets, an audit trail of their changes and a checkpoint in it."""
    entered = {}
    for n in range(3):
        secrets = {
            "consumer_secret": f"cs-{n}-{uuid.uuid4().hex}",
            "token_id": f"t-{n}",
            "token_secret": f"s-{n}",
        }
        connection_create(
            actor=admin,
            secrets=secrets,
            name=f"ns-{n}",
            kind="netsuite",
            environment="production",
            base_url=f"https://12345{n}.suitetalk.api.netsuite.com",
            auth_method="ns_token",
            account_id=f"12345{n}",
            client_id="consumer-key",
        )
        entered[f"ns-{n}"] = secrets
    audit_checkpoint_record(source=CheckpointSource.SCHEDULE)
    changed = connection_update(
        actor=admin,
        connection=connection_create(
            actor=admin,
            secrets={"consumer_secret": "x", "token_id": "y", "token_secret": "z"},
            name="ns-3",
            kind="netsuite",
            environment="sandbox",
            base_url="https://123459-sb1.suitetalk.api.netsuite.com",
            auth_method="ns_token",
            account_id="123459_SB1",
            client_id="consumer-key",
        ),
        secrets={"token_secret": "z2"},
    )
    entered[changed.name] = {"consumer_secret": "x", "token_id": "y", "token_secret": "z2"}
    assert AuditEntry.objects.count() >= 5
    return entered


def _manage(database_url: str, *args: str, keys: list[str] | None = None) -> subprocess.CompletedProcess[str]:
    """``manage.py`` in a process of its own, pointed at ``database_url``."""
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE", "Q_SYNC", "REDIS_URL")}
    env.update(
        PYTHONPATH=str(ROOT),
        DEBUG="1",
        DATABASE_URL=database_url,
        FIELD_ENCRYPTION_KEYS=",".join(keys or settings.FIELD_ENCRYPTION_KEYS),
    )
    return subprocess.run(  # noqa: S603 - our own interpreter and manage.py
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )


def _check_restored(database_url: str, entered: dict[str, dict[str, str]], entries: int) -> None:
    checked = _manage(database_url, "restore_check")
    assert checked.returncode == 0, checked.stderr
    assert f"audit chain intact: {entries} entries; {len(entered)} secret(s) decrypted" in checked.stdout
    verified = _manage(database_url, "verify_audit_chain")
    assert verified.returncode == 0 and f"{entries} entries" in verified.stdout, verified.stderr
    printed = _manage(database_url, "shell", "-c", SECRETS_PRINT)
    assert printed.returncode == 0, printed.stderr
    assert json.loads(printed.stdout.strip().splitlines()[-1]) == entered  # after the shell's import notice

    # Restored without the keys the backup was made with: a clear failure naming each secret.
    other = _manage(database_url, "restore_check", keys=[Fernet.generate_key().decode()])
    assert other.returncode == 1
    assert f"{len(entered)} secret(s) no configured FIELD_ENCRYPTION_KEYS key opens" in other.stderr
    assert "sync.Connection#" in other.stderr and "Restore with the keys" in other.stderr
    # ... while keeping the old key beside a new one reads them all.
    both = _manage(
        database_url, "restore_check", keys=[Fernet.generate_key().decode(), *settings.FIELD_ENCRYPTION_KEYS]
    )
    assert both.returncode == 0, both.stderr


@pytest.fixture
def empty_postgresql() -> Iterator[str]:
    """The URL of a new, empty PostgreSQL database beside the suite's; dropped afterwards."""
    import psycopg
    from psycopg import sql

    url = os.environ["DATABASE_URL"]
    config = dj_database_url.parse(url)
    name = f"concord_ops_restore_{uuid.uuid4().hex[:8]}"
    params: dict[str, Any] = {
        "dbname": "postgres",
        "user": config["USER"] or None,
        "password": config["PASSWORD"] or None,
        "host": config["HOST"] or None,
        "port": config["PORT"] or None,
        "autocommit": True,
    }
    with psycopg.connect(**params) as server:
        server.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    yield url.rsplit("/", 1)[0] + "/" + name
    with psycopg.connect(**params) as server:
        server.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.mark.skipif(not ON_POSTGRESQL, reason="PostgreSQL: the suite runs on SQLite")
@pytest.mark.skipif(
    shutil.which("pg_restore") is None, reason="the PostgreSQL client tools are not installed"
)
def test_a_pg_dump_restored_into_an_empty_database_verifies_and_decrypts(
    admin: User, tmp_path: Path, empty_postgresql: str
) -> None:
    entered = _fill(admin)
    entries = AuditEntry.objects.count()
    dump = tmp_path / "concord.dump"
    call_command("backup", str(dump))
    assert dump.read_bytes()[:5] == b"PGDMP"  # pg_dump's custom format
    # A second backup to the same file is refused and leaves the first as it was.
    with pytest.raises(BackupError, match="exists"):
        backup_write(output=dump)

    restored = subprocess.run(
        ["pg_restore", "--no-owner", "--exit-on-error", "--dbname", empty_postgresql, str(dump)],  # noqa: S607
        capture_output=True,
        text=True,
        check=False,
    )
    assert restored.returncode == 0, restored.stderr
    _check_restored(empty_postgresql, entered, entries)


@pytest.mark.skipif(
    ON_POSTGRESQL or connection.vendor != "sqlite", reason="SQLite: the suite runs on PostgreSQL"
)
def test_a_sqlite_online_backup_copied_to_a_new_place_verifies_and_decrypts(
    admin: User, tmp_path: Path
) -> None:
    entered = _fill(admin)
    entries = AuditEntry.objects.count()
    backup = tmp_path / "concord-backup.sqlite3"
    call_command("backup", str(backup))
    with pytest.raises(BackupError, match="exists"):
        backup_write(output=backup)
    assert not (tmp_path / "concord-backup.sqlite3.partial").exists()

    target = tmp_path / "restored" / "concord.sqlite3"  # the restore: the file copied where the database goes
    target.parent.mkdir()
    shutil.copyfile(backup, target)
    _check_restored(f"sqlite:///{target}", entered, entries)
