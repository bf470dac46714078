"""Reads of business rules: anyone with a console role reads the rules and versions of the integrations
they may see (:func:`sync.integrations.access.integration_scope`); another integration's are 404."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from core.access import has_role, object_get_for_user
from sync.integrations.access import integration_scope
from sync.integrations.models import Integration
from sync.integrations.selectors import primary_integration
from sync.rules.models import Rule, RuleStatus, RuleVersion


@dataclass(frozen=True)
class RuleRow:
    rule: Rule
    published: RuleVersion | None
    open_version: RuleVersion | None  # the draft, submitted or approved version, if any


def rules_list(*, user: Any, integration: Integration | None = None) -> list[RuleRow]:
    """``integration``'s rules (every visible integration's when None) with their published and open
    versions; anyone with a console role reads rules."""
    if not has_role(user):
        return []
    rows: dict[int, dict[str, Any]] = {}
    rules = rules_visible(user=user).order_by("key")
    versions = rule_versions_visible(user=user).exclude(status=RuleStatus.RETIRED)
    if integration is not None:
        rules = rules.filter(integration=integration)
        versions = versions.filter(rule__integration=integration)
    for rule in rules:
        rows[rule.pk] = {"rule": rule, "published": None, "open_version": None}
    for version in versions.select_related("rule"):
        slot = "published" if version.status == RuleStatus.PUBLISHED else "open_version"
        rows[version.rule_id][slot] = version
    return [RuleRow(**row) for row in rows.values()]


def rules_visible(*, user: Any) -> QuerySet[Rule]:
    """The rules ``user`` may see: those of the integrations in their scope for anyone with a console
    role, else none."""
    if not has_role(user):
        return Rule.objects.none()
    return integration_scope(user).filter(Rule.objects.all(), integration="integration")


def rule_versions_visible(*, user: Any) -> QuerySet[RuleVersion]:
    """The rule versions ``user`` may see (as :func:`rules_visible`)."""
    if not has_role(user):
        return RuleVersion.objects.none()
    return integration_scope(user).filter(RuleVersion.objects.all(), integration="rule__integration")


def rule_get_for_user(*, user: Any, key: str, integration: Integration | None = None) -> Rule:
    """``integration``'s rule ``key`` (the primary integration's when None) if ``user`` may see it,
    else 404."""
    owner = integration if integration is not None else primary_integration()
    return object_get_for_user(rules_visible(user=user), name="rule", key=key, integration=owner)


def rule_versions(*, rule: Rule) -> QuerySet[RuleVersion]:
    return rule.versions.select_related("created_by", "approved_by", "published_by").order_by("-number")


def rule_version_get_for_user(*, user: Any, version_id: int | str) -> RuleVersion:
    """The rule version ``version_id`` if ``user`` may see it, else 404."""
    versions = rule_versions_visible(user=user).select_related("rule", "rule__integration")
    return object_get_for_user(versions, name="rule version", pk=version_id)
