"""What the go-live scan matches and with which keys, and how its records meet the matching core.

The keys are the ``match`` blocks of the published ``opportunity_to_netsuite`` mapping's customer and
contact object mappings (:data:`DEFAULT_MATCH` when a mapping has none). Their source paths are relative
to the object's source in an opportunity graph (``Name`` on the account, ``Contact.Email`` on a contact
role), so a Salesforce Account is read as the account and a Contact as a contact role
(``{"ContactId": ..., "Contact": {...}}``); paths from the opportunity (``$.``) have no value in a
batch over all records. Deciding linked / suspect / unmatched is :func:`sync.matching.classify`.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sync.mapping_selectors import NoPublishedMapping
from sync.matching import (
    Candidate,
    MatchConfig,
    MatchKey,
    MatchSubject,
    blocking_token,
    candidate_from_row,
    email_domain,
    normalise_email,
    parse_match,
    search_value,
)
from sync.models import MappingVersion, ObjectMapping, VersionStatus

FLOW = "opportunity_to_netsuite"
DEFAULT_MATCH: dict[str, dict[str, Any]] = {
    "customer": {
        "keys": [
            {"kind": "company_name", "name": "Name", "country": "BillingCountry"},
            {"kind": "email_domain", "email": "Website"},
        ]
    },
    "contact": {"keys": [{"kind": "email", "email": "Contact.Email"}]},
}
# The external id rules the link can honour: the Salesforce record's own id (what the shipped mapping
# uses: ``Id`` on the account for customers, ``ContactId`` on a contact role for contacts).
RECORD_ID_SOURCES = {"customer": frozenset({"Id"}), "contact": frozenset({"ContactId", "Contact.Id"})}
_API_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


class GoLiveNotConfigured(ValueError):
    """The published mapping does not let the assistant match or link these records."""


@dataclass(frozen=True)
class ObjectPlan:
    """One Salesforce object matched against one NetSuite record type, as the mapping configures it."""

    salesforce_type: str  # Account, Contact
    netsuite_type: str  # customer, contact
    object_key: str  # the object mapping's key
    config: MatchConfig
    fields: tuple[str, ...]  # the Salesforce fields read

    @property
    def soql(self) -> str:
        # Fields are checked API names and the object one of OBJECTS: nothing typed reaches the query.
        return f"SELECT {', '.join(('Id', *self.fields))} FROM {self.salesforce_type} ORDER BY Id"  # noqa: S608

    @property
    def count_soql(self) -> str:
        return f"SELECT COUNT() FROM {self.salesforce_type}"  # noqa: S608

    @property
    def suiteql(self) -> str:
        """Every active record of the type, in the columns :func:`sync.matching.candidate_from_row`
        reads; the connector pages it by ``c.id``."""
        if self.netsuite_type == "customer":
            return (
                "SELECT c.id, c.externalid, c.companyname, c.email, a.country FROM customer c "
                "LEFT OUTER JOIN entityaddress a ON a.nkey = c.defaultbillingaddress"
            )
        return "SELECT c.id, c.externalid, c.firstname, c.lastname, c.email, c.company FROM contact c"

    def subject(self, record: dict[str, Any]) -> MatchSubject:
        """The matching core's view of a Salesforce record: the raw value of every key's source path."""
        frame = (
            record if self.salesforce_type == "Account" else {"ContactId": record["Id"], "Contact": record}
        )
        values = {path: _resolve(frame, path) for key in self.config.keys for _, path in key.sources}
        return MatchSubject(str(record["Id"]), str(record["Id"]), values, display_name(record))


# Salesforce object -> the NetSuite record type it becomes.
OBJECTS: dict[str, str] = {"Account": "customer", "Contact": "contact"}


def object_plans() -> tuple[int, list[ObjectPlan]]:
    """The published mapping's version id and one plan per Salesforce object it maps and can link."""
    version = MappingVersion.objects.filter(flow__key=FLOW, status=VersionStatus.PUBLISHED).first()
    if version is None:
        raise NoPublishedMapping(f"flow {FLOW!r} has no published mapping")
    by_target = {
        obj.target: obj
        for obj in ObjectMapping.objects.filter(version=version, target__in=OBJECTS.values()).order_by(
            "order"
        )
    }
    plans = []
    for salesforce_type, netsuite_type in OBJECTS.items():
        obj = by_target.get(netsuite_type)
        if obj is None:
            continue
        rule = obj.external_id or {}
        if set(rule) != {"source"} or rule["source"] not in RECORD_ID_SOURCES[netsuite_type]:
            raise GoLiveNotConfigured(
                f"object mapping {obj.key!r}: its external id is not the Salesforce record id, so the "
                "assistant cannot write it"
            )
        config = parse_match(
            getattr(obj, "match", None) or DEFAULT_MATCH[netsuite_type], target=netsuite_type
        )
        plans.append(
            ObjectPlan(salesforce_type, netsuite_type, obj.key, config, _fields(salesforce_type, config))
        )
    return version.pk, plans


def _fields(salesforce_type: str, config: MatchConfig) -> tuple[str, ...]:
    names = {"Account": ["Name"], "Contact": ["FirstName", "LastName", "AccountId"]}[salesforce_type]
    for key in config.keys:
        for _, path in key.sources:
            if path.startswith("$."):
                continue  # from the opportunity: no value when matching all records
            parts = path.split(".")
            if salesforce_type == "Contact":
                if parts[0] != "Contact" or len(parts) != 2:
                    continue  # a contact role's own fields (Role...) are not on the Contact
                parts = parts[1:]
            if len(parts) != 1 or not _API_NAME.match(parts[0]):
                raise GoLiveNotConfigured(
                    f"match key {key.label}: cannot read {path!r} from {salesforce_type}"
                )
            names.append(parts[0])
    return tuple(dict.fromkeys(names))


def _resolve(frame: dict[str, Any], path: str) -> Any:
    value: Any = frame
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def display_name(record: dict[str, Any]) -> str:
    if record.get("Name"):
        return str(record["Name"])
    return " ".join(str(record[k]) for k in ("FirstName", "LastName") if record.get(k))


@dataclass
class CandidateIndex:
    """NetSuite records by (key kind, search value): each Salesforce record meets only the few records
    that share a key with it, never every record. Records carrying an externalId are also found by it."""

    record_type: str
    keys: tuple[MatchKey, ...]
    by_search: dict[tuple[str, str], list[Candidate]] = field(default_factory=lambda: defaultdict(list))
    by_external_id: dict[str, Candidate] = field(default_factory=dict)
    size: int = 0

    def add(self, row: dict[str, Any]) -> None:
        candidate = candidate_from_row(self.record_type, row)
        self.size += 1
        if candidate.external_id:
            self.by_external_id[candidate.external_id] = candidate
        for kind in {key.kind for key in self.keys}:
            value = _search_value_of(kind, candidate)
            if value:
                self.by_search[(kind, value)].append(candidate)

    def candidates(self, subject: MatchSubject) -> list[Candidate]:
        found: dict[str, Candidate] = {}
        for key in self.keys:
            value = search_value(key, subject)
            for candidate in self.by_search.get((key.kind, value or ""), ()) if value else ():
                found.setdefault(candidate.netsuite_id, candidate)
        return list(found.values())


def _search_value_of(kind: str, candidate: Candidate) -> str:
    """The candidate's side of :func:`sync.matching.search_value`: what a subject's search would find."""
    if kind == "company_name":
        return blocking_token(candidate.name)
    if kind == "email_domain":
        return email_domain(candidate.email)
    return normalise_email(candidate.email)


def candidate_fields(candidates: Iterable[Candidate]) -> list[dict[str, str]]:
    return [candidate.to_json() for candidate in candidates]
