"""Tags on exceptions: shared names, audited, scoped like the exceptions they are on."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError

from governance.models import AuditEntry
from sync.exceptions.models import ExceptionAction, ExceptionItem, ExceptionTag, Subsidiary
from sync.exceptions.permissions import subsidiary_scope_grant
from sync.exceptions.tags import (
    exception_tag_add,
    exception_tag_remove,
    exception_tags,
    items_tagged,
    tag_name_clean,
    tags_in_use,
)
from tests.sync.exceptions.support import raise_sample

pytestmark = pytest.mark.django_db


def test_it_cleans_tag_names_and_says_what_is_wrong() -> None:
    assert tag_name_clean("  Waiting   ON customer ") == "waiting on customer"
    for bad, words in (
        ("", "Name the tag"),
        ("x" * 41, "at most 40"),
        ("-late", "starts with"),
        ("a/b", "holds"),
    ):
        with pytest.raises(ValidationError, match=words):
            tag_name_clean(bad)


def test_it_tags_once_audits_and_untags(revops: User) -> None:
    item = raise_sample()
    exception_tag_add(item=item, user=revops, name="Q4 close")
    exception_tag_add(item=item, user=revops, name="q4 close")  # the same tag: nothing new
    assert exception_tags(item=item) == ["q4 close"]
    assert item.events.filter(action=ExceptionAction.TAGGED).count() == 1
    assert AuditEntry.objects.filter(additional_data__event="exception_tagged", actor=revops).count() == 1

    exception_tag_remove(item=item, user=revops, name="Q4 CLOSE")
    assert exception_tags(item=item) == []
    assert item.events.get(action=ExceptionAction.UNTAGGED).before == {"tag": "q4 close"}
    assert ExceptionTag.objects.filter(name="q4 close").exists()  # the name stays for the next use
    with pytest.raises(ValidationError, match="no tag 'q4 close'"):
        exception_tag_remove(item=item, user=revops, name="q4 close")


def test_it_refuses_a_reader_and_a_person_outside_the_scope(auditor: User, finance: User) -> None:
    item = raise_sample(subsidiary="SUB-B")
    raise_sample(key="other", subsidiary="SUB-A")
    subsidiary_scope_grant(holder=finance, subsidiary=Subsidiary.objects.get(key="SUB-A"))
    with pytest.raises(PermissionDenied):
        exception_tag_add(item=item, user=auditor, name="mine")
    with pytest.raises(PermissionDenied, match="outside"):
        exception_tag_add(item=item, user=finance, name="mine")
    assert not item.tags.exists()


def test_it_filters_the_queue_by_tag_and_lists_only_visible_tags(revops: User, finance: User) -> None:
    a = raise_sample(key="a", subsidiary="SUB-A")
    b = raise_sample(key="b", subsidiary="SUB-B")
    exception_tag_add(item=a, user=revops, name="waiting on customer")
    exception_tag_add(item=b, user=revops, name="secret project")
    exception_tag_add(item=b, user=revops, name="waiting on customer")
    every = ExceptionItem.objects.all()
    assert set(items_tagged(every, "Waiting on customer")) == {a, b}
    assert list(items_tagged(every, "secret project")) == [b]
    assert set(items_tagged(every, "")) == {a, b}
    assert not items_tagged(every, "no/such").exists()  # not a tag name at all: nothing, not an error

    subsidiary_scope_grant(holder=finance, subsidiary=Subsidiary.objects.get(key="SUB-A"))
    assert [tag.name for tag in tags_in_use(user=finance)] == ["waiting on customer"]
    assert [tag.name for tag in tags_in_use(user=revops)] == ["secret project", "waiting on customer"]
