"""Which subsidiary an exception belongs to: one derivation every source of exceptions uses.

A source (the pipeline, matching before create, the return flows, reconciliation, go-live, the inbox)
says what it knows about the records in question as an :class:`ExceptionScope`, and
:func:`exception_raise <sync.exceptions.services.exception_raise>` turns it into a
:class:`~sync.exceptions.models.Subsidiary` here, in this order:

1. no NetSuite connection named: no subsidiary;
2. a connection without OneWorld (``Connection.single_entity``): its one entity, whatever the records say
   (such an account has no subsidiaries: all its exceptions belong to the same legal entity);
3. the subsidiary on the record itself: the mapped body Concord sent or meant to send (``subsidiary.id``),
   or the NetSuite record read back;
4. the Salesforce account's billing country, through the mapping's ``country_to_subsidiary`` table (the
   subsidiary the mapping would give it, for records that were never mapped or never reached NetSuite);
5. otherwise none: the exception is seen only by holders of the model-wide grant (RevOps, Admin,
   Auditor, or a person given every subsidiary). Scoped users never see what cannot be placed.

Subsidiary rows are per connection (internal ids are the account's own) and are created the first time
an exception names one, so an admin can grant them from the user's or the group's page.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction

from core.fields import field_fit
from sync.connections.models import Connection
from sync.exceptions.models import Subsidiary
from sync.integrations.models import Integration
from sync.integrations.selectors import primary_integration
from sync.mappings.engine.defaults import load_default_lookups
from sync.mappings.models import LookupEntry, LookupVersion, VersionStatus

# The words a source describes a scope in belong to the pipeline's port (it sits below the queue).
from sync.pipeline.problems import ExceptionScope, scope_of_bodies, subsidiary_of

__all__ = ["COUNTRY_TABLE", "ExceptionScope", "scope_of_bodies", "subsidiary_of", "subsidiary_resolve"]

COUNTRY_TABLE = "country_to_subsidiary"


def subsidiary_resolve(scope: ExceptionScope | None) -> Subsidiary | None:
    """The subsidiary an exception with this scope belongs to, created on first use; None when none."""
    if scope is None or scope.netsuite_connection_id is None:
        return None
    connection = Connection.objects.filter(pk=scope.netsuite_connection_id).first()
    if connection is None:
        return None
    if connection.single_entity:
        return subsidiary_get_or_create(connection, "", single_entity_name(connection))
    # The integration the exception was raised in routes by its own table (the primary's when unnamed).
    integration_id = getattr(scope, "integration_id", None)
    subsidiary_id = scope.subsidiary_id or _subsidiary_for_country(scope.billing_country, integration_id)
    if not subsidiary_id:
        return None
    return subsidiary_get_or_create(connection, subsidiary_id, scope.subsidiary_name)


def _subsidiary_for_country(country: str, integration_id: int | None = None) -> str:
    """The subsidiary id the integration's mapping lookup gives ``country`` (its published table; for the
    primary integration the shipped one while no table is published, as the pipeline reads them: see
    ``mapping_tables``)."""
    if not country:
        return ""
    owner = Integration.objects.filter(pk=integration_id).first() if integration_id else None
    owner = owner or primary_integration()
    value = (
        LookupEntry.objects.filter(
            version__table__integration=owner,
            version__table__name=COUNTRY_TABLE,
            version__status=VersionStatus.PUBLISHED,
            key=country,
        )
        .values_list("value", flat=True)
        .first()
    )
    published = LookupVersion.objects.filter(table__integration=owner, status=VersionStatus.PUBLISHED)
    if value is None and owner.is_primary and not published.exists():
        value = load_default_lookups().get(COUNTRY_TABLE, {}).get(country)
    return str(value) if value not in (None, "") else ""


def single_entity_name(connection: Connection) -> str:
    return f"{connection.name} (single entity)"


def subsidiary_get_or_create(connection: Connection, netsuite_id: str, name: str) -> Subsidiary:
    """The row of subsidiary ``netsuite_id`` of ``connection`` (``""``: its single entity), created with
    ``name`` the first time (keyed ``<connection>:<id>``); safe against a concurrent first use."""
    netsuite_id = field_fit(Subsidiary, "netsuite_id", netsuite_id)
    found = Subsidiary.objects.filter(netsuite_connection=connection, netsuite_id=netsuite_id).first()
    if found is None:
        key = field_fit(Subsidiary, "key", f"{connection.name}:{netsuite_id or 'entity'}")
        try:
            # A savepoint: a concurrent first use of the same subsidiary must not break the caller's
            # transaction; the loser reads the winner's row.
            with transaction.atomic():
                found = Subsidiary.objects.create(
                    key=key,
                    name=field_fit(Subsidiary, "name", name),
                    netsuite_connection=connection,
                    netsuite_id=netsuite_id,
                )
        except IntegrityError:
            found = Subsidiary.objects.filter(netsuite_connection=connection, netsuite_id=netsuite_id).first()
            if found is None:
                # The key is another row's (one named by hand): this subsidiary gets a key of its own.
                found, _ = Subsidiary.objects.get_or_create(
                    netsuite_connection=connection,
                    netsuite_id=netsuite_id,
                    defaults={
                        "key": field_fit(Subsidiary, "key", f"{key}#{connection.pk}"),
                        "name": field_fit(Subsidiary, "name", name),
                    },
                )
    elif name and not found.name:
        found.name = field_fit(Subsidiary, "name", name)
        found.save(update_fields=["name"])
    return found
