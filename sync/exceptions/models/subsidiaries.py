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
