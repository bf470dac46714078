"""The integration: a Salesforce org and a NetSuite account that Concord keeps in agreement."""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

# Upper-case letters and digits, 2 to 10 long. The namespace prefixes every external id the integration
# writes (``ACQ-0065S...``); the primary integration's is empty, so the ids Concord wrote before there
# were integrations keep meaning what they meant. The words Concord's own ids start with are reserved,
# so a namespaced id can never read as another integration's (``SUB-...`` is a subscription's).
NAMESPACE_RE = r"^[A-Z][A-Z0-9]{1,9}$"
RESERVED_NAMESPACES = frozenset({"BA", "SUB", "CO", "SO", "INV", "PRIMARY", "SF", "NS"})


STATUS_SYSTEMS = ("salesforce", "netsuite")
STATUS_KEYS = ("status", "message", "time")
FIELD_NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,79}$")


def status_fields_validate(value: Any) -> None:
    """``{"salesforce"|"netsuite": {object: {"status"|"message"|"time": field name or ""}}}``."""
    if not isinstance(value, dict):
        raise ValidationError("the sync status fields must be an object keyed by salesforce / netsuite")
    for system, objects in value.items():
        if system not in STATUS_SYSTEMS:
            raise ValidationError(f"unknown system {system!r}: use salesforce or netsuite")
        if not isinstance(objects, dict):
            raise ValidationError(f"{system}: an object of record types")
        for record_type, fields in objects.items():
            if not isinstance(record_type, str) or not FIELD_NAME_RE.match(record_type):
                raise ValidationError(f"{system}: {record_type!r} is not a record type name")
            if not isinstance(fields, dict) or set(fields) - set(STATUS_KEYS):
                raise ValidationError(f"{system}.{record_type}: only status, message and time may be set")
            for key, name in fields.items():
                if not isinstance(name, str) or (name and not FIELD_NAME_RE.match(name)):
                    raise ValidationError(f"{system}.{record_type}.{key}: {name!r} is not a field name")


class Integration(models.Model):
    """One Salesforce org with one NetSuite account, plus their sandbox pair for releases.

    Exactly one integration is *primary* (``is_primary``; its namespace is empty): it was there before
    integrations existed and owns the configuration every install starts with. A connection pair no
    integration names runs under the primary one (a single-org install never has to set anything up).
    """

    name = models.SlugField(max_length=80, unique=True, help_text="Used by commands and the API")
    label = models.CharField(max_length=200, blank=True, help_text="e.g. Acme (acquired 2026)")
    namespace = models.CharField(
        max_length=10,
        blank=True,
        validators=[
            RegexValidator(NAMESPACE_RE, "2-10 upper-case letters and digits, starting with a letter")
        ],
        help_text="Prefix of the external ids this integration writes (empty only for the primary)",
    )
    is_primary = models.BooleanField(default=False, editable=False)
    salesforce_connection = models.ForeignKey(
        "sync.Connection", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    netsuite_connection = models.ForeignKey(
        "sync.Connection", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    sandbox_salesforce_connection = models.ForeignKey(
        "sync.Connection", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    sandbox_netsuite_connection = models.ForeignKey(
        "sync.Connection", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    based_on = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The integration whose configuration this one started as a copy of",
    )
    status_fields = models.JSONField(
        default=dict,
        blank=True,
        validators=[status_fields_validate],
        help_text=(
            "Where this org and account keep the sync status, object by object, over the install's "
            'defaults: {"salesforce": {"Opportunity": {"status": "ERP_Sync_Status__c", "message": '
            '"ERP_Sync_Error__c", "time": "ERP_Last_Synced__c"}}}; "" leaves a field unwritten'
        ),
    )
    is_active = models.BooleanField(default=True)
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-is_primary", "name"]
        permissions = [("access_integration", "See and work on this integration's data")]
        constraints = [
            models.UniqueConstraint(
                fields=["is_primary"], condition=models.Q(is_primary=True), name="integration_one_primary"
            ),
            models.UniqueConstraint(
                fields=["namespace"], condition=~models.Q(namespace=""), name="integration_namespace_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(is_primary=True) | ~models.Q(namespace=""),
                name="integration_namespace_required",
            ),
            # One Salesforce org belongs to one integration (its records, ids and people are its own).
            models.UniqueConstraint(fields=["salesforce_connection"], name="integration_salesforce_unique"),
            models.UniqueConstraint(
                fields=["sandbox_salesforce_connection"], name="integration_sandbox_salesforce_unique"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class IntegrationUserPermission(UserObjectPermissionBase):
    """A per-integration grant to one person (direct foreign key: indexed, gone with the integration)."""

    content_object = models.ForeignKey(Integration, on_delete=models.CASCADE)

    class Meta(UserObjectPermissionBase.Meta):
        pass


class IntegrationGroupPermission(GroupObjectPermissionBase):
    """A per-integration grant to a group."""

    content_object = models.ForeignKey(Integration, on_delete=models.CASCADE)

    class Meta(GroupObjectPermissionBase.Meta):
        pass
