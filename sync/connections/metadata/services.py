"""Refreshing a connection's metadata cache: Salesforce describe, NetSuite's metadata catalog.

Life cycle: a connection starts with no cache (:func:`~sync.connections.metadata.selectors.
connection_metadata` answers no objects). :func:`metadata_refresh` lists what the system has
(describeGlobal / the catalog), reads the objects Concord needs that it lists, plus any asked for, checks
every answer normalises, and only then replaces the cached objects in one transaction. A refresh that
fails on the way (the system unreachable, an answer of the wrong shape) leaves the previous cache as it
was, notes the error on the cache row for the console, audits the failure and raises
:class:`MetadataRefreshFailed` with a message naming what failed. Every refresh, ok or not, is audited.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from core.audit import AuditAction, audit_record
from core.secrets import SecretUnreadable
from sync.connections.connectors.errors import ConfigurationError, ConnectorError
from sync.connections.connectors.salesforce import SalesforceConnector
from sync.connections.metadata.normalise import (
    MetadataShapeError,
    netsuite_object,
    salesforce_object,
    salesforce_object_names,
)
from sync.connections.metadata.types import ObjectInfo
from sync.connections.models import Connection, ConnectionKind, ConnectionMetadata, MetadataObject
from sync.connections.models.metadata import currency_shape_text
from sync.connections.permissions import can_refresh_metadata
from sync.connections.services import ConnectionMisconfigured, netsuite_connector, salesforce_connector

# What Concord reads or writes in Salesforce; those the org does not have (no CPQ: no SBQQ__ objects)
# are left out, not an error.
SALESFORCE_OBJECTS: tuple[str, ...] = (
    "Opportunity",
    "Account",
    "Contact",
    "OpportunityContactRole",
    "Product2",
    "SBQQ__Quote__c",
    "SBQQ__QuoteLine__c",
    "SBQQ__Subscription__c",  # amendments and renewals read it through the quote line (sync.lifecycle)
    "Organization",
)
# The NetSuite record types Concord writes or reads, items included; those the catalog does not list
# (a feature off, a role that cannot see them) are left out.
NETSUITE_RECORD_TYPES: tuple[str, ...] = (
    "customer",
    "contact",
    "billingAccount",
    "salesOrder",
    "subscription",
    "subscriptionPlan",
    "subscriptionLine",
    "subscriptionChangeOrder",
    "subscriptionTerm",
    "priceBook",
    "billingSchedule",
    "invoice",
    "customerPayment",
    "creditMemo",
    "itemFulfillment",
    "inventoryItem",
    "nonInventorySaleItem",
    "nonInventoryResaleItem",
    "serviceSaleItem",
    "serviceResaleItem",
    "otherChargeSaleItem",
    "kitItem",
    "assemblyItem",
    "discountItem",
    "descriptionItem",
    "subtotalItem",
    "salesTaxItem",
)
OBJECT_NAME_LIMIT = 120


logger = logging.getLogger(__name__)


class MetadataRefreshFailed(Exception):
    """The refresh could not read what it needed; the previous cache is unchanged. ``str()`` says why."""


@dataclass(frozen=True)
class CurrencyShape:
    """A Salesforce org's currencies as it answered: multiple currencies or one, and the corporate one."""

    multi_currency: bool | None = None
    corporate_currency: str = ""


@dataclass(frozen=True)
class MetadataRefreshResult:
    connection: str
    fetched_at: datetime
    objects: list[str]
    # Objects Concord could use that the system does not list (an org without CPQ, a feature off).
    missing: list[str] = field(default_factory=list)
    currencies: CurrencyShape = field(default_factory=CurrencyShape)

    @property
    def message(self) -> str:
        when = f"{self.fetched_at:%Y-%m-%d %H:%M:%S} UTC"
        text = f"{self.connection}: {len(self.objects)} objects read at {when}."
        if self.missing:
            text += f" Not in this {'org' if self.objects else 'system'}: {', '.join(self.missing)}."
        shape = currency_shape_text(self.currencies.multi_currency, self.currencies.corporate_currency)
        if shape:
            text += f" Currencies: {shape}."
        return text


def metadata_refresh(
    *,
    connection: Connection,
    actor: User | AnonymousUser | None = None,
    objects: Iterable[str] | None = None,
) -> MetadataRefreshResult:
    """Read ``connection``'s metadata again and replace its cache (``actor=None``: a command or a task).

    ``objects`` adds objects / record types to the default set (e.g. a custom object to map); each must be
    one the system lists, else a ValidationError and nothing is read. Objects added by an earlier refresh
    are read again as long as the system still lists them.
    """
    if actor is not None and not can_refresh_metadata(actor):
        raise PermissionDenied("Only admins and those who edit mappings refresh metadata.")
    extras = _clean_names(objects or ())
    cache = ConnectionMetadata.objects.filter(connection=connection).first()
    previous = list(cache.cached_objects.values_list("name", flat=True)) if cache is not None else []
    now = timezone.now()
    try:
        available, answers, missing, currencies = _fetch(connection, extras, previous)
    except (ConnectorError, MetadataShapeError, ConnectionMisconfigured, ConfigurationError) as exc:
        message = f"Metadata of {connection.name} not refreshed, the cached metadata is kept: {exc}"
        _failure_record(connection, actor, message, now)
        raise MetadataRefreshFailed(message) from exc
    except SecretUnreadable as exc:
        message = (
            f"Metadata of {connection.name} not refreshed, the cached metadata is kept: the stored secrets "
            "cannot be decrypted (enter them again)."
        )
        _failure_record(connection, actor, message, now)
        raise MetadataRefreshFailed(message) from exc
    with transaction.atomic():
        cache, _ = ConnectionMetadata.objects.select_for_update().get_or_create(connection=connection)
        cache.cached_objects.all().delete()
        MetadataObject.objects.bulk_create(
            MetadataObject(
                cache=cache,
                name=name,
                label=info.label[:200],
                field_count=len(info.fields),
                raw=json.dumps(raw),
                fetched_at=now,
            )
            for name, (raw, info) in answers.items()
        )
        cache.fetched_at = now
        cache.last_attempt_at = now
        cache.available = available
        cache.multi_currency = currencies.multi_currency
        cache.corporate_currency = currencies.corporate_currency[:3]
        cache.last_error = ""
        cache.save()
        audit_record(
            obj=connection,
            actor=actor,
            action=AuditAction.ACCESS,
            event="metadata_refresh",
            objects=list(answers),
            missing=missing,
            asked=extras,
            fetched_at=now.isoformat(),
            multi_currency=currencies.multi_currency,
            corporate_currency=currencies.corporate_currency,
        )
    return MetadataRefreshResult(connection.name, now, list(answers), missing, currencies)


def _clean_names(names: Iterable[str]) -> list[str]:
    cleaned: list[str] = []
    for raw in names:
        name = str(raw).strip()
        if not name:
            continue
        if len(name) > OBJECT_NAME_LIMIT or not name[0].isalpha() or not name.replace("_", "").isalnum():
            raise ValidationError(f"{name!r} is not an object or record type name.")
        cleaned.append(name)
    return list(dict.fromkeys(cleaned))


Answers = dict[str, tuple[dict[str, Any], ObjectInfo]]


def _fetch(
    connection: Connection, extras: Sequence[str], previous: Sequence[str]
) -> tuple[list[str], Answers, list[str], CurrencyShape]:
    """(what the system lists, the answers read keyed by name, the defaults it does not list, the org's
    currencies: Salesforce only)."""
    answers: Answers = {}
    currencies = CurrencyShape()
    if connection.kind == ConnectionKind.SALESFORCE:
        sf = salesforce_connector(connection)
        available = salesforce_object_names(sf.describe_global())
        wanted, missing = _choose(available, SALESFORCE_OBJECTS, extras, previous, connection)
        for name in wanted:
            with _naming(name):
                raw = sf.describe(name)
                answers[name] = (raw, salesforce_object(raw))
        with _naming("the org's currencies"):
            currencies = _currency_shape(sf, available, answers)
    else:
        ns = netsuite_connector(connection)
        available = ns.metadata_catalog()
        wanted, missing = _choose(available, NETSUITE_RECORD_TYPES, extras, previous, connection)
        for name in wanted:
            with _naming(name):
                raw = ns.record_schema(name)
                answers[name] = (raw, netsuite_object(name, raw))
    return available, answers, missing, currencies


def _currency_shape(sf: SalesforceConnector, available: Sequence[str], answers: Answers) -> CurrencyShape:
    """Multiple currencies or one, from what the org described: ``CurrencyType`` is listed only where
    multiple currencies are enabled, and only there do records carry ``CurrencyIsoCode`` (the objects
    read are checked too, in case the user cannot see CurrencyType). Then the corporate currency."""
    listed = {name.lower() for name in available}
    carried = any(info.field("CurrencyIsoCode") is not None for _, info in answers.values())
    multi = "currencytype" in listed or carried
    return CurrencyShape(multi, sf.corporate_currency(multi_currency="currencytype" in listed))


@contextmanager
def _naming(name: str) -> Iterator[None]:
    """Put the object being read into the message of whatever fails while reading it."""
    try:
        yield
    except ConnectorError as error:
        error.message = f"reading {name}: {error.message}"
        raise
    except MetadataShapeError as exc:
        raise MetadataShapeError(f"the answer for {name} is not of the documented shape: {exc}") from exc


def _choose(
    available: Sequence[str],
    defaults: Sequence[str],
    extras: Sequence[str],
    previous: Sequence[str],
    connection: Connection,
) -> tuple[list[str], list[str]]:
    """The names to read, spelt as the system lists them, and the defaults it does not list."""
    listed = {name.lower(): name for name in available}
    unknown = [name for name in extras if name.lower() not in listed]
    if unknown:
        where = "org (describeGlobal)" if connection.kind == ConnectionKind.SALESFORCE else "metadata catalog"
        raise ValidationError(
            f"{', '.join(unknown)} not found in {connection.name}'s {where}; check the API name "
            "(nothing was read, the cached metadata is unchanged)."
        )
    wanted = [listed[name.lower()] for name in [*defaults, *extras, *previous] if name.lower() in listed]
    missing = [name for name in defaults if name.lower() not in listed]
    return list(dict.fromkeys(wanted)), missing


def _failure_record(
    connection: Connection, actor: User | AnonymousUser | None, message: str, now: datetime
) -> None:
    with transaction.atomic():
        cache, _ = ConnectionMetadata.objects.select_for_update().get_or_create(connection=connection)
        cache.last_attempt_at = now
        cache.last_error = message
        cache.save(update_fields=["last_attempt_at", "last_error"])
        audit_record(
            obj=connection,
            actor=actor,
            action=AuditAction.ACCESS,
            event="metadata_refresh_failed",
            error=message[:1000],
        )


def metadata_first_read(connection: Connection) -> None:
    """Read ``connection``'s metadata once, before its first batch, if it was never read (nor tried).

    A sync must not wait for an operator's refresh to know a single-currency org lacks CurrencyIsoCode.
    Only a connection with no cache row at all is read: after a failed attempt the row holds the error
    (shown on the connection's page) and batches run unfiltered rather than retry the read every time.
    """
    if ConnectionMetadata.objects.filter(connection=connection).exists():
        return
    try:
        metadata_refresh(connection=connection)
    except MetadataRefreshFailed as exc:
        logger.warning("%s", exc)
