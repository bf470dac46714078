"""What the go-live scan matches and how: the seam between the batch scan and the matching core.

The keys come from the published ``opportunity_to_netsuite`` mapping's customer and contact object
mappings (their ``match`` setting when they have one, else :data:`DEFAULT_KEYS`). Normalising values and
deciding linked / suspect / unmatched for one Salesforce record and its NetSuite candidates is the
matching core's job; this module only adapts record shapes to it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sync.mapping_selectors import NoPublishedMapping
from sync.models import GoLiveOutcome, MappingVersion, ObjectMapping, VersionStatus

FLOW = "opportunity_to_netsuite"


@dataclass(frozen=True)
class ObjectPlan:
    """One Salesforce object matched against one NetSuite record type, as the mapping configures it."""

    salesforce_type: str
    netsuite_type: str
    object_key: str  # the object mapping's key (customer, contact)
    soql: str
    suiteql: str
    keys: tuple[str, ...]  # the match keys, in the matcher's names


# Salesforce object -> (NetSuite record type, SOQL, SuiteQL). The SuiteQL has no WHERE or ORDER BY:
# the connector pages it by id.
OBJECTS: dict[str, tuple[str, str, str]] = {
    "Account": (
        "customer",
        "SELECT Id, Name, BillingCountry, Website FROM Account ORDER BY Id",
        "SELECT id, companyname, email, url, externalid, subsidiary, BUILTIN.DF(subsidiary) AS "
        "subsidiaryname FROM customer",
    ),
    "Contact": (
        "contact",
        "SELECT Id, FirstName, LastName, Email, AccountId FROM Contact ORDER BY Id",
        "SELECT id, firstname, lastname, email, company, externalid FROM contact",
    ),
}
DEFAULT_KEYS: dict[str, tuple[str, ...]] = {
    "customer": ("company_name", "domain"),
    "contact": ("email",),
}
# The external id rules the link can honour: the Salesforce record's own id (what the shipped mapping
# uses for customers, ``Id`` on the account, and contacts, ``ContactId`` on a contact role).
RECORD_ID_SOURCES = frozenset({"Id", "ContactId", "AccountId", "Contact.Id", "Account.Id"})


class GoLiveNotConfigured(ValueError):
    """The published mapping does not let the assistant link these records."""


def object_plans() -> tuple[int, list[ObjectPlan]]:
    """The published mapping's version id and one plan per Salesforce object to match."""
    version = MappingVersion.objects.filter(flow__key=FLOW, status=VersionStatus.PUBLISHED).first()
    if version is None:
        raise NoPublishedMapping(f"flow {FLOW!r} has no published mapping")
    by_target = {
        obj.target: obj
        for obj in ObjectMapping.objects.filter(version=version, target__in=[t for t, _, _ in OBJECTS.values()])
    }
    plans = []
    for salesforce_type, (netsuite_type, soql, suiteql) in OBJECTS.items():
        obj = by_target.get(netsuite_type)
        if obj is None:
            continue
        if (obj.external_id or {}).get("source") not in RECORD_ID_SOURCES or set(obj.external_id or {}) != {
            "source"
        }:
            raise GoLiveNotConfigured(
                f"object mapping {obj.key!r}: the external id is not the Salesforce record id, "
                "so the assistant cannot write it"
            )
        plans.append(
            ObjectPlan(salesforce_type, netsuite_type, obj.key, soql, suiteql, match_keys(obj))
        )
    return version.pk, plans


def match_keys(obj: ObjectMapping) -> tuple[str, ...]:
    configured = getattr(obj, "match", None)
    if isinstance(configured, dict) and configured.get("keys"):
        return tuple(str(key) for key in configured["keys"])
    return DEFAULT_KEYS.get(obj.target, ())


def display_name(record: dict[str, Any]) -> str:
    if record.get("Name"):
        return str(record["Name"])
    return " ".join(str(record[k]) for k in ("FirstName", "LastName") if record.get(k))


# -- the matching core's seam -------------------------------------------------------------------------
# PROVISIONAL until the matching core (issue 13 point 1) is merged: exact comparison of normalised keys.


@dataclass(frozen=True)
class Candidate:
    row: dict[str, Any]
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class Decision:
    outcome: str
    reasons: tuple[str, ...] = ()
    candidates: tuple[Candidate, ...] = ()
    chosen_id: str = ""


def _normalise_text(value: Any) -> str:
    text = unicodedata.normalize("NFKD", str(value or "")).encode("ascii", "ignore").decode().lower()
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text).split())


def _domain(value: Any) -> str:
    text = str(value or "").strip().lower()
    text = text.split("@", 1)[1] if "@" in text else re.sub(r"^[a-z]+://", "", text)
    host = text.split("/", 1)[0].split(":", 1)[0]
    return host[4:] if host.startswith("www.") else host


def salesforce_keys(record: dict[str, Any], keys: Iterable[str]) -> dict[str, str]:
    values = {
        "company_name": _normalise_text(record.get("Name")),
        "domain": _domain(record.get("Website")),
        "email": str(record.get("Email") or "").strip().lower(),
    }
    return {key: values[key] for key in keys if values.get(key)}


def netsuite_keys(row: dict[str, Any], keys: Iterable[str]) -> dict[str, str]:
    values = {
        "company_name": _normalise_text(row.get("companyname")),
        "domain": _domain(row.get("url")) or _domain(row.get("email")),
        "email": str(row.get("email") or "").strip().lower(),
    }
    return {key: values[key] for key in keys if values.get(key)}


def classify(keys: dict[str, str], rows: Sequence[dict[str, Any]], wanted: Sequence[str]) -> Decision:
    """One candidate agreeing on every key the record has: linked; any other overlap: suspect."""
    if not rows:
        return Decision(GoLiveOutcome.UNMATCHED, ("no NetSuite record shares a key",))
    candidates = []
    for row in rows:
        theirs = netsuite_keys(row, wanted)
        agreed = tuple(f"same {key}" for key, value in keys.items() if theirs.get(key) == value)
        candidates.append(Candidate(row, agreed))
    full = [c for c in candidates if len(c.reasons) == len(keys)]
    candidates.sort(key=lambda c: -len(c.reasons))
    if len(full) == 1 and len(candidates) == 1:
        return Decision(GoLiveOutcome.LINKED, full[0].reasons, tuple(candidates), str(full[0].row["id"]))
    why = "several NetSuite records match" if len(candidates) > 1 else "only some keys agree"
    return Decision(GoLiveOutcome.SUSPECT, (why,), tuple(candidates))

