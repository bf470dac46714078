"""The pipeline's port to the exception queue, which sits above it in the layers.

The stages of the pipeline (a failed opportunity, a set-aside inbox message, a return flow's refused
write, a duplicate suspect before create) find problems a person must look at, and resolve them when a
later run succeeds. The queue that stores them (:mod:`sync.exceptions`) depends on the pipeline, so the
pipeline cannot import it: it says here what it needs (:class:`ExceptionQueue`) in its own words
(:class:`Problem`, :class:`RecordRef`, :class:`ExceptionScope`), and the queue provides it. The
composition root (``SyncConfig.ready`` in ``sync/apps.py``) connects the implementation once, with
:func:`exception_queue_connect`.

The words are plain data, free of Django, so every source of exceptions (reconciliation and go-live too)
describes a problem the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, TypeVar

F = TypeVar("F", bound=Callable[..., Any])

Severity = Literal["low", "medium", "high", "critical"]
# The order a deal's records are asked for their subsidiary: the sales order decides, then the customer.
PAYLOAD_ORDER = ("salesOrder", "customer", "subscription", "billingAccount", "contact")


@dataclass(frozen=True)
class RecordRef:
    """A record involved in an exception, with a link to it in its own system."""

    system: str  # "salesforce" | "netsuite"
    object_type: str  # "Opportunity", "salesOrder"...
    id: str
    url: str = ""


@dataclass(frozen=True)
class ExceptionScope:
    """What a source knows about where an exception's records live (the queue derives the subsidiary from
    it: see :mod:`sync.exceptions.scope` for the order)."""

    netsuite_connection_id: int | None
    subsidiary_id: str = ""  # the NetSuite internal id on the record (mapped or read)
    subsidiary_name: str = ""  # its name, when the source read it (``refName``)
    billing_country: str = ""  # the Salesforce account's billing country (ISO code)
    integration_id: int | None = None  # the integration of the pair (integration_for_pair), when known


def subsidiary_of(body: Mapping[str, Any] | None) -> tuple[str, str]:
    """(internal id, name) of the ``subsidiary`` a NetSuite record body names; blanks when none."""
    value = (body or {}).get("subsidiary")
    if isinstance(value, Mapping):
        return str(value.get("id") or ""), str(value.get("refName") or "")
    return (str(value), "") if value not in (None, "") else ("", "")


def scope_of_bodies(
    *,
    netsuite_connection_id: int | None,
    bodies: Iterable[tuple[str, Mapping[str, Any]]],
    billing_country: Any = "",
    integration_id: int | None = None,
) -> ExceptionScope:
    """The scope of a deal from its mapped records, ``(record type, body)``: the sales order's subsidiary,
    else the customer's, else any record's; the billing country as the fallback."""
    found: dict[str, tuple[str, str]] = {}
    for record_type, body in bodies:
        subsidiary = subsidiary_of(body)
        if subsidiary[0]:
            found.setdefault(record_type, subsidiary)
    ranked = sorted(found, key=lambda t: PAYLOAD_ORDER.index(t) if t in PAYLOAD_ORDER else len(PAYLOAD_ORDER))
    subsidiary_id, name = found[ranked[0]] if ranked else ("", "")
    return ExceptionScope(
        netsuite_connection_id=netsuite_connection_id,
        integration_id=integration_id,
        subsidiary_id=subsidiary_id,
        subsidiary_name=name,
        billing_country=str(billing_country or ""),
    )


def retryable(func: F) -> F:
    """Mark ``func`` as an exception's retry: called as ``func(**retry_kwargs, overrides={...})``.

    The queue stores the dotted path of the retry and calls only functions carrying this mark
    (:func:`sync.exceptions.retry.retry_function`): each must be idempotent, safe to run twice."""
    func.exception_retryable = True  # type: ignore[attr-defined]
    return func


@dataclass(frozen=True)
class Problem:
    """One occurrence of a problem on one record; the same ``dedup_key`` is always the same exception.

    ``retry_task`` is the dotted path of a :func:`retryable` function, called with ``retry_kwargs``.
    ``details`` is free JSON shown on the exception's page."""

    category: str
    dedup_key: str
    title: str
    severity: Severity | None = None  # None: the category's default severity
    records: Sequence[RecordRef] = ()
    scope: ExceptionScope | None = None
    vendor_code: str = ""
    vendor_message: str = ""
    error_path: str = ""
    mapping_row: str | None = None
    rule: str | None = None
    details: Mapping[str, Any] = field(default_factory=dict)
    retry_task: str | None = None
    retry_kwargs: Mapping[str, Any] = field(default_factory=dict)
    # The retry moves money (a cancellation): a new (or reopened) exception waits in ``pending_approval``
    # for a finance approver, whose approval runs the retry (sync.exceptions.actions.exception_approve).
    awaiting_approval: bool = False


class ExceptionQueue(Protocol):
    """What the pipeline asks of the exception queue."""

    def report(self, problem: Problem) -> int:
        """Open (or count again, or reopen) the problem's exception; returns its id."""
        ...

    def resolve(self, *, dedup_key: str, note: str) -> None:
        """Close the active exception for ``dedup_key``, if any: the problem is gone."""
        ...

    def overrides_sent(self, *, dedup_key: str, fields: list[str], job_id: int | None) -> None:
        """A retry sent these approved value changes of the exception, in job ``job_id``."""
        ...

    def active_keys(self, dedup_keys: Collection[str]) -> set[str]:
        """Those of ``dedup_keys`` with an active exception (one query for a whole batch)."""
        ...

    def last_retry_kwargs(self, dedup_key: str) -> Mapping[str, Any] | None:
        """The retry arguments of the latest exception for ``dedup_key`` (whatever its status)."""
        ...


_queue: ExceptionQueue | None = None


def exception_queue_connect(queue: ExceptionQueue) -> None:
    """Connect the implementation (called once, by the composition root)."""
    global _queue
    _queue = queue


def exception_queue() -> ExceptionQueue:
    """The connected exception queue; refuses loudly when none is (a problem must never be dropped)."""
    if _queue is None:
        raise RuntimeError("no exception queue is connected (SyncConfig.ready connects it)")
    return _queue
