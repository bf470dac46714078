"""xrefs_upsert stores what bulk_create(update_conflicts=True) stored: new rows, updated fields, the last
write of a key, error_shown left alone, salesforce ids cut to the column; in batches."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from core.fields import field_fit
from sync.connections.models import Connection
from sync.integrations.selectors import integration_for_pair
from sync.pipeline.models import CrossReference
from sync.pipeline.writer import Written
from sync.pipeline.xrefs import BATCH, xrefs_upsert
from tests.sync.connections.support import offline_connection_pair

pytestmark = pytest.mark.django_db
AT = dt.datetime(2026, 12, 7, 14, 0, tzinfo=dt.UTC)
FIELDS = ["netsuite_type", "external_id", "netsuite_id", "salesforce_id", "object_key", "payload_hash"]


def _pair(name: str) -> tuple[Connection, int]:
    salesforce, netsuite = offline_connection_pair(name)
    return netsuite, integration_for_pair(salesforce.pk, netsuite.pk).pk


def _orm_upsert(
    netsuite: Connection, integration_id: int | None, written: list[Written], at: dt.datetime
) -> None:
    """What _store_outcome did before: one bulk_create with update_conflicts."""
    latest = {(w.netsuite_type, w.external_id): w for w in written}
    CrossReference.objects.bulk_create(
        [
            CrossReference(
                netsuite_connection=netsuite,
                integration_id=integration_id,
                netsuite_type=w.netsuite_type,
                external_id=w.external_id,
                netsuite_id=w.netsuite_id,
                salesforce_id=field_fit(CrossReference, "salesforce_id", w.salesforce_id),
                object_key=w.object_key,
                payload_hash=w.payload_hash,
                shared=w.shared,
                synced_at=at,
            )
            for w in latest.values()
        ],
        update_conflicts=True,
        unique_fields=["netsuite_connection", "integration", "netsuite_type", "external_id"],
        update_fields=["netsuite_id", "salesforce_id", "object_key", "payload_hash", "shared", "synced_at"],
    )


def _rows(netsuite: Connection) -> list[tuple[Any, ...]]:
    return sorted(
        CrossReference.objects.filter(netsuite_connection=netsuite).values_list(
            "integration_id", *FIELDS, "shared", "synced_at", "error_shown"
        ),
        # The whole row: rows naming no integration can repeat a key (NULLs never conflict in a unique
        # index), and their order from the database is not fixed.
        key=lambda row: (row[0] is None, *(str(value) for value in row[1:])),
    )


def _written(hash_: str, *, shared: bool = False) -> list[Written]:
    return [
        Written("customer", "eid:001A", "11", "001A", "customer", hash_),
        Written("contact", "eid:003A", "21", "003A", "contact", hash_, shared),
        Written("salesOrder", "eid:006A", "31", "006A000000000000AAAextra", "sales_order", hash_),
        Written("customer", "eid:001A", "12", "001A", "customer", hash_ + "-last"),  # the last write wins
    ]


def test_it_stores_what_bulk_create_stored() -> None:
    orm, orm_integration = _pair("xref-orm")
    ours, our_integration = _pair("xref-ours")
    for connection, integration_id, upsert in (
        (orm, orm_integration, _orm_upsert),
        (ours, our_integration, None),
    ):
        for integration in (integration_id, None):  # rows of an integration, and rows naming none
            for step, (hash_, shared, at) in enumerate(
                (("h1", False, AT), ("h2", True, AT + dt.timedelta(1)))
            ):
                if step == 1:  # NetSuite shows an error on the customer: an update leaves it
                    CrossReference.objects.filter(
                        netsuite_connection=connection, netsuite_type="customer"
                    ).update(error_shown="e1")
                if upsert is not None:
                    upsert(connection, integration, _written(hash_, shared=shared), at)
                else:
                    count = xrefs_upsert(
                        netsuite_connection_id=connection.pk,
                        integration_id=integration,
                        written=_written(hash_, shared=shared),
                        at=at,
                    )
                    assert count == 3
    theirs = [(i is None, *rest) for i, *rest in _rows(orm)]
    mine = [(i is None, *rest) for i, *rest in _rows(ours)]
    assert mine == theirs
    customer = CrossReference.objects.get(
        netsuite_connection=ours, integration_id=our_integration, netsuite_type="customer"
    )
    assert (customer.netsuite_id, customer.payload_hash, customer.error_shown) == ("12", "h2-last", "e1")
    assert customer.synced_at == AT + dt.timedelta(1)
    contact = CrossReference.objects.get(
        netsuite_connection=ours, integration_id=our_integration, netsuite_type="contact"
    )
    assert contact.shared is True
    order = CrossReference.objects.get(
        netsuite_connection=ours, integration_id=our_integration, netsuite_type="salesOrder"
    )
    assert order.salesforce_id == "006A000000000000AA"  # cut to the column's 18


def test_many_rows_go_in_batches() -> None:
    netsuite, integration_id = _pair("xref-many")
    written = [
        Written("contact", f"eid:003{n:05d}", str(n), f"003{n:05d}", "contact", "h")
        for n in range(BATCH * 2 + 5)
    ]
    assert xrefs_upsert(
        netsuite_connection_id=netsuite.pk, integration_id=integration_id, written=written, at=AT
    ) == len(written)
    assert CrossReference.objects.filter(netsuite_connection=netsuite).count() == len(written)
    assert (
        xrefs_upsert(netsuite_connection_id=netsuite.pk, integration_id=integration_id, written=[], at=AT)
        == 0
    )
