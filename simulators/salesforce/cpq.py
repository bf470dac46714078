"""Salesforce CPQ's quote objects (managed package, namespace ``SBQQ__``) as the simulator serves them.

A quote belongs to an opportunity (``SBQQ__Opportunity2__c``, child relationship ``SBQQ__Quotes2__r``) and
holds lines (``SBQQ__LineItems__r``); a line whose ``SBQQ__RequiredBy__c`` points at another line of the
same quote is an option of that bundle (a CPQ package). Names are auto-numbers, as in CPQ.
"""

from __future__ import annotations

from simulators.salesforce.contract_objects import billing_frequency, subscription
from simulators.salesforce.fields import (
    CURRENCY_CODES,
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


def cpq_objects() -> list[SObject]:
    """``SBQQ__Quote__c``, ``SBQQ__QuoteLine__c`` and ``SBQQ__Subscription__c``."""
    quote = sobject(
        "SBQQ__Quote__c",
        "Quote",
        "a0x",
        [
            read_only(text("Name", "Quote Number", 80, name_field=True)),
            currency_field(),
            owner_field(),
        ],
        [
            lookup("SBQQ__Account__c", "Account", "SBQQ__Account__r", "SBQQ__Quotes__r", label="Account"),
            lookup(
                "SBQQ__Opportunity2__c",
                "Opportunity",
                "SBQQ__Opportunity2__r",
                "SBQQ__Quotes2__r",
                label="Opportunity",
            ),
            checkbox("SBQQ__Primary__c", "Primary"),
            picklist(
                "SBQQ__Status__c",
                ("Draft", "In Review", "Approved", "Denied", "Presented", "Accepted", "Rejected"),
                "Status",
                default="Draft",
            ),
            picklist("SBQQ__Type__c", ("Quote", "Renewal", "Amendment"), "Type", default="Quote"),
            typed("SBQQ__StartDate__c", "date", "Start Date"),
            typed("SBQQ__EndDate__c", "date", "End Date"),
            Field(
                "SBQQ__SubscriptionTerm__c", "double", "Subscription Term", scale=0, precision=5, custom=True
            ),
            Field("SBQQ__NetAmount__c", "currency", "Net Amount", custom=True),
            checkbox("Discount_Approved__c", "Discount Approved"),
            billing_frequency(),
            # The contract an amendment quote changes (CPQ's name for it).
            lookup("SBQQ__MasterContract__c", "Contract", "SBQQ__MasterContract__r", label="Master Contract"),
        ],
        auto_number="Q-{0:05d}",
    )
    quote_line = sobject(
        "SBQQ__QuoteLine__c",
        "Quote Line",
        "a0y",
        [
            read_only(text("Name", "Line Name", 80, name_field=True)),
            read_only(
                Field("CurrencyIsoCode", "picklist", "Currency ISO Code", 255, picklist=CURRENCY_CODES)
            ),
        ],
        [
            lookup(
                "SBQQ__Quote__c",
                "SBQQ__Quote__c",
                "SBQQ__Quote__r",
                "SBQQ__LineItems__r",
                label="Quote",
                required=True,
                updateable=False,
                cascade_delete=True,
            ),
            lookup("SBQQ__Product__c", "Product2", "SBQQ__Product__r", label="Product"),
            text("SBQQ__ProductCode__c", "Product Code"),
            Field("SBQQ__Number__c", "double", "Number", scale=0, precision=5, custom=True),
            Field("SBQQ__Quantity__c", "double", "Quantity", custom=True, default=1.0),
            Field("SBQQ__ListPrice__c", "currency", "List Unit Price", custom=True),
            Field("SBQQ__NetPrice__c", "currency", "Net Unit Price", custom=True),
            Field("SBQQ__NetTotal__c", "currency", "Net Total", custom=True),
            Field("SBQQ__AdditionalDiscount__c", "percent", "Additional Disc. (%)", custom=True),
            lookup("SBQQ__RequiredBy__c", "SBQQ__QuoteLine__c", "SBQQ__RequiredBy__r", label="Required By"),
            typed("SBQQ__StartDate__c", "date", "Start Date"),
            typed("SBQQ__EndDate__c", "date", "End Date"),
            Field(
                "SBQQ__SubscriptionTerm__c", "double", "Subscription Term", scale=0, precision=5, custom=True
            ),
            billing_frequency(),
            # Amendments: the quantity already contracted, and the quantity this line changes it by
            # (CPQ's formula: Quantity - PriorQuantity on an amendment quote, else Quantity).
            Field("SBQQ__PriorQuantity__c", "double", "Prior Quantity", custom=True),
            read_only(Field("SBQQ__EffectiveQuantity__c", "double", "Effective Quantity", custom=True)),
            lookup(
                "SBQQ__UpgradedSubscription__c",
                "SBQQ__Subscription__c",
                "SBQQ__UpgradedSubscription__r",
                label="Upgraded Subscription",
            ),
            lookup(
                "SBQQ__RenewedSubscription__c",
                "SBQQ__Subscription__c",
                "SBQQ__RenewedSubscription__r",
                label="Renewed Subscription",
            ),
            # A formula in CPQ: the line's start date, else its quote's.
            read_only(typed("SBQQ__EffectiveStartDate__c", "date", "Effective Start Date")),
        ],
        auto_number="QL-{0:07d}",
    )
    return [quote, quote_line, subscription()]
