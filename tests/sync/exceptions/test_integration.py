"""Every exception belongs to the integration of the pair it was raised from; a person limited to some
integrations sees only theirs (never one naming none); the queue filters by integration."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from governance.access_grants import user_access_grant
from sync.exceptions.models import ExceptionItem
from sync.exceptions.permissions import exceptions_visible_to
from sync.exceptions.selectors import ExceptionFilters, exception_queue
from sync.integrations.models import Integration
from sync.integrations.selectors import primary_integration
from sync.pipeline.failures import record_outcome_report
from sync.pipeline.models import SyncJob, SyncRecord
from sync.pipeline.problems import ExceptionScope
from tests.sync.connections.support import offline_connection_pair
from tests.sync.exceptions.support import raise_sample


@pytest.fixture
def acme(db: None) -> Integration:
    return Integration.objects.create(name="acme", label="Acme", namespace="ACQ")


def _raise(key: str, integration: Integration | None) -> ExceptionItem:
    scope = ExceptionScope(
        netsuite_connection_id=None, integration_id=integration.pk if integration else None
    )
    return raise_sample(key=key, title=key, subsidiary=None, scope=scope)


def test_it_keeps_the_integration_the_source_names(acme: Integration) -> None:
    item = _raise("one", acme)
    assert item.integration == acme
    # A later occurrence that names none leaves it as it was.
    again = raise_sample(key="one", title="one", subsidiary=None)
    assert again.pk == item.pk and ExceptionItem.objects.get(pk=item.pk).integration == acme


def test_a_limited_person_sees_only_their_integrations_exceptions(
    acme: Integration, revops: User, admin: User
) -> None:
    primary = primary_integration()
    mine, other, none = _raise("mine", acme), _raise("other", primary), _raise("none", None)
    assert set(exceptions_visible_to(revops)) == {mine, other, none}
    user_access_grant(user=revops, kind="integration", target=acme, actor=admin)
    revops = User.objects.get(pk=revops.pk)
    assert list(exceptions_visible_to(revops)) == [mine]


def test_the_queue_filters_by_integration(acme: Integration, revops: User, revops_client: Client) -> None:
    mine, other = _raise("mine", acme), _raise("other", primary_integration())
    queue = exception_queue(user=revops, filters=ExceptionFilters(status="", integration="acme"))
    assert list(queue) == [mine]
    page = revops_client.get(reverse("sync:exceptions"), {"status": "", "integration": "acme"})
    assert page.status_code == 200
    assert mine.title.encode() in page.content and b">other<" not in page.content
    api = revops_client.get(reverse("api:exception-list"), {"status": "", "integration": "acme"})
    assert [row["id"] for row in api.json()["results"]] == [mine.pk]
    assert api.json()["results"][0]["integration"] == "acme"
    assert other.integration is not None


def test_a_failed_sync_raises_its_exception_under_the_pair_s_integration(db: None) -> None:
    sf, ns = offline_connection_pair("acq")
    acme = Integration.objects.create(
        name="acme", label="Acme", namespace="ACQ", salesforce_connection=sf, netsuite_connection=ns
    )
    job = SyncJob.objects.create(salesforce_connection=sf, netsuite_connection=ns, trigger="poll")
    record = SyncRecord.objects.create(job=job, opportunity_id="006ACQ", status="failed", message="refused")
    record_outcome_report(record=record, netsuite=ns)
    (item,) = ExceptionItem.objects.all()
    assert item.integration == acme
    # An unclaimed pair runs under the primary integration.
    sf2, ns2 = offline_connection_pair("plain")
    job2 = SyncJob.objects.create(salesforce_connection=sf2, netsuite_connection=ns2, trigger="poll")
    record2 = SyncRecord.objects.create(job=job2, opportunity_id="006PLN", status="failed", message="x")
    record_outcome_report(record=record2, netsuite=ns2)
    assert ExceptionItem.objects.exclude(pk=item.pk).get().integration == primary_integration()
