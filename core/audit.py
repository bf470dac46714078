"""The one writer of explicit audit entries, and the one place that names the actor of the implicit ones.

django-auditlog logs every edit of a registered model by itself. Everything else is written here with
:func:`audit_record`: a state change a service makes under ``disable_auditlog()`` so that it is logged once
with its event and reason (publish, approve, revoke...), an action that is not an edit (a re-run, a requeue,
a resume, a retry, a login), or an edit auditlog cannot see (a bulk import, a link set in NetSuite). Each
entry carries the object, the person (``None``: the system), the action, the before/after ``changes``, the
event's name with its details and reason, and the correlation id of the request or job.

The entry model is auditlog's configured one (``AUDITLOG_LOGENTRY_MODEL``), looked up through auditlog, so
that core imports no feature.

:func:`audit_actor` and :func:`audit_actor_set` name the person behind the entries auditlog writes by
itself when no request middleware did (a command, a task) or did too early (an API token).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from auditlog import get_logentry_model
from auditlog.context import auditlog_value, set_actor
from auditlog.models import DEFAULT_OBJECT_REPR, AbstractLogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from django.db.models.signals import pre_save

from core.correlation import current_correlation_id
from core.fields import field_fit

# CREATE, UPDATE, DELETE and ACCESS (an action that is not an edit), as stored in ``action``.
AuditAction = AbstractLogEntry.Action

# An action entry (ACCESS) keeps this much of the person's reason; it lives in the JSON details, which have
# no column limit, so the length is the product's choice. A state change keeps its reason whole: the forms
# that take it bound it already.
REASON_LIMIT = 500


def audit_record(
    *,
    obj: models.Model | type[models.Model],
    actor: Any,
    action: int,
    changes: Mapping[str, Any] | None = None,
    event: str = "",
    reason: str | None = None,
    object_repr: str | None = None,
    **details: Any,
) -> Any:
    """Write one audit entry about ``obj`` by ``actor`` and return it.

    ``obj`` is the instance the entry is about, or its model when there is no instance (a failed login
    with an unknown username: then give ``object_repr``). ``actor`` is the person; ``None`` or anyone not
    signed in is recorded as no actor, which an enclosing :func:`audit_actor` (or the request) may fill.
    ``changes`` maps a field to ``[before, after]``. ``additional_data`` holds ``event`` (left out when
    empty), the ``details`` and ``reason`` (left out when ``None``; an ACCESS entry's is cut to
    :data:`REASON_LIMIT`); with none of them it is null, as auditlog leaves it.
    """
    entry = audit_entry_build(
        obj=obj,
        actor=actor,
        action=action,
        changes=changes,
        event=event,
        reason=reason,
        object_repr=object_repr,
        **details,
    )
    entry.save(force_insert=True)
    return entry


def audit_entry_build(
    *,
    obj: models.Model | type[models.Model],
    actor: Any,
    action: int,
    changes: Mapping[str, Any] | None = None,
    event: str = "",
    reason: str | None = None,
    object_repr: str | None = None,
    **details: Any,
) -> Any:
    """The entry :func:`audit_record` writes, not saved yet: for :func:`audit_records_bulk`."""
    entry_model = get_logentry_model()
    pk = None if isinstance(obj, type) else obj.pk
    if object_repr is None:
        try:
            object_repr = str(obj)
        except ObjectDoesNotExist:  # a __str__ that follows a relation already gone, as auditlog allows
            object_repr = DEFAULT_OBJECT_REPR
    data: dict[str, Any] = {"event": event} if event else {}
    data.update(details)
    if reason is not None:
        data["reason"] = reason[:REASON_LIMIT] if action == AuditAction.ACCESS else reason
    return entry_model(
        content_type=ContentType.objects.get_for_model(obj),  # also through a lazy request.user
        object_pk="" if pk is None else str(pk),
        object_id=pk if isinstance(pk, int) else None,
        object_repr=field_fit(entry_model, "object_repr", object_repr),
        action=action,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        changes=None if changes is None else dict(changes),
        additional_data=data or None,
        cid=current_correlation_id(),
    )


BULK_BATCH = 500  # entries per INSERT: well under SQLite's and PostgreSQL's limits on parameters


def audit_records_bulk(entries: Sequence[Any]) -> list[Any]:
    """Write ``entries`` (from :func:`audit_entry_build`) in a few INSERTs, exactly as many
    :func:`audit_record` calls would write them: the same ``pre_save`` receivers run on each first
    (auditlog's request context fills the actor left empty, the remote address and port), then the
    entry model's ``bulk_create`` links them into the hash chain in order, under its lock."""
    entry_model = get_logentry_model()
    for entry in entries:
        # What Model.save() sends before its INSERT; bulk_create sends no signal.
        pre_save.send(sender=entry_model, instance=entry, raw=False, using="default", update_fields=None)
    created: list[Any] = entry_model.objects.bulk_create(list(entries), batch_size=BULK_BATCH)
    return created


@contextmanager
def audit_actor(actor: Any) -> Iterator[None]:
    """Name ``actor`` on the entries auditlog writes inside (commands and tasks have no middleware).

    Inside a request the middleware's remote address is kept, and its context restored afterwards.
    """
    try:
        previous = auditlog_value.get()
    except LookupError:
        previous = None
    context = previous or {}
    with set_actor(actor, remote_addr=context.get("remote_addr"), remote_port=context.get("remote_port")):
        yield
    if previous is not None:
        auditlog_value.set(previous)


def audit_actor_set(actor: Any) -> None:
    """Name ``actor`` on the entries the current request writes from now on (no-op outside a request).

    For an actor known only once the request is under way, e.g. the owner of an API token: auditlog's
    middleware read ``request.user`` before DRF authenticated it.
    """
    try:
        context: dict[str, Any] = auditlog_value.get()
    except LookupError:  # outside a request (the middleware sets the context for each one)
        return
    context["actor"] = actor
