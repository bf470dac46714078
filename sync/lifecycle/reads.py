"""The Salesforce fields a deal's life-cycle step reads, by graph section (sync.pipeline.reads adds them to
the graph query where the org has them: an org without CPQ, or without a field, is read as before).

Relationship paths go through the quote line's lookups: the upgraded (amendment) or renewed (renewal)
``SBQQ__Subscription__c`` names the quote line that made it, whose package line is the NetSuite
subscription's external id ``SUB-<quote line Id>``.
"""

from __future__ import annotations

LIFECYCLE_READS: dict[str, tuple[str, ...]] = {
    "opportunity": ("SBQQ__AmendedContract__c", "SBQQ__RenewedContract__c"),
    "quote": (
        "SBQQ__Type__c",
        "SBQQ__StartDate__c",
        "SBQQ__EndDate__c",
        "SBQQ__BillingFrequency__c",
        "SBQQ__SubscriptionTerm__c",
    ),
    "quote_line": (
        "SBQQ__RequiredBy__c",
        "SBQQ__ProductCode__c",
        "SBQQ__Quantity__c",
        "SBQQ__NetPrice__c",
        "SBQQ__PriorQuantity__c",
        "SBQQ__EffectiveQuantity__c",
        "SBQQ__EffectiveStartDate__c",
        "SBQQ__BillingFrequency__c",
        "SBQQ__UpgradedSubscription__c",
        "SBQQ__UpgradedSubscription__r.SBQQ__QuoteLine__c",
        "SBQQ__UpgradedSubscription__r.SBQQ__OriginalQuoteLine__c",
        "SBQQ__UpgradedSubscription__r.SBQQ__NetPrice__c",
        "SBQQ__RenewedSubscription__c",
        "SBQQ__RenewedSubscription__r.SBQQ__QuoteLine__c",
        "SBQQ__RenewedSubscription__r.SBQQ__OriginalQuoteLine__c",
    ),
}
