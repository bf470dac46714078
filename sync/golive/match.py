"""What the go-live scan matches, with which keys, and how its records meet the matching core.

The keys are the ``match`` blocks of the published ``opportunity_to_netsuite`` mapping's customer and
contact object mappings (:mod:`sync.matching.engine`). A key names the *target* path of a value in the record
the mapping would write (``companyName``, ``email``); the batch reads it the way the mapping does, from
the field row writing that path: its source path is read from the Salesforce record (a constant is
itself). Transforms are not run: the matching core's normalisers compare trimmed, case-folded values.
A key whose row is missing, or is a concatenation or a reference, has no value (the key is skipped).

The pipeline maps accounts and contacts inside an opportunity graph; the batch has no opportunity, so it
stands one in per record: the account (``Account``) with the account's first contact as its only contact
role (``OpportunityContactRoles``, which the shipped customer e-mail reads), and for a contact the role
``{"ContactId", "Contact"}`` under its account.
"""

from __future__ import annotations

import gc
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from operator import itemgetter
from typing import Any

from sync.integrations.models import Integration
from sync.integrations.selectors import primary_integration
from sync.mappings.engine.lookups import StaticLookups
from sync.mappings.engine.paths import PathError, parse_source
from sync.mappings.engine.paths import compile_getter as source_getter
from sync.mappings.engine.runtime import Frame, Run
from sync.mappings.models import FieldMapping, MappingVersion, ObjectMapping, ValueKind, VersionStatus
from sync.mappings.selectors import NoPublishedMapping
from sync.matching.domains import generic_email_domains
from sync.matching.engine import (
    Candidate,
    MatchConfig,
    MatchKey,
    MatchSubject,
    NameIndex,
    blocking_token,
    candidate_from_row,
    exact_on,
    parse_match,
    probe_for,
    search_value,
)

FLOW = "opportunity_to_netsuite"
# Salesforce object -> the NetSuite record type it becomes, and the fields always read.
OBJECTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "Account": ("customer", ("Name",)),
    "Contact": ("contact", ("FirstName", "LastName", "Email", "AccountId")),
}
# The external id rules the link can honour: the Salesforce record's own id (what the shipped mapping
# uses: ``Id`` on the account for customers, ``ContactId`` on a contact role for contacts).
RECORD_ID_SOURCES = {"customer": frozenset({"Id"}), "contact": frozenset({"ContactId", "Contact.Id"})}
_API_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_NO_LOOKUPS = StaticLookups()

Reader = Callable[[Frame], Any]


class GoLiveNotConfigured(ValueError):
    """The published mapping does not let the assistant match or link these records."""


@dataclass(frozen=True)
class ObjectPlan:
    """One Salesforce object matched against one NetSuite record type, as the mapping configures it."""

    salesforce_type: str  # Account, Contact
    netsuite_type: str  # customer, contact
    object_key: str  # the object mapping's key
    config: MatchConfig
    readers: Mapping[str, Reader]  # key path -> how the batch reads its value
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
        """Every record of the type, in the columns :func:`sync.matching.engine.candidate_from_row` reads;
        the connector pages it by ``c.id``."""
        if self.netsuite_type == "customer":
            return (
                "SELECT c.id, c.externalid, c.companyname, c.email, a.country FROM customer c "
                "LEFT OUTER JOIN entityaddress a ON a.nkey = c.defaultbillingaddress"
            )
        return "SELECT c.id, c.externalid, c.firstname, c.lastname, c.email, c.company FROM contact c"

    def subject(self, record: dict[str, Any], stand_in: Mapping[str, Any]) -> MatchSubject:
        """The matching core's view of a Salesforce record; ``stand_in`` is its opportunity stand-in."""
        run = Run(stand_in, {}, _NO_LOOKUPS)
        root = Frame(stand_in, None, None, run)
        if self.salesforce_type == "Account":
            frame = Frame(record, None, root, run)
        else:
            roles = stand_in["OpportunityContactRoles"]["records"]
            frame = Frame(roles[0], roles, root, run)
        values = {path: read(frame) for path, read in self.readers.items()}
        return MatchSubject(str(record["Id"]), str(record["Id"]), values, display_name(record))


def stand_in_for_account(account: dict[str, Any], first_contact: dict[str, Any] | None) -> dict[str, Any]:
    roles = [_role(first_contact)] if first_contact else []
    return {"Account": account, "AccountId": account["Id"], "OpportunityContactRoles": {"records": roles}}


def stand_in_for_contact(contact: dict[str, Any], account: dict[str, Any] | None) -> dict[str, Any]:
    return {
        "Account": account,
        "AccountId": contact.get("AccountId"),
        "OpportunityContactRoles": {"records": [_role(contact)]},
    }


def _role(contact: dict[str, Any]) -> dict[str, Any]:
    return {"ContactId": contact["Id"], "Contact": contact, "Role": None, "IsPrimary": None}


def object_plans(integration: Integration | None = None) -> tuple[int, list[ObjectPlan]]:
    """``integration``'s published mapping's version id (the primary integration's when None) and one plan
    per Salesforce object it maps with a ``match``."""
    owner = integration if integration is not None else primary_integration()
    version = MappingVersion.objects.filter(
        flow__integration=owner, flow__key=FLOW, status=VersionStatus.PUBLISHED
    ).first()
    if version is None:
        raise NoPublishedMapping(f"flow {FLOW!r} of integration {owner.name!r} has no published mapping")
    targets = [target for target, _ in OBJECTS.values()]
    by_target = {
        obj.target: obj
        for obj in ObjectMapping.objects.filter(version=version, target__in=targets).order_by("-order")
    }
    plans = []
    generic = generic_email_domains()  # the operator's; the matching core knows the built-in ones
    for salesforce_type, (netsuite_type, always) in OBJECTS.items():
        obj = by_target.get(netsuite_type)
        if obj is None or not obj.match:
            continue
        rule = obj.external_id or {}
        if set(rule) != {"source"} or rule["source"] not in RECORD_ID_SOURCES[netsuite_type]:
            raise GoLiveNotConfigured(
                f"object mapping {obj.key!r}: its external id is not the Salesforce record id, so the "
                "assistant cannot write it"
            )
        config = replace(parse_match(obj.match, target=netsuite_type), generic_domains=generic)
        rows = {row.target: row for row in obj.fields.filter(parent__isnull=True)}
        readers: dict[str, Reader] = {}
        fields = list(always)
        for key in config.keys:
            for _, path in key.sources:
                readers[path], needed = key_reader(rows.get(path), salesforce_type)
                fields += needed
        plans.append(
            ObjectPlan(
                salesforce_type,
                netsuite_type,
                obj.key,
                config,
                readers,
                tuple(dict.fromkeys(fields)),
            )
        )
    return version.pk, plans


def key_reader(row: FieldMapping | None, salesforce_type: str) -> tuple[Reader, list[str]]:
    """How to read a key's value from the batch's frame, and the Salesforce fields that needs."""
    if row is None or row.kind not in (ValueKind.SOURCE, ValueKind.CONSTANT):
        return (lambda frame: None), []
    if row.kind == ValueKind.CONSTANT:
        constant = row.constant
        return (lambda frame: constant), []
    try:
        path = parse_source(row.source)
    except PathError:
        return (lambda frame: None), []
    names = [name for name, _ in path.segments]
    # The Salesforce field the path ends on, on whichever record the stand-in puts it.
    if path.anchor == "root" and names[:1] == ["Account"] and len(names) == 2:
        needed = [names[1]] if salesforce_type == "Account" else []
    elif "Contact" in names and names.index("Contact") == len(names) - 2:
        needed = [names[-1]] if salesforce_type == "Contact" else []
    elif path.anchor == "current" and len(names) == 1 and salesforce_type == "Account":
        needed = names
    else:
        needed = []
    if not all(_API_NAME.match(name) for name in needed):
        return (lambda frame: None), []
    return source_getter(path), needed


def display_name(record: dict[str, Any]) -> str:
    name = record.get("Name")
    if name:
        return str(name)
    first, last = record.get("FirstName"), record.get("LastName")
    return f"{first} {last}" if first and last else str(first or last or "")


@dataclass
class CandidateIndex:
    """NetSuite records by (key kind, search value): each Salesforce record meets only the few records
    that share a key with it, never every record. Records carrying an externalId are also found by it.

    Company names are searched by their first word, and a common one ("Global", "First") is shared by
    thousands of records: the names are also in a :class:`sync.matching.engine.NameIndex`, which gives
    only the records of that block whose name is exact or near, the same classification as every record
    of the block (``candidates(..., exhaustive=True)``) at a fraction of the comparisons."""

    record_type: str
    keys: tuple[MatchKey, ...]
    generic: frozenset[str] = frozenset()  # the operator's generic e-mail domains
    by_search: dict[tuple[str, str], list[Candidate]] = field(default_factory=lambda: defaultdict(list))
    by_external_id: dict[str, Candidate] = field(default_factory=dict)
    by_id: dict[str, Candidate] = field(default_factory=dict)
    size: int = 0
    # (order added, candidate) by normalised company name; and by external id with the name's first word.
    names: NameIndex[tuple[int, Candidate]] = field(default_factory=NameIndex)
    carrying: dict[str, list[tuple[int, str, Candidate]]] = field(default_factory=lambda: defaultdict(list))

    def __post_init__(self) -> None:
        self._kinds = tuple(dict.fromkeys(key.kind for key in self.keys))

    def add(self, row: dict[str, Any]) -> None:
        candidate = candidate_from_row(self.record_type, row)
        self.size += 1
        self.by_id[candidate.netsuite_id] = candidate
        if candidate.external_id:
            self.by_external_id[candidate.external_id] = candidate
        for kind in self._kinds:
            if kind == "company_name":
                name = candidate.name_key()
                value = name.partition(" ")[0]  # its blocking token
                self.names.add(name, (self.size, candidate))
                if candidate.external_id and name:
                    self.carrying[candidate.external_id].append((self.size, value, candidate))
            else:
                value = _search_value_of(kind, candidate, self.generic)
            if value:
                self.by_search[(kind, value)].append(candidate)

    def candidates(self, subject: MatchSubject, *, exhaustive: bool = False) -> list[Candidate]:
        """The records sharing a key with ``subject``; for a company name only those of its block that
        are exact or near (and one carrying the subject's external id), unless ``exhaustive``: the
        records :func:`sync.matching.engine.classify` would pass over are left out, nothing else.

        And when a record of the subject's very name, without an external id (free whoever asks), is an
        exact match, the name key (or an earlier one) decides: only its exact records are given, and no
        later key is searched (unless a record carries the subject's external id, which would decide
        first). :func:`~sync.matching.engine.classify` decides the same as with every record."""
        found: dict[str, Candidate] = {}
        for key in self.keys:
            if key.kind == "company_name" and not exhaustive:
                probe = probe_for(key, subject)
                named = self.names.items.get(probe, ()) if probe else ()
                if named and subject.external_id not in self.by_external_id:
                    if any(not c.external_id and exact_on(key, subject, c) for _, c in named):
                        for _, candidate in named:
                            found.setdefault(candidate.netsuite_id, candidate)
                        break
                for candidate in self._by_name(probe, subject.external_id):
                    found.setdefault(candidate.netsuite_id, candidate)
                continue
            value = search_value(key, subject, generic=self.generic)
            for candidate in self.by_search.get((key.kind, value or ""), ()) if value else ():
                found.setdefault(candidate.netsuite_id, candidate)
        return list(found.values())

    def _by_name(self, probe: str | None, external_id: str) -> list[Candidate]:
        """The records of ``probe``'s block whose name is exact or near, or that carry ``external_id``
        (the primary match), in the order they were added."""
        if not probe:
            return []
        hits = self.names.matches(probe)
        first = probe.partition(" ")[0]
        hits += [(order, c) for order, token, c in self.carrying.get(external_id, ()) if token == first]
        return [candidate for _, candidate in sorted(hits, key=itemgetter(0))]


def _search_value_of(kind: str, candidate: Candidate, generic: frozenset[str]) -> str:
    """The candidate's side of :func:`sync.matching.engine.search_value`: what a subject's search would
    find."""
    if kind == "company_name":
        return blocking_token(candidate.name)
    if kind == "email_domain":
        domain = candidate.domain_key()  # without the built-in generic domains
        return "" if domain in generic else domain
    return candidate.email_key()


@contextmanager
def long_lived_objects() -> Iterator[Callable[[], None]]:
    """A scan holds what it read and its indexes, hundreds of thousands of objects that live until it
    ends, and the cycle collector would walk them all again at each of its full passes (a third of the
    matching time at 100,000 records per side): ``keep()`` (``gc.freeze``) moves every object allocated
    so far out of its sight; all come back when the block ends (``gc.unfreeze``). Reference counting
    frees objects as usual meanwhile."""
    try:
        yield gc.freeze
    finally:
        gc.unfreeze()


def candidate_fields(candidates: Iterable[Candidate]) -> list[dict[str, str]]:
    return [candidate.to_json() for candidate in candidates]
