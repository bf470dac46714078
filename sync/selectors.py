"""Reads for the sync area: the background work django-q2 has done and has waiting; business rules."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import QuerySet
from django_q.brokers import get_broker
from django_q.models import Task

from governance.roles import VIEW_CONSOLE
from sync.models import Rule, RuleStatus, RuleVersion


@dataclass(frozen=True)
class TaskSummary:
    queued: int | None  # None when the broker cannot be asked (e.g. Redis is down)
    succeeded: int
    failed: int
    last_finished: datetime | None


def background_task_summary() -> TaskSummary:
    try:
        queued: int | None = get_broker().queue_size()
    except Exception:  # a broker outage must not take the dashboard down with it
        queued = None
    last = Task.objects.order_by("-stopped").values_list("stopped", flat=True).first()
    return TaskSummary(
        queued=queued,
        succeeded=Task.objects.filter(success=True).count(),
        failed=Task.objects.filter(success=False).count(),
        last_finished=last,
    )


def background_tasks_recent(*, limit: int = 20, failed_only: bool = False) -> QuerySet[Task]:
    tasks = Task.objects.order_by("-stopped")
    if failed_only:
        tasks = tasks.filter(success=False)
    return tasks[:limit]


# -- business rules ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RuleRow:
    rule: Rule
    published: RuleVersion | None
    open_version: RuleVersion | None  # the draft, submitted or approved version, if any


def rules_list(*, user: Any) -> list[RuleRow]:
    """Every rule with its published and open versions; anyone with a console role reads rules."""
    if not user.has_perm(VIEW_CONSOLE):
        return []
    rows: dict[int, dict[str, Any]] = {}
    rules = Rule.objects.order_by("key")
    for rule in rules:
        rows[rule.pk] = {"rule": rule, "published": None, "open_version": None}
    for version in RuleVersion.objects.exclude(status=RuleStatus.RETIRED).select_related("rule"):
        slot = "published" if version.status == RuleStatus.PUBLISHED else "open_version"
        rows[version.rule_id][slot] = version
    return [RuleRow(**row) for row in rows.values()]


def rule_get(*, user: Any, key: str) -> Rule | None:
    if not user.has_perm(VIEW_CONSOLE):
        return None
    return Rule.objects.filter(key=key).first()


def rule_versions(*, rule: Rule) -> QuerySet[RuleVersion]:
    return rule.versions.select_related("created_by", "approved_by", "published_by").order_by("-number")


def rule_version_get(*, user: Any, version_id: int) -> RuleVersion | None:
    if not user.has_perm(VIEW_CONSOLE):
        return None
    return RuleVersion.objects.select_related("rule").filter(pk=version_id).first()
