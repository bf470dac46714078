"""Building blocks for sObject definitions: field constructors and the fields every object carries."""

from __future__ import annotations

from typing import Any

from simulators.dataset import CURRENCIES
from simulators.salesforce.org import CORPORATE_CURRENCY as CORPORATE_CURRENCY
from simulators.salesforce.schema import Field, SObject

CURRENCY_CODES = tuple(currency.code for currency in CURRENCIES)
SYNC_STATUSES = ("Pending", "Synced", "Error", "Skipped")


def _custom(name: str) -> bool:
    return name.endswith("__c")


def text(name: str, label: str = "", length: int = 255, **options: Any) -> Field:
    return Field(name, "string", label or name, length, custom=_custom(name), **options)


def long_text(name: str, label: str = "", length: int = 32768, **options: Any) -> Field:
    return Field(name, "textarea", label or name, length, custom=_custom(name), **options)


def typed(name: str, kind: str, label: str = "", **options: Any) -> Field:
    length = {"email": 80, "phone": 40, "url": 255}.get(kind, 0)
    return Field(name, kind, label or name, length, custom=_custom(name), **options)


def checkbox(name: str, label: str = "", **options: Any) -> Field:
    options.setdefault("default", False)
    return Field(name, "boolean", label or name, custom=_custom(name), **options)


def picklist(name: str, values: tuple[str, ...], label: str = "", **options: Any) -> Field:
    return Field(name, "picklist", label or name, 255, picklist=values, custom=_custom(name), **options)


def lookup(
    name: str, to: str, relationship: str, child: str | None = None, label: str = "", **options: Any
) -> Field:
    return Field(
        name,
        "reference",
        label or f"{to} ID",
        18,
        reference_to=to,
        relationship_name=relationship,
        child_relationship=child,
        custom=_custom(name),
        **options,
    )


def read_only(f: Field) -> Field:
    return Field(
        **{**f.__dict__, "createable": False, "updateable": False, "calculated": True, "required": False}
    )


def _system_head() -> list[Field]:
    return [
        Field("Id", "id", "Record ID", 18, createable=False, updateable=False),
        read_only(checkbox("IsDeleted", "Deleted")),
    ]


def _system_tail() -> list[Field]:
    return [
        read_only(typed("CreatedDate", "datetime", "Created Date")),
        read_only(lookup("CreatedById", "User", "CreatedBy", label="Created By ID")),
        read_only(typed("LastModifiedDate", "datetime", "Last Modified Date")),
        read_only(lookup("LastModifiedById", "User", "LastModifiedBy", label="Last Modified By ID")),
        read_only(typed("SystemModstamp", "datetime", "System Modstamp")),
    ]


def currency_field() -> Field:
    return picklist(
        "CurrencyIsoCode", CURRENCY_CODES, "Currency ISO Code", restricted=True, default=CORPORATE_CURRENCY
    )


def owner_field() -> Field:
    return lookup("OwnerId", "User", "Owner", label="Owner ID")


def sync_fields() -> list[Field]:
    """The fields an admin adds for Concord's sync status, alike on every object Concord writes back to."""
    return [
        picklist("Concord_Sync_Status__c", SYNC_STATUSES, "Concord Sync Status"),
        long_text("Concord_Sync_Message__c", "Concord Sync Message"),
        typed("Concord_Last_Sync__c", "datetime", "Concord Last Sync"),
    ]


def sobject(
    name: str,
    label: str,
    prefix: str,
    body: list[Field],
    custom_fields: list[Field] | None = None,
    **options: Any,
) -> SObject:
    fields = _system_head() + body + _system_tail() + (custom_fields or [])
    return SObject(name, label, prefix, fields, custom=_custom(name), **options)
