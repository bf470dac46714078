"""django-q2 tasks of the governance app: thin, they call a service."""

from __future__ import annotations

from governance.audit_checkpoints import audit_checkpoint_record
from governance.models import CheckpointSource


def audit_checkpoint_task() -> int:
    """Record a checkpoint of the audit chain (scheduled; running it twice records two, harmlessly)."""
    return audit_checkpoint_record(source=CheckpointSource.SCHEDULE).pk
