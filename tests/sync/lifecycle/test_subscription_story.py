"""Issue 22, point 9: one subscription deal's whole life over HTTPS, through the real connectors and both
simulators: new -> amended (+quantity, +product, -quantity) -> renewed -> cancelled (CPQ's way: the
renewal contract amended to zero). After every step NetSuite holds exactly what it should (lines,
quantities, change orders, one customer, no duplicate subscription), the reconciliation's subscription
check finds no difference for this deal, and re-running the step writes nothing.

The cancellation waits for a Finance approval in the exception queue; approving it terminates the renewed
subscription by a change order (never a delete), and the approval's task delivered twice changes nothing.
"""
# ruff: noqa: S608 - the f-strings build SuiteQL/SOQL for the simulators

from __future__ import annotations

import json
from typing import Any

import pytest
from django.contrib.auth.models import User

from reconciliation.models import Mismatch, RunStatus
from reconciliation.services import reconciliation_run
from sync.exceptions.actions import exception_approve
from sync.exceptions.models import ExceptionItem, ExceptionStatus
from sync.exceptions.permissions import subsidiary_scope_grant
from sync.exceptions.tasks import exception_retry_run
from sync.lifecycle.models import Cancellation, CancellationStatus
from sync.pipeline.models import RecordStatus
from sync.pipeline.runner import run_batch
from tests.simulators.test_salesforce_cpq_lifecycle import AMENDER, RENEWER, apex, contract_of, quote_lines
from tests.sync.lifecycle.stories import Story, net_totals, new_deal, status_of, win
from tests.sync.pipeline.conftest import THREADED_DB

pytestmark = THREADED_DB


@pytest.fixture
def approver(finance: User) -> User:
    subsidiary_scope_grant(holder=finance, subsidiary=None)
    return User.objects.get(pk=finance.pk)


@pytest.fixture
def inline_worker(monkeypatch: pytest.MonkeyPatch) -> None:
    """django-q2's worker, inline: the approval's task runs as soon as the approval commits."""
    monkeypatch.setattr(
        "sync.exceptions.retry.async_task",
        lambda name, item_id, overrides, **kw: exception_retry_run(item_id, overrides),
    )


def _text(value: Any) -> str:
    return json.dumps(value, default=str, sort_keys=True)


def differences(*keys: str) -> set[tuple[str, str, str, str]]:
    """The subscription check's findings about this deal's subscriptions (keys ``SUB-<package line>``);
    the seeded org's other won deals, never synced here, are missing in NetSuite and not ours."""
    run = reconciliation_run(check="subscriptions")
    assert run.status == RunStatus.SUCCEEDED, run.error or run.note
    return {
        (m.finding, m.key, _text(m.salesforce_value), _text(m.netsuite_value))
        for m in Mismatch.objects.filter(run=run)
        if m.key.startswith(tuple(f"SUB-{key}" for key in keys))
    }


def resynced_writes(story: Story, opportunity: str) -> int:
    job = run_batch(salesforce=story.salesforce, netsuite=story.netsuite, opportunity_ids=[opportunity])
    record = job.records.get()
    return int(record.writes)


def test_new_amended_renewed_cancelled_each_step_exact_reconciled_and_idempotent(
    story: Story, approver: User, inline_worker: None
) -> None:
    sf, ns = story.sf, story.ns
    customers_before = story.count("customer")

    # -- 1. new ------------------------------------------------------------------------------------
    opportunity, _quote, new_lines = new_deal(sf)
    win(sf, opportunity)
    package = new_lines["PKG-GROWTH"]
    # Won and contracted, not synced: the check sees the difference (so its silence below is agreement).
    assert {finding for finding, *_ in differences(package)} == {"missing_in_netsuite"}
    record = story.sync(opportunity)
    subscription = record.netsuite_ids[f"subscription[{package}]"]
    assert story.lines(subscription) == {
        "PKG-GROWTH": (1.0, "ACTIVE"),  # the package's own item, a required plan member
        "PLAT-CORE": (10.0, "ACTIVE"),
        "SUP-PREM": (5.0, "ACTIVE"),
    }
    assert [action for _, action, _ in story.change_orders(subscription)] == ["ACTIVATE"]
    assert story.count("customer") == customers_before + 1
    subscriptions = story.count("subscription")
    assert differences(package) == set()
    assert resynced_writes(story, opportunity) == 0

    # -- 2. amended: +5 seats, support down to 2, analytics added ---------------------------------
    contract = contract_of(sf, opportunity)
    sf.Contract.update(contract["Id"], {"SBQQ__AmendmentStartDate__c": "2026-04-01"})
    amendment_quote = apex(sf, AMENDER + contract["Id"])["record"]["Id"]
    lines = quote_lines(sf, amendment_quote)
    sf.SBQQ__QuoteLine__c.update(lines["PLAT-CORE"]["Id"], {"SBQQ__Quantity__c": 15})
    sf.SBQQ__QuoteLine__c.update(lines["SUP-PREM"]["Id"], {"SBQQ__Quantity__c": 2})
    analytics = next(iter(sf.query("SELECT Id FROM Product2 WHERE ProductCode = 'PLAT-ANL'")["records"]))
    sf.SBQQ__QuoteLine__c.create(
        {
            "SBQQ__Quote__c": amendment_quote,
            "SBQQ__Product__c": analytics["Id"],
            "SBQQ__Quantity__c": 3,
            "SBQQ__NetPrice__c": 30.0,
            "SBQQ__RequiredBy__c": lines["PKG-GROWTH"]["Id"],
            "SBQQ__Number__c": 4,
        }
    )
    net_totals(sf, amendment_quote)
    amendment = sf.SBQQ__Quote__c.get(amendment_quote)["SBQQ__Opportunity2__c"]
    win(sf, amendment)
    story.sync(amendment)
    assert story.lines(subscription) == {
        "PKG-GROWTH": (1.0, "ACTIVE"),
        "PLAT-CORE": (15.0, "ACTIVE"),
        "SUP-PREM": (2.0, "ACTIVE"),
        "PLAT-ANL": (3.0, "ACTIVE"),
    }
    orders = story.change_orders(subscription)
    assert sorted(action for _, action, _ in orders) == [
        "ACTIVATE",
        "ACTIVATE",
        "MODIFY_PRICING",
        "MODIFY_PRICING",
    ]
    assert story.count("subscription") == subscriptions  # changed, not re-created
    assert story.count("customer") == customers_before + 1
    assert differences(package) == set()
    assert resynced_writes(story, amendment) == 0 and story.change_orders(subscription) == orders

    # -- 3. renewed ------------------------------------------------------------------------------------
    context = json.dumps(
        {
            "masterContractId": None,
            "renewedContracts": [{"attributes": {"type": "Contract"}, "Id": contract["Id"]}],
        }
    )
    renewal_quote = apex(sf, RENEWER, {"context": context})[0]["record"]["Id"]
    net_totals(sf, renewal_quote)
    renewal = sf.SBQQ__Quote__c.get(renewal_quote)["SBQQ__Opportunity2__c"]
    win(sf, renewal)
    record = story.sync(renewal)
    renewal_package = quote_lines(sf, renewal_quote)["PKG-GROWTH"]["Id"]
    renewed = record.netsuite_ids[f"subscription[{renewal_package}]"]
    assert renewed != subscription
    assert story.count("subscription") == subscriptions + 1
    assert ns.get("subscription", renewed)["parentSubscription"]["id"] == subscription
    assert story.lines(renewed) == {
        "PKG-GROWTH": (1.0, "ACTIVE"),
        "PLAT-CORE": (15.0, "ACTIVE"),
        "SUP-PREM": (2.0, "ACTIVE"),
        "PLAT-ANL": (3.0, "ACTIVE"),
    }
    assert differences(package, renewal_package) == set()
    count = story.count("subscriptionchangeorder")
    assert resynced_writes(story, renewal) == 0 and story.count("subscriptionchangeorder") == count

    # -- 4. cancelled: CPQ's way, the renewal contract amended to zero ---------------------------------
    renewal_contract = contract_of(sf, renewal)
    cancel_quote = apex(sf, AMENDER + renewal_contract["Id"])["record"]["Id"]
    for line in quote_lines(sf, cancel_quote).values():
        sf.SBQQ__QuoteLine__c.update(line["Id"], {"SBQQ__Quantity__c": 0})
    net_totals(sf, cancel_quote)
    cancel = sf.SBQQ__Quote__c.get(cancel_quote)["SBQQ__Opportunity2__c"]
    win(sf, cancel)
    job = run_batch(salesforce=story.salesforce, netsuite=story.netsuite, opportunity_ids=[cancel])
    waiting = job.records.get()
    assert waiting.status == RecordStatus.SKIPPED and waiting.writes == 0  # money moves: Finance first
    assert status_of(ns.get("subscription", renewed)) == "ACTIVE"
    item = ExceptionItem.objects.get(category__key="cancellation_approval")
    assert item.status == ExceptionStatus.PENDING_APPROVAL

    exception_approve(item=item, user=approver, reason="the customer cancelled at renewal")
    assert status_of(ns.get("subscription", renewed)) == "TERMINATED"
    assert [action for _, action, _ in story.change_orders(renewed)][-1] == "TERMINATE"
    assert story.count("subscription") == subscriptions + 1  # terminated, never deleted
    cancellation = Cancellation.objects.get(exception_id=item.pk)
    assert cancellation.status == CancellationStatus.DONE and renewed in cancellation.subscription_ids
    item.refresh_from_db()
    assert item.status == ExceptionStatus.RESOLVED
    assert differences(package, renewal_package) == set()

    # The second day: the task delivered again and the batch re-run change nothing, ask nothing again.
    count = story.count("subscriptionchangeorder")
    exception_retry_run(item.pk, {})
    assert resynced_writes(story, cancel) == 0
    assert story.count("subscriptionchangeorder") == count
    assert ExceptionItem.objects.filter(category__key="cancellation_approval").count() == 1
