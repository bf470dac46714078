"""Tags people put on exceptions to organise their backlog ("waiting on customer", "q4-close").

Tags are shared names; putting one on an exception or taking it off is a history line and an audit entry
like every other action, and needs the role that may act on exceptions in the exception's scope. The
queue filters with :func:`items_tagged`; a tag list for a filter comes from :func:`tags_in_use`, which
only names tags on exceptions the person may see.
"""

from __future__ import annotations

import re

from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from sync.exceptions import permissions
from sync.exceptions.events import event_record
from sync.exceptions.models import ExceptionAction, ExceptionItem, ExceptionTag, ExceptionTagging

TAG_MAX_LENGTH = 40
_TAG_PATTERN = re.compile(r"^[a-z0-9][a-z0-9 _:\-]*$")


def tag_name_clean(name: str) -> str:
    """``name`` as stored: trimmed, lower case, inner spaces collapsed; a clear error when it cannot be."""
    cleaned = " ".join(name.split()).lower()
    if not cleaned:
        raise ValidationError("Name the tag.")
    if len(cleaned) > TAG_MAX_LENGTH:
        raise ValidationError(f"A tag has at most {TAG_MAX_LENGTH} characters.")
    if not _TAG_PATTERN.match(cleaned):
        raise ValidationError(
            "A tag holds letters, digits, spaces, '-', '_' and ':' and starts with a letter or digit."
        )
    return cleaned


def _require_tagger(item: ExceptionItem, user: User) -> None:
    if not permissions.can_act(user):
        raise PermissionDenied("Your role cannot tag exceptions.")
    if not permissions.exceptions_visible_to(user).filter(pk=item.pk).exists():
        raise PermissionDenied("This exception is outside your subsidiaries.")


def exception_tag_add(*, item: ExceptionItem, user: User, name: str) -> ExceptionTag:
    """Put the tag ``name`` on the exception (made on first use). Adding a tag it has changes nothing."""
    _require_tagger(item, user)
    name = tag_name_clean(name)
    now = timezone.now()
    with transaction.atomic():
        tag, _ = ExceptionTag.objects.get_or_create(name=name)
        _, created = ExceptionTagging.objects.get_or_create(
            item=item, tag=tag, defaults={"added_by": user, "added_at": now}
        )
        if created:
            event_record(item, action=ExceptionAction.TAGGED, actor=user, after={"tag": name}, now=now)
    return tag


def exception_tag_remove(*, item: ExceptionItem, user: User, name: str) -> None:
    """Take the tag ``name`` off the exception; a tag it does not have is an error (nothing to undo)."""
    _require_tagger(item, user)
    name = tag_name_clean(name)
    with transaction.atomic():
        deleted, _ = ExceptionTagging.objects.filter(item=item, tag__name=name).delete()
        if not deleted:
            raise ValidationError(f"This exception has no tag {name!r}.")
        event_record(item, action=ExceptionAction.UNTAGGED, actor=user, before={"tag": name})


def exception_tags(*, item: ExceptionItem) -> list[str]:
    return list(item.tags.order_by("name").values_list("name", flat=True))


def items_tagged(items: QuerySet[ExceptionItem], tag: str) -> QuerySet[ExceptionItem]:
    """``items`` narrowed to those carrying ``tag`` (a blank tag narrows nothing; an unknown one, to none).

    For the queue's ``tag`` filter: one EXISTS on the tagging table's (tag, item) index, no join fan-out."""
    try:
        name = tag_name_clean(tag) if tag.strip() else ""
    except ValidationError:
        return items.none()
    if not name:
        return items
    return items.filter(pk__in=ExceptionTagging.objects.filter(tag__name=name).values("item_id"))


def tags_in_use(*, user: User | AnonymousUser) -> QuerySet[ExceptionTag]:
    """The tags on at least one exception ``user`` may see (for a filter's choices)."""
    visible = permissions.exceptions_visible_to(user).values("pk")
    return ExceptionTag.objects.filter(taggings__item__in=visible).distinct().order_by("name")
