"""What people tell matching before create: the answer to a duplicate suspect, which every later run
honours (:class:`MatchResolution`), and the e-mail domains that identify nobody (:class:`GenericEmailDomain`,
on top of the built-in list in :mod:`sync.matching.engine.normalise`)."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class MatchChoice(models.TextChoices):
    LINK = "link", "Link to the chosen NetSuite record"
    CREATE_NEW = "create_new", "Create a new NetSuite record"


class MatchResolution(models.Model):
    """How one Salesforce record (by the external id it is upserted with) is to be matched in NetSuite.

    Written once, when a person resolves the duplicate-suspect exception; the pipeline's pre-match reads
    it instead of asking again: ``link`` sets the chosen record's external id and links it, ``create_new``
    skips the secondary keys so the upsert creates the record.
    """

    netsuite_connection = models.ForeignKey("sync.Connection", on_delete=models.CASCADE, related_name="+")
    netsuite_type = models.CharField(max_length=60)
    external_id = models.CharField(max_length=200)
    salesforce_id = models.CharField(max_length=18, blank=True)
    choice = models.CharField(max_length=20, choices=MatchChoice.choices)
    netsuite_id = models.CharField(max_length=40, blank=True, help_text="The record linked (choice link)")
    exception = models.ForeignKey(
        "sync.ExceptionItem", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField()
    reason = models.TextField(blank=True)
    applied_at = models.DateTimeField(null=True, blank=True, help_text="When a run carried it out")

    class Meta:
        ordering = ["-decided_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["netsuite_connection", "netsuite_type", "external_id"],
                name="sync_match_resolution_unique",
            ),
            models.CheckConstraint(
                condition=models.Q(choice="create_new") | ~models.Q(netsuite_id=""),
                name="sync_match_resolution_link_has_id",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.netsuite_type} {self.external_id}: {self.choice}"


class GenericEmailDomain(models.Model):
    """An e-mail domain an operator added to the built-in generic list (free mail, placeholders): a shared
    address at it is no evidence that two records are one company. Added and removed through
    :mod:`sync.matching.domains` (audited)."""

    domain = models.CharField(max_length=253, unique=True)
    reason = models.CharField(max_length=500, blank=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    added_at = models.DateTimeField()

    class Meta:
        ordering = ["domain"]
        verbose_name = "generic e-mail domain"

    def __str__(self) -> str:
        return self.domain
