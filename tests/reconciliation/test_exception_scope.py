"""Reconciliation's mismatch exceptions carry the subsidiary of the record in question (simulators over
HTTPS): the NetSuite record's own, else the one the account's billing country maps to."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.http import Http404

from reconciliation.models import Mismatch, RunStatus
from reconciliation.services import reconciliation_run
from sync.connections.models import Connection
from sync.exceptions import groups
from sync.exceptions.models import ExceptionItem
from tests.reconciliation.test_integration import ACC, SUBSIDIARY, World, world  # noqa: F401

pytestmark = pytest.mark.django_db


def _subsidiary_of(run_pk: int, key: str, field: str = "") -> tuple[int | None, str]:
    mismatch = Mismatch.objects.get(run_id=run_pk, key=key, field=field)
    item = ExceptionItem.objects.select_related("subsidiary").get(dedup_key=mismatch.dedup_key)
    assert item.subsidiary is not None, mismatch
    return item.subsidiary.netsuite_connection_id, item.subsidiary.netsuite_id


def test_it_places_each_mismatch_in_the_subsidiary_of_its_record(
    world: World,  # noqa: F811
    seeded_connections: tuple[Connection, Connection],
) -> None:
    netsuite = seeded_connections[1]
    world.customer(ACC(1))
    world.customer(ACC(7), companyName="Wrong Name Ltd")
    # Booked in subsidiary 1 although the account's country maps elsewhere: NetSuite's record decides.
    world.customer(ACC(10), subsidiary={"id": "1"})
    run = reconciliation_run(check="accounts")
    assert run.status == RunStatus.SUCCEEDED, run.error
    country = {key: row["BillingCountry"] for key, row in world.accounts.items()}
    assert _subsidiary_of(run.pk, ACC(7), "name") == (netsuite.pk, SUBSIDIARY[country[ACC(7)]])
    assert _subsidiary_of(run.pk, ACC(10), "subsidiary") == (netsuite.pk, "1")
    # No customer at all: the subsidiary the mapping would give the account.
    assert _subsidiary_of(run.pk, ACC(11)) == (netsuite.pk, SUBSIDIARY[country[ACC(11)]])
    # Titled by the check's name for people, the check's key kept in the details.
    missing = ExceptionItem.objects.get(dedup_key=Mismatch.objects.get(run_id=run.pk, key=ACC(11)).dedup_key)
    assert missing.title == f"Accounts ↔ customers: {ACC(11)}: Missing in NetSuite"
    assert missing.details["check"] == "accounts"


def test_it_places_order_and_invoice_mismatches_in_their_subsidiaries(
    world: World,  # noqa: F811
    seeded_connections: tuple[Connection, Connection],
) -> None:
    netsuite = seeded_connections[1]
    opportunity = next(iter(sorted(world.opportunities)))
    account = world.opportunities[opportunity]["AccountId"]
    expected = SUBSIDIARY[world.accounts[account]["BillingCountry"]]
    world.customer(account)
    world.sales_order(opportunity, adjust=100.0)
    run = reconciliation_run(check="opportunities")
    assert run.status == RunStatus.SUCCEEDED, run.error
    assert _subsidiary_of(run.pk, opportunity, "amount") == (netsuite.pk, expected)
    missing = Mismatch.objects.filter(run=run, kind="missing_in_netsuite").values_list("key", flat=True)
    other = next(key for key in missing if key != opportunity)
    other_country = world.accounts[world.opportunities[other]["AccountId"]]["BillingCountry"]
    assert _subsidiary_of(run.pk, other) == (netsuite.pk, SUBSIDIARY[other_country])


def test_a_run_s_missing_records_are_one_group_and_the_next_run_s_group_takes_them(
    world: World,  # noqa: F811
    seeded_connections: tuple[Connection, Connection],
    revops: User,
) -> None:
    world.customer(ACC(1))
    first = reconciliation_run(check="accounts")
    missing = list(
        Mismatch.objects.filter(run=first, kind="missing_in_netsuite").values_list("dedup_key", flat=True)
    )
    assert len(missing) >= 2
    items = ExceptionItem.objects.filter(dedup_key__in=missing)
    assert {item.details["run"] for item in items} == {first.pk}
    (key,) = {item.cause_key for item in items}
    group = groups.exception_group_get(user=revops, key=key)
    assert (
        group.size == len(missing)
        and group.description == f"Reconciliation accounts run {first.pk}: missing in netsuite"
    )
    # The second day: the next run sees them again, and its group holds them (the first's is empty).
    second = reconciliation_run(check="accounts")
    (again,) = {item.cause_key for item in ExceptionItem.objects.filter(dedup_key__in=missing)}
    assert again != key and groups.exception_group_get(user=revops, key=again).size == len(missing)
    assert groups.exception_group_get(user=revops, key=again).sample.details["run"] == second.pk
    with pytest.raises(Http404):
        groups.exception_group_get(user=revops, key=key)
