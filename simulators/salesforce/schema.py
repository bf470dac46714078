"""sObject and field definitions: what describe reports, what writes validate and what SOQL resolves.

Each sObject is stored in its own SQLite table whose columns are the fields, so SOQL filters, sorts and
parent-relationship joins run inside SQLite. Names are case-insensitive everywhere in the API, so every
lookup here goes through lower-cased maps and answers with the canonical spelling.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Field types, as describe names them, grouped by how values are stored and compared.
TEXT_TYPES = frozenset({"string", "textarea", "email", "phone", "url", "picklist"})
NUMBER_TYPES = frozenset({"int", "double", "currency", "percent"})
ID_TYPES = frozenset({"id", "reference"})

SOAP_TYPES = {
    "id": "tns:ID",
    "reference": "tns:ID",
    "boolean": "xsd:boolean",
    "int": "xsd:int",
    "double": "xsd:double",
    "currency": "xsd:double",
    "percent": "xsd:double",
    "date": "xsd:date",
    "datetime": "xsd:dateTime",
}
# The type names SOQL error messages use ("must be of type dateTime").
FILTER_TYPE_NAMES = {
    "boolean": "boolean",
    "int": "int",
    "double": "double",
    "currency": "currency",
    "percent": "double",
    "date": "date",
    "datetime": "dateTime",
}


@dataclass(frozen=True)
class Field:
    """One field of an sObject, with the properties describe reports."""

    name: str
    type: str
    label: str = ""
    length: int = 0
    # Required on create (describe: nillable false, createable, not defaulted).
    required: bool = False
    createable: bool = True
    updateable: bool = True
    external_id: bool = False
    unique: bool = False
    reference_to: str | None = None
    relationship_name: str | None = None
    # The name of the child relationship this lookup creates on the parent (Account.Contacts).
    child_relationship: str | None = None
    # Deleting the parent deletes the child (master-detail); otherwise the lookup is cleared.
    cascade_delete: bool = False
    picklist: tuple[str, ...] = ()
    restricted: bool = False
    default: Any = None
    precision: int = 18
    scale: int = 2
    custom: bool = False
    # Derived by the platform (formula, roll-up, auto-number, system field): never written by the API.
    calculated: bool = False
    name_field: bool = False

    @property
    def nillable(self) -> bool:
        return not self.required and self.type != "boolean" and self.name != "Id"

    @property
    def filterable(self) -> bool:
        return not (self.type == "textarea" and self.length > 255)

    @property
    def sortable(self) -> bool:
        return self.filterable

    @property
    def id_lookup(self) -> bool:
        return self.name == "Id" or self.external_id

    def describe(self) -> dict[str, Any]:
        """The field as ``sobjects/<T>/describe/`` reports it."""
        return {
            "name": self.name,
            "label": self.label or self.name,
            "type": self.type,
            "soapType": SOAP_TYPES.get(self.type, "xsd:string"),
            "length": self.length if self.type in TEXT_TYPES or self.type in ID_TYPES else 0,
            "precision": self.precision if self.type in NUMBER_TYPES else 0,
            "scale": self.scale if self.type in NUMBER_TYPES else 0,
            "nillable": self.nillable,
            "createable": self.createable,
            "updateable": self.updateable,
            "defaultedOnCreate": self.default is not None or self.calculated or self.type == "boolean",
            "calculated": self.calculated,
            "custom": self.custom,
            "externalId": self.external_id,
            "unique": self.unique,
            "idLookup": self.id_lookup,
            "filterable": self.filterable,
            "sortable": self.sortable,
            "nameField": self.name_field,
            "referenceTo": [self.reference_to] if self.reference_to else [],
            "relationshipName": self.relationship_name,
            "cascadeDelete": self.cascade_delete,
            "restrictedPicklist": self.restricted,
            "picklistValues": [
                {"value": value, "label": value, "active": True, "defaultValue": value == self.default}
                for value in self.picklist
            ],
        }


@dataclass(frozen=True)
class ChildRelationship:
    name: str
    child: str
    field: str
    cascade_delete: bool


@dataclass(eq=False)  # compared and hashed by identity: one instance per object type
class SObject:
    """An sObject type: its fields (in describe order), key prefix and relationships."""

    name: str
    label: str
    key_prefix: str
    fields: list[Field]
    label_plural: str = ""
    custom: bool = False
    # Auto-number format for the Name field ("Q-{0:05d}"), when Name is an auto-number.
    auto_number: str | None = None
    createable: bool = True
    children: list[ChildRelationship] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.table = self.name
        self.by_lower = {f.name.lower(): f for f in self.fields}
        self.relationships = {f.relationship_name.lower(): f for f in self.fields if f.relationship_name}

    def field(self, name: str) -> Field | None:
        return self.by_lower.get(name.lower())

    def relationship(self, name: str) -> Field | None:
        return self.relationships.get(name.lower())

    def child_relationship(self, name: str) -> ChildRelationship | None:
        lowered = name.lower()
        return next((child for child in self.children if child.name.lower() == lowered), None)

    @property
    def external_ids(self) -> list[Field]:
        return [f for f in self.fields if f.external_id]

    def describe_basic(self, version: str) -> dict[str, Any]:
        base = f"/services/data/v{version}/sobjects/{self.name}"
        return {
            "name": self.name,
            "label": self.label,
            "labelPlural": self.label_plural or self.label + "s",
            "keyPrefix": self.key_prefix,
            "custom": self.custom,
            "createable": self.createable,
            "updateable": True,
            "deletable": True,
            "queryable": True,
            "retrieveable": True,
            "searchable": True,
            "replicateable": True,
            "urls": {"sobject": base, "describe": base + "/describe", "rowTemplate": base + "/{ID}"},
        }

    def describe(self, version: str) -> dict[str, Any]:
        """The object as ``sobjects/<T>/describe/`` reports it."""
        answer = self.describe_basic(version)
        answer["fields"] = [f.describe() for f in self.fields]
        answer["childRelationships"] = [
            {
                "childSObject": child.child,
                "field": child.field,
                "relationshipName": child.name,
                "cascadeDelete": child.cascade_delete,
            }
            for child in self.children
        ]
        return answer


class Schema:
    """All sObjects of the org, with child relationships wired from the lookups that point at them.

    ``storage_defaults`` are values written into columns the org's shape hides (a single-currency org
    keeps ``CurrencyIsoCode`` = the corporate currency in its file, never shown through the API), so the
    platform rules and a later start in another shape find coherent data.
    """

    def __init__(
        self,
        sobjects: list[SObject],
        *,
        storage_defaults: dict[str, dict[str, Any]] | None = None,
    ) -> None:
        self.storage_defaults = storage_defaults or {}
        self.sobjects = {s.name: s for s in sobjects}
        self.by_lower = {s.name.lower(): s for s in sobjects}
        self.by_prefix = {s.key_prefix: s for s in sobjects}
        for sobject in sobjects:
            for f in sobject.fields:
                if f.reference_to and f.child_relationship:
                    self.sobjects[f.reference_to].children.append(
                        ChildRelationship(f.child_relationship, sobject.name, f.name, f.cascade_delete)
                    )

    def get(self, name: str) -> SObject | None:
        return self.by_lower.get(name.lower())

    def referencing(self, name: str) -> list[tuple[SObject, Field]]:
        """Every (child object, lookup field) pointing at ``name``, relationship name or not."""
        return [(s, f) for s in self.sobjects.values() for f in s.fields if f.reference_to == name]

    def add_field(self, sobject: SObject, new_field: Field) -> None:
        """Add a (custom, non-lookup) field to a live object: readers see the old list or the new one."""
        sobject.fields = [*sobject.fields, new_field]
        sobject.by_lower = {**sobject.by_lower, new_field.name.lower(): new_field}
