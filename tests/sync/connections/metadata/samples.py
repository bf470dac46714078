"""Answers shaped as the systems document them (Salesforce describe/describeGlobal, NetSuite's metadata
catalog and a record type's JSON Schema), cut down to the parts the normalisers read."""

from __future__ import annotations

from typing import Any


def sf_field(name: str, type_: str, **overrides: Any) -> dict[str, Any]:
    """A describe ``fields[]`` entry with Salesforce's defaults for a plain updateable field."""
    field: dict[str, Any] = {
        "name": name,
        "label": overrides.pop("label", name),
        "type": type_,
        "soapType": "xsd:string",
        "length": 0,
        "nillable": True,
        "createable": True,
        "updateable": True,
        "defaultedOnCreate": False,
        "calculated": False,
        "custom": name.endswith("__c"),
        "externalId": False,
        "referenceTo": [],
        "relationshipName": None,
        "picklistValues": [],
    }
    field.update(overrides)
    return field


OPPORTUNITY_DESCRIBE: dict[str, Any] = {
    "name": "Opportunity",
    "label": "Opportunity",
    "custom": False,
    "createable": True,
    "updateable": True,
    "fields": [
        sf_field(
            "Id",
            "id",
            label="Opportunity ID",
            nillable=False,
            createable=False,
            updateable=False,
            defaultedOnCreate=True,
            length=18,
        ),
        sf_field("Name", "string", nillable=False, length=120),
        sf_field("Description", "textarea", length=32000),
        sf_field(
            "StageName",
            "picklist",
            label="Stage",
            nillable=False,
            picklistValues=[
                {"value": "Prospecting", "label": "Prospecting", "active": True, "defaultValue": False},
                {"value": "Closed Won", "label": "Closed Won", "active": True, "defaultValue": False},
                {"value": "Legacy Stage", "label": "Legacy Stage", "active": False, "defaultValue": False},
            ],
        ),
        sf_field("Amount", "currency"),
        sf_field("Probability", "percent", label="Probability (%)"),
        sf_field("TotalOpportunityQuantity", "double", label="Quantity"),
        sf_field("CloseDate", "date", label="Close Date", nillable=False),
        sf_field(
            "LastModifiedDate",
            "datetime",
            createable=False,
            updateable=False,
            nillable=False,
            defaultedOnCreate=True,
        ),
        sf_field(
            "IsWon",
            "boolean",
            label="Won",
            nillable=False,
            createable=False,
            updateable=False,
            defaultedOnCreate=True,
        ),
        sf_field("IsPrivate", "boolean", label="Private", nillable=False, defaultedOnCreate=True),
        sf_field(
            "AccountId",
            "reference",
            label="Account ID",
            referenceTo=["Account"],
            relationshipName="Account",
            length=18,
        ),
        sf_field("Seats__c", "int", label="Seats", custom=True),
        sf_field(
            "Channels__c",
            "multipicklist",
            label="Channels",
            picklistValues=[{"value": "Web", "active": True}, {"value": "Partner", "active": True}],
        ),
        sf_field("Contact_Email__c", "email", label="Contact email"),
        sf_field("Site__c", "url"),
        sf_field("Phone__c", "phone"),
        sf_field("Ship_To__c", "address"),
        sf_field("Blob__c", "base64"),
    ],
    "childRelationships": [
        {
            "childSObject": "OpportunityContactRole",
            "field": "OpportunityId",
            "relationshipName": "OpportunityContactRoles",
            "cascadeDelete": True,
        },
        {
            "childSObject": "SBQQ__Quote__c",
            "field": "SBQQ__Opportunity2__c",
            "relationshipName": "SBQQ__Quotes2__r",
            "cascadeDelete": False,
        },
        {"childSObject": "FeedItem", "field": "ParentId", "relationshipName": None, "cascadeDelete": True},
    ],
}


def sf_describe(name: str, *fields: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": name,
        "label": name,
        "createable": True,
        "updateable": True,
        "fields": [sf_field("Id", "id", nillable=False, createable=False, updateable=False), *fields],
        "childRelationships": [],
    }


def sf_describe_global(*names: str) -> dict[str, Any]:
    return {
        "encoding": "UTF-8",
        "maxBatchSize": 200,
        "sobjects": [
            {"name": name, "label": name, "custom": name.endswith("__c"), "queryable": True} for name in names
        ],
    }


# As the metadata catalog answers (``GET record/v1/metadata-catalog``), links shortened.
def ns_catalog(*names: str) -> dict[str, Any]:
    host = "https://1234567-sb1.suitetalk.api.netsuite.com/services/rest/record/v1"
    return {
        "items": [
            {
                "name": name,
                "links": [
                    {
                        "rel": "canonical",
                        "href": f"{host}/metadata-catalog/{name}",
                        "mediaType": "application/json",
                    },
                    {
                        "rel": "alternate",
                        "href": f"{host}/metadata-catalog/{name}",
                        "mediaType": "application/schema+json",
                    },
                ],
            }
            for name in names
        ],
        "links": [{"rel": "self", "href": f"{host}/metadata-catalog"}],
    }


_CATALOG = "https://1234567-sb1.suitetalk.api.netsuite.com/services/rest/record/v1/metadata-catalog"

# ``GET metadata-catalog/customer``, ``Accept: application/schema+json`` (a draft 6 hyper-schema).
CUSTOMER_SCHEMA: dict[str, Any] = {
    "type": "object",
    "title": "Customer",
    "properties": {
        "links": {
            "title": "Links",
            "type": "array",
            "readOnly": True,
            "items": {"$ref": "#/definitions/nsLink"},
        },
        "id": {"title": "Internal ID", "type": "string", "nullable": True},
        "externalId": {"title": "External ID", "type": "string", "nullable": True},
        "companyName": {"title": "Company Name", "type": "string", "nullable": True, "maxLength": 83},
        "custentity_integer": {
            "title": "Integer Number",
            "type": "integer",
            "format": "int64",
            "nullable": True,
            "x-ns-custom-field": True,
        },
        "startDate": {
            "title": "Start Date",
            "type": "string",
            "description": "<p>Enter the date this person or company became a customer.</p>",
            "format": "date",
            "nullable": True,
        },
        "dateCreated": {"title": "Date Created", "type": "string", "format": "date-time", "readOnly": True},
        "isInactive": {"title": "Inactive", "type": "boolean", "nullable": False},
        "balance": {"title": "Balance", "type": "number", "format": "double", "readOnly": True},
        "creditLimit": {"title": "Credit Limit", "type": "number", "format": "double", "nullable": True},
        "currency": {
            "title": "Currency",
            "type": "object",
            "properties": {
                "id": {"title": "Internal identifier", "type": "string"},
                "refName": {"title": "Reference Name", "type": "string"},
                "links": {"type": "array", "readOnly": True, "items": {"$ref": "#/definitions/nsLink"}},
            },
            "links": [{"rel": "describedby", "href": f"{_CATALOG}/currency"}],
        },
        "subsidiary": {"title": "Primary Subsidiary", "$ref": f"{_CATALOG}/subsidiary"},
        "emailPreference": {
            "title": "Email Preference",
            "type": "object",
            "properties": {
                "id": {
                    "title": "Internal identifier",
                    "type": "string",
                    "enum": ["_default", "_hTML", "_pDF"],
                },
                "refName": {"title": "Reference Name", "type": "string"},
            },
        },
        "custentity_tier": {
            "title": "Tier",
            "type": "string",
            "enum": ["gold", "silver"],
            "x-ns-custom-field": True,
        },
        "defaultAddress": {"title": "Default Address", "type": "string", "readOnly": True},
        "addressBook": {
            "title": "Address Book",
            "type": "object",
            "properties": {
                "links": {"type": "array", "readOnly": True, "items": {"$ref": "#/definitions/nsLink"}},
                "items": {"type": "array", "items": {"$ref": "#/definitions/customer-addressBookElement"}},
                "totalResults": {"title": "Total Results", "type": "integer", "readOnly": True},
            },
        },
        "billingAddress": {
            "title": "Billing Address",
            "type": "object",
            "properties": {"city": {"type": "string"}},
        },
    },
    "required": ["companyName", "dateCreated"],
    "definitions": {
        "nsLink": {"type": "object", "properties": {"rel": {"type": "string"}, "href": {"type": "string"}}},
        "customer-addressBookElement": {
            "type": "object",
            "properties": {
                "links": {"type": "array", "readOnly": True, "items": {"$ref": "#/definitions/nsLink"}},
                "internalId": {
                    "title": "Internal ID",
                    "type": "integer",
                    "format": "int64",
                    "readOnly": True,
                },
                "label": {"title": "Label", "type": "string", "nullable": True},
                "defaultBilling": {"title": "Default Billing", "type": "boolean"},
                "custrecord_floor": {"title": "Floor", "type": "string", "x-ns-custom-field": True},
            },
        },
    },
    "$schema": "https://json-schema.org/draft-06/hyper-schema#",
}


def ns_schema(title: str, **properties: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "title": title,
        "properties": {"id": {"title": "Internal ID", "type": "string"}, **properties},
        "$schema": "https://json-schema.org/draft-06/hyper-schema#",
    }
