"""The exception queue in the terminal, as a named person (their role and scope apply): list a page,
export every match as CSV, or take one action on many under one reason. Same selector, filters and
services as the page and the API.

    manage.py exceptions list --as frances --flow opportunity_to_netsuite --severity high --sort=-seen
    manage.py exceptions list --as frances --search 006A --page 2
    manage.py exceptions export --as frances --status "" --output backlog.csv
    manage.py exceptions bulk retry --as frances --ids 12 13 14 --reason "NetSuite is back"
    manage.py exceptions bulk assign --as frances --filtered --category sync_failure --owner finance-emea \\
        --reason "EMEA backlog"
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.commands import command_user
from core.csv_export import csv_lines
from sync.exceptions.bulk import BULK_ACTIONS, BULK_MAX, bulk_owner, exceptions_bulk
from sync.exceptions.export import queue_csv_rows
from sync.exceptions.models import ExceptionStatus, Severity
from sync.exceptions.queue import (
    DEFAULT_SORT,
    FLOW_KEY_PATTERNS,
    SORTS,
    QueueFilters,
    exception_queue_search,
    queue_filters_from,
    queue_page,
)
from sync.exceptions.selectors import AGE_BUCKETS


class Command(BaseCommand):
    help = "List, export (CSV) or act in bulk on the exception queue, filtered as on the queue page."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("step", choices=("list", "export", "bulk"))
        parser.add_argument("action", nargs="?", choices=sorted(BULK_ACTIONS), help="bulk: what to do")
        parser.add_argument("--as", dest="username", required=True, help="the person (role and scope apply)")
        parser.add_argument("--page", type=int, default=1, help="list: the page (from 1)")
        parser.add_argument("--page-size", type=int, default=50, help="list: rows a page (at most 200)")
        parser.add_argument("--output", type=Path, help="export: a file (default: standard output)")
        parser.add_argument("--ids", type=int, nargs="+", default=[], help="bulk: exception numbers")
        parser.add_argument(
            "--filtered", action="store_true", help=f"bulk: every match of the filters (at most {BULK_MAX})"
        )
        parser.add_argument("--owner", default="", help="bulk assign: a username or a group name")
        parser.add_argument("--reason", default="", help="bulk: required, recorded on every exception")
        self._filter_arguments(parser)

    @staticmethod
    def _filter_arguments(parser: CommandParser) -> None:
        statuses = ", ".join(["active", *ExceptionStatus.values])
        parser.add_argument("--status", default="active", help=f'{statuses}, or "" for every status')
        parser.add_argument("--category", default="", help="a category key")
        parser.add_argument("--severity", default="", choices=["", *Severity.values])
        parser.add_argument(
            "--owner-filter", dest="owner_filter", default="", help='"me", a username or group'
        )
        parser.add_argument("--overdue", action="store_true")
        parser.add_argument("--age", default="", choices=["", *(bucket.key for bucket in AGE_BUCKETS)])
        parser.add_argument("--integration", default="", help="an integration's name")
        parser.add_argument("--flow", default="", choices=["", *FLOW_KEY_PATTERNS])
        parser.add_argument("--subsidiary", default="", help="a subsidiary's key")
        parser.add_argument("--tag", default="", help="a tag on the exceptions")
        parser.add_argument("--search", default="", help="a record id, a name or a message")
        parser.add_argument("--sort", default=DEFAULT_SORT, help=f'{", ".join(SORTS)}; "-" first reverses')

    def handle(self, *args: Any, **options: Any) -> None:
        user = command_user(options["username"])
        if (options["step"] == "bulk") != bool(options["action"]):
            raise CommandError("bulk takes an action (retry, assign, resolve, ignore); list and export none")
        try:
            filters = queue_filters_from({**options, "owner": options["owner_filter"]})
            if options["step"] == "list":
                self._list(user, filters, options)
            elif options["step"] == "export":
                self._export(user, filters, options["output"])
            else:
                self._bulk(user, filters, options)
        except (PermissionDenied, ValidationError) as error:
            messages = error.messages if isinstance(error, ValidationError) else [str(error)]
            raise CommandError("; ".join(messages)) from error

    def _list(self, user: User, filters: QueueFilters, options: dict[str, Any]) -> None:
        page = queue_page(user=user, filters=filters, page=options["page"], page_size=options["page_size"])
        if page.too_deep:
            raise CommandError(
                f"page {page.number} is too deep: narrow the filters ({page.count_text} match)"
            )
        for item in page.items:
            owner = item.owner_label or "-"
            self.stdout.write(
                f"#{item.pk}\t{item.get_severity_display()}\t{item.get_status_display()}\t{owner}\t{item.title}"
            )
        more = f" (more: --page {page.number + 1})" if page.has_next else ""
        shown = f"{page.first_index}-{page.last_index}" if page.items else "none"
        self.stdout.write(f"{shown} of {page.count_text}{more}")

    def _export(self, user: User, filters: QueueFilters, output: Path | None) -> None:
        lines = csv_lines(queue_csv_rows(user=user, filters=filters))
        if output is None:
            for line in lines:
                self.stdout.write(line, ending="")
            return
        written = -1  # the header is not an exception
        try:
            with output.open("w", encoding="utf-8", newline="") as handle:
                for line in lines:
                    handle.write(line)
                    written += 1
        except OSError as error:
            raise CommandError(f"cannot write {output}: {error}") from error
        self.stderr.write(f"{written} exceptions written to {output}")

    def _bulk(self, user: User, filters: QueueFilters, options: dict[str, Any]) -> None:
        ids = list(options["ids"])
        if options["filtered"]:
            if ids:
                raise CommandError("give --ids or --filtered, not both")
            matches = exception_queue_search(user=user, filters=filters).values_list("pk", flat=True)
            ids = list(matches[: BULK_MAX + 1])
            if len(ids) > BULK_MAX:
                raise CommandError(f"more than {BULK_MAX} exceptions match: narrow the filters")
        elif not ids:
            raise CommandError("say which: --ids N [N ...] or --filtered")
        owner_user, owner_group = (
            bulk_owner(options["owner"]) if options["action"] == "assign" else (None, None)
        )
        result = exceptions_bulk(
            user=user,
            item_ids=ids,
            action=options["action"],
            reason=options["reason"],
            owner_user=owner_user,
            owner_group=owner_group,
        )
        for refusal in result.refused:
            self.stderr.write(f"#{refusal.item_id}: {refusal.error}")
        self.stdout.write(result.summary)
        if result.refused:
            raise CommandError(f"{len(result.refused)} of {len(ids)} not done (see above)")
