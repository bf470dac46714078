"""Normalised metadata: one shape for a Salesforce sObject and a NetSuite record type.

Salesforce names are case-insensitive (``billingcity`` finds ``BillingCity``); NetSuite's are matched
exactly as the catalog spells them, falling back to a case-insensitive match. Nothing here imports
Django, so the mapping engine's callers and benchmarks can use it directly.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

# The normalised value types a mapping row's source and target are compared by.
TEXT = "text"
NUMBER = "number"
INTEGER = "integer"
BOOLEAN = "boolean"
DATE = "date"
DATETIME = "datetime"
PICKLIST = "picklist"  # one value of a fixed list (Salesforce picklist, NetSuite enum)
MULTIPICKLIST = "multipicklist"
REFERENCE = "reference"  # an id of another record (Salesforce reference, NetSuite {"id": ...})
ID = "id"
SUBLIST = "sublist"  # NetSuite sublist (``item``, ``addressBook``); its fields are in ``sublist_fields``
OBJECT = "object"  # a structured value (an address, a NetSuite nested object)
OTHER = "other"

VALUE_TYPES = (
    TEXT,
    NUMBER,
    INTEGER,
    BOOLEAN,
    DATE,
    DATETIME,
    PICKLIST,
    MULTIPICKLIST,
    REFERENCE,
    ID,
    SUBLIST,
    OBJECT,
    OTHER,
)


@dataclass(frozen=True)
class FieldInfo:
    """One field as the system describes it."""

    name: str  # API name as the system spells it: BillingCity, SBQQ__Quantity__c, companyName
    label: str
    type: str  # one of VALUE_TYPES
    native_type: str  # as reported: Salesforce "currency", "double"; NetSuite "string/date", "number/int64"
    nillable: bool = True
    createable: bool = True
    updateable: bool = True
    required: bool = False  # must be given on create (Salesforce: not nillable, createable, no default)
    custom: bool = False
    picklist: tuple[str, ...] = ()  # allowed values (active picklist values / enum)
    reference_to: tuple[str, ...] = ()  # the object(s) a reference points to
    relationship_name: str = ""  # Salesforce: Account for AccountId, SBQQ__Product__r for SBQQ__Product__c
    length: int | None = None
    sublist_fields: Mapping[str, FieldInfo] = field(default_factory=dict)  # NetSuite sublist line fields


@dataclass(frozen=True)
class ObjectInfo:
    """One sObject or record type: its fields and (Salesforce) child relationships."""

    system: str  # "salesforce" or "netsuite"
    name: str
    label: str
    fields: Mapping[str, FieldInfo]  # keyed by the name as spelt
    child_relationships: Mapping[str, str] = field(default_factory=dict)  # relationship name -> child object
    createable: bool = True
    updateable: bool = True

    def field(self, name: str) -> FieldInfo | None:
        """The field called ``name`` (exact, then case-insensitive), or None."""
        found = self.fields.get(name)
        if found is not None:
            return found
        lowered = name.lower()
        for key, value in self.fields.items():
            if key.lower() == lowered:
                return value
        return None

    def relationship(self, name: str) -> FieldInfo | None:
        """The reference field whose relationship name is ``name`` (``Account`` -> AccountId), or None."""
        lowered = name.lower()
        for value in self.fields.values():
            if value.relationship_name and value.relationship_name.lower() == lowered:
                return value
        return None


@dataclass(frozen=True)
class SystemMetadata:
    """What one connection's system describes: its objects, keyed by name, and when it was read."""

    system: str
    objects: Mapping[str, ObjectInfo]
    fetched_at: str = ""  # ISO 8601, empty when never fetched
    # Salesforce: whether the org has multiple currencies (None: not known) and its corporate currency.
    multi_currency: bool | None = None
    corporate_currency: str = ""

    @property
    def supplied_currency(self) -> str:
        """A single-currency org's one currency, which Concord supplies wherever ``CurrencyIsoCode`` is read
        (the org has no such field); empty for a multi-currency org or when not known."""
        return self.corporate_currency if self.multi_currency is False else ""

    def object(self, name: str) -> ObjectInfo | None:
        found = self.objects.get(name)
        if found is not None:
            return found
        lowered = name.lower()
        for key, value in self.objects.items():
            if key.lower() == lowered:
                return value
        return None
