"""Create the exception queue's django-q2 schedules (escalation, ticket delivery) and its shipped policy
(categories with their escalation paths; categories someone edited are left alone); safe to run again."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from core.schedules import schedule_ensure
from sync.exceptions.escalation import SCHEDULES, exception_schedules_ensure
from sync.exceptions.netsuite_lists import NETSUITE_LISTS_SPEC
from sync.exceptions.policy import exception_policy_ensure


class Command(BaseCommand):
    help = (
        "Create or repair the schedules that escalate overdue exceptions, deliver tickets and read "
        "NetSuite's lists, "
        "and the shipped exception policy."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        created = exception_schedules_ensure()
        for name in SCHEDULES:
            self.stdout.write(f"{name}: {'created' if name in created else 'already present'}")
        _, lists_created = schedule_ensure(NETSUITE_LISTS_SPEC)
        self.stdout.write(f"{NETSUITE_LISTS_SPEC.name}: {'created' if lists_created else 'already present'}")
        touched = exception_policy_ensure()
        self.stdout.write(f"exception policy: shipped defaults applied to {', '.join(touched) or 'none'}")
