"""One action on many exceptions under one reason: retry, assign, resolve or ignore a selection.

Each exception goes through the same per-item service a person uses on its page
(:mod:`sync.exceptions.actions`), in its own transaction, so each keeps its own history line and audit
entry (with the shared reason) and every per-item rule still holds: a financial value change waiting for
its second approver blocks that exception's retry, resolve and ignore exactly as it does on its page.
Nothing is rolled back because a neighbour was refused: the result reports, per exception, what was done
and why the others were not ("all or report"). An exception the person may not see is reported as not
found, like any id that does not exist (nothing about it is revealed).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.contrib.auth.models import Group, User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from sync.exceptions import actions, permissions
from sync.exceptions.models import ExceptionItem
from sync.exceptions.selectors import exceptions_for_user

MAX_ID = 2**63 - 1  # the largest exception number the database can hold (BigAutoField)
BULK_MAX = 500  # one request's selection; a larger backlog is worked filter by filter (or by group)
BULK_ACTIONS = {
    "retry": "Retry",
    "assign": "Assign",
    "resolve": "Mark resolved",
    "ignore": "Ignore",
}


@dataclass(frozen=True)
class BulkRefusal:
    item_id: int
    error: str


@dataclass
class BulkResult:
    action: str
    done: list[int] = field(default_factory=list)
    refused: list[BulkRefusal] = field(default_factory=list)

    @property
    def summary(self) -> str:
        label = BULK_ACTIONS[self.action].lower()
        text = f"{label.capitalize()}: {len(self.done)} done"
        if self.refused:
            why = "; ".join(f"#{refusal.item_id}: {refusal.error}" for refusal in self.refused[:5])
            text += f", {len(self.refused)} not ({why}"
            text += ", ...)" if len(self.refused) > 5 else ")"
        return text + "."


def exceptions_bulk(
    *,
    user: User,
    item_ids: Iterable[int],
    action: str,
    reason: str,
    owner_user: User | None = None,
    owner_group: Group | None = None,
) -> BulkResult:
    """Take ``action`` on each of ``item_ids`` as ``user``, under ``reason`` (required: one reason
    explains the whole selection in every exception's history and in the audit trail)."""
    if not permissions.can_act(user):
        raise PermissionDenied("Your role cannot act on exceptions.")
    reason = reason.strip()
    # A number no exception can have is simply not found (never a database overflow).
    ids = list(dict.fromkeys(int(item_id) for item_id in item_ids))
    _check_request(action, reason, ids, assign_to_one=(owner_user is None) != (owner_group is None))
    run = _runner(action, user=user, reason=reason, owner_user=owner_user, owner_group=owner_group)
    possible = [item_id for item_id in ids if 0 < item_id <= MAX_ID]
    visible = {item.pk: item for item in exceptions_for_user(user).filter(pk__in=possible)}
    result = BulkResult(action=action)
    for item_id in ids:
        item = visible.get(item_id)
        if item is None:
            result.refused.append(BulkRefusal(item_id, "No such exception."))
            continue
        try:
            with transaction.atomic():
                run(item)
        except (ValidationError, PermissionDenied) as error:
            messages = error.messages if isinstance(error, ValidationError) else [str(error)]
            result.refused.append(BulkRefusal(item_id, " ".join(messages)))
        else:
            result.done.append(item_id)
    return result


def _check_request(action: str, reason: str, ids: list[int], *, assign_to_one: bool) -> None:
    """The whole request refused before anything is done: the one reason, the selection, the owner."""
    if action not in BULK_ACTIONS:
        raise ValidationError(f"Unknown bulk action {action!r}: one of {', '.join(BULK_ACTIONS)}.")
    if not reason:
        raise ValidationError("Say why: one reason is recorded on every exception of the selection.")
    if not ids:
        raise ValidationError("Select at least one exception.")
    if len(ids) > BULK_MAX:
        raise ValidationError(f"Select at most {BULK_MAX} exceptions at once (narrow the filter).")
    if action == "assign" and not assign_to_one:
        raise ValidationError("Assign to one person or one group.")


def _runner(
    action: str, *, user: User, reason: str, owner_user: User | None, owner_group: Group | None
) -> Callable[[ExceptionItem], object]:
    if action == "retry":
        return lambda item: actions.exception_retry(item=item, user=user, reason=reason)
    if action == "resolve":
        return lambda item: actions.exception_resolve(item=item, user=user, reason=reason)
    if action == "ignore":
        return lambda item: actions.exception_ignore(item=item, user=user, reason=reason)
    return lambda item: actions.exception_assign(
        item=item, user=user, owner_user=owner_user, owner_group=owner_group, reason=reason
    )


def bulk_owner(name: str) -> tuple[User | None, Group | None]:
    """The active person, else the group, called ``name``; a clear error when neither is."""
    name = name.strip()
    owner_user = User.objects.filter(username=name, is_active=True).first()
    owner_group = None if owner_user else Group.objects.filter(name=name).first()
    if owner_user is None and owner_group is None:
        raise ValidationError(f"No active user or group is called {name!r}.")
    return owner_user, owner_group
