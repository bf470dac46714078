"""The life cycle's fields are read where the org has them (per its cached metadata), never otherwise."""

from __future__ import annotations

from dataclasses import replace

from sync.connections.metadata.types import DATE, NUMBER
from sync.pipeline.reads import read_plan
from sync.pipeline.sync_status import StatusFields
from tests.sync.mappings.metadata_shapes import field, ref, salesforce_metadata, sobject

NO_STATUS: dict[str, StatusFields] = {}


def _cpq_lifecycle_org() -> object:
    metadata = salesforce_metadata(
        extra={
            "Opportunity": [ref("SBQQ__AmendedContract__c", "Contract", "SBQQ__AmendedContract__r")],
            "SBQQ__Quote__c": [field("SBQQ__Type__c")],
            "SBQQ__QuoteLine__c": [
                field("SBQQ__PriorQuantity__c", NUMBER),
                field("SBQQ__EffectiveStartDate__c", DATE),
                ref(
                    "SBQQ__UpgradedSubscription__c", "SBQQ__Subscription__c", "SBQQ__UpgradedSubscription__r"
                ),
            ],
        }
    )
    subscription = sobject(
        "SBQQ__Subscription__c",
        [field("Id"), ref("SBQQ__QuoteLine__c", "SBQQ__QuoteLine__c", "SBQQ__QuoteLine__r")],
    )
    return replace(metadata, objects={**metadata.objects, subscription.name: subscription})


def test_the_lifecycle_fields_the_org_has_are_read_and_the_others_left_out() -> None:
    query = read_plan(None, salesforce=_cpq_lifecycle_org(), status=NO_STATUS).query  # type: ignore[arg-type]
    assert "SBQQ__AmendedContract__c" in query.opportunity
    assert "SBQQ__RenewedContract__c" not in query.opportunity  # not in this org: left out quietly
    assert "SBQQ__Type__c" in query.quote
    assert {
        "SBQQ__PriorQuantity__c",
        "SBQQ__EffectiveStartDate__c",
        "SBQQ__UpgradedSubscription__c",
        "SBQQ__UpgradedSubscription__r.SBQQ__QuoteLine__c",
    } <= set(query.quote_line)
    assert "SBQQ__UpgradedSubscription__r.SBQQ__OriginalQuoteLine__c" not in query.quote_line
    assert "SBQQ__RenewedSubscription__c" not in query.quote_line


def test_without_cached_metadata_none_is_read() -> None:
    # Unfiltered (the metadata never read): CPQ-only fields could fail the query, so none is asked for.
    query = read_plan(None, salesforce=None, status=NO_STATUS).query
    read = {*query.opportunity, *query.quote, *query.quote_line}
    assert not {name for name in read if "Amended" in name or "Prior" in name or "Upgraded" in name}
