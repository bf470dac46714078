"""Matching before create: find the NetSuite record a Salesforce record already is, before upserting.

A blind ``PUT .../eid:<externalId>`` creates a second customer when the account already exists in
NetSuite without a Salesforce id. This package is the pure core of the check (no database, no HTTP), used
by the pipeline's pre-match phase and by the go-live assistant. The stable API:

Configuration (the ``match`` block of an object mapping, see :mod:`sync.matching.engine.config`)::

    "match": {"keys": [
        {"kind": "company_name", "name": "companyName",
         "country": "addressBook.items[0].addressBookAddress.country"},
        {"kind": "email_domain", "email": "email"}]}
    "match": {"keys": [{"kind": "email", "email": "email"}]}

Key paths are target paths in the record the object mapping would write (see
:mod:`sync.matching.engine.config`).

- :func:`parse_match` (JSON -> :class:`MatchConfig`, raising :class:`MatchConfigError`) and
  :func:`match_problems` (the same check, as messages for the mapping spec).
- Normalisers: :func:`normalise_company_name`, :func:`normalise_email`, :func:`email_domain`,
  :func:`normalise_country`, :func:`blocking_token`.
- :class:`MatchSubject` (a Salesforce id, the external id it will be upserted with, and the raw values
  of the keys' paths; :func:`subject_from_body` builds it from the body the mapping would write),
  :func:`probe_for` (key + subject -> the normalised value compared, or None)
  and :func:`search_value` (key + subject -> what NetSuite is searched for: a name's first word, else
  the probe); :func:`candidate_queries` (record type + key + search values -> SuiteQL texts, one per
  chunk, so a whole batch costs one query per key) and :func:`candidate_from_row` (a SuiteQL row ->
  :class:`Candidate`); :func:`external_id_query` (the primary match: records already carrying one of
  the batch's external ids); :func:`combined_query` (both searches of a record type in one query) and
  :func:`union_query` (those of every record type in one ``UNION ALL`` query, rows tagged ``kind``).
- :func:`classify` (one :class:`MatchSubject` + the keys + the candidates -> :class:`MatchDecision`
  with a :class:`MatchStatus` of ``linked``, ``suspect`` or ``unmatched`` and the reason), and
  :func:`exact_on` (whether one candidate is exact on one key: a free one makes that key decide, so a
  search may stop there).
- :class:`NameIndex` (many candidates by normalised company name -> those exact or near one name, the
  same as comparing with every name sharing its first word, without doing so: see
  :mod:`sync.matching.engine.nearnames`) and :func:`near_names`.

The rules, in order (documented for the people who resolve suspects):

1. Candidates already carrying another external id belong to another Salesforce record and are ignored;
   one carrying the subject's own external id is the primary match (the caller normally finds it first,
   through the cross-reference or an ``eid:`` read).
2. The keys are tried in the configured order. The first key with *exact* candidates decides: exactly
   one -> ``linked`` (a confident match); several -> ``suspect`` (ambiguous). Only a company name or an
   e-mail address is ever exact: an e-mail domain alone is evidence for a person, not proof.
3. With no exact candidate on any key, *near* candidates on any key make the subject a ``suspect``
   (fuzzy). Otherwise it is ``unmatched`` and the normal upsert creates it.

Exact and near, per key kind:

- ``company_name``: the normalised names (lower case, accents and punctuation dropped, ``&`` -> ``and``,
  legal-form words such as Inc, Ltd, GmbH, Corp and a leading "The" removed) are equal, and the billing
  countries are equal when both sides have one. *Near*: the same name in another country; or names that
  differ but share their first word (the SuiteQL blocking filter) and either have a similarity ratio of at
  least :data:`NEAR_RATIO` or one's words are all in the other ("Acme" and "Acme Robotics").
- ``email_domain``: never exact. *Near*: the customer's e-mail domain equals the subject's (from an
  e-mail address or a web address, ``www.`` dropped): a shared company domain alone makes a ``suspect``;
  with the same company name the name key links, with the same address the ``email`` key does. Generic
  domains never match: mailbox providers (gmail.com, outlook.com, yahoo.com ...) and the reserved example
  domains (example.com ...), :data:`~sync.matching.engine.normalise.GENERIC_DOMAINS`, plus the operator's
  own (:attr:`MatchConfig.generic_domains`, kept by :mod:`sync.matching.domains`).
- ``email``: the trimmed, lower-cased addresses are equal. No near form.
"""

from sync.matching.engine.classify import (
    NEAR_RATIO,
    Candidate,
    MatchDecision,
    MatchStatus,
    MatchSubject,
    candidate_from_row,
    classify,
    exact_on,
    near_names,
    probe_for,
    search_value,
    subject_from_body,
)
from sync.matching.engine.config import (
    KEY_KINDS,
    MatchConfig,
    MatchConfigError,
    MatchKey,
    match_problems,
    parse_match,
)
from sync.matching.engine.nearnames import NameIndex
from sync.matching.engine.normalise import (
    GENERIC_DOMAINS,
    blocking_token,
    email_domain,
    normalise_company_name,
    normalise_country,
    normalise_email,
)
from sync.matching.engine.suiteql import (
    CANDIDATE_COLUMN,
    KIND_COLUMN,
    candidate_queries,
    combined_query,
    external_id_query,
    union_query,
)

__all__ = [
    "CANDIDATE_COLUMN",
    "GENERIC_DOMAINS",
    "KIND_COLUMN",
    "KEY_KINDS",
    "NEAR_RATIO",
    "Candidate",
    "MatchConfig",
    "MatchConfigError",
    "MatchDecision",
    "MatchKey",
    "MatchStatus",
    "MatchSubject",
    "NameIndex",
    "blocking_token",
    "candidate_from_row",
    "candidate_queries",
    "combined_query",
    "classify",
    "email_domain",
    "exact_on",
    "match_problems",
    "near_names",
    "normalise_company_name",
    "normalise_country",
    "normalise_email",
    "parse_match",
    "probe_for",
    "search_value",
    "subject_from_body",
    "external_id_query",
    "union_query",
]
