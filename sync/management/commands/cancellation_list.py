"""Cancellations of synced deals (lost afterwards, cancelled contracts) and what became of each.

manage.py cancellation_list
manage.py cancellation_list --status pending_approval
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from sync.lifecycle.cancellations import cancellations_list
from sync.lifecycle.models import CancellationStatus


class Command(BaseCommand):
    help = "List cancellations: waiting for a finance approval, approved, done or failed."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--status", choices=CancellationStatus.values, default="")

    def handle(self, *args: Any, **options: Any) -> None:
        rows = cancellations_list(status=options["status"])
        if not rows:
            self.stdout.write("no cancellations")
        for row in rows:
            targets = ", ".join(
                [f"sales order {row.sales_order_id}"] * bool(row.sales_order_id)
                + [f"subscription {s}" for s in row.subscription_ids]
            )
            approval = (
                row.allowed_by_rule
                and f"rule {row.allowed_by_rule}"
                or (row.approved_by.get_username() if row.approved_by else "-")
            )
            self.stdout.write(
                f"#{row.pk} {row.opportunity_id} {row.get_reason_display()}: {targets} · {row.status}"
                f" · approved: {approval} · exception #{row.exception_id or '-'}"
                + (f" · {row.message}" if row.message else "")
            )
