"""What the pipeline did: jobs (one batch), records (one opportunity), failures, and cross-references.

Workers write these; people only read them (a re-run is a new inbox message, not an edit).
"""

from __future__ import annotations

from django.db import models

# What a job's, a record's or an inbox message's message keeps: a product cap (the columns are TextFields,
# without a limit of their own), so one runaway error cannot fill a page or a row.
MESSAGE_LIMIT = 4000


class JobStatus(models.TextChoices):
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    PARTIAL = "partial", "Partly failed"
    FAILED = "failed", "Failed"
    # Its worker stopped mid-way (killed, timed out, task lost): the interrupted-work sweep found its
    # heartbeat too old. The inbox (or the backfill) hands the unfinished opportunities out again.
    INTERRUPTED = "interrupted", "Interrupted"


class SyncJob(models.Model):
    """One batch of inbox messages taken by one worker."""

    flow = models.CharField(max_length=80, default="opportunity_to_netsuite")
    trigger = models.CharField(max_length=20, blank=True)
    status = models.CharField(max_length=12, choices=JobStatus.choices, default=JobStatus.RUNNING)
    salesforce_connection = models.ForeignKey("sync.Connection", on_delete=models.PROTECT, related_name="+")
    netsuite_connection = models.ForeignKey("sync.Connection", on_delete=models.PROTECT, related_name="+")
    # Renewed by the running worker every third of JOB_LEASE_SECONDS (sync.pipeline.heartbeat); a
    # running job whose heartbeat is older than that has lost its worker.
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    mapping_version_id = models.IntegerField(null=True, blank=True)
    worker = models.CharField(max_length=80, blank=True)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    records_total = models.PositiveIntegerField(default=0)
    records_synced = models.PositiveIntegerField(default=0)
    records_failed = models.PositiveIntegerField(default=0)
    netsuite_writes = models.PositiveIntegerField(default=0)
    netsuite_writes_skipped = models.PositiveIntegerField(default=0)
    message = models.TextField(blank=True)
    # The correlation id the job ran under: audit entries written meanwhile (exceptions raised or
    # resolved) carry it in ``AuditEntry.cid``.
    correlation_id = models.CharField(max_length=64, blank=True, db_index=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        # The jobs page lists the newest first, under one filter at a time (a person limited to some
        # integrations filters by Salesforce connection): each index ends in (started_at, id), so the
        # newest come straight off it. The dashboard sums a window of days of the first one without
        # reading the table (its INCLUDE columns). bench/volume.py measures them at a million jobs.
        indexes = [
            models.Index(
                fields=["started_at", "id"],
                include=[
                    "flow",
                    "salesforce_connection",
                    "records_total",
                    "records_synced",
                    "records_failed",
                ],
                name="syncjob_started",
            ),
            models.Index(fields=["salesforce_connection", "started_at", "id"], name="syncjob_sf_started"),
            models.Index(fields=["flow", "started_at", "id"], name="syncjob_flow_started"),
            models.Index(fields=["status", "started_at", "id"], name="syncjob_status_started"),
        ]

    def __str__(self) -> str:
        return f"job {self.pk} {self.flow} {self.status}"


class RecordStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SYNCED = "synced", "Synced"
    SKIPPED = "skipped", "Skipped (not won)"
    BLOCKED = "blocked", "Blocked by a rule"
    FAILED = "failed", "Failed"


class SyncRecord(models.Model):
    """One opportunity within a job: its outcome, attempts, timings and NetSuite ids."""

    job = models.ForeignKey(SyncJob, on_delete=models.CASCADE, related_name="records")
    opportunity_id = models.CharField(max_length=18, db_index=True)
    status = models.CharField(max_length=10, choices=RecordStatus.choices, default=RecordStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    mapping_version_id = models.IntegerField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    # {ref key: NetSuite internal id}: customer, contact[003...], sales_order ...
    netsuite_ids = models.JSONField(default=dict, blank=True)
    writes = models.PositiveSmallIntegerField(default=0)
    writes_skipped = models.PositiveSmallIntegerField(default=0)
    # Request/response excerpts of the NetSuite calls made for this record, secrets masked.
    exchanges = models.JSONField(default=list, blank=True)
    # Each rule evaluation the gates made for this record: placement, what it judged, the decision, the
    # rule version ids evaluated and the outcomes that did not pass (see sync.pipeline.gates).
    rule_evaluations = models.JSONField(default=list, blank=True)
    message = models.TextField(blank=True)
    # new, amendment or renewal (sync.lifecycle.kinds): "" for records written before issue 22.
    deal_kind = models.CharField(max_length=20, blank=True)

    class Meta:
        ordering = ["job", "id"]
        constraints = [
            models.UniqueConstraint(fields=["job", "opportunity_id"], name="sync_record_job_opportunity")
        ]

    def __str__(self) -> str:
        return f"{self.opportunity_id} {self.status}"


class ReturnStatus(models.TextChoices):
    WRITTEN = "written", "Written to Salesforce"
    UNCHANGED = "unchanged", "Salesforce already held it"
    FAILED = "failed", "Failed"
    READ = "read", "Read, nothing to write"


class ReturnRecord(models.Model):
    """One NetSuite transaction read by a return-flow job, the records it links, and what became of it.

    The links are NetSuite's own (an invoice's created-from order, the invoices a payment applies to,
    the opportunity id the order carries), so an invoice or a payment can be traced back to its
    opportunity from the database alone. A payment applied to several invoices is one row per invoice.
    """

    job = models.ForeignKey(SyncJob, on_delete=models.CASCADE, related_name="return_records")
    netsuite_type = models.CharField(max_length=40)  # invoice, customerPayment, salesOrder
    netsuite_id = models.CharField(max_length=40, db_index=True)
    tran_id = models.CharField(max_length=60, blank=True)
    opportunity_id = models.CharField(max_length=18, blank=True, db_index=True)
    sales_order_id = models.CharField(max_length=40, blank=True, db_index=True)
    invoice_id = models.CharField(max_length=40, blank=True, db_index=True)
    # The Salesforce record written (an Invoice__c Id, or the Opportunity Id), when known.
    salesforce_id = models.CharField(max_length=18, blank=True, db_index=True)
    mapping_version_id = models.IntegerField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=ReturnStatus.choices, default=ReturnStatus.READ)
    message = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["job", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["job", "netsuite_type", "netsuite_id", "invoice_id"], name="sync_return_record_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.netsuite_type} {self.netsuite_id} {self.status}"


class FailureCategory(models.TextChoices):
    VENDOR = "vendor", "Rejected by the vendor"
    TRANSIENT = "transient", "Transient faults, attempts exhausted"
    MAPPING = "mapping", "Could not be mapped"
    RULE = "rule", "Blocked by a rule"
    MISSING = "missing", "Record not found"
    DUPLICATE = "duplicate", "Duplicate suspect: a person picks the NetSuite record"
    LOCKED = "locked", "Locked in NetSuite: billed, fulfilled, closed or past approval"


class SyncFailure(models.Model):
    """Why one record did not sync: what the exception queue (issue 8) turns into exceptions."""

    record = models.ForeignKey(SyncRecord, on_delete=models.CASCADE, related_name="failures")
    category = models.CharField(max_length=12, choices=FailureCategory.choices)
    system = models.CharField(max_length=20, blank=True)
    vendor_code = models.CharField(max_length=80, blank=True)
    message = models.TextField()
    error_path = models.CharField(max_length=300, blank=True)
    mapping_object_key = models.CharField(max_length=80, blank=True)
    mapping_field_id = models.CharField(max_length=80, blank=True)
    source_id = models.CharField(max_length=18, blank=True)
    # The value Concord sent at ``error_path`` (from the body of the failing write), shown as the old
    # value when a person edits it; null when the error names no field or the body has none there.
    sent_value = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.category} {self.vendor_code} {self.message[:60]}"


class CrossReference(models.Model):
    """A Salesforce record and the NetSuite record it became, with the hash of the last payload sent.

    Each integration keeps its own cross-references (``integration``; empty: the primary one's, as rows
    written before integrations existed), keyed by the external id it writes
    (:func:`sync.integrations.namespacing.eid_namespaced`). ``shared``: the NetSuite record carries another
    integration's external id (a customer both companies sell to), so this integration updates it by
    internal id and never re-keys it.
    """

    netsuite_connection = models.ForeignKey("sync.Connection", on_delete=models.CASCADE, related_name="+")
    integration = models.ForeignKey(
        "sync.Integration", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    netsuite_type = models.CharField(max_length=60)
    external_id = models.CharField(max_length=200)
    netsuite_id = models.CharField(max_length=40)
    salesforce_id = models.CharField(max_length=18, db_index=True)
    object_key = models.CharField(max_length=80)
    payload_hash = models.CharField(max_length=64)
    # The error NetSuite shows on the record's sync status fields (a hash of the message, see
    # sync/pipeline/sync_status.py); empty while it shows "Synced".
    error_shown = models.CharField(max_length=64, blank=True, default="")
    shared = models.BooleanField(default=False)
    synced_at = models.DateTimeField()

    class Meta:
        ordering = ["netsuite_type", "external_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["netsuite_connection", "integration", "netsuite_type", "external_id"],
                name="sync_xref_unique_per_integration",
            )
        ]
        # Traceability looks a sales order up by its internal id (from its invoice) or its external id
        # (what an auditor may paste), across connections.
        indexes = [
            models.Index(fields=["netsuite_type", "netsuite_id"], name="sync_xref_type_netsuite_id"),
            models.Index(fields=["netsuite_type", "external_id"], name="sync_xref_type_external_id"),
        ]

    def __str__(self) -> str:
        return f"{self.salesforce_id} -> {self.netsuite_type} {self.netsuite_id}"


class PollWatermark(models.Model):
    """How far catch-up polling has read: the highest SystemModstamp seen (Salesforce's clock, not ours).

    Each poll re-reads an overlap window before it; the inbox's unique notification id
    ``poll:<Id>:<SystemModstamp>`` makes a record read twice at the same stamp one event.
    """

    name = models.CharField(max_length=120, unique=True)
    salesforce_connection = models.ForeignKey("sync.Connection", on_delete=models.CASCADE, related_name="+")
    netsuite_connection = models.ForeignKey("sync.Connection", on_delete=models.CASCADE, related_name="+")
    watermark = models.DateTimeField(null=True, blank=True)
    last_polled_at = models.DateTimeField(null=True, blank=True)
    last_found = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.name} @ {self.watermark}"
