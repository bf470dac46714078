"""Where an exception belongs: the one derivation every source uses (sync.exceptions.scope)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from sync.connections.models import Connection
from sync.exceptions.models import ExceptionItem, Subsidiary
from sync.exceptions.scope import ExceptionScope, scope_of_bodies, subsidiary_of, subsidiary_resolve
from sync.mappings.models import LookupTable
from sync.mappings.services.lookup_versions import (
    lookup_version_approve,
    lookup_version_create_draft,
    lookup_version_publish,
    lookup_version_submit,
)
from sync.pipeline.inbox import _set_aside_report
from sync.pipeline.models import InboxMessage, InboxSource
from tests.sync.exceptions.support import raise_sample

pytestmark = pytest.mark.django_db


def _netsuite(name: str, *, single_entity: bool = False) -> Connection:
    return Connection.objects.create(
        name=name,
        kind="netsuite",
        environment="sandbox",
        base_url=f"https://{name}.suitetalk.api.netsuite.com",
        auth_method="ns_token",
        single_entity=single_entity,
    )


def test_it_takes_the_subsidiary_on_the_record_per_connection() -> None:
    first, second = _netsuite("ns-one"), _netsuite("ns-two")
    a = subsidiary_resolve(ExceptionScope(netsuite_connection_id=first.pk, subsidiary_id="2"))
    again = subsidiary_resolve(
        ExceptionScope(netsuite_connection_id=first.pk, subsidiary_id="2", subsidiary_name="Concord Ltd")
    )
    other = subsidiary_resolve(ExceptionScope(netsuite_connection_id=second.pk, subsidiary_id="2"))
    assert a is not None and again is not None and other is not None
    assert a.pk == again.pk != other.pk  # internal ids are the account's own
    assert (again.key, again.name, again.netsuite_id) == ("ns-one:2", "Concord Ltd", "2")


def test_it_falls_back_to_the_subsidiary_the_billing_country_maps_to(revops: User, finance: User) -> None:
    netsuite = _netsuite("ns-one")
    shipped = subsidiary_resolve(ExceptionScope(netsuite_connection_id=netsuite.pk, billing_country="GB"))
    assert shipped is not None and shipped.netsuite_id == "2"  # the shipped table, while none is stored
    table = LookupTable.objects.create(name="country_to_subsidiary")
    draft = lookup_version_create_draft(table=table, user=revops, entries={"GB": "7"})
    lookup_version_submit(version=draft, user=revops)
    pending = subsidiary_resolve(ExceptionScope(netsuite_connection_id=netsuite.pk, billing_country="GB"))
    assert pending is not None and pending.netsuite_id == "2"  # a draft routes nothing, as in the pipeline
    lookup_version_approve(version=draft, user=finance)
    lookup_version_publish(version=draft, user=finance)
    stored = subsidiary_resolve(ExceptionScope(netsuite_connection_id=netsuite.pk, billing_country="GB"))
    assert stored is not None and stored.netsuite_id == "7"  # the account's published table wins
    record = subsidiary_resolve(
        ExceptionScope(netsuite_connection_id=netsuite.pk, subsidiary_id="3", billing_country="GB")
    )
    assert record is not None and record.netsuite_id == "3"  # the record's own subsidiary first
    assert (
        subsidiary_resolve(ExceptionScope(netsuite_connection_id=netsuite.pk, billing_country="ZZ")) is None
    )


def test_it_places_nothing_without_a_connection_or_evidence() -> None:
    netsuite = _netsuite("ns-one")
    assert subsidiary_resolve(None) is None
    assert subsidiary_resolve(ExceptionScope(netsuite_connection_id=None, subsidiary_id="1")) is None
    assert subsidiary_resolve(ExceptionScope(netsuite_connection_id=netsuite.pk)) is None
    assert not Subsidiary.objects.exists()


def test_it_puts_everything_of_a_connection_without_oneworld_in_its_single_entity() -> None:
    netsuite = _netsuite("ns-small", single_entity=True)
    found = {
        subsidiary_resolve(ExceptionScope(netsuite_connection_id=netsuite.pk, **evidence))  # type: ignore[arg-type]
        for evidence in ({}, {"subsidiary_id": "3"}, {"billing_country": "GB"})
    }
    (entity,) = found
    assert entity is not None and (entity.netsuite_id, entity.key) == ("", "ns-small:entity")


def test_it_reads_the_deals_subsidiary_from_its_mapped_records() -> None:
    bodies = [
        ("contact", {"subsidiary": {"id": "4"}}),
        ("customer", {"subsidiary": {"id": "2", "refName": "Concord Ltd"}}),
        ("salesOrder", {"subsidiary": {"id": "3"}}),
    ]
    scope = scope_of_bodies(netsuite_connection_id=1, bodies=bodies, billing_country="US")
    assert (scope.subsidiary_id, scope.billing_country) == ("3", "US")  # the sales order decides
    assert scope_of_bodies(netsuite_connection_id=1, bodies=bodies[:2]).subsidiary_id == "2"
    assert scope_of_bodies(netsuite_connection_id=1, bodies=[("customer", {})]).subsidiary_id == ""
    assert subsidiary_of({"subsidiary": "5"}) == ("5", "")


def test_a_later_occurrence_that_names_the_subsidiary_sets_it_and_one_that_does_not_keeps_it() -> None:
    netsuite = _netsuite("ns-one")
    item = raise_sample(key="k", subsidiary=None, scope=ExceptionScope(netsuite_connection_id=netsuite.pk))
    assert item.subsidiary is None
    placed = raise_sample(
        key="k", subsidiary=None, scope=ExceptionScope(netsuite_connection_id=netsuite.pk, subsidiary_id="2")
    )
    assert placed.pk == item.pk and placed.subsidiary is not None and placed.subsidiary.netsuite_id == "2"
    kept = raise_sample(key="k", subsidiary=None, scope=ExceptionScope(netsuite_connection_id=netsuite.pk))
    assert ExceptionItem.objects.get(pk=kept.pk).subsidiary_id == placed.subsidiary.pk


def test_a_set_aside_inbox_message_of_a_single_entity_connection_is_placed_there() -> None:
    salesforce = Connection.objects.create(
        name="sf",
        kind="salesforce",
        environment="sandbox",
        base_url="https://sf.example",
        auth_method="sf_password",
    )
    netsuite = _netsuite("ns-small", single_entity=True)
    message = InboxMessage.objects.create(
        notification_id="n-1",
        source=InboxSource.WEBHOOK,
        salesforce_connection=salesforce,
        netsuite_connection=netsuite,
        record_id="006A",
        attempts=5,
    )
    _set_aside_report(message, "boom")
    item = ExceptionItem.objects.get(category__key="inbox_failed")
    assert item.subsidiary == Subsidiary.objects.get(netsuite_connection=netsuite, netsuite_id="")


def test_a_key_already_named_by_hand_does_not_stop_an_exception() -> None:
    netsuite = _netsuite("ns-one")
    by_hand = Subsidiary.objects.create(key="ns-one:2", name="Typed in")
    found = subsidiary_resolve(ExceptionScope(netsuite_connection_id=netsuite.pk, subsidiary_id="2"))
    assert found is not None and found.pk != by_hand.pk
    assert (found.netsuite_connection_id, found.netsuite_id, found.key) == (
        netsuite.pk,
        "2",
        f"ns-one:2#{netsuite.pk}",
    )
