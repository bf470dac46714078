"""Metadata over real HTTPS from the simulators: describeGlobal and describe from the Salesforce simulator,
the metadata catalog and per-type JSON Schemas from the NetSuite simulator, into the cache and back."""

from __future__ import annotations

from pathlib import Path

import pytest

import simulators.netsuite
from sync.connections.metadata.selectors import connection_metadata
from sync.connections.metadata.services import metadata_refresh
from sync.connections.metadata.types import DATE, NUMBER, PICKLIST, REFERENCE, SUBLIST
from sync.connections.models import Connection, MetadataObject

# The NetSuite simulator serves each record type's JSON Schema once it answers Accept: application/schema+json
# (added in parallel with this test); until then only the catalog list exists and the NetSuite test waits.
NETSUITE_SERVES_SCHEMAS = any(
    "schema+json" in path.read_text() for path in Path(simulators.netsuite.__file__).parent.rglob("*.py")
)


def test_it_reads_salesforce_describe_over_https(seeded_connections: tuple[Connection, Connection]) -> None:
    salesforce, _ = seeded_connections
    result = metadata_refresh(connection=salesforce, objects=["Invoice__c"])
    assert set(result.objects) == {
        "Opportunity",
        "Account",
        "Contact",
        "OpportunityContactRole",
        "Product2",
        "SBQQ__Quote__c",
        "SBQQ__QuoteLine__c",
        "SBQQ__Subscription__c",
        "Organization",
        "Invoice__c",
    }
    assert result.missing == []
    metadata = connection_metadata(salesforce)
    assert metadata.fetched_at == result.fetched_at.isoformat()
    opportunity = metadata.object("opportunity")
    assert opportunity is not None
    assert opportunity.fields["CloseDate"].type == DATE and opportunity.fields["CloseDate"].required
    assert opportunity.fields["Amount"].type == NUMBER
    assert (
        opportunity.fields["StageName"].type == PICKLIST
        and "Closed Won" in opportunity.fields["StageName"].picklist
    )
    account_id = opportunity.fields["AccountId"]
    assert (account_id.type, account_id.reference_to, account_id.relationship_name) == (
        REFERENCE,
        ("Account",),
        "Account",
    )
    assert opportunity.child_relationships.get("OpportunityContactRoles") == "OpportunityContactRole"
    line = metadata.object("SBQQ__QuoteLine__c")
    assert line is not None and line.fields["SBQQ__Quantity__c"].custom
    # A second refresh without the extra object keeps reading it (it was asked for once).
    again = metadata_refresh(connection=salesforce)
    assert "Invoice__c" in again.objects
    assert MetadataObject.objects.filter(cache__connection=salesforce).count() == len(again.objects)


def test_it_reads_the_netsuite_catalog_list_over_https(
    seeded_connections: tuple[Connection, Connection],
) -> None:
    from sync.connections.services import netsuite_connector

    _, netsuite = seeded_connections
    names = netsuite_connector(netsuite).metadata_catalog()
    assert {"customer", "salesOrder", "invoice", "subscription", "billingAccount"} <= set(names)


@pytest.mark.skipif(
    not NETSUITE_SERVES_SCHEMAS, reason="the NetSuite simulator does not serve record JSON Schemas yet"
)
def test_it_reads_netsuite_json_schemas_over_https(seeded_connections: tuple[Connection, Connection]) -> None:
    _, netsuite = seeded_connections
    result = metadata_refresh(connection=netsuite)
    assert {"customer", "salesOrder", "invoice", "subscription", "billingAccount"} <= set(result.objects)
    metadata = connection_metadata(netsuite)
    order = metadata.object("salesOrder")
    assert order is not None
    assert order.fields["entity"].type == REFERENCE
    assert order.fields["tranDate"].type == DATE
    assert order.fields["item"].type == SUBLIST and order.field("item") is not None
    assert order.fields["item"].sublist_fields.get("quantity") is not None
    customer = metadata.object("customer")
    assert customer is not None and customer.fields["companyName"].label
