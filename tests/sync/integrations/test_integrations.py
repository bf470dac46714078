"""The integration model: one primary, namespaces, the pair -> integration resolution and people's scope."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from guardian.shortcuts import assign_perm

from sync.connections.models import Connection
from sync.integrations.access import ACCESS_INTEGRATION, integration_scope
from sync.integrations.models import Integration
from sync.integrations.selectors import integration_for_connection, integration_for_pair, primary_integration

pytestmark = pytest.mark.django_db


def _connection(name: str, kind: str) -> Connection:
    return Connection.objects.create(
        name=name,
        kind=kind,
        environment="production",
        base_url=f"https://{name}.example.com",
        auth_method="sf_password" if kind == "salesforce" else "ns_token",
    )


def test_the_migration_leaves_one_primary_integration_with_an_empty_namespace() -> None:
    primary = primary_integration()
    assert primary.is_primary and primary.namespace == "" and primary.name == "primary"
    assert primary_integration().pk == primary.pk
    with pytest.raises(IntegrityError), transaction.atomic():
        Integration.objects.create(name="second-primary", namespace="", is_primary=True)


def test_a_second_integration_needs_its_own_namespace() -> None:
    Integration.objects.create(name="acme", namespace="ACQ")
    with pytest.raises(IntegrityError), transaction.atomic():
        Integration.objects.create(name="no-namespace", namespace="")
    with pytest.raises(IntegrityError), transaction.atomic():
        Integration.objects.create(name="acme-again", namespace="ACQ")


def test_the_salesforce_org_decides_the_integration_and_an_unclaimed_pair_runs_under_the_primary(
    django_assert_num_queries: Any,
) -> None:
    sf_a, sf_b, sf_b_sandbox = (_connection(n, "salesforce") for n in ("sf-a", "sf-b", "sf-b-sbx"))
    ns = _connection("ns", "netsuite")
    acme = Integration.objects.create(
        name="acme",
        namespace="ACQ",
        salesforce_connection=sf_b,
        netsuite_connection=ns,
        sandbox_salesforce_connection=sf_b_sandbox,
    )
    primary = primary_integration()
    # One query each, the primary's fallback included (the pipeline asks per batch and per record).
    with django_assert_num_queries(3):
        assert integration_for_pair(sf_b.pk, ns.pk) == acme
        assert integration_for_connection(sf_b_sandbox.pk) == acme
        assert integration_for_pair(sf_a.pk, ns.pk) == primary
    assert integration_for_connection(None) == primary


def test_a_grant_on_one_integration_limits_a_person_to_it(revops: User) -> None:
    sf_b = _connection("sf-b", "salesforce")
    acme = Integration.objects.create(name="acme", namespace="ACQ", salesforce_connection=sf_b)
    assert integration_scope(revops).limited is False
    assign_perm(ACCESS_INTEGRATION, revops, acme)
    person = User.objects.get(pk=revops.pk)
    scope = integration_scope(person)
    assert scope.limited and scope.integration_ids == {acme.pk}
    assert scope.salesforce_connection_ids == {sf_b.pk}
    assert scope.allows(acme.pk) and not scope.allows(primary_integration().pk)
    assert list(scope.filter(Integration.objects.all(), integration="pk")) == [acme]


def test_someone_without_a_role_sees_no_integration() -> None:
    nobody = User.objects.create_user("nobody")
    assert integration_scope(nobody).limited and not integration_scope(nobody).integration_ids
