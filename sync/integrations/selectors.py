"""Which integration a connection pair runs under, and the primary one.

A Salesforce org belongs to one integration (as its production or its sandbox org), so the Salesforce
connection decides. A pair no integration names runs under the primary integration: a single-org install
never has to set up integrations at all.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import Q

from sync.integrations.models import Integration

PRIMARY_NAME = "primary"


def primary_integration() -> Integration:
    """The primary integration (created on first use if a flushed database lost it)."""
    found = Integration.objects.filter(is_primary=True).first()
    if found is not None:
        return found
    try:
        with transaction.atomic():
            return Integration.objects.create(
                name=PRIMARY_NAME, label="Primary", namespace="", is_primary=True
            )
    except IntegrityError:  # another process created it first
        return Integration.objects.get(is_primary=True)


def primary_integration_pk() -> int:
    """The primary integration's id, read alone: the default of configuration rows created without an
    integration, evaluated by data migrations too, while the table may still lack later columns
    (migration 0029 always created the primary)."""
    found = Integration.objects.filter(is_primary=True).values_list("pk", flat=True).first()
    return found if found is not None else primary_integration().pk


def integration_for_connection(salesforce_connection_id: int | None) -> Integration:
    """The integration a Salesforce connection belongs to (production or sandbox); the primary one if none.

    One query answers both (the connection's integration sorts before the primary), so the common
    single-org case, a pair no integration names, does not read the primary again per call; nothing is
    cached, so a flushed or changed table is always read as it is.
    """
    if salesforce_connection_id is None:
        return primary_integration()
    found = (
        Integration.objects.filter(
            Q(salesforce_connection_id=salesforce_connection_id)
            | Q(sandbox_salesforce_connection_id=salesforce_connection_id)
            | Q(is_primary=True)
        )
        .order_by("is_primary", "pk")
        .first()
    )
    # The primary names the connection itself, or is the fallback; None only when a flush lost it.
    return found if found is not None else primary_integration()


def integration_for_pair(
    salesforce_connection_id: int | None, netsuite_connection_id: int | None
) -> Integration:
    """The integration a (Salesforce, NetSuite) pair runs under.

    The Salesforce org decides (an org belongs to one integration). ``netsuite_connection_id`` is taken
    for the callers' symmetry and checked: a pair whose NetSuite side is not the integration's (nor its
    sandbox's) still resolves, since sandboxes are paired during release tests.
    """
    del netsuite_connection_id  # the org decides; see the docstring
    return integration_for_connection(salesforce_connection_id)


def integration_namespaces() -> dict[int, str]:
    """Every integration's namespace by id (the primary one's is "")."""
    return dict(Integration.objects.values_list("pk", "namespace"))


def integration_by_name(name: str) -> Integration:
    """The integration called ``name``; Integration.DoesNotExist if there is none."""
    return Integration.objects.get(name=name)
