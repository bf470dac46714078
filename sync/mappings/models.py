"""Field mappings as versioned rows: a flow, its versions, their object and field mappings, lookups.

A version's rows are an exact, editable image of the engine's JSON spec (``sync.mappings.engine.spec``):
:mod:`sync.mappings.services.specs` turns rows into a spec and back, and the engine validates and runs the
spec. Rows rather than one JSON blob, so the editor changes one field row at a time, reorders them, and
the audit trail and the diff speak of rows a person recognises.

A published version is immutable: ``save()`` and ``delete()`` on its rows refuse (the services refuse
first, with a friendlier message). A change is a new draft copied from it.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from sync.integrations.models import Integration
from sync.integrations.selectors import primary_integration_pk


class MappingFrozen(ValidationError):
    """A write to a version that is no longer a draft."""


def primary_integration_id() -> int:
    """The default integration of configuration created without naming one: the primary integration."""
    return primary_integration_pk()


class Flow(models.Model):
    """One mapping flow of the product, e.g. ``opportunity_to_netsuite``, of one integration.

    Every integration has its own flows under the same keys: the pipeline reads the flow of the
    integration its connection pair belongs to, never another's.
    """

    integration = models.ForeignKey(
        Integration, on_delete=models.PROTECT, related_name="flows", default=primary_integration_id
    )
    key = models.SlugField(max_length=80)
    source = models.CharField(max_length=80, help_text="The source object, e.g. Opportunity")
    target_system = models.CharField(max_length=20, default="netsuite")
    direction = models.CharField(max_length=40, help_text="e.g. Salesforce -> NetSuite")
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["integration_id", "key"]
        constraints = [
            models.UniqueConstraint(fields=["integration", "key"], name="flow_integration_key_unique")
        ]
        # Per-flow access (sync.exceptions.permissions.flow_edit_allowed): granted on one flow with
        # django-guardian,
        # it lets a person without the edit_mappings capability edit that flow's drafts.
        permissions = [("operate_flow", "Edit this flow's mapping drafts and submit them")]

    def __str__(self) -> str:
        return self.key


class FlowUserPermission(UserObjectPermissionBase):
    """A per-flow grant to one person (direct foreign key: indexed, gone with the flow)."""

    content_object = models.ForeignKey(Flow, on_delete=models.CASCADE)

    class Meta(UserObjectPermissionBase.Meta):
        pass


class FlowGroupPermission(GroupObjectPermissionBase):
    """A per-flow grant to a group."""

    content_object = models.ForeignKey(Flow, on_delete=models.CASCADE)

    class Meta(GroupObjectPermissionBase.Meta):
        pass


class VersionStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted"
    APPROVED = "approved", "Approved"
    PUBLISHED = "published", "Published"
    SUPERSEDED = "superseded", "Superseded"
    RETIRED = "retired", "Retired"


# Only a draft's rows change; every later status is a record of what was reviewed or ran.
EDITABLE_STATUSES = frozenset({VersionStatus.DRAFT})
FROZEN_STATUSES = frozenset({VersionStatus.PUBLISHED, VersionStatus.SUPERSEDED, VersionStatus.RETIRED})


def version_constraints(*, scope: str, prefix: str) -> list[models.BaseConstraint]:
    """One number per version of a ``scope`` (flow, table), and one published version per scope: the
    database, not only the service, guarantees it."""
    return [
        models.UniqueConstraint(fields=[scope, "number"], name=f"{prefix}_number_unique"),
        models.UniqueConstraint(
            fields=[scope], condition=models.Q(status="published"), name=f"{prefix}_one_published"
        ),
    ]


class ReviewedVersion(models.Model):
    """What mapping and lookup versions share: number, status, makers and the four-eyes stamps.

    A published (or later) version may only move on to superseded/retired; its ``content_fields`` never
    change, and only a draft can be deleted. The life cycle itself is
    :mod:`sync.mappings.services.lifecycle`.
    """

    content_fields: ClassVar[tuple[str, ...]] = ("notes",)

    number = models.PositiveIntegerField()
    status = models.CharField(max_length=20, choices=VersionStatus.choices, default=VersionStatus.DRAFT)
    notes = models.TextField(blank=True, help_text="Why this version exists")
    based_on = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Everyone who changed the content: the makers, none of whom may approve (four eyes).
    editors = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            stored = (
                type(self)._default_manager.filter(pk=self.pk).values("status", *self.content_fields).first()
            )
            if stored and stored["status"] in FROZEN_STATUSES:
                if any(stored[name] != getattr(self, name) for name in self.content_fields):
                    raise MappingFrozen(f"{self} is {stored['status']}: its content cannot change")
                if self.status not in FROZEN_STATUSES:
                    raise MappingFrozen(f"{self} is {stored['status']}: it cannot go back to {self.status}")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        if self.status != VersionStatus.DRAFT:
            raise MappingFrozen(f"{self} is {self.status}: only a draft can be deleted")
        return super().delete(*args, **kwargs)

    @property
    def is_editable(self) -> bool:
        return self.status in EDITABLE_STATUSES

    def makers(self) -> set[int]:
        """Everyone who made the content: its creator, each editor, whoever submitted it."""
        ids = set(self.editors.values_list("pk", flat=True))
        ids.update(pk for pk in (self.created_by_id, self.submitted_by_id) if pk is not None)
        return ids


class MappingVersion(ReviewedVersion):
    content_fields = ("notes", "description")

    flow = models.ForeignKey(Flow, on_delete=models.PROTECT, related_name="versions")
    description = models.TextField(blank=True, help_text="The spec's description")

    class Meta:
        ordering = ["flow", "-number"]
        constraints = version_constraints(scope="flow", prefix="mapping_version")

    def __str__(self) -> str:
        return f"{self.flow.key} v{self.number}"


def _guard(version_id: int | None) -> None:
    if version_id is None:
        return
    status = MappingVersion.objects.filter(pk=version_id).values_list("status", flat=True).first()
    if status is not None and status not in EDITABLE_STATUSES:
        raise MappingFrozen(f"mapping version {version_id} is {status}: only a draft's rows change")


class VersionRow(models.Model):
    """A row that belongs to a version and so freezes with it."""

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        _guard(self.version_id_for_guard())
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        _guard(self.version_id_for_guard())
        return super().delete(*args, **kwargs)

    def version_id_for_guard(self) -> int | None:
        raise NotImplementedError


class ObjectMode(models.TextChoices):
    UPSERT = "upsert", "Create or update (upsert by external id)"
    CREATE_ONLY = "create_only", "Create only"
    UPDATE_ONLY = "update_only", "Update only"


class ObjectMapping(VersionRow):
    """One source object (or list item) -> one target record type; the engine's object spec."""

    version = models.ForeignKey(MappingVersion, on_delete=models.CASCADE, related_name="object_mappings")
    order = models.PositiveIntegerField(default=0)
    key = models.CharField(max_length=80)
    target = models.CharField(max_length=80, help_text="Target record type, e.g. customer, salesOrder")
    source_path = models.CharField(max_length=300, blank=True, help_text="Where in the graph, e.g. Account")
    for_each = models.CharField(max_length=300, blank=True, help_text="One record per item of this list")
    where = models.JSONField(null=True, blank=True, help_text="Condition: map only matching records")
    # External-id strategy: the value expression the record is matched on and the field holding it.
    external_id = models.JSONField(null=True, blank=True)
    external_id_field = models.CharField(max_length=80, blank=True)
    mode = models.CharField(max_length=20, choices=ObjectMode.choices, default=ObjectMode.UPSERT)
    depends_on = models.JSONField(default=list, blank=True)
    source_id = models.CharField(max_length=300, blank=True)
    description = models.TextField(blank=True)
    # Matching before create: {"keys": [...]} (sync.matching.engine.config); null = upsert on the external id
    # only.
    match = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["version", "order", "id"]
        constraints = [models.UniqueConstraint(fields=["version", "key"], name="object_mapping_key_unique")]

    def __str__(self) -> str:
        return f"{self.key} -> {self.target}"

    def version_id_for_guard(self) -> int | None:
        return self.version_id


class ValueKind(models.TextChoices):
    SOURCE = "source", "Source path"
    CONSTANT = "constant", "Constant"
    REF = "ref", "Another object's id"
    CONCAT = "concat", "Concatenation"
    GROUP = "group", "Sublist group (one line per item)"


class FieldApply(models.TextChoices):
    ALWAYS = "always", "Always"
    CREATE_ONLY = "create_only", "On create only"


class FieldMapping(VersionRow):
    """One target field (or a sublist group of rows) of an object mapping; the engine's field row."""

    object_mapping = models.ForeignKey(ObjectMapping, on_delete=models.CASCADE, related_name="fields")
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="children"
    )  # set for the rows of a group (``each``)
    order = models.PositiveIntegerField(default=0)
    key = models.CharField(max_length=100, help_text="The row id, named in validation errors")
    target = models.CharField(
        max_length=300,
        help_text="e.g. companyName, addressBook.items[0].addressBookAddress.addr1, item.items[]",
    )
    kind = models.CharField(max_length=20, choices=ValueKind.choices, default=ValueKind.SOURCE)
    source = models.CharField(max_length=300, blank=True, help_text="e.g. Account.BillingCity")
    constant = models.JSONField(null=True, blank=True)
    ref = models.CharField(max_length=80, blank=True)
    ref_item = models.CharField(max_length=300, blank=True)
    concat = models.JSONField(null=True, blank=True)
    separator = models.CharField(max_length=40, blank=True)
    transforms = models.JSONField(default=list, blank=True, help_text="The transform chain")
    each = models.CharField(max_length=300, blank=True, help_text="For a group: the list to iterate")
    where = models.JSONField(null=True, blank=True, help_text="For a group: which items")
    required = models.BooleanField(default=False)
    optional = models.BooleanField(
        default=False,
        help_text="Skip this row where the connected systems lack its source or target field",
    )
    apply = models.CharField(max_length=20, choices=FieldApply.choices, default=FieldApply.ALWAYS)
    when_empty = models.CharField(
        max_length=10, default="omit", choices=[("omit", "omit"), ("clear", "clear")]
    )
    note = models.TextField(blank=True)
    # The system of record of this field; blank is the flow's source side (the spec leaves it out).
    owner = models.CharField(
        max_length=20, blank=True, choices=[("salesforce", "Salesforce"), ("netsuite", "NetSuite")]
    )
    on_conflict = models.CharField(
        max_length=20,
        default="owner_wins",
        choices=[
            ("owner_wins", "Owner's value wins"),
            ("record_only", "Record only (keep the other side's change)"),
        ],
    )

    class Meta:
        ordering = ["object_mapping", "order", "id"]

    def __str__(self) -> str:
        return f"{self.key} -> {self.target}"

    @property
    def label(self) -> str:
        """The label the engine uses in its errors ("lines/line_item" for a row of a group)."""
        return f"{self.parent.label}/{self.key}" if self.parent_id and self.parent else self.key

    def version_id_for_guard(self) -> int | None:
        return (
            ObjectMapping.objects.filter(pk=self.object_mapping_id)
            .values_list("version_id", flat=True)
            .first()
        )


class LookupTable(models.Model):
    """A value map (currency code -> NetSuite currency id, country -> subsidiary, picklist -> term).

    Versioned separately from mappings, on purpose: a table describes the NetSuite account's set-up
    (internal ids), is shared by several flows, and changes when the account changes, not when the
    mapping logic does. Its entries live in :class:`LookupVersion` rows with the mapping versions' life
    cycle (draft -> submitted -> approved by someone else -> published): money moves by these ids, so
    one person never re-routes production alone. The pipeline reads only the published version;
    ``revision`` is its number. A published mapping names tables, and its compile fails loudly when a
    table it needs is gone.
    """

    integration = models.ForeignKey(
        Integration, on_delete=models.PROTECT, related_name="lookup_tables", default=primary_integration_id
    )
    name = models.SlugField(max_length=80)
    description = models.TextField(blank=True)
    revision = models.PositiveIntegerField(default=1, help_text="The published version's number")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["integration_id", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["integration", "name"], name="lookup_table_integration_name_unique"
            )
        ]

    def __str__(self) -> str:
        return self.name


class LookupVersion(ReviewedVersion):
    """One version of a table's entries; statuses and four eyes as :class:`MappingVersion`'s."""

    table = models.ForeignKey(LookupTable, on_delete=models.PROTECT, related_name="versions")

    class Meta:
        ordering = ["table", "-number"]
        constraints = version_constraints(scope="table", prefix="lookup_version")

    def __str__(self) -> str:
        return f"{self.table.name} v{self.number}"


class LookupEntry(models.Model):
    """One key -> value of a lookup version; only a draft's entries change."""

    version = models.ForeignKey(LookupVersion, on_delete=models.CASCADE, related_name="entries")
    key = models.CharField(max_length=200)
    value = models.JSONField()

    class Meta:
        ordering = ["version", "key"]
        constraints = [
            models.UniqueConstraint(fields=["version", "key"], name="lookup_entry_version_key_unique")
        ]

    def __str__(self) -> str:
        return f"{self.version}[{self.key}]"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self._guard()
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        self._guard()
        return super().delete(*args, **kwargs)

    def _guard(self) -> None:
        status = LookupVersion.objects.filter(pk=self.version_id).values_list("status", flat=True).first()
        if status is not None and status not in EDITABLE_STATUSES:
            raise MappingFrozen(
                f"lookup version {self.version_id} is {status}: only a draft's entries change"
            )


class DynamicLookupEntry(models.Model):
    """A cached answer of a dynamic lookup (``netsuite_item_by_sku``: SKU -> item id, from SuiteQL).

    ``value`` is blank for a key NetSuite did not know when it was asked (a cached miss). Answers are
    kept per NetSuite connection: internal ids differ from one account to another.
    """

    netsuite_connection = models.ForeignKey("sync.Connection", on_delete=models.CASCADE, related_name="+")
    source = models.CharField(max_length=80)
    key = models.CharField(max_length=200)
    value = models.CharField(max_length=200, blank=True)  # "" is a cached miss
    fetched_at = models.DateTimeField()

    class Meta:
        ordering = ["netsuite_connection", "source", "key"]
        constraints = [
            models.UniqueConstraint(
                fields=["netsuite_connection", "source", "key"], name="dynamic_lookup_connection_key_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.source}[{self.key}]"
