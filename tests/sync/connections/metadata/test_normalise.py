"""The normalisers: a Salesforce describe and a NetSuite JSON Schema become the same shapes."""

from __future__ import annotations

import pytest

from sync.connections.metadata.normalise import (
    MetadataShapeError,
    netsuite_object,
    salesforce_object,
    salesforce_object_names,
)
from sync.connections.metadata.types import (
    BOOLEAN,
    DATE,
    DATETIME,
    ID,
    INTEGER,
    MULTIPICKLIST,
    NUMBER,
    OBJECT,
    OTHER,
    PICKLIST,
    REFERENCE,
    SUBLIST,
    TEXT,
)
from tests.sync.connections.metadata.samples import CUSTOMER_SCHEMA, OPPORTUNITY_DESCRIBE, sf_describe_global


def test_it_maps_every_salesforce_type_to_its_normalised_type() -> None:
    info = salesforce_object(OPPORTUNITY_DESCRIBE)
    types = {name: f.type for name, f in info.fields.items()}
    assert types == {
        "Id": ID,
        "Name": TEXT,
        "Description": TEXT,
        "StageName": PICKLIST,
        "Amount": NUMBER,
        "Probability": NUMBER,
        "TotalOpportunityQuantity": NUMBER,
        "CloseDate": DATE,
        "LastModifiedDate": DATETIME,
        "IsWon": BOOLEAN,
        "IsPrivate": BOOLEAN,
        "AccountId": REFERENCE,
        "Seats__c": INTEGER,
        "Channels__c": MULTIPICKLIST,
        "Contact_Email__c": TEXT,
        "Site__c": TEXT,
        "Phone__c": TEXT,
        "Ship_To__c": OBJECT,
        "Blob__c": OTHER,
    }
    assert info.fields["Amount"].native_type == "currency"
    assert (info.system, info.name, info.label) == ("salesforce", "Opportunity", "Opportunity")


def test_required_means_not_nillable_createable_and_not_defaulted() -> None:
    info = salesforce_object(OPPORTUNITY_DESCRIBE)
    required = sorted(name for name, f in info.fields.items() if f.required)
    # Id and IsWon are not createable; IsPrivate is defaulted; LastModifiedDate is system-set.
    assert required == ["CloseDate", "Name", "StageName"]
    assert info.fields["IsPrivate"].nillable is False and not info.fields["IsPrivate"].required


def test_it_keeps_active_picklist_values_references_and_child_relationships() -> None:
    info = salesforce_object(OPPORTUNITY_DESCRIBE)
    assert info.fields["StageName"].picklist == ("Prospecting", "Closed Won")  # the inactive one dropped
    assert info.fields["Channels__c"].picklist == ("Web", "Partner")
    account = info.fields["AccountId"]
    assert (account.reference_to, account.relationship_name, account.length) == (("Account",), "Account", 18)
    assert info.relationship("account") is account
    assert info.fields["Seats__c"].custom and not info.fields["Amount"].custom
    # A child relationship without a name cannot be subqueried, so it is left out.
    assert dict(info.child_relationships) == {
        "OpportunityContactRoles": "OpportunityContactRole",
        "SBQQ__Quotes2__r": "SBQQ__Quote__c",
    }
    assert info.field("stagename") is info.fields["StageName"]


def test_a_salesforce_answer_of_the_wrong_shape_says_so() -> None:
    with pytest.raises(MetadataShapeError, match="not a Salesforce describe"):
        salesforce_object({"name": "Opportunity"})
    with pytest.raises(MetadataShapeError, match="without a name"):
        salesforce_object({"name": "Opportunity", "fields": [{"type": "string"}]})
    with pytest.raises(MetadataShapeError, match="describeGlobal"):
        salesforce_object_names({"sobjects": None})
    assert salesforce_object_names(sf_describe_global("Account", "SBQQ__Quote__c")) == [
        "Account",
        "SBQQ__Quote__c",
    ]


def test_it_maps_netsuite_json_schema_types_formats_and_flags() -> None:
    info = netsuite_object("customer", CUSTOMER_SCHEMA)
    assert (info.system, info.name, info.label) == ("netsuite", "customer", "Customer")
    assert "links" not in info.fields
    f = info.fields
    assert {
        name: f[name].type for name in ("id", "externalId", "companyName", "startDate", "dateCreated")
    } == {
        "id": ID,
        "externalId": TEXT,
        "companyName": TEXT,
        "startDate": DATE,
        "dateCreated": DATETIME,
    }
    assert (f["custentity_integer"].type, f["custentity_integer"].native_type) == (INTEGER, "integer/int64")
    assert f["custentity_integer"].custom and not f["companyName"].custom
    assert (f["isInactive"].type, f["isInactive"].nillable) == (BOOLEAN, False)
    assert f["creditLimit"].type == NUMBER and f["creditLimit"].createable
    assert f["companyName"].label == "Company Name" and f["companyName"].length == 83
    # readOnly: neither written on create nor on update, and never required even when listed.
    assert (f["balance"].createable, f["balance"].updateable) == (False, False)
    assert f["companyName"].required and not f["dateCreated"].required


def test_netsuite_references_selects_enums_sublists_and_subrecords() -> None:
    f = netsuite_object("customer", CUSTOMER_SCHEMA).fields
    assert (f["currency"].type, f["currency"].reference_to) == (REFERENCE, ("currency",))
    assert (f["subsidiary"].type, f["subsidiary"].reference_to, f["subsidiary"].label) == (
        REFERENCE,
        ("subsidiary",),
        "Primary Subsidiary",
    )
    assert (f["emailPreference"].type, f["emailPreference"].picklist) == (
        PICKLIST,
        ("_default", "_hTML", "_pDF"),
    )
    assert (f["custentity_tier"].type, f["custentity_tier"].picklist) == (PICKLIST, ("gold", "silver"))
    assert f["billingAddress"].type == OBJECT
    book = f["addressBook"]
    assert book.type == SUBLIST
    assert list(book.sublist_fields) == ["internalId", "label", "defaultBilling", "custrecord_floor"]
    assert (
        book.sublist_fields["internalId"].type == INTEGER and not book.sublist_fields["internalId"].createable
    )
    assert book.sublist_fields["custrecord_floor"].custom


def test_a_netsuite_schema_of_the_wrong_shape_says_so() -> None:
    with pytest.raises(MetadataShapeError, match="customer has no properties"):
        netsuite_object("customer", {"type": "object"})
    broken = {"properties": {"item": {"$ref": "#/definitions/missing"}}}
    with pytest.raises(MetadataShapeError, match="unresolvable"):
        netsuite_object("salesOrder", broken)


def test_a_type_list_with_null_is_read_as_its_type() -> None:
    info = netsuite_object("x", {"properties": {"memo": {"type": ["null", "string"], "title": "Memo"}}})
    assert info.fields["memo"].type == TEXT


def test_a_reference_names_every_record_type_its_links_describe() -> None:
    catalog = "https://ns.test/services/rest/record/v1/metadata-catalog"
    entity = {
        "title": "Customer",
        "type": "object",
        "properties": {"id": {"type": "string"}, "refName": {"type": "string", "readOnly": True}},
        "links": [
            {"rel": "describedby", "href": f"{catalog}/customer", "mediaType": "application/schema+json"},
            {"rel": "describedby", "href": f"{catalog}/contact", "mediaType": "application/schema+json"},
            {"rel": "describedby", "href": f"{catalog}/customer"},
        ],
        "nullable": False,
    }
    field = netsuite_object("salesOrder", {"properties": {"entity": entity}}).fields["entity"]
    assert (field.type, field.reference_to, field.nillable) == (REFERENCE, ("customer", "contact"), False)
