"""The objects of a deal's life after Closed Won: the Contract, CPQ's subscriptions, credit memos and refunds.

- ``Contract`` is a standard object (every org has it); CPQ adds its ``SBQQ__`` fields, which the CPQ-less
  shape drops like any other ``SBQQ__`` field. ``EndDate`` is derived from ``StartDate`` and
  ``ContractTerm`` as Salesforce does; ``ContractNumber`` is an auto-number.
- ``SBQQ__Subscription__c`` (CPQ only) is one contracted quote line; an amendment adds a *revision*
  subscription holding the quantity delta (``SBQQ__RevisedSubscription__c`` names the original).
- ``Credit_Memo__c`` and ``Refund__c`` are the custom objects an admin adds for NetSuite's credit memos and
  customer refunds, alongside ``Invoice__c``.

The contracting, amending and renewing behaviour is in :mod:`simulators.salesforce.contracts`.
"""

from __future__ import annotations

from simulators.salesforce.fields import (
    checkbox,
    currency_field,
    lookup,
    owner_field,
    picklist,
    read_only,
    sobject,
    text,
    typed,
)
from simulators.salesforce.schema import Field, SObject

CONTRACT_STATUSES = ("Draft", "In Approval Process", "Activated", "Expired", "Cancelled")
# CPQ's billing frequencies as the contract names them (the managed package's picklist is not restricted).
BILLING_FREQUENCIES = ("Monthly", "Quarterly", "Semiannual", "Annual", "Invoice Plan")


def billing_frequency() -> Field:
    return picklist("SBQQ__BillingFrequency__c", BILLING_FREQUENCIES, "Billing Frequency")


def opportunity_lifecycle_fields() -> list[Field]:
    """The fields CPQ and Concord's admin add to Opportunity for contracting and fulfilment."""
    return [
        lookup("SBQQ__AmendedContract__c", "Contract", "SBQQ__AmendedContract__r", label="Amended Contract"),
        lookup("SBQQ__RenewedContract__c", "Contract", "SBQQ__RenewedContract__r", label="Renewed Contract"),
        checkbox("SBQQ__Contracted__c", "Contracted"),
        text("NetSuite_Fulfillment_Status__c", "NetSuite Fulfillment Status", 80),
        typed("NetSuite_Fulfilled_Date__c", "date", "NetSuite Fulfilled Date"),
    ]


def contract() -> SObject:
    return sobject(
        "Contract",
        "Contract",
        "800",
        [
            lookup("AccountId", "Account", "Account", "Contracts", label="Account ID", required=True),
            text("Name", "Contract Name", 80, name_field=True),
            read_only(text("ContractNumber", "Contract Number", 30)),
            picklist("Status", CONTRACT_STATUSES, "Status", required=True, restricted=True, default="Draft"),
            typed("StartDate", "date", "Contract Start Date"),
            read_only(typed("EndDate", "date", "Contract End Date")),
            Field("ContractTerm", "int", "Contract Term (months)", precision=4, scale=0),
            currency_field(),
            owner_field(),
        ],
        [
            lookup(
                "SBQQ__Opportunity__c",
                "Opportunity",
                "SBQQ__Opportunity__r",
                "SBQQ__Contracts__r",
                label="Opportunity",
            ),
            lookup("SBQQ__Quote__c", "SBQQ__Quote__c", "SBQQ__Quote__r", label="Quote"),
            lookup(
                "SBQQ__RenewalOpportunity__c",
                "Opportunity",
                "SBQQ__RenewalOpportunity__r",
                label="Renewal Opportunity",
            ),
            checkbox("SBQQ__RenewalQuoted__c", "Renewal Quoted"),
            checkbox("SBQQ__Evergreen__c", "Evergreen"),
            # CPQ: amendment quotes' start date (blank: the day of the amendment) and the renewal term.
            typed("SBQQ__AmendmentStartDate__c", "date", "Amendment Start Date"),
            Field("SBQQ__RenewalTerm__c", "double", "Renewal Term", scale=0, precision=5, custom=True),
            text("NetSuite_Subscription_Id__c", "NetSuite Subscription Id", 255),
            text("NetSuite_Subscription_Status__c", "NetSuite Subscription Status", 80),
        ],
        label_plural="Contracts",
    )


def subscription() -> SObject:
    return sobject(
        "SBQQ__Subscription__c",
        "Subscription",
        "a0z",
        [read_only(text("Name", "Subscription #", 80, name_field=True)), currency_field(), owner_field()],
        [
            lookup(
                "SBQQ__Contract__c",
                "Contract",
                "SBQQ__Contract__r",
                "SBQQ__Subscriptions__r",
                label="Contract",
            ),
            lookup(
                "SBQQ__Account__c", "Account", "SBQQ__Account__r", "SBQQ__Subscriptions__r", label="Account"
            ),
            lookup("SBQQ__Product__c", "Product2", "SBQQ__Product__r", label="Product"),
            text("SBQQ__ProductCode__c", "Product Code"),
            Field("SBQQ__Quantity__c", "double", "Quantity", custom=True),
            Field("SBQQ__NetPrice__c", "currency", "Net Price", custom=True),
            typed("SBQQ__StartDate__c", "date", "Start Date"),
            typed("SBQQ__EndDate__c", "date", "End Date"),
            lookup("SBQQ__QuoteLine__c", "SBQQ__QuoteLine__c", "SBQQ__QuoteLine__r", label="Quote Line"),
            lookup(
                "SBQQ__OriginalQuoteLine__c",
                "SBQQ__QuoteLine__c",
                "SBQQ__OriginalQuoteLine__r",
                label="Original Quote Line",
            ),
            text("SBQQ__RequiredById__c", "Required By Id", 18),
            lookup(
                "SBQQ__RevisedSubscription__c",
                "SBQQ__Subscription__c",
                "SBQQ__RevisedSubscription__r",
                label="Revised Subscription",
            ),
            typed("SBQQ__TerminatedDate__c", "date", "Terminated Date"),
            billing_frequency(),
            text("NetSuite_Subscription_Line_Id__c", "NetSuite Subscription Line Id", 40),
            text("NetSuite_Status__c", "NetSuite Status", 80),
        ],
        auto_number="SUB-{0:07d}",
        label_plural="Subscriptions",
    )


def credit_memo() -> SObject:
    return sobject(
        "Credit_Memo__c",
        "Credit Memo",
        "a0J",
        [
            text("Name", "Credit Memo Number", 80, required=True, name_field=True),
            currency_field(),
            owner_field(),
        ],
        [
            text("NetSuite_Credit_Memo_Id__c", "NetSuite Credit Memo Id", 40, external_id=True, unique=True),
            lookup("Account__c", "Account", "Account__r", "Credit_Memos__r", label="Account"),
            lookup("Opportunity__c", "Opportunity", "Opportunity__r", "Credit_Memos__r", label="Opportunity"),
            lookup("Invoice__c", "Invoice__c", "Invoice__r", "Credit_Memos__r", label="Invoice"),
            typed("Credit_Date__c", "date", "Credit Date"),
            Field("Amount__c", "currency", "Amount", custom=True),
            Field("Amount_Applied__c", "currency", "Amount Applied", custom=True),
            Field("Amount_Remaining__c", "currency", "Amount Remaining", custom=True),
            Field("Amount_Refunded__c", "currency", "Amount Refunded", custom=True),
            text("Status__c", "Status", 40),
        ],
        label_plural="Credit Memos",
    )


def refund() -> SObject:
    return sobject(
        "Refund__c",
        "Refund",
        "a0K",
        [text("Name", "Refund Number", 80, required=True, name_field=True), currency_field(), owner_field()],
        [
            text("NetSuite_Refund_Id__c", "NetSuite Refund Id", 40, external_id=True, unique=True),
            lookup("Account__c", "Account", "Account__r", "Refunds__r", label="Account"),
            lookup("Credit_Memo__c", "Credit_Memo__c", "Credit_Memo__r", "Refunds__r", label="Credit Memo"),
            typed("Refund_Date__c", "date", "Refund Date"),
            Field("Amount__c", "currency", "Amount", custom=True),
        ],
        label_plural="Refunds",
    )
