"""The console's access helpers: has a role, a view guarded by a feature's predicate, one scoped fetch."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.test import RequestFactory

from core.access import has_role, object_get_for_user, predicate_required
from governance.permissions import can_manage_users

pytestmark = pytest.mark.django_db


@predicate_required(can_manage_users)
def _managers_only(request: HttpRequest) -> HttpResponse:
    return HttpResponse("in")


def _request(user: User | AnonymousUser) -> HttpRequest:
    request = RequestFactory().get("/")
    request.user = user
    return request


def test_a_role_is_what_lets_a_person_see_the_console(revops: User, outsider: User) -> None:
    assert has_role(revops)
    assert not has_role(outsider)  # signed in, no role
    assert not has_role(AnonymousUser())


def test_a_guarded_view_runs_only_for_whom_the_predicate_allows(admin: User, revops: User) -> None:
    assert _managers_only(_request(admin)).content == b"in"
    with pytest.raises(PermissionDenied):
        _managers_only(_request(revops))


def test_an_object_outside_the_persons_scope_does_not_exist_for_them(revops: User, admin: User) -> None:
    visible = User.objects.filter(pk=revops.pk)
    assert object_get_for_user(visible, name="user", pk=revops.pk) == revops
    with pytest.raises(Http404, match="No such user"):
        object_get_for_user(visible, name="user", pk=admin.pk)
