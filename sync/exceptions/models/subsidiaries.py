"""Subsidiaries, and who may handle their exceptions (django-guardian object permissions).

A grant of ``sync.handle_exceptions`` on one :class:`Subsidiary` lets a user (or a group) see and act
on that subsidiary's exceptions; the same permission held model-wide (through a role or a user
permission) reaches every subsidiary. Grants use the direct foreign-key tables below rather than
guardian's generic ones: they are indexed and vanish with the subsidiary.
"""

from __future__ import annotations

from django.db import models
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase


class Subsidiary(models.Model):
    """A legal entity in NetSuite (``subsidiary`` on a record); exceptions are scoped by it.

    Internal ids are the account's own, so a subsidiary belongs to one NetSuite connection
    (``netsuite_connection`` and ``netsuite_id``; :mod:`sync.exceptions.scope` creates them as
    exceptions name them). A connection without OneWorld (``Connection.single_entity``) has one row with
    a blank ``netsuite_id``: the account's only entity. Rows without a connection are named by ``key`` alone.
    """

    key = models.CharField(max_length=100, unique=True, help_text="The NetSuite subsidiary id or name")
    name = models.CharField(max_length=200, blank=True)
    netsuite_connection = models.ForeignKey(
        "sync.Connection", null=True, blank=True, on_delete=models.CASCADE, related_name="subsidiaries"
    )
    netsuite_id = models.CharField(
        max_length=40, blank=True, help_text="Internal id in that account; blank: the account's single entity"
    )
    # Read from NetSuite (sync.exceptions.netsuite_lists); a subsidiary gone from the account is kept
    # (and its grants with it), marked inactive.
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="children"
    )
    is_inactive = models.BooleanField(default=False)
    country = models.CharField(max_length=2, blank=True)
    currency = models.CharField(max_length=60, blank=True)
    read_at = models.DateTimeField(null=True, blank=True, help_text="Last read from NetSuite")

    class Meta:
        ordering = ["key"]
        verbose_name_plural = "subsidiaries"
        permissions = [("handle_exceptions", "See and act on this subsidiary's exceptions")]
        constraints = [
            models.UniqueConstraint(
                fields=["netsuite_connection", "netsuite_id"],
                condition=models.Q(netsuite_connection__isnull=False),
                name="subsidiary_one_per_connection_id",
            )
        ]

    def __str__(self) -> str:
        return self.name or self.key


class SubsidiaryUserPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Subsidiary, on_delete=models.CASCADE)

    class Meta(UserObjectPermissionBase.Meta):
        pass


class SubsidiaryGroupPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Subsidiary, on_delete=models.CASCADE)

    class Meta(GroupObjectPermissionBase.Meta):
        pass


class NetSuiteListKind(models.TextChoices):
    DEPARTMENT = "department", "Department"
    CLASSIFICATION = "classification", "Class"
    LOCATION = "location", "Location"


class NetSuiteListValue(models.Model):
    """A department, class or location of one NetSuite account, read from it with its name, so that
    people can route and grant by it before any record names it. Never deleted by a re-read: one gone
    from NetSuite is marked inactive."""

    connection = models.ForeignKey("sync.Connection", on_delete=models.CASCADE, related_name="list_values")
    kind = models.CharField(max_length=20, choices=NetSuiteListKind.choices)
    netsuite_id = models.CharField(max_length=40)
    name = models.CharField(max_length=300)
    parent_netsuite_id = models.CharField(max_length=40, blank=True)
    is_inactive = models.BooleanField(default=False)
    read_at = models.DateTimeField()

    class Meta:
        ordering = ["connection", "kind", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "kind", "netsuite_id"], name="netsuite_list_value_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.name}"
