"""A subscription deal's life over HTTPS, through the real connectors and both simulators, as one story:
a new deal synced and activated -> an amendment (+quantity, +product, -quantity) -> a renewal. After each
step NetSuite holds exactly the subscription lines and change orders it should, and re-running the step
writes nothing.

The Salesforce side is made as CPQ makes it: the won deal is contracted, the contract amended and renewed
through CPQ's ContractManipulationAPI (the simulator's ServiceRouter), the quotes edited with plain REST.
"""
# ruff: noqa: S608 - the f-strings build SuiteQL/SOQL for the simulators

from __future__ import annotations

import datetime as dt
import json

from sync.pipeline.models import CrossReference
from tests.simulators.test_salesforce_cpq_lifecycle import (
    AMENDER,
    RENEWER,
    apex,
    contract_of,
    quote_lines,
    records,
)
from tests.sync.lifecycle.stories import Story, net_totals, new_deal, status_of, win
from tests.sync.pipeline.conftest import THREADED_DB

pytestmark = THREADED_DB


def test_new_then_amended_then_renewed_with_nothing_written_twice(story: Story) -> None:
    sf, ns = story.sf, story.ns

    # -- a new deal: the subscription with its lines, activated on its start date ---------------
    opportunity, _quote, new_lines = new_deal(sf)
    win(sf, opportunity)
    record = story.sync(opportunity)
    assert record.deal_kind == "new"
    subscription = record.netsuite_ids[f"subscription[{new_lines['PKG-GROWTH']}]"]
    assert status_of(ns.get("subscription", subscription)) == "ACTIVE"
    included = story.lines(subscription)
    assert (included["PLAT-CORE"], included["SUP-PREM"]) == ((10.0, "ACTIVE"), (5.0, "ACTIVE"))
    assert "PLAT-ANL" not in included
    activation = f"CO-{opportunity}-{subscription}-ACTIVATE-0"
    assert story.change_orders(subscription) == [(activation, "ACTIVATE", "2026-01-01")]
    billing = ns.get("billingAccount", record.netsuite_ids["billing_account"])
    assert billing["billingSchedule"]["id"] == "2"  # Annual, from the quote
    # The second day: nothing is written again, the active subscription's locked fields are not resent.
    again = story.sync(opportunity)
    assert again.writes == 0 and story.change_orders(subscription) == [(activation, "ACTIVATE", "2026-01-01")]

    # -- the amendment: +5 platform seats, premium support down to 2, analytics added -------------
    contract = contract_of(sf, opportunity)
    sf.Contract.update(contract["Id"], {"SBQQ__AmendmentStartDate__c": "2026-04-01"})
    amendment_quote = apex(sf, AMENDER + contract["Id"])["record"]["Id"]
    lines = quote_lines(sf, amendment_quote)
    sf.SBQQ__QuoteLine__c.update(lines["PLAT-CORE"]["Id"], {"SBQQ__Quantity__c": 15})
    sf.SBQQ__QuoteLine__c.update(lines["SUP-PREM"]["Id"], {"SBQQ__Quantity__c": 2})
    analytics = records(sf, "SELECT Id FROM Product2 WHERE ProductCode = 'PLAT-ANL'")[0]["Id"]
    sf.SBQQ__QuoteLine__c.create(
        {
            "SBQQ__Quote__c": amendment_quote,
            "SBQQ__Product__c": analytics,
            "SBQQ__Quantity__c": 3,
            "SBQQ__NetPrice__c": 30.0,
            "SBQQ__RequiredBy__c": lines["PKG-GROWTH"]["Id"],
            "SBQQ__Number__c": 4,
        }
    )
    net_totals(sf, amendment_quote)
    amendment = sf.SBQQ__Quote__c.get(amendment_quote)["SBQQ__Opportunity2__c"]
    win(sf, amendment)
    subscriptions_before = story.count("subscription")
    record = story.sync(amendment)
    assert record.deal_kind == "amendment"
    assert story.count("subscription") == subscriptions_before  # changed by change orders, not re-created
    included = story.lines(subscription)
    assert included["PLAT-CORE"] == (15.0, "ACTIVE")
    assert included["SUP-PREM"] == (2.0, "ACTIVE")
    assert included["PLAT-ANL"] == (3.0, "ACTIVE")
    orders = story.change_orders(subscription)
    actions = sorted((action, date) for _, action, date in orders[1:])
    assert actions == [
        ("ACTIVATE", "2026-04-01"),
        ("MODIFY_PRICING", "2026-04-01"),
        ("MODIFY_PRICING", "2026-04-01"),
    ]
    assert all(eid.startswith(f"CO-{amendment}-{subscription}-") for eid, _, _ in orders[1:])
    # The job page lists the change orders among the records written (cross-references).
    saved = CrossReference.objects.filter(
        netsuite_connection=story.netsuite, netsuite_type="subscriptionChangeOrder"
    )
    assert {eid for eid, _, _ in orders} == set(saved.values_list("external_id", flat=True))
    # The amendment's sales order bills the added quantities only.
    order = ns.get("salesOrder", record.netsuite_ids["sales_order"], expand=True)
    skus = {row["id"]: row["itemid"] for row in ns.suiteql("SELECT id, itemid FROM item")}
    billed = sorted(
        (skus[str(line["item"]["id"])], float(line["quantity"])) for line in order["item"]["items"]
    )
    assert billed == [("PLAT-ANL", 3.0), ("PLAT-CORE", 5.0)]
    # The second day: the same amendment writes nothing.
    again = story.sync(amendment)
    assert again.writes == 0 and story.change_orders(subscription) == orders

    # -- the renewal: a new subscription naming the renewed one, from the day after it ends -----------
    context = json.dumps(
        {
            "masterContractId": None,
            "renewedContracts": [{"attributes": {"type": "Contract"}, "Id": contract["Id"]}],
        }
    )
    renewal_quote = apex(sf, RENEWER, {"context": context})[0]["record"]["Id"]
    # Billed quarterly from the renewal on: the quote lines' frequency wins over the quote's.
    sf.SBQQ__Quote__c.update(renewal_quote, {"SBQQ__BillingFrequency__c": "Quarterly"})
    for line in quote_lines(sf, renewal_quote).values():
        sf.SBQQ__QuoteLine__c.update(line["Id"], {"SBQQ__BillingFrequency__c": "Quarterly"})
    net_totals(sf, renewal_quote)
    renewal = sf.SBQQ__Quote__c.get(renewal_quote)["SBQQ__Opportunity2__c"]
    win(sf, renewal)
    record = story.sync(renewal)
    assert record.deal_kind == "renewal"
    renewal_lines = quote_lines(sf, renewal_quote)
    renewed = record.netsuite_ids[f"subscription[{renewal_lines['PKG-GROWTH']['Id']}]"]
    assert renewed != subscription
    new_sub = ns.get("subscription", renewed)
    assert status_of(new_sub) == "ACTIVE"
    parent = ns.get("subscription", subscription)
    assert new_sub["parentSubscription"]["id"] == subscription
    end = dt.date.fromisoformat(str(parent["endDate"])[:10])
    assert str(new_sub["startDate"])[:10] == (end + dt.timedelta(days=1)).isoformat()
    assert parent["renewalSubscription"]["id"] == renewed
    lines_renewed = story.lines(renewed)
    assert lines_renewed["PLAT-CORE"] == (15.0, "ACTIVE") and lines_renewed["PLAT-ANL"] == (3.0, "ACTIVE")
    assert [action for _, action, _ in story.change_orders(renewed)] == ["ACTIVATE"]
    billing = ns.get("billingAccount", record.netsuite_ids["billing_account"])
    assert billing["billingSchedule"]["id"] == "3"  # Quarterly, from the renewal quote
    # The second day: nothing again.
    count = story.count("subscriptionchangeorder")
    again = story.sync(renewal)
    assert again.writes == 0 and story.count("subscriptionchangeorder") == count
