"""Releases of configuration: a chosen set of mapping and rule versions, tested in a sandbox, signed off
by RevOps and Finance, then published to production together. See :mod:`governance.releases` for the
life cycle; :mod:`governance.releases.services` is the only writer.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from sync.integrations.selectors import primary_integration_pk


class ReleaseStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    TESTED = "tested", "Tested"
    SIGNED_OFF = "signed_off", "Signed off"
    LIVE = "live", "Live"
    ROLLED_BACK = "rolled_back", "Rolled back"
    SUPERSEDED = "superseded", "Superseded"


# While a release is one of these, its items may change (which sends it back to draft).
OPEN_STATUSES = frozenset({ReleaseStatus.DRAFT, ReleaseStatus.TESTED, ReleaseStatus.SIGNED_OFF})


class Release(models.Model):
    """Versions of one integration's configuration, promoted together through its sandbox pair to its
    production pair. Its items are all that integration's (:func:`governance.releases.services.release_create`
    refuses a mix); each integration has at most one live release."""

    name = models.CharField(max_length=120, unique=True)
    # Rows from before releases named their integration were the primary's (migration 0010).
    integration = models.ForeignKey(
        "sync.Integration", on_delete=models.PROTECT, related_name="releases", default=primary_integration_pk
    )
    notes = models.TextField(blank=True, help_text="What changes and why")
    status = models.CharField(max_length=20, choices=ReleaseStatus.choices, default=ReleaseStatus.DRAFT)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    # The integration's live release this one replaced when it was published: what a rollback returns to.
    previous_release = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    published_at = models.DateTimeField(null=True, blank=True)
    rolled_back_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    rolled_back_at = models.DateTimeField(null=True, blank=True)
    rollback_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["integration"],
                condition=models.Q(status="live"),
                name="release_one_live_per_integration",
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class ReleaseItem(models.Model):
    """One version in a release: a mapping, rule or lookup table version (exactly one), one per flow,
    rule or table."""

    release = models.ForeignKey(Release, on_delete=models.CASCADE, related_name="items")
    # "flow:<key>", "rule:<key>" or "lookup:<table>": what the item replaces in production, unique
    # within a release.
    target = models.CharField(max_length=100)
    mapping_version = models.ForeignKey(
        "sync.MappingVersion", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    rule_version = models.ForeignKey(
        "sync.RuleVersion", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    lookup_version = models.ForeignKey(
        "sync.LookupVersion", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Recorded when the release goes live: the version it replaced (None: nothing was published).
    replaced_mapping_version = models.ForeignKey(
        "sync.MappingVersion", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    replaced_rule_version = models.ForeignKey(
        "sync.RuleVersion", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    replaced_lookup_version = models.ForeignKey(
        "sync.LookupVersion", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["target"]
        constraints = [
            models.UniqueConstraint(fields=["release", "target"], name="release_item_target_unique"),
            models.CheckConstraint(
                condition=(
                    models.Q(
                        mapping_version__isnull=False, rule_version__isnull=True, lookup_version__isnull=True
                    )
                    | models.Q(
                        mapping_version__isnull=True, rule_version__isnull=False, lookup_version__isnull=True
                    )
                    | models.Q(
                        mapping_version__isnull=True, rule_version__isnull=True, lookup_version__isnull=False
                    )
                ),
                name="release_item_one_version",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.target} v{self.version_number}"

    @property
    def version_number(self) -> int:
        found = self.mapping_version or self.rule_version or self.lookup_version
        return found.number if found is not None else 0

    @property
    def version_id(self) -> int:
        return int(self.mapping_version_id or self.rule_version_id or self.lookup_version_id or 0)


class ReleaseTestStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    PASSED = "passed", "Passed"
    FAILED = "failed", "Failed"
    # Its worker stopped (killed, timed out, or its task lost by the broker): no heartbeat for the lease.
    INTERRUPTED = "interrupted", "Interrupted"


class ReleaseTestRun(models.Model):
    """The evidence a release was tried: a sandbox sync of chosen records and a reconciliation of them."""

    release = models.ForeignKey(Release, on_delete=models.CASCADE, related_name="test_runs")
    status = models.CharField(
        max_length=12, choices=ReleaseTestStatus.choices, default=ReleaseTestStatus.QUEUED
    )
    passed = models.BooleanField(default=False, help_text="No sync failure and no reconciliation mismatch")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    salesforce_connection = models.ForeignKey("sync.Connection", on_delete=models.PROTECT, related_name="+")
    netsuite_connection = models.ForeignKey("sync.Connection", on_delete=models.PROTECT, related_name="+")
    opportunity_ids = models.JSONField(default=list)
    # The item version ids when the run was asked for; sign-offs and publishing need them unchanged.
    items_fingerprint = models.CharField(max_length=2000)
    # What ran: {"mappings": {flow key: version id}, "rules": {rule key: version id},
    # "lookups": {table name: version id}}.
    configuration = models.JSONField(default=dict, blank=True)
    sync_job_ids = models.JSONField(default=list, blank=True)
    records_total = models.PositiveIntegerField(default=0)
    records_synced = models.PositiveIntegerField(default=0)
    records_failed = models.PositiveIntegerField(default=0)
    failures = models.JSONField(default=list, blank=True, help_text="One entry per failed record")
    reconciliation_run_ids = models.JSONField(default=list, blank=True)
    mismatch_count = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Renewed while the run goes (sync.pipeline.heartbeat.Heartbeat); the sweep
    # (governance.releases.testing.release_test_sweep) marks a running run whose heartbeat stopped.
    heartbeat_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"test run #{self.pk} of {self.release} ({self.status})"

    @property
    def is_active(self) -> bool:
        return self.status in (ReleaseTestStatus.QUEUED, ReleaseTestStatus.RUNNING)


class SignoffRole(models.TextChoices):
    REVOPS = "revops", "RevOps"
    FINANCE = "finance", "Finance"


class ReleaseSignoff(models.Model):
    """One person's sign-off of a release's test evidence, in one role; void once the items change."""

    release = models.ForeignKey(Release, on_delete=models.CASCADE, related_name="signoffs")
    test_run = models.ForeignKey(ReleaseTestRun, on_delete=models.PROTECT, related_name="signoffs")
    role = models.CharField(max_length=10, choices=SignoffRole.choices)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    note = models.TextField(blank=True)
    signed_at = models.DateTimeField(auto_now_add=True)
    invalidated_at = models.DateTimeField(null=True, blank=True)
    invalidated_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["signed_at", "id"]
        constraints = [
            # One standing sign-off per role, and two roles need two people.
            models.UniqueConstraint(
                fields=["release", "role"],
                condition=models.Q(invalidated_at__isnull=True),
                name="release_signoff_one_per_role",
            ),
            models.UniqueConstraint(
                fields=["release", "user"],
                condition=models.Q(invalidated_at__isnull=True),
                name="release_signoff_one_per_person",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_role_display()} sign-off of {self.release} by {self.user}"

    @property
    def is_valid(self) -> bool:
        return self.invalidated_at is None
