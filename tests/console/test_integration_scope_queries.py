"""What a person's integration scope costs per request (sync/integrations/access.py ``integration_scope``).

Measured on console pages and API lists: one query (guardian's, the person's and their groups' grants in
one statement) per request for a person who is not a superuser, limited or not, then cached on the
request's user; none for a superuser. Not cached across requests on purpose: a grant given in one worker
process must limit the person at once in every other, and a per-process "nobody is limited" or "one
integration" flag would serve a newly limited person everything until that process heard of it.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from guardian.shortcuts import assign_perm

from sync.integrations.access import ACCESS_INTEGRATION, integration_scope
from sync.integrations.models import Integration, IntegrationUserPermission

pytestmark = pytest.mark.django_db

PAGES = (
    "dashboard",
    "sync:jobs",
    "sync:exceptions",
    "sync:notification-deliveries",
    "api:job-list",
    "api:exception-list",
    "api:notification-delivery-list",
)
GRANTS_TABLE = "sync_integrationuserpermission"


def _scope_queries(client: Client, name: str) -> int:
    client.get(reverse(name))  # sessions, first-use caches
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse(name)).status_code == 200
    return sum(GRANTS_TABLE in query["sql"] for query in queries.captured_queries)


@pytest.mark.parametrize("person", ["unlimited", "limited", "superuser"])
def test_a_request_reads_the_persons_scope_at_most_once(person: str, revops: User) -> None:
    if person == "limited":
        beta = Integration.objects.create(name="beta", label="Beta", namespace="BETA")
        assign_perm(ACCESS_INTEGRATION, revops, beta)
    user = revops
    if person == "superuser":
        user = User.objects.create_superuser("root", "root@example.com", "x")
    client = Client()
    client.force_login(user)
    expected = 0 if person == "superuser" else 1
    assert {name: _scope_queries(client, name) for name in PAGES} == dict.fromkeys(PAGES, expected)


def test_the_scope_is_read_once_per_user_object(revops: User, django_assert_num_queries: Any) -> None:
    beta = Integration.objects.create(name="beta", label="Beta", namespace="BETA")
    assign_perm(ACCESS_INTEGRATION, revops, beta)
    user = User.objects.get(pk=revops.pk)
    integration_scope(user)  # the role check's permission cache, the grants
    with django_assert_num_queries(0):
        scope = integration_scope(user)
    assert scope.limited and scope.integration_ids == {beta.pk}
    # A new request (a fresh user object) sees a grant removed since: nothing outlives the request.
    IntegrationUserPermission.objects.filter(user=revops).delete()
    assert not integration_scope(User.objects.get(pk=revops.pk)).limited
