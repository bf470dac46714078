"""The ``match`` block of an object mapping: which secondary keys find an existing NetSuite record.

::

    "match": {"keys": [
        {"kind": "company_name", "name": "companyName",
         "country": "addressBook.items[0].addressBookAddress.country"},
        {"kind": "email_domain", "email": "email"}]}

Each key names its kind and, per role of that kind, the *target* path of the value in the record the
object mapping would write (its payload, e.g. ``companyName``): NetSuite's values are compared with what
Concord would send, after the mapping's transforms. Roles: ``company_name``: ``name`` (required),
``country`` (optional: without it countries are not compared); ``email_domain``: ``email`` (an e-mail or
a web address); ``email``: ``email``. Kinds per record type: customers take all three, contacts
``email`` and ``email_domain``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

KEY_KINDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # kind: (required roles, optional roles)
    "company_name": (("name",), ("country",)),
    "email_domain": (("email",), ()),
    "email": (("email",), ()),
}
# The NetSuite record types each kind can search (the SuiteQL of sync.matching.engine.suiteql knows their
# columns).
KINDS_BY_TYPE: dict[str, tuple[str, ...]] = {
    "customer": ("company_name", "email_domain", "email"),
    "contact": ("email", "email_domain"),
}
MAX_KEYS = 5


class MatchConfigError(ValueError):
    """The ``match`` block is not valid; ``problems`` holds every message."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class MatchKey:
    kind: str
    # role -> source path, e.g. {"name": "Name", "country": "BillingCountry"}
    sources: tuple[tuple[str, str], ...]

    @cached_property
    def roles(self) -> dict[str, str]:
        return dict(self.sources)

    @cached_property  # in every decision's reason
    def label(self) -> str:
        """How the key reads in reasons and audit entries: "company_name(name, country)"."""
        return f"{self.kind}({', '.join(role for role, _ in self.sources)})"

    def to_json(self) -> dict[str, str]:
        return {"kind": self.kind, **dict(self.sources)}


@dataclass(frozen=True)
class MatchConfig:
    keys: tuple[MatchKey, ...]
    # E-mail domains that are no evidence, on top of the built-in ones (normalise.GENERIC_DOMAINS): the
    # operator's list, set by the caller (``dataclasses.replace``); never part of a mapping's JSON.
    generic_domains: frozenset[str] = frozenset()

    def to_json(self) -> dict[str, Any]:
        return {"keys": [key.to_json() for key in self.keys]}


def match_problems(data: Any, *, target: str | None = None) -> list[str]:
    """Every problem of a ``match`` block (empty when valid); ``target`` checks the kinds fit the type."""
    problems: list[str] = []
    if not isinstance(data, dict):
        return ["'match' must be an object with 'keys'"]
    extra = sorted(set(data) - {"keys"})
    if extra:
        problems.append(f"'match' has unknown key(s) {', '.join(map(repr, extra))}")
    keys = data.get("keys")
    if not isinstance(keys, list) or not keys:
        return [*problems, "'match.keys' must be a non-empty list of keys"]
    if len(keys) > MAX_KEYS:
        problems.append(f"'match.keys' holds at most {MAX_KEYS} keys")
    allowed = KINDS_BY_TYPE.get(target or "", ()) if target is not None else tuple(KEY_KINDS)
    if target is not None and not allowed:
        problems.append(f"matching is not available for {target!r} records (only {', '.join(KINDS_BY_TYPE)})")
    for position, key in enumerate(keys, start=1):
        problems.extend(_key_problems(key, f"match key #{position}", allowed, target))
    return problems


def _key_problems(key: Any, where: str, allowed: tuple[str, ...], target: str | None) -> list[str]:
    """The problems of one key: its kind (known, and searchable for ``target``), then its roles."""
    if not isinstance(key, dict):
        return [f"{where} must be an object with 'kind'"]
    kind = key.get("kind")
    if kind not in KEY_KINDS:
        return [f"{where}: 'kind' must be one of {', '.join(KEY_KINDS)}, not {kind!r}"]
    problems = []
    if allowed and kind not in allowed:
        problems.append(f"{where}: {target} records cannot be matched by {kind}")
    required, optional = KEY_KINDS[str(kind)]
    for role in sorted(set(key) - {"kind", *required, *optional}):
        problems.append(f"{where}: unknown role {role!r} for {kind}")
    for role in (*required, *optional):
        value = key.get(role)
        if value is None and role in optional:
            continue
        if not isinstance(value, str) or not value.strip():
            problems.append(f"{where}: {role!r} must be a source path")
    return problems


def parse_match(data: Any, *, target: str | None = None) -> MatchConfig:
    """The :class:`MatchConfig` of a ``match`` block; raises :class:`MatchConfigError` when invalid."""
    problems = match_problems(data, target=target)
    if problems:
        raise MatchConfigError(problems)
    keys = []
    for key in data["keys"]:
        required, optional = KEY_KINDS[key["kind"]]
        sources = tuple((role, key[role].strip()) for role in (*required, *optional) if key.get(role))
        keys.append(MatchKey(key["kind"], sources))
    return MatchConfig(tuple(keys))
