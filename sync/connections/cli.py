"""What the sync management commands share: naming a connection on the command line, a text progress bar."""

from __future__ import annotations

from django.core.management.base import CommandError

from sync.connections.models import Connection, ConnectionKind


def progress_bar(done: int, total: int, width: int = 30) -> str:
    """``[#####.....]``: ``done`` of ``total`` (a full bar when there is nothing to do)."""
    filled = min(width, width * done // total) if total else width
    return "[" + "#" * filled + "." * (width - filled) + "]"


def active_connection(name: str, kind: str) -> Connection:
    """The active connection of ``kind`` called ``name``, or a CommandError saying there is none."""
    connection = Connection.objects.filter(name=name, kind=kind, is_active=True).first()
    if connection is None:
        raise CommandError(f"no active {kind} connection named {name!r}")
    return connection


def named_pair(salesforce: str, netsuite: str) -> tuple[Connection | None, Connection | None]:
    """``--salesforce`` / ``--netsuite`` as connections, each None when not given (the service then picks
    the pair the listeners serve); a name that is no active connection of its kind is a CommandError."""
    return (
        active_connection(salesforce, ConnectionKind.SALESFORCE) if salesforce else None,
        active_connection(netsuite, ConnectionKind.NETSUITE) if netsuite else None,
    )
