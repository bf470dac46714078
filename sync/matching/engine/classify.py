"""Classifying the NetSuite candidates of one Salesforce record: linked, suspect or unmatched.

The rules are in the package docstring (:mod:`sync.matching.engine`); this module applies them.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache
from typing import Any

from sync.matching.engine.config import MatchConfig, MatchKey
from sync.matching.engine.normalise import (
    blocking_token,
    company_name_words,
    email_domain,
    normalise_company_name,
    normalise_country,
    normalise_email,
)

# Two normalised company names at least this similar (difflib's ratio) are near: one typo or a missing
# letter in a name of eight or more letters.
NEAR_RATIO = 0.85
NO_MATCH = "no NetSuite record matches any key"


class MatchStatus(StrEnum):
    LINKED = "linked"
    SUSPECT = "suspect"
    UNMATCHED = "unmatched"


@dataclass(frozen=True)
class MatchSubject:
    """One Salesforce record to match: its id, the external id it will be upserted with, and the raw
    values of the match keys' source paths (path -> value, as the mapping reads them)."""

    salesforce_id: str
    external_id: str
    values: Mapping[str, Any] = field(default_factory=dict)
    label: str = ""
    # probe_for's answers: id(key) -> (key, generic domains, probe). A search and the classification after
    # it compare the same values; the entry holds the key, so its id names no other key meanwhile (a copy
    # made with dataclasses.replace starts empty).
    _probes: dict[int, tuple[MatchKey, frozenset[str], str | None]] = field(
        default_factory=dict, init=False, compare=False, repr=False
    )


@dataclass(frozen=True, slots=True)  # many: a go-live scan holds every NetSuite record
class Candidate:
    """A NetSuite record a SuiteQL candidate query returned."""

    record_type: str
    netsuite_id: str
    external_id: str = ""
    name: str = ""
    email: str = ""
    country: str = ""
    # The normalised forms classify compares, each computed once per record on first use (a scan's index
    # computes them to file the record, then classify compares them): a memo, never part of equality;
    # dataclasses.replace gives a copy that computes its own.
    _name_key: str | None = field(default=None, init=False, compare=False, repr=False)
    _domain_key: str | None = field(default=None, init=False, compare=False, repr=False)
    _email_key: str | None = field(default=None, init=False, compare=False, repr=False)

    def name_key(self) -> str:
        """:func:`~sync.matching.engine.normalise_company_name` of the name."""
        value = self._name_key
        if value is None:
            value = normalise_company_name(self.name)
            object.__setattr__(self, "_name_key", value)  # the memo of a frozen record
        return value

    def domain_key(self) -> str:
        """:func:`~sync.matching.engine.email_domain` of the e-mail address (built-in generic domains
        give "")."""
        value = self._domain_key
        if value is None:
            value = email_domain(self.email)
            object.__setattr__(self, "_domain_key", value)
        return value

    def email_key(self) -> str:
        """:func:`~sync.matching.engine.normalise_email` of the e-mail address."""
        value = self._email_key
        if value is None:
            value = normalise_email(self.email)
            object.__setattr__(self, "_email_key", value)
        return value

    def to_json(self) -> dict[str, str]:
        return {
            "record_type": self.record_type,
            "netsuite_id": self.netsuite_id,
            "external_id": self.external_id,
            "name": self.name,
            "email": self.email,
            "country": self.country,
        }


@dataclass(frozen=True)
class MatchDecision:
    status: MatchStatus
    reason: str
    key: str = ""  # the label of the key that decided ("" when unmatched)
    candidates: tuple[Candidate, ...] = ()

    @property
    def candidate(self) -> Candidate | None:
        """The record to link when ``linked``."""
        return self.candidates[0] if self.status == MatchStatus.LINKED else None


def candidate_from_row(record_type: str, row: Mapping[str, Any]) -> Candidate:
    """A row of :func:`sync.matching.engine.candidate_queries`' SuiteQL (lower-case column names)."""

    # Inline rather than a helper per column: a go-live scan reads every NetSuite record through here.
    get = row.get
    if record_type == "contact":
        first, last = get("firstname"), get("lastname")
        parts = ("" if first is None else str(first), "" if last is None else str(last))
        name = " ".join(part for part in parts if part)
    else:
        name = "" if (value := get("companyname")) is None else str(value)
    return Candidate(
        record_type,
        "" if (value := get("id")) is None else str(value),
        "" if (value := get("externalid")) is None else str(value),
        name,
        "" if (value := get("email")) is None else str(value),
        "" if (value := get("country")) is None else str(value),
    )


def subject_from_body(
    *, config: MatchConfig, salesforce_id: str, external_id: str, body: Mapping[str, Any], label: str = ""
) -> MatchSubject:
    """The subject whose values are read from ``body`` (the record the mapping would write) at the
    keys' paths: dotted, with ``[n]`` list indexes; a NetSuite sublist's ``{"items": [...]}`` wrapper
    is indexed through (``addressBook.items[0]...``)."""
    values = {path: _at(body, path) for key in config.keys for _, path in key.sources}
    return MatchSubject(salesforce_id, external_id, values, label)


def _at(body: Any, path: str) -> Any:
    node = body
    for part in path.split("."):
        name, _, index = part.partition("[")
        node = node.get(name) if isinstance(node, Mapping) else None
        if index:
            position = int(index.rstrip("]")) if index.rstrip("]").isdigit() else -1
            node = node[position] if isinstance(node, list) and 0 <= position < len(node) else None
        if node is None:
            return None
    return node


def _raw(key: MatchKey, subject: MatchSubject, role: str) -> Any:
    path = key.roles.get(role)
    return subject.values.get(path) if path else None


def probe_for(key: MatchKey, subject: MatchSubject, *, generic: frozenset[str] = frozenset()) -> str | None:
    """The normalised value ``key`` compares for ``subject``; None when it has none (the key is skipped):
    a generic e-mail domain (built in, or one of ``generic``) is none."""
    memo = subject._probes
    known = memo.get(id(key))
    if known is not None and known[0] is key and (known[1] is generic or known[1] == generic):
        return known[2]
    if key.kind == "company_name":
        value = normalise_company_name(_raw(key, subject, "name"))
    elif key.kind == "email_domain":
        value = email_domain(_raw(key, subject, "email"), generic=generic)
    else:
        value = normalise_email(_raw(key, subject, "email"))
    probe = value or None
    memo[id(key)] = (key, generic, probe)
    return probe


def search_value(
    key: MatchKey, subject: MatchSubject, *, generic: frozenset[str] = frozenset()
) -> str | None:
    """What :func:`sync.matching.engine.candidate_queries` searches NetSuite for: a company name's blocking
    token (its first word, so near names come back too), else the probe itself."""
    if key.kind == "company_name":
        return blocking_token(_raw(key, subject, "name")) or None
    return probe_for(key, subject, generic=generic)


@lru_cache(maxsize=4096)  # the go-live scan's index checks a pair, then classify checks it again
def near_names(left: str, right: str) -> bool:
    """Two different normalised company names are near: the same first word, and one's words all in the
    other's or a difflib similarity ratio of at least :data:`NEAR_RATIO`."""
    if not left or not right or left == right:
        return False
    left_words, right_words = left.split(), right.split()
    if left_words[0] != right_words[0]:
        return False
    small, large = sorted((set(left_words), set(right_words)), key=len)
    if small <= large:
        return True
    # difflib's own upper bounds first (the same arithmetic as ratio's, so never a different answer): the
    # lengths alone (real_quick_ratio), then the characters in any order (quick_ratio).
    if 2.0 * min(len(left), len(right)) / (len(left) + len(right)) < NEAR_RATIO:
        return False
    matcher = difflib.SequenceMatcher(None, left, right)
    return matcher.quick_ratio() >= NEAR_RATIO and matcher.ratio() >= NEAR_RATIO


def _compare(key: MatchKey, subject: MatchSubject, probe: str, candidate: Candidate) -> str:
    """ "exact", "near" or "" for one candidate on one key, with the reason appended after a colon."""
    if key.kind == "company_name":
        name = candidate.name_key()
        if name != probe:
            return "near:similar company name" if near_names(probe, name) else ""
        mine = normalise_country(_raw(key, subject, "country")) if "country" in key.roles else ""
        theirs = normalise_country(candidate.country)
        if mine and theirs and mine != theirs:
            return f"near:same company name in another country ({theirs}, not {mine})"
        return "exact:same company name" + (" and country" if mine and theirs else "")
    if key.kind == "email_domain":
        # A company's own domain shared is a lead, never proof: people of one group, a reseller and its
        # customers, a holding's subsidiaries share one. Alone it makes a suspect for a person to decide.
        return "near:same e-mail domain only" if candidate.domain_key() == probe else ""
    return "exact:same e-mail address" if candidate.email_key() == probe else ""


def exact_on(
    key: MatchKey, subject: MatchSubject, candidate: Candidate, *, generic: frozenset[str] = frozenset()
) -> bool:
    """Whether :func:`classify` finds ``candidate`` an exact match of ``subject`` on ``key`` (when free).

    A free exact candidate of a key makes that key, or an earlier one, decide: the near candidates of every
    key and the candidates only later keys find can no longer change the decision."""
    probe = probe_for(key, subject, generic=generic)
    return probe is not None and _compare(key, subject, probe, candidate).startswith("exact:")


def classify(
    *,
    subject: MatchSubject,
    config: MatchConfig,
    candidates: Iterable[Candidate],
    shareable: Callable[[str], bool] | None = None,
) -> MatchDecision:
    """Decide what ``subject`` is in NetSuite, given the candidates of every key (any order, duplicates
    allowed). See :mod:`sync.matching.engine` for the rules.

    ``shareable(external_id)``: a candidate carrying that external id belongs to another integration (an
    org feeding the same account), so it stays a candidate (to be linked as shared, never re-keyed);
    without it, a candidate carrying another external id is another Salesforce record's and left out."""
    free = _free_candidates(subject, candidates, shareable)
    if not free:  # what the keys would conclude, without normalising the subject's values
        return MatchDecision(MatchStatus.UNMATCHED, NO_MATCH)
    own = [c for c in free.values() if c.external_id and c.external_id == subject.external_id]
    if own:
        return MatchDecision(
            MatchStatus.LINKED, "the record already carries this external id", "external_id", (own[0],)
        )
    near: dict[str, Candidate] = {}
    near_reasons: list[str] = []
    ordered = list(free.values())
    if len(ordered) > 1:
        ordered.sort(key=lambda c: _id_order(c.netsuite_id))  # once for every key
    for key in config.keys:
        probe = probe_for(key, subject, generic=config.generic_domains)
        if probe is None:
            continue
        decision = _key_decision(key, subject, probe, ordered, near, near_reasons)
        if decision is not None:
            return decision
    if near:
        return MatchDecision(
            MatchStatus.SUSPECT,
            "similar but not equal: " + "; ".join(near_reasons),
            ",".join(key.label for key in config.keys),
            tuple(sorted(near.values(), key=lambda c: _id_order(c.netsuite_id))),
        )
    return MatchDecision(MatchStatus.UNMATCHED, NO_MATCH)


def _free_candidates(
    subject: MatchSubject, candidates: Iterable[Candidate], shareable: Callable[[str], bool] | None = None
) -> dict[str, Candidate]:
    """The candidates by NetSuite id, first seen kept, without those another Salesforce record of the same
    integration owns (another integration's may be shared: ``shareable``)."""
    free: dict[str, Candidate] = {}
    for candidate in candidates:
        eid = candidate.external_id
        if eid and eid != subject.external_id and not (shareable is not None and shareable(eid)):
            continue  # another Salesforce record's
        free.setdefault(candidate.netsuite_id, candidate)
    return free


def _key_decision(
    key: MatchKey,
    subject: MatchSubject,
    probe: str,
    ordered: list[Candidate],
    near: dict[str, Candidate],
    near_reasons: list[str],
) -> MatchDecision | None:
    """The decision one key makes (linked on one exact match, suspect on several), or None to go on;
    near matches are gathered into ``near`` and ``near_reasons`` for the final verdict. ``ordered``: the
    free candidates in NetSuite id order."""
    exact: list[Candidate] = []
    reason = ""
    for candidate in ordered:
        verdict, _, why = _compare(key, subject, probe, candidate).partition(":")
        if verdict == "exact":
            exact.append(candidate)
            reason = why
        elif verdict == "near":
            near.setdefault(candidate.netsuite_id, candidate)
            near_reasons.append(f"{candidate.netsuite_id}: {why} ({key.kind})")
    if len(exact) == 1:
        return MatchDecision(MatchStatus.LINKED, f"{reason} ({probe!r})", key.label, tuple(exact))
    if exact:
        what = reason.removeprefix("same ")
        return MatchDecision(
            MatchStatus.SUSPECT,
            f"{len(exact)} NetSuite {exact[0].record_type} records have the {what} {probe!r}",
            key.label,
            tuple(exact),
        )
    return None


def _id_order(netsuite_id: str) -> tuple[int, str]:
    return (int(netsuite_id), "") if netsuite_id.isdigit() else (0, netsuite_id)


__all__ = [
    "NEAR_RATIO",
    "Candidate",
    "MatchDecision",
    "MatchStatus",
    "MatchSubject",
    "candidate_from_row",
    "classify",
    "company_name_words",
    "exact_on",
    "near_names",
    "probe_for",
    "search_value",
    "subject_from_body",
]
