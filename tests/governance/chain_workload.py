"""Audit writes made outside any request, for tests/governance/test_chain_processes.py: a django-q2 task
run by real worker processes, and the same work from a plain process (``python -m`` this module).

    python -m tests.governance.chain_workload <prefix> <count>
"""

from __future__ import annotations

import os
import sys


def audit_workload_task(prefix: str, count: int) -> int:
    """``count`` users created (auditlog's signal path), exceptions raised (a service's ``audit_record``) and,
    every third round, a checkpoint (which must count the entries exactly while others write)."""
    from governance import services
    from governance.audit_checkpoints import audit_checkpoint_record
    from governance.models import CheckpointSource
    from sync.exceptions.services import exception_raise

    for n in range(count):
        services.user_create(username=f"{prefix}-{n}", email=f"{prefix}-{n}@concord.example")
        exception_raise(category="audit_chain_test", dedup_key=f"{prefix}-{n}", title=f"{prefix} {n}")
        if n % 3 == 0:
            audit_checkpoint_record(source=CheckpointSource.SCHEDULE)
    return count


def main(argv: list[str]) -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "console.settings")
    django.setup()
    audit_workload_task(argv[0], int(argv[1]))


if __name__ == "__main__":
    main(sys.argv[1:])
