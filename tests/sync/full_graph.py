"""The opportunity graph with every field the seeded data set fills, for tests that pick deals by their
content before running a batch. The pipeline derives its own query (sync.pipeline.reads); the connector's
default reads only the graph's structure."""

from __future__ import annotations

from sync.connections.connectors.salesforce import GraphQuery

FULL_GRAPH = GraphQuery(
    opportunity=(
        "Id",
        "Name",
        "StageName",
        "Amount",
        "CloseDate",
        "CurrencyIsoCode",
        "IsWon",
        "IsClosed",
        "SystemModstamp",
        "AccountId",
    ),
    account=(
        "Id",
        "Name",
        "BillingStreet",
        "BillingCity",
        "BillingPostalCode",
        "BillingCountry",
        "CurrencyIsoCode",
        "Phone",
        "Website",
        "NetSuite_Id__c",
    ),
    contact_roles=(
        "ContactId",
        "Role",
        "IsPrimary",
        "Contact.FirstName",
        "Contact.LastName",
        "Contact.Email",
        "Contact.Phone",
        "Contact.Title",
    ),
    quote=(
        "Id",
        "Name",
        "SBQQ__Primary__c",
        "SBQQ__StartDate__c",
        "SBQQ__EndDate__c",
        "SBQQ__SubscriptionTerm__c",
        "SBQQ__NetAmount__c",
        "Discount_Approved__c",
    ),
    quote_line=(
        "Id",
        "SBQQ__Quote__c",
        "SBQQ__Number__c",
        "SBQQ__Product__c",
        "SBQQ__ProductCode__c",
        "SBQQ__Quantity__c",
        "SBQQ__ListPrice__c",
        "SBQQ__NetPrice__c",
        "SBQQ__NetTotal__c",
        "SBQQ__AdditionalDiscount__c",
        "SBQQ__RequiredBy__c",
        "SBQQ__Product__r.Name",
        "SBQQ__Product__r.Taxable__c",
        "SBQQ__Product__r.Tax_Code__c",
        "SBQQ__Product__r.Revenue_Treatment__c",
        "SBQQ__Product__r.Product_Type__c",
    ),
)
