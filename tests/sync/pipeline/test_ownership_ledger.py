"""OwnershipLedger: the per-field rules, exactly (the HTTPS journey is test_ownership.py)."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from sync.connections.models import Connection
from sync.pipeline.models import CrossReference, FieldConflict, SyncedFieldValue
from sync.pipeline.ownership import OwnershipLedger
from tests.sync.connections.support import offline_connection_pair

ACCOUNT = "001000000000001AAA"


@pytest.fixture
def netsuite(db: None) -> Connection:
    return offline_connection_pair("ledger")[1]


def ledger(netsuite: Connection, **synced: Any) -> OwnershipLedger:
    for name, value in synced.items():
        SyncedFieldValue.objects.update_or_create(
            netsuite_connection=netsuite,
            sobject="Account",
            salesforce_id=ACCOUNT,
            field=name,
            defaults={"value": value, "synced_at": timezone.now()},
        )
    return OwnershipLedger(
        netsuite_connection_id=netsuite.pk,
        flow="netsuite_customer_to_salesforce",
        sobject="Account",
        ids=[ACCOUNT],
    )


def decide(book: OwnershipLedger, held: dict[str, Any], mapped: dict[str, Any]) -> Any:
    return book.decide(
        salesforce_id=ACCOUNT,
        netsuite=("customer", "107"),
        held=held,
        mapped={"Id": ACCOUNT, **mapped},
        salesforce_owned=("Phone",),
    )


def test_it_writes_only_netsuite_owned_differences_and_remembers_agreement(netsuite: Connection) -> None:
    book = ledger(netsuite)
    decision = decide(book, {"Phone": "1", "Terms": "Net 15"}, {"Phone": "2", "Terms": "Net 30"})
    # No last synced value: a difference in Salesforce's phone cannot be told apart, so nothing happens.
    assert (decision.write, decision.conflicts) == ({"Terms": "Net 30"}, [])
    assert book.record(decision, written=True) == []
    book.flush()
    assert dict(SyncedFieldValue.objects.values_list("field", "value")) == {"Terms": "Net 30"}


def test_it_takes_an_unchanged_netsuite_copy_for_stale_not_for_a_conflict(netsuite: Connection) -> None:
    decision = decide(ledger(netsuite, Phone="1"), {"Phone": "2"}, {"Phone": "1"})
    assert (decision.write, decision.conflicts) == ({}, [])


def test_it_records_a_netsuite_change_of_a_salesforce_field_once(netsuite: Connection) -> None:
    CrossReference.objects.create(
        netsuite_connection=netsuite,
        netsuite_type="customer",
        external_id=ACCOUNT,
        netsuite_id="107",
        salesforce_id=ACCOUNT,
        object_key="customer",
        payload_hash="abc",
        synced_at=timezone.now(),
    )
    book = ledger(netsuite, Phone="1")
    decision = decide(book, {"Phone": "1"}, {"Phone": "9"})
    assert decision.write == {}
    (recorded,) = book.record(decision, written=True)
    assert (recorded.owner, recorded.owner_value, recorded.other_value, recorded.synced_value) == (
        "salesforce",
        "1",
        "9",
        "1",
    )
    # The next forward sync sends the whole update body, re-asserting Salesforce's phone.
    assert CrossReference.objects.get().payload_hash == ""
    again = ledger(netsuite)
    assert again.record(decide(again, {"Phone": "1"}, {"Phone": "9"}), written=True) == []
    assert FieldConflict.objects.count() == 1
    # Both agree again: the conflict is resolved and the value remembered.
    settled = ledger(netsuite)
    settled.record(decide(settled, {"Phone": "1"}, {"Phone": "1"}), written=True)
    assert FieldConflict.objects.get().resolved_at is not None
    assert not SyncedFieldValue.objects.filter(field="Phone").exclude(value="1").exists()


def test_it_writes_netsuite_value_over_a_salesforce_change_and_records_it(netsuite: Connection) -> None:
    book = ledger(netsuite, Terms="Net 30")
    decision = decide(book, {"Terms": "Net 60"}, {"Terms": "Net 30"})
    assert decision.write == {"Terms": "Net 30"}
    (conflict,) = decision.conflicts
    assert (conflict.owner, conflict.owner_value, conflict.other_value) == ("netsuite", "Net 30", "Net 60")
    (recorded,) = book.record(decision, written=False)  # refused: recorded, still open
    assert recorded.is_open
    retried = ledger(netsuite)
    assert retried.record(decide(retried, {"Terms": "Net 60"}, {"Terms": "Net 30"}), written=True) == []
    assert FieldConflict.objects.get().resolved_at is not None


def test_it_only_records_a_conflict_on_a_record_only_row(netsuite: Connection) -> None:
    CrossReference.objects.create(
        netsuite_connection=netsuite,
        netsuite_type="customer",
        external_id=ACCOUNT,
        netsuite_id="107",
        salesforce_id=ACCOUNT,
        object_key="customer",
        payload_hash="abc",
        synced_at=timezone.now(),
    )
    book = ledger(netsuite, Terms="Net 30", Phone="1")
    decision = book.decide(
        salesforce_id=ACCOUNT,
        netsuite=("customer", "107"),
        held={"Terms": "Net 60", "Phone": "1"},
        mapped={"Terms": "Net 30", "Phone": "9"},
        salesforce_owned=("Phone",),
        record_only=("Terms", "Phone"),
    )
    # Salesforce's change of NetSuite's terms stays; NetSuite's change of Salesforce's phone is not undone.
    assert decision.write == {} and not decision.reassert_in_netsuite
    assert {(c.field, c.owner_wins) for c in decision.conflicts} == {("Terms", False), ("Phone", False)}
    assert len(book.record(decision, written=True)) == 2
    assert CrossReference.objects.get().payload_hash == "abc"
    # A NetSuite change of its own field still propagates over a stale Salesforce copy.
    stale = book.decide(
        salesforce_id=ACCOUNT,
        netsuite=("customer", "107"),
        held={"Terms": "Net 30"},
        mapped={"Terms": "Net 15"},
        salesforce_owned=(),
        record_only=("Terms",),
    )
    assert (stale.write, stale.conflicts) == ({"Terms": "Net 15"}, [])
