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
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User

from reconciliation.models import Mismatch, RunStatus
from reconciliation.services import reconciliation_run
from simulators.core.runner import RunningSimulator, start_in_thread
from simulators.netsuite.seed import seed as seed_netsuite
from simulators.netsuite.spec import SPEC as NETSUITE_SPEC
from simulators.salesforce.seed import seed as seed_salesforce
from simulators.salesforce.spec import SPEC as SALESFORCE_SPEC
from sync.connections.metadata.services import metadata_refresh
from sync.connections.services import netsuite_connector
from sync.exceptions.actions import exception_approve
from sync.exceptions.models import ExceptionItem, ExceptionStatus
from sync.exceptions.permissions import subsidiary_scope_grant
from sync.exceptions.tasks import exception_retry_run
from sync.lifecycle.models import Cancellation, CancellationStatus
from sync.mappings.selectors import published_mapping
from sync.mappings.services.seed import mapping_seed_defaults
from sync.mappings.services.specs import version_spec
from sync.pipeline.models import RecordStatus
from sync.pipeline.runner import run_batch
from tests.simulators.test_salesforce_cpq_lifecycle import (
    AMENDER,
    RENEWER,
    apex,
    client,
    contract_of,
    quote_lines,
)
from tests.sync.conftest import SEEDED, netsuite_connection_for, salesforce_connection_for
from tests.sync.lifecycle.stories import Story, net_totals, new_deal, status_of, win
from tests.sync.pipeline.conftest import THREADED_DB
from tests.sync.pipeline.test_org_shapes import FLOW, as_advised, publish_reviewed

pytestmark = THREADED_DB


@pytest.fixture(params=["multi-currency org, OneWorld account", "single-currency org, single-entity account"])
def shaped_story(
    request: pytest.FixtureRequest, db: None, tmp_path: Path, revops: User, finance: User
) -> Iterator[Story]:
    """The simulators' default shape (the ``story`` fixture), and the other one customers have: a
    single-currency org (no ``CurrencyIsoCode``) beside a NetSuite account without OneWorld (no
    subsidiaries), with the shipped mapping changed as the metadata check advises, reviewed and published."""
    if request.param.startswith("multi"):
        yield request.getfixturevalue("story")
        return
    data_dir = tmp_path / "single"
    seed_salesforce(data_dir, SEEDED, currencies="single")
    seed_netsuite(data_dir, SEEDED)
    running: list[RunningSimulator] = [
        start_in_thread(SALESFORCE_SPEC, data_dir, currencies="single"),
        start_in_thread(NETSUITE_SPEC, data_dir, one_world=False),
    ]
    try:
        salesforce = salesforce_connection_for(running[0])
        netsuite = netsuite_connection_for(running[1])
        mapping_seed_defaults()
        metadata_refresh(connection=salesforce)
        metadata_refresh(connection=netsuite)
        publish_reviewed(as_advised(version_spec(published_mapping(FLOW)[0])), revops, finance)
        yield Story(
            client(running[0]),
            netsuite_connector(netsuite, limited=False),
            salesforce,
            netsuite,
            currency=None,
        )
    finally:
        for simulator in running:
            simulator.stop()


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
    shaped_story: Story, approver: User, inline_worker: None
) -> None:
    story = shaped_story
    sf, ns = story.sf, story.ns
    customers_before = story.count("customer")

    # -- 1. new ------------------------------------------------------------------------------------
    opportunity, _quote, new_lines = new_deal(sf, story.currency)
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
    # Support down to 2 seats at a new price (20 -> 18): one MODIFY_PRICING carries both.
    sf.SBQQ__QuoteLine__c.update(lines["SUP-PREM"]["Id"], {"SBQQ__Quantity__c": 2, "SBQQ__NetPrice__c": 18.0})
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
    modified = [
        (int(row["quantitynew"]), None if row.get("ratenew") in (None, "") else float(row["ratenew"]))
        for eid, action, _ in orders
        if action == "MODIFY_PRICING"
        for row in ns.suiteql(
            "SELECT l.quantitynew, l.ratenew FROM subscriptionchangeorderline l "
            f"JOIN subscriptionchangeorder c ON c.id = l.changeorder WHERE c.externalid = '{eid}'"
        )
    ]
    assert sorted(modified, key=str) == sorted([(15, None), (2, 18.0)], key=str)
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

    # Every other check reads this shape of account too (no subsidiary field without OneWorld), and finds
    # this deal's customer and orders where the sync put them.
    for check in ("accounts", "opportunities", "invoices", "period_totals"):
        run = reconciliation_run(check=check)
        assert run.status == RunStatus.SUCCEEDED, (check, run.error)
    accounts = reconciliation_run(check="accounts")
    account = sf.Opportunity.get(opportunity)["AccountId"]
    assert not Mismatch.objects.filter(run=accounts, key=account).exists()
