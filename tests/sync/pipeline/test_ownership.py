"""Per-field system of record over HTTPS against both simulators, through the real connectors.

Account <-> customer: the phone is Salesforce's, the terms are NetSuite's (the shipped mappings). A change
on the non-owning side is never propagated and is recorded once as a conflict; the owner's value wins;
a change on the owning side propagates. Transactional: run_batch's threads use the database.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.contenttypes.models import ContentType

from governance.models import AuditEntry
from sync.connections.connectors.netsuite import NetSuiteConnector
from sync.connections.connectors.salesforce import SalesforceConnector
from sync.connections.models import Connection
from sync.pipeline.models import FieldConflict, JobStatus, SyncedFieldValue
from sync.pipeline.returns import return_flow_run
from sync.pipeline.runner import run_batch
from tests.sync.pipeline.conftest import THREADED_DB, won_ids

ACCOUNT_FIELDS = ["Phone", "Payment_Terms__c", "NetSuite_Id__c", "BillingCity"]


def account(sf: SalesforceConnector, account_id: str) -> dict[str, Any]:
    return sf.get_records("Account", [account_id], ACCOUNT_FIELDS)[account_id]


def forward(salesforce: Connection, netsuite: Connection, opportunity_id: str) -> dict[str, str]:
    job = run_batch(salesforce=salesforce, netsuite=netsuite, opportunity_ids=[opportunity_id])
    assert job.status == JobStatus.SUCCEEDED, [r.message for r in job.records.all()]
    return dict(job.records.get().netsuite_ids)


def back(salesforce: Connection, netsuite: Connection, **options: Any) -> Any:
    result = return_flow_run(salesforce=salesforce, netsuite=netsuite, **options)
    assert result.failed == 0, result.problems
    return result


@THREADED_DB
def test_it_keeps_each_field_on_its_owner_and_records_a_conflict_once(
    seeded_connections: tuple[Connection, Connection], sf: SalesforceConnector, ns: NetSuiteConnector
) -> None:
    salesforce, netsuite = seeded_connections
    opportunity_id = won_ids(sf)[0]
    account_id = sf.get_records("Opportunity", [opportunity_id], ["AccountId"])[opportunity_id]["AccountId"]
    sf.update("Account", account_id, {"Phone": "+1 415 555 0100"})
    customer_id = forward(salesforce, netsuite, opportunity_id)["customer"]
    assert ns.get("customer", customer_id)["phone"] == "+1 415 555 0100"

    # First return run: what NetSuite owns comes back (terms set on creation), the rest is compared.
    first = back(salesforce, netsuite, start=dt.datetime.now(dt.UTC) - dt.timedelta(hours=1))
    assert first.accounts_written == 1 and first.conflicts == 0
    held = account(sf, account_id)
    assert (held["Payment_Terms__c"], held["NetSuite_Id__c"]) == ("Net 30", customer_id)
    synced = {row.field: row.value for row in SyncedFieldValue.objects.filter(salesforce_id=account_id)}
    assert synced["Phone"] == "+1 415 555 0100" and synced["Payment_Terms__c"] == "Net 30"

    # NetSuite (not the owner) changes the phone: Salesforce keeps its value, one conflict, however often
    # the customer is read again.
    ns.patch("customer", customer_id, {"phone": "+1 212 555 0199"})
    for _ in range(2):
        back(salesforce, netsuite)
        assert account(sf, account_id)["Phone"] == "+1 415 555 0100"
    (conflict,) = FieldConflict.objects.filter(salesforce_id=account_id)
    assert (conflict.field, conflict.owner, conflict.is_open) == ("Phone", "salesforce", True)
    assert (conflict.owner_value, conflict.other_value) == ("+1 415 555 0100", "+1 212 555 0199")
    assert (conflict.netsuite_type, conflict.netsuite_id) == ("customer", customer_id)
    assert AuditEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(FieldConflict),
        object_pk=str(conflict.pk),
        action=AuditEntry.Action.CREATE,
    ).exists()

    # The owner's value wins at the next forward sync, which resolves the conflict.
    forward(salesforce, netsuite, opportunity_id)
    assert ns.get("customer", customer_id)["phone"] == "+1 415 555 0100"
    ns.patch("customer", customer_id, {"comments": "touched"})  # make sure the customer is read again
    back(salesforce, netsuite)
    conflict.refresh_from_db()
    assert not conflict.is_open and conflict.resolution

    # Salesforce (not the owner) changes the terms: NetSuite's value is written back, and it is recorded.
    sf.update("Account", account_id, {"Payment_Terms__c": "Net 60"})
    ns.patch("customer", customer_id, {"comments": "touched again"})
    result = back(salesforce, netsuite)
    assert result.conflicts == 1 and account(sf, account_id)["Payment_Terms__c"] == "Net 30"
    terms = FieldConflict.objects.get(salesforce_id=account_id, field="Payment_Terms__c")
    assert (terms.owner, terms.owner_value, terms.other_value) == ("netsuite", "Net 30", "Net 60")
    assert not terms.is_open  # resolved by writing NetSuite's value
    assert FieldConflict.objects.filter(salesforce_id=account_id).count() == 2

    # Changes on the owning sides propagate, without a conflict: terms in NetSuite, phone in Salesforce.
    ns.patch("customer", customer_id, {"terms": {"id": "4"}})  # Net 60
    back(salesforce, netsuite)
    assert account(sf, account_id)["Payment_Terms__c"] == "Net 60"
    sf.update("Account", account_id, {"Phone": "+1 415 555 0123"})
    forward(salesforce, netsuite, opportunity_id)
    customer = ns.get("customer", customer_id)
    # The forward flow writes Salesforce's phone but never NetSuite's terms on an existing customer.
    assert customer["phone"] == "+1 415 555 0123" and customer["terms"]["id"] == "4"
    back(salesforce, netsuite)
    assert account(sf, account_id)["Phone"] == "+1 415 555 0123"
    assert FieldConflict.objects.filter(salesforce_id=account_id).count() == 2
    assert not FieldConflict.objects.filter(resolved_at__isnull=True).exists()


@THREADED_DB
def test_it_keeps_the_order_status_on_netsuite_and_records_a_salesforce_edit(
    seeded_connections: tuple[Connection, Connection], sf: SalesforceConnector, ns: NetSuiteConnector
) -> None:
    salesforce, netsuite = seeded_connections
    opportunity_id = won_ids(sf)[1]
    order_id = forward(salesforce, netsuite, opportunity_id)["sales_order"]
    back(salesforce, netsuite, start=dt.datetime.now(dt.UTC) - dt.timedelta(hours=1))
    fields = ["NetSuite_Order_Status__c", "NetSuite_Sales_Order_Id__c"]
    status = sf.get_records("Opportunity", [opportunity_id], fields)[opportunity_id][
        "NetSuite_Order_Status__c"
    ]
    assert status

    # Someone edits NetSuite's status in Salesforce: the order-status flow puts NetSuite's back, once.
    sf.update("Opportunity", opportunity_id, {"NetSuite_Order_Status__c": "Shipped (says sales)"})
    for _ in range(2):
        ns.patch("salesOrder", order_id, {"memo": "touched"})
        back(salesforce, netsuite)
        held = sf.get_records("Opportunity", [opportunity_id], fields)[opportunity_id]
        assert held["NetSuite_Order_Status__c"] == status
    (conflict,) = FieldConflict.objects.filter(salesforce_id=opportunity_id)
    assert (conflict.sobject, conflict.field, conflict.owner) == (
        "Opportunity",
        "NetSuite_Order_Status__c",
        "netsuite",
    )
    assert (conflict.owner_value, conflict.other_value, conflict.is_open) == (
        status,
        "Shipped (says sales)",
        False,
    )
    assert (conflict.netsuite_type, conflict.netsuite_id, conflict.flow) == (
        "salesOrder",
        order_id,
        "netsuite_order_status_to_salesforce",
    )


@THREADED_DB
def test_it_leaves_accounts_of_customers_concord_did_not_create_alone(
    seeded_connections: tuple[Connection, Connection], sf: SalesforceConnector, ns: NetSuiteConnector
) -> None:
    salesforce, netsuite = seeded_connections
    account_id = next(iter(sf.query("SELECT Id FROM Account ORDER BY Id LIMIT 1")))["Id"]
    # A customer someone keyed in NetSuite by hand, naming the account: no cross-reference, not Concord's.
    ns.create(
        "customer",
        {
            "companyName": "Keyed by hand",
            "subsidiary": {"id": "1"},
            "terms": {"id": "4"},
            "custentity_sf_account_id": account_id,
        },
    )
    result = back(salesforce, netsuite, start=dt.datetime.now(dt.UTC) - dt.timedelta(hours=1))
    assert (result.accounts_written, result.conflicts) == (0, 0)
    assert account(sf, account_id)["Payment_Terms__c"] is None
    assert not SyncedFieldValue.objects.filter(salesforce_id=account_id).exists()
