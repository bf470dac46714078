"""Backing up the database, and checking a restored one before it goes back into service.

What a backup of Concord is: the database (every row that matters, the audit trail included) plus, kept
apart from it, ``FIELD_ENCRYPTION_KEYS`` (the stored secrets are Fernet ciphertext: a restore without the
keys has connections whose secrets nobody can read) and ``SECRET_KEY`` (sessions, signed values). Redis
holds nothing durable: a task waiting there when it is lost is found again by the sweeps
(docs/delivery-guarantees.md).

- :func:`backup_write`: SQLite through SQLite's online backup API (consistent while the web server and
  the workers write; copying the file of a live WAL database is not), PostgreSQL with ``pg_dump -Fc``.
  ``dumpdata`` is no backup: secret fields dump as empty strings (:class:`core.secrets.EncryptedTextField`).
- :func:`restore_check`: on the database Django points at, the audit chain verifies end to end (its
  checkpoints included) and every stored secret decrypts with the configured keys.

``manage.py backup`` and ``manage.py restore_check`` call them; docs/operations-guide.md has the steps.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from django.apps import apps
from django.db import connections

from core.secrets import EncryptedTextField, SecretUnreadable, decrypt
from governance.chain_verify import ChainReport, chain_verify


class BackupError(Exception):
    """The backup could not be written (nothing is left behind at the output path)."""


@dataclass(frozen=True)
class BackupResult:
    path: Path
    engine: str  # "sqlite" or "postgresql"
    size: int


def _pg_environment(settings: dict[str, object]) -> dict[str, str]:
    env = dict(os.environ)
    for key, name in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER"), ("PASSWORD", "PGPASSWORD")):
        if settings.get(key):
            env[name] = str(settings[key])
    env["PGDATABASE"] = str(settings["NAME"])
    return env


def backup_write(*, output: Path, using: str = "default") -> BackupResult:
    """Write a consistent backup of the ``using`` database to ``output`` (a new file: an existing one is
    never overwritten). SQLite: a copy made with the online backup API, itself a SQLite database; PostgreSQL:
    ``pg_dump -Fc`` (restore with ``pg_restore``)."""
    output = Path(output)
    if output.exists():
        raise BackupError(f"{output} exists: give a new file name (a backup never overwrites one)")
    if not output.parent.is_dir():
        raise BackupError(f"{output.parent} is not a directory")
    connection = connections[using]
    partial = output.with_name(output.name + ".partial")
    try:
        if connection.vendor == "sqlite":
            connection.ensure_connection()
            target = sqlite3.connect(partial)
            try:
                connection.connection.backup(target)
            finally:
                target.close()
            engine = "sqlite"
        elif connection.vendor == "postgresql":
            if shutil.which("pg_dump") is None:
                raise BackupError("pg_dump is not installed (the PostgreSQL client tools)")
            finished = subprocess.run(  # noqa: S603 - pg_dump with our own arguments
                ["pg_dump", "--format=custom", "--file", str(partial)],  # noqa: S607 - found on PATH
                env=_pg_environment(connection.settings_dict),
                capture_output=True,
                text=True,
                check=False,
            )
            if finished.returncode != 0:
                raise BackupError(f"pg_dump failed: {finished.stderr.strip()}")
            engine = "postgresql"
        else:
            raise BackupError(f"no backup for the {connection.vendor} database engine")
        partial.rename(output)
    finally:
        partial.unlink(missing_ok=True)
    return BackupResult(path=output, engine=engine, size=output.stat().st_size)


@dataclass
class RestoreReport:
    chain: ChainReport
    secrets: dict[str, int] = field(default_factory=dict)  # "app.Model.field" -> values decrypted
    unreadable: list[str] = field(default_factory=list)  # "app.Model#pk.field"

    @property
    def ok(self) -> bool:
        return self.chain.first_break is None and not self.unreadable


def restore_check() -> RestoreReport:
    """Verify the audit chain and decrypt every stored secret (the plaintext is dropped at once)."""
    report = RestoreReport(chain=chain_verify())
    for model in apps.get_models():
        for model_field in model._meta.get_fields():
            if not isinstance(model_field, EncryptedTextField):
                continue
            name = model_field.name
            label = f"{model._meta.label}.{name}"
            report.secrets[label] = 0
            rows = model._default_manager.exclude(**{name: ""}).values_list("pk", name).order_by("pk")
            for pk, stored in rows.iterator():
                try:
                    decrypt(stored)
                except SecretUnreadable:
                    report.unreadable.append(f"{model._meta.label}#{pk}.{name}")
                else:
                    report.secrets[label] += 1
    return report
