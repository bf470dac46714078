"""Writing NetSuite ids and sync status back to Salesforce, batched with sObject Collections.

Only what changed is sent: a record already holding the same ids and status is left alone, so a re-run
(or the catch-up poll seeing our own write-back move SystemModstamp) costs no Salesforce call.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.utils import timezone

from sync.connectors.errors import ConnectorError
from sync.connectors.salesforce import SalesforceConnector
from sync.models import RecordStatus
from sync.pipeline.writer import OpportunityOutcome

STATUS: dict[str, str] = {
    RecordStatus.SYNCED: "Synced",
    RecordStatus.FAILED: "Error",
    RecordStatus.BLOCKED: "Error",
}


def write_back(
    salesforce: SalesforceConnector, outcomes: Sequence[tuple[OpportunityOutcome, dict[str, Any]]]
) -> list[str]:
    """Update Opportunities, Accounts and Contacts; returns readable problems (nothing raises)."""
    now = timezone.now().strftime("%Y-%m-%dT%H:%M:%S.000+0000")
    opportunities: list[dict[str, Any]] = []
    accounts: dict[str, dict[str, Any]] = {}
    contacts: dict[str, dict[str, Any]] = {}
    for outcome, graph in outcomes:
        status = STATUS.get(outcome.status)
        if status is None:
            continue  # skipped (not won): Salesforce keeps whatever it shows
        message = "" if outcome.status == RecordStatus.SYNCED else outcome.message[:32000]
        if outcome.status == RecordStatus.BLOCKED:
            message = "Blocked: " + message
        order_id = outcome.netsuite_ids.get("sales_order")
        changes: dict[str, Any] = {}
        if (
            graph.get("Concord_Sync_Status__c") != status
            or (graph.get("Concord_Sync_Message__c") or "") != message
        ):
            changes.update({"Concord_Sync_Status__c": status, "Concord_Sync_Message__c": message or None})
        if order_id and graph.get("NetSuite_Sales_Order_Id__c") != order_id:
            changes["NetSuite_Sales_Order_Id__c"] = order_id
        if changes:
            opportunities.append({"Id": outcome.opportunity_id, **changes, "Concord_Last_Sync__c": now})
        account = graph.get("Account") or {}
        customer_id = outcome.netsuite_ids.get("customer")
        if customer_id and account.get("Id") and account.get("NetSuite_Id__c") != customer_id:
            accounts[account["Id"]] = {
                "Id": account["Id"],
                "NetSuite_Id__c": customer_id,
                "Concord_Sync_Status__c": "Synced",
                "Concord_Last_Sync__c": now,
            }
        held = {
            role.get("ContactId"): (role.get("Contact") or {}).get("NetSuite_Id__c")
            for role in (graph.get("OpportunityContactRoles") or {}).get("records") or []
        }
        for ref, netsuite_id in outcome.netsuite_ids.items():
            if ref.startswith("contact[") and ref.endswith("]"):
                contact_id = ref[len("contact[") : -1]
                if held.get(contact_id) != netsuite_id:
                    contacts[contact_id] = {"Id": contact_id, "NetSuite_Id__c": netsuite_id}
    problems: list[str] = []
    for sobject, records in (
        ("Account", list(accounts.values())),
        ("Contact", list(contacts.values())),
        ("Opportunity", opportunities),
    ):
        if not records:
            continue
        try:
            results = salesforce.collections_update(sobject, records)
        except ConnectorError as error:
            problems.append(f"write-back of {len(records)} {sobject} records failed: {error}")
            continue
        for record, result in zip(records, results, strict=False):
            if not result.success:
                problems.append(f"write-back of {sobject} {record['Id']}: {result.error('write-back')}")
    return problems
