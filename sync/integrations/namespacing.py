"""External ids per integration: ``<NAMESPACE>-<id>``, so two orgs' records never share one.

Salesforce ids are unique within one org only (two orgs' simulators even hand out the same ones), and the
ids Concord builds from them (``BA-<account>-<currency>``, ``SUB-<quote line>``) would collide in a
NetSuite account two orgs feed. Every external id an integration writes is prefixed with its namespace;
the primary integration's namespace is empty, so ids written before integrations existed are unchanged.
Namespaces are upper-case and never one of the words Concord's own ids start with
(:data:`sync.integrations.models.RESERVED_NAMESPACES`), so ``ACQ-BA-...`` can only be integration ACQ's.
"""

from __future__ import annotations

from collections.abc import Iterable

SEPARATOR = "-"


def eid_namespaced(namespace: str, raw: str) -> str:
    """The external id integration ``namespace`` writes for ``raw`` (unchanged for the primary one)."""
    if not namespace or not raw:
        return raw
    return f"{namespace}{SEPARATOR}{raw}"


def eid_raw(namespace: str, external_id: str, *, others: Iterable[str] = ()) -> str | None:
    """``external_id`` without ``namespace``'s prefix, or None when it is not this integration's.

    For the primary integration (empty namespace) an id is its own unless it carries one of ``others``
    (the other integrations' namespaces).
    """
    if namespace:
        prefix = f"{namespace}{SEPARATOR}"
        return external_id[len(prefix) :] if external_id.startswith(prefix) else None
    if eid_namespace_of(external_id, others):
        return None
    return external_id


def eid_namespace_of(external_id: str, namespaces: Iterable[str]) -> str:
    """The namespace (one of ``namespaces``) ``external_id`` carries, or "" (the primary integration's)."""
    for namespace in namespaces:
        if namespace and external_id.startswith(f"{namespace}{SEPARATOR}"):
            return namespace
    return ""


def suiteql_owned(namespace: str, others: Iterable[str], *, column: str = "externalid") -> str:
    """A SuiteQL condition: ``column`` is an external id of integration ``namespace``.

    Namespaces are ``[A-Z][A-Z0-9]*`` (validated on the model), so they are safe inside the literal.
    """
    if namespace:
        return f"{column} LIKE '{namespace}{SEPARATOR}%'"
    excluded = [f"{column} NOT LIKE '{other}{SEPARATOR}%'" for other in sorted(set(others)) if other]
    return " AND ".join(excluded) if excluded else "1 = 1"
