"""Every flow of org B ("acme", single-currency EUR, its own fields) beside org A, over HTTPS, with the same
Salesforce ids in both orgs: the deal life cycle (amendment, renewal, cancellation) lands on B's own
NetSuite records and never touches A's; the catalogue reaches each org in its own currency and a paused
integration's catalogue waits alone; a shared customer's return failure opens one exception per
integration, each seen only by that integration's people. Each with its second day (re-run, resumed)."""
# ruff: noqa: S608 - the f-strings build SuiteQL/SOQL for the simulators

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.contrib.auth.models import User

from governance.access_grants import user_access_grant
from sync.catalogue import tasks as catalogue_tasks
from sync.catalogue.services import CATALOGUE_FLOW
from sync.exceptions.actions import exception_approve
from sync.exceptions.models import ExceptionItem, ExceptionStatus
from sync.exceptions.permissions import subsidiary_scope_grant
from sync.exceptions.selectors import exceptions_for_user
from sync.integrations.namespacing import eid_namespaced
from sync.lifecycle.models import Cancellation, CancellationStatus
from sync.pipeline.models import CrossReference, RecordStatus
from sync.pipeline.returns import return_dedup_key, return_flow_run
from sync.pipeline.runner import run_batch
from tests.api_support import token_client
from tests.simulators.test_salesforce_cpq_lifecycle import AMENDER, RENEWER, apex, contract_of, quote_lines
from tests.sync.integrations.conftest import Org, TwoOrgs
from tests.sync.lifecycle.stories import Story, net_totals, new_deal, status_of, win
from tests.sync.lifecycle.test_subscription_story import approver, inline_worker  # noqa: F401 - fixtures
from tests.sync.pipeline.conftest import THREADED_DB

pytestmark = THREADED_DB
USD, EUR = "1", "4"  # the NetSuite simulator's currency ids


def story_of(two_orgs: TwoOrgs, org: Org) -> Story:
    return Story(org.client, two_orgs.ns(), org.connection, two_orgs.netsuite_connection, org.currency)


def amend(sf: Any, opportunity: str, seats: int) -> str:
    """CPQ's amendment of the deal's contract from April: the platform seats set to ``seats``; won."""
    contract = contract_of(sf, opportunity)
    sf.Contract.update(contract["Id"], {"SBQQ__AmendmentStartDate__c": "2026-04-01"})
    quote = apex(sf, AMENDER + contract["Id"])["record"]["Id"]
    sf.SBQQ__QuoteLine__c.update(quote_lines(sf, quote)["PLAT-CORE"]["Id"], {"SBQQ__Quantity__c": seats})
    net_totals(sf, quote)
    amendment = str(sf.SBQQ__Quote__c.get(quote)["SBQQ__Opportunity2__c"])
    win(sf, amendment)
    return amendment


def renew(sf: Any, opportunity: str) -> tuple[str, str]:
    """CPQ's renewal of the deal's contract, won; its opportunity and its package's quote line."""
    contract = contract_of(sf, opportunity)
    context = {
        "masterContractId": None,
        "renewedContracts": [{"attributes": {"type": "Contract"}, "Id": contract["Id"]}],
    }
    quote = apex(sf, RENEWER, {"context": json.dumps(context)})[0]["record"]["Id"]
    net_totals(sf, quote)
    renewal = str(sf.SBQQ__Quote__c.get(quote)["SBQQ__Opportunity2__c"])
    win(sf, renewal)
    return renewal, str(quote_lines(sf, quote)["PKG-GROWTH"]["Id"])


def cancel(sf: Any, opportunity: str) -> str:
    """CPQ's cancellation: the contract amended to zero, won."""
    quote = apex(sf, AMENDER + contract_of(sf, opportunity)["Id"])["record"]["Id"]
    for line in quote_lines(sf, quote).values():
        sf.SBQQ__QuoteLine__c.update(line["Id"], {"SBQQ__Quantity__c": 0})
    net_totals(sf, quote)
    cancelled = str(sf.SBQQ__Quote__c.get(quote)["SBQQ__Opportunity2__c"])
    win(sf, cancelled)
    return cancelled


def test_org_bs_deal_is_amended_renewed_and_cancelled_on_its_own_records_only(
    two_orgs: TwoOrgs,
    approver: User,  # noqa: F811 - the fixture
    inline_worker: None,  # noqa: F811 - the fixture
) -> None:
    a, b = story_of(two_orgs, two_orgs.a), story_of(two_orgs, two_orgs.b)
    namespace = two_orgs.acme.namespace
    ns = a.ns

    # Org A's deal and org B's, the same ids, both new and active on their own subscriptions.
    opportunity_a, _, lines_a = new_deal(a.sf, a.currency)
    opportunity, _, lines = new_deal(b.sf, b.currency)
    assert (opportunity_a, lines_a) == (opportunity, lines)
    win(a.sf, opportunity)
    win(b.sf, opportunity)
    subscription_a = a.sync(opportunity).netsuite_ids[f"subscription[{lines['PKG-GROWTH']}]"]
    record = b.sync(opportunity)
    subscription = record.netsuite_ids[f"subscription[{lines['PKG-GROWTH']}]"]
    assert subscription != subscription_a
    [(sales_order_b, currency_b)] = [
        (str(row["id"]), str(row["currency"]))
        for row in ns.suiteql(
            "SELECT id, currency FROM transaction WHERE externalid = "
            f"'{eid_namespaced(namespace, opportunity)}'"
        )
    ]
    assert sales_order_b == record.netsuite_ids["sales_order"] and currency_b == EUR
    a_orders = a.change_orders(subscription_a)
    a_lines = a.lines(subscription_a)

    # The amendment: 10 seats -> 16, by a change order on B's subscription, in B's namespace.
    amendment = amend(b.sf, opportunity, 16)
    record = b.sync(amendment)
    assert record.deal_kind == "amendment"
    assert b.lines(subscription)["PLAT-CORE"] == (16.0, "ACTIVE")
    orders = b.change_orders(subscription)
    assert [action for _, action, _ in orders] == ["ACTIVATE", "MODIFY_PRICING"]
    assert all(eid.startswith(eid_namespaced(namespace, "CO-")) for eid, _, _ in orders)
    assert (a.change_orders(subscription_a), a.lines(subscription_a)) == (a_orders, a_lines)
    # The second day: the same amendment again writes nothing, no second change order.
    again = run_batch(salesforce=b.salesforce, netsuite=b.netsuite, opportunity_ids=[amendment]).records.get()
    assert again.status == RecordStatus.SYNCED and again.writes == 0
    assert b.change_orders(subscription) == orders

    # The renewal: B's new subscription, renewing B's, from the day after it ends.
    renewal, package = renew(b.sf, opportunity)
    record = b.sync(renewal)
    renewed = record.netsuite_ids[f"subscription[{package}]"]
    assert record.deal_kind == "renewal" and renewed not in (subscription, subscription_a)
    assert ns.get("subscription", renewed)["parentSubscription"]["id"] == subscription
    assert b.lines(renewed)["PLAT-CORE"] == (16.0, "ACTIVE")

    # The cancellation: Finance approves, B's renewed subscription ends by a change order; A's lives on.
    cancelled = cancel(b.sf, renewal)
    waiting = run_batch(salesforce=b.salesforce, netsuite=b.netsuite, opportunity_ids=[cancelled])
    assert waiting.records.get().status == RecordStatus.SKIPPED
    item = ExceptionItem.objects.get(category__key="cancellation_approval")
    assert item.integration == two_orgs.acme and item.status == ExceptionStatus.PENDING_APPROVAL
    exception_approve(item=item, user=approver, reason="acme's customer cancelled at renewal")
    assert status_of(ns.get("subscription", renewed)) == "TERMINATED"
    terminate = b.change_orders(renewed)[-1]
    assert terminate[1] == "TERMINATE" and terminate[0].startswith(eid_namespaced(namespace, "CO-"))
    assert Cancellation.objects.get(exception_id=item.pk).status == CancellationStatus.DONE
    assert status_of(ns.get("subscription", subscription_a)) == "ACTIVE"
    assert (a.change_orders(subscription_a), a.lines(subscription_a)) == (a_orders, a_lines)
    # Every change order acme wrote is in its namespace.
    written = CrossReference.objects.filter(
        integration=two_orgs.acme, netsuite_type="subscriptionChangeOrder"
    )
    assert written.exists() and not written.exclude(external_id__startswith=f"{namespace}-").exists()


def _catalogue_item(two_orgs: TwoOrgs) -> str:
    """A new NetSuite item priced in US dollars and in euros (the base price level)."""
    prices = [("1", USD, 100.0), ("1", EUR, 90.0)]
    body = {
        "itemId": "SVC-TWO",
        "displayName": "Two-org Service",
        "basePrice": 100.0,
        "price": {
            "items": [
                {"currencyPage": {"id": currency}, "priceLevel": {"id": level}, "price": price}
                for level, currency, price in prices
            ]
        },
    }
    return str(two_orgs.ns().create("serviceSaleItem", body))


def _entries(org: Org) -> list[dict[str, Any]]:
    """The standard price book's entries of product SVC-TWO (with their currency in a multi-currency org)."""
    currency = ", CurrencyIsoCode" if org.currency else ""
    return list(
        org.connector().query(
            f"SELECT UnitPrice{currency}, Product2.NetSuite_Item_Id__c FROM PricebookEntry "
            "WHERE Product2.ProductCode = 'SVC-TWO' AND Pricebook2.IsStandard = true ORDER BY UnitPrice"
        )
    )


def test_the_catalogue_reaches_each_org_in_its_currency_and_a_paused_integration_waits_alone(
    two_orgs: TwoOrgs, revops: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    a, b = two_orgs.a, two_orgs.b
    pairs = [(org.connection, two_orgs.netsuite_connection) for org in two_orgs.orgs]
    monkeypatch.setattr(catalogue_tasks, "served_pairs", lambda: pairs)
    monkeypatch.setattr("sync.pipeline.flows.async_task", lambda *args, **kwargs: None)
    item = _catalogue_item(two_orgs)
    api = token_client(revops)
    paused = api.post(
        f"/api/v1/flow-settings/{CATALOGUE_FLOW}/pause/?integration={two_orgs.acme.name}",
        {"reason": "acme's price review"},
        content_type="application/json",
    )
    assert paused.status_code == 200 and paused.json()["paused"] is True, paused.content

    assert catalogue_tasks.catalogue_sync() > 0  # org A's pair only
    assert [(row["UnitPrice"], row["CurrencyIsoCode"]) for row in _entries(a)] == [
        (90.0, "EUR"),
        (100.0, "USD"),
    ]
    assert _entries(b) == []

    resumed = api.post(
        f"/api/v1/flow-settings/{CATALOGUE_FLOW}/resume/?integration={two_orgs.acme.name}",
        {},
        content_type="application/json",
    )
    assert resumed.status_code == 200, resumed.content
    catalogue_tasks.catalogue_sync()
    [entry] = _entries(b)  # the org's one currency: the euro price, no CurrencyIsoCode anywhere
    assert entry["UnitPrice"] == 90.0 and "CurrencyIsoCode" not in entry
    assert entry["Product2"]["NetSuite_Item_Id__c"] == item
    # The second day: nothing changed, nothing written, in either org.
    assert catalogue_tasks.catalogue_sync() == 0
    assert len(_entries(a)) == 2 and len(_entries(b)) == 1


def test_a_shared_customers_return_failure_opens_one_exception_per_integration(
    two_orgs: TwoOrgs, finance: User, admin: User
) -> None:
    a, b, acme = two_orgs.a, two_orgs.b, two_orgs.acme
    ns = two_orgs.ns()
    netsuite = two_orgs.netsuite_connection
    shared_a = a.closed_won("Globex Corporation", email_domain="globex.example")
    shared_b = b.closed_won("Globex Corporation", country="US", email_domain="globex.example")
    for org, deal in ((a, shared_a), (b, shared_b)):
        record = run_batch(salesforce=org.connection, netsuite=netsuite, opportunity_ids=[deal.opportunity])
        assert record.records.get().status == RecordStatus.SYNCED
    link = CrossReference.objects.get(
        integration=acme, netsuite_type="customer", salesforce_id=shared_b.account
    )
    assert link.shared
    customer = link.netsuite_id
    # A credit limit no Salesforce currency field holds: both orgs refuse the customer's write-back.
    ns.patch("customer", customer, {"creditLimit": 1e17})

    start = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    for _day in ("first", "second"):  # the second day: the same failures again, deduplicated
        for org in (a, b):
            result = return_flow_run(salesforce=org.connection, netsuite=netsuite, start=start)
            assert result.failed >= 1, (org.key, result.problems)
    source = ("customer", customer)
    keys = {
        two_orgs.primary: return_dedup_key(netsuite_connection_id=netsuite.pk, source=source),
        acme: return_dedup_key(netsuite_connection_id=netsuite.pk, source=source, namespace=acme.namespace),
    }
    items = {integration: ExceptionItem.objects.get(dedup_key=key) for integration, key in keys.items()}
    assert {integration: item.integration for integration, item in items.items()} == {
        integration: integration for integration in items
    }
    assert keys[two_orgs.primary] == f"return:{netsuite.pk}:customer:{customer}"  # the primary's old shape
    assert all(item.status != ExceptionStatus.RESOLVED for item in items.values())

    # Each integration's people see their own exception only.
    subsidiary_scope_grant(holder=finance, subsidiary=None)
    assert visible(finance) == {item.pk for item in items.values()}
    user_access_grant(user=finance, kind="integration", target=acme, actor=admin)
    assert visible(finance) == {items[acme].pk}


def visible(user: User) -> set[int]:
    """The return-flow exceptions ``user`` sees (read afresh: grants are cached on the user)."""
    fresh = User.objects.get(pk=user.pk)
    return set(exceptions_for_user(fresh).filter(category__key="return_flow").values_list("pk", flat=True))
