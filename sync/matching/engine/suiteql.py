"""SuiteQL that finds the candidates of a whole batch for one key: one query per chunk of probes.

Only constructs real SuiteQL has: ``LOWER``, ``LIKE`` and ``IN`` with literals, ``OR``, and the
customer's default billing address through ``EntityAddress.nKey = Customer.defaultBillingAddress``.
Probe values are the normalisers' output (company words are ``[a-z0-9]+``, domains are checked host
names) and quotes are doubled, so nothing a Salesforce user typed can change a query's shape.
"""

from __future__ import annotations

from collections.abc import Iterable

from sync.matching.engine.config import KINDS_BY_TYPE, MatchKey

# SuiteQL has no documented limit on an IN list or an OR chain; these keep each query short.
CHUNK = {"company_name": 50, "email_domain": 50, "email": 200}

_SELECT = {
    "customer": (
        "SELECT c.id, c.externalid, c.companyname, c.email, a.country FROM customer c "
        "LEFT OUTER JOIN entityaddress a ON a.nkey = c.defaultbillingaddress "
        "WHERE c.isinactive = 'F' AND "
    ),
    "contact": (
        "SELECT c.id, c.externalid, c.firstname, c.lastname, c.email, c.company FROM contact c "
        "WHERE c.isinactive = 'F' AND "
    ),
}
_PRIMARY = {
    "customer": "SELECT c.id, c.externalid FROM customer c WHERE c.externalid IN ",
    "contact": "SELECT c.id, c.externalid FROM contact c WHERE c.externalid IN ",
}


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _condition(kind: str, probes: list[str]) -> str:
    if kind == "company_name":
        # Probes are blocking tokens (the first word of the normalised name): near names come back too.
        return "(" + " OR ".join(f"LOWER(c.companyname) LIKE {_literal(f'%{p}%')}" for p in probes) + ")"
    if kind == "email_domain":
        return "(" + " OR ".join(f"LOWER(c.email) LIKE {_literal(f'%@{p}')}" for p in probes) + ")"
    if kind == "email":
        return f"LOWER(c.email) IN ({', '.join(_literal(p) for p in probes)})"
    raise ValueError(f"unknown match key kind {kind!r}")


def candidate_queries(*, record_type: str, key: MatchKey, probes: Iterable[str]) -> list[str]:
    """The SuiteQL texts returning every candidate for ``probes`` (values from
    :func:`sync.matching.engine.probe_for`'s ``search`` form, see
    :func:`sync.matching.engine.classify.search_value`),
    ordered by id; empty when there is nothing to search."""
    if key.kind not in KINDS_BY_TYPE.get(record_type, ()):
        raise ValueError(f"{record_type} records cannot be matched by {key.kind}")
    values = sorted({p for p in probes if p})
    size = CHUNK[key.kind]
    return [
        _SELECT[record_type] + _condition(key.kind, values[start : start + size]) + " ORDER BY c.id"
        for start in range(0, len(values), size)
    ]


def external_id_query(*, record_type: str, external_ids: Iterable[str]) -> list[str]:
    """The primary match: SuiteQL for the ``record_type`` records already carrying one of ``external_ids``
    (``id`` and ``externalid`` columns), in chunks like :func:`candidate_queries`."""
    if record_type not in _SELECT:
        raise ValueError(f"matching is not available for {record_type!r} records")
    values = sorted({value for value in external_ids if value})
    size = CHUNK["email"]
    return [
        _PRIMARY[record_type]
        + "("
        + ", ".join(map(_literal, values[start : start + size]))
        + ") ORDER BY c.id"
        for start in range(0, len(values), size)
    ]


# The column the combined query adds: 'T' on the rows the secondary keys found (candidates to classify).
CANDIDATE_COLUMN = "candidate"


def combined_query(
    *, record_type: str, external_ids: Iterable[str], keys: Iterable[tuple[MatchKey, Iterable[str]]]
) -> str | None:
    """Both searches of one record type in one query, when each fits one query of its own: the records
    carrying one of ``external_ids`` (the primary match, inactive ones too) or found by a secondary key's
    probes (active ones), with the columns of :func:`candidate_queries` and ``candidate`` = 'T' on the rows
    a secondary key found. None when a search needs several chunks (a big batch: use the separate queries)
    or there is nothing to search."""
    part = _combined(record_type, external_ids, keys)
    if part is None:
        return None
    columns, source, where, flag = part
    return f"{columns}, {flag} AS {CANDIDATE_COLUMN} FROM {source} WHERE {where} ORDER BY c.id"


# The column of the union query naming the record type of a row.
KIND_COLUMN = "kind"
# SuiteQL documents no limit on a query's length; the simulator refuses more than 100,000 characters. A
# union longer than this is sent as its record types' queries instead (each bounded by CHUNK), so joining
# them never makes a query that one of them alone would not be.
UNION_MAX_CHARS = 30_000


def _columns(record_type: str) -> dict[str, str]:
    """Column name -> expression of a record type's candidate columns (``c.id`` -> ``id``)."""
    columns = _SELECT[record_type].partition(" FROM ")[0].removeprefix("SELECT ")
    return {expression.rpartition(".")[2]: expression for expression in columns.split(", ")}


def union_query(
    searches: Iterable[tuple[str, Iterable[str], Iterable[tuple[MatchKey, Iterable[str]]]]],
) -> str | None:
    """Every record type's :func:`combined_query` in one SuiteQL query (``UNION ALL``, SQL-92), for
    ``(record type, external ids, keys)`` searches of two or more record types: each part selects the
    same columns in the same order (``kind`` = the record type, then every record type's candidate columns,
    NULL where the type has none, then ``candidate``), so a row reads as that type's :func:`combined_query`
    row plus ``kind``. Rows are in no particular order (a union has no per-part ORDER BY): sort them. None
    when there are fewer than two record types, a record type's searches do not fit one query each, or the
    text would be longer than :data:`UNION_MAX_CHARS`: send the record types' queries then."""
    parts: list[tuple[str, tuple[str, str, str, str]]] = []
    for record_type, external_ids, keys in searches:
        part = _combined(record_type, external_ids, keys)
        if part is None:
            return None
        parts.append((record_type, part))
    if len({record_type for record_type, _ in parts}) != len(parts) or len(parts) < 2:
        return None
    names: list[str] = []
    for record_type, _ in parts:
        names.extend(name for name in _columns(record_type) if name not in names)
    selects = []
    for record_type, (_, source, where, flag) in parts:
        own = _columns(record_type)
        columns = ", ".join(f"{own[name]} AS {name}" if name in own else f"NULL AS {name}" for name in names)
        kind = _literal(record_type)  # values are quoted literals (see the module docstring)
        selects.append(
            f"SELECT {kind} AS {KIND_COLUMN}, {columns}, {flag} AS {CANDIDATE_COLUMN} "  # noqa: S608
            f"FROM {source} WHERE {where}"
        )
    query = " UNION ALL ".join(selects)
    return query if len(query) <= UNION_MAX_CHARS else None


def _combined(
    record_type: str, external_ids: Iterable[str], keys: Iterable[tuple[MatchKey, Iterable[str]]]
) -> tuple[str, str, str, str] | None:
    """``(SELECT columns, FROM source, WHERE condition, candidate flag)`` of :func:`combined_query`."""
    if record_type not in _SELECT:
        raise ValueError(f"matching is not available for {record_type!r} records")
    wanted = sorted({value for value in external_ids if value})
    if len(wanted) > CHUNK["email"]:
        return None
    conditions: list[str] = []
    for key, probes in keys:
        if key.kind not in KINDS_BY_TYPE.get(record_type, ()):
            raise ValueError(f"{record_type} records cannot be matched by {key.kind}")
        values = sorted({p for p in probes if p})
        if len(values) > CHUNK[key.kind]:
            return None
        if values:
            conditions.append(_condition(key.kind, values))
    if not wanted and not conditions:
        return None
    columns, _, _ = _SELECT[record_type].partition(" WHERE ")
    select, _, source = columns.partition(" FROM ")
    where: list[str] = []
    if wanted:
        where.append(f"c.externalid IN ({', '.join(map(_literal, wanted))})")
    if conditions:
        secondary = "c.isinactive = 'F' AND (" + " OR ".join(conditions) + ")"
        flag = f"CASE WHEN {secondary} THEN 'T' ELSE 'F' END"
        where.append(f"({secondary})")
    else:
        flag = "'F'"
    return select, source, " OR ".join(where), flag
