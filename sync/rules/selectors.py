"""Reads of business rules: anyone with a console role reads every rule and version."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from core.access import has_role, object_get_for_user
from sync.rules.models import Rule, RuleStatus, RuleVersion


@dataclass(frozen=True)
class RuleRow:
    rule: Rule
    published: RuleVersion | None
    open_version: RuleVersion | None  # the draft, submitted or approved version, if any


def rules_list(*, user: Any) -> list[RuleRow]:
    """Every rule with its published and open versions; anyone with a console role reads rules."""
    if not has_role(user):
        return []
    rows: dict[int, dict[str, Any]] = {}
    rules = Rule.objects.order_by("key")
    for rule in rules:
        rows[rule.pk] = {"rule": rule, "published": None, "open_version": None}
    for version in RuleVersion.objects.exclude(status=RuleStatus.RETIRED).select_related("rule"):
        slot = "published" if version.status == RuleStatus.PUBLISHED else "open_version"
        rows[version.rule_id][slot] = version
    return [RuleRow(**row) for row in rows.values()]


def rules_visible(*, user: Any) -> QuerySet[Rule]:
    """The rules ``user`` may see: all of them for anyone with a console role, else none."""
    return Rule.objects.all() if has_role(user) else Rule.objects.none()


def rule_get_for_user(*, user: Any, key: str) -> Rule:
    """The rule ``key`` if ``user`` may see it, else 404."""
    return object_get_for_user(rules_visible(user=user), name="rule", key=key)


def rule_versions(*, rule: Rule) -> QuerySet[RuleVersion]:
    return rule.versions.select_related("created_by", "approved_by", "published_by").order_by("-number")


def rule_version_get_for_user(*, user: Any, version_id: int | str) -> RuleVersion:
    """The rule version ``version_id`` if ``user`` may see it, else 404."""
    versions = RuleVersion.objects.select_related("rule") if has_role(user) else RuleVersion.objects.none()
    return object_get_for_user(versions, name="rule version", pk=version_id)
