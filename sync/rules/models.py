"""Business rules: a :class:`Rule` is the identity (its key), each :class:`RuleVersion` one text of it.

A version moves draft -> submitted -> approved -> published (and a published one is retired when the
next is published); a submitted version may be sent back to draft. Only a draft changes; the
services in :mod:`sync.rules.services` are the only writers and enforce four-eyes (whoever wrote a
version cannot approve it). The engine (:mod:`sync.rules.engine`) knows nothing of these models.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from sync.integrations.models import Integration
from sync.integrations.selectors import primary_integration_pk
from sync.rules.engine.ruleset import PLACEMENTS, SEVERITIES, SUBJECTS


class RuleStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted for approval"
    APPROVED = "approved", "Approved"
    PUBLISHED = "published", "Published"
    RETIRED = "retired", "Retired"


def primary_integration_id() -> int:
    """The default integration of a rule created without naming one: the primary integration."""
    return primary_integration_pk()


class Rule(models.Model):
    """A rule of one integration: each integration evaluates its own published rules."""

    integration = models.ForeignKey(
        Integration, on_delete=models.PROTECT, related_name="rules", default=primary_integration_id
    )
    key = models.SlugField(max_length=80, help_text="Stable name, e.g. amount_matches_quote")
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["integration_id", "key"]
        constraints = [
            models.UniqueConstraint(fields=["integration", "key"], name="rule_integration_key_unique")
        ]

    def __str__(self) -> str:
        return self.key


class RuleVersion(models.Model):
    rule = models.ForeignKey(Rule, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    status = models.CharField(max_length=20, choices=RuleStatus.choices, default=RuleStatus.DRAFT)

    name = models.CharField(max_length=200)
    subject = models.CharField(max_length=30, choices=list(SUBJECTS.items()))
    placement = models.CharField(max_length=20, choices=list(PLACEMENTS.items()))
    severity = models.CharField(max_length=10, choices=list(SEVERITIES.items()))
    message = models.CharField(max_length=500, help_text="What sales or finance sees when the rule fails")
    owner = models.CharField(max_length=100, blank=True, help_text="Who answers for this rule (a team)")
    condition = models.TextField(help_text="Passes when true; see docs/rules-language.md")

    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    editors = models.JSONField(default=list, blank=True, help_text="Ids of everyone who wrote this text")
    submitted_at = models.DateTimeField(null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["rule__key", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["rule", "number"], name="rule_version_number_unique"),
            models.UniqueConstraint(
                fields=["rule"],
                condition=models.Q(status="published"),
                name="rule_one_published_version",
            ),
            models.UniqueConstraint(
                fields=["rule"],
                condition=models.Q(status__in=["draft", "submitted", "approved"]),
                name="rule_one_open_version",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.rule.key} v{self.number}"

    @property
    def is_editable(self) -> bool:
        return self.status == RuleStatus.DRAFT

    @property
    def authors(self) -> set[int]:
        """The makers: everyone who wrote this text or submitted it; none of them may approve it."""
        makers = (self.created_by_id, self.updated_by_id, self.submitted_by_id)
        found = {pk for pk in makers if pk is not None}
        return found | {pk for pk in self.editors if isinstance(pk, int)}
