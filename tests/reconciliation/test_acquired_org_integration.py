"""The acquired company's org (single-currency, in EUR, shaped differently) reconciled as integration
``acme`` over HTTPS (the ``two_orgs`` harness): its won deals ordered and invoiced in NetSuite under its
namespace compare per currency with no mismatch, and the first org's period totals never count them."""

from __future__ import annotations

from reconciliation.models import Mismatch, RunStatus
from reconciliation.services import reconciliation_run
from sync.mappings.engine.defaults import load_default_lookups
from tests.sync.integrations.conftest import TwoOrgs, acme_simulator, two_orgs  # noqa: F401
from tests.sync.pipeline.conftest import THREADED_DB

pytestmark = THREADED_DB
LOOKUPS = load_default_lookups()


def test_the_acquired_orgs_euro_totals_agree_and_stay_out_of_the_first_orgs(two_orgs: TwoOrgs) -> None:  # noqa: F811
    ns = two_orgs.ns()
    deals = list(
        two_orgs.b.connector().query(
            "SELECT Id, AccountId, Amount, CloseDate FROM Opportunity WHERE IsWon = true ORDER BY Id"
        )
    )
    assert deals and all("CurrencyIsoCode" not in deal for deal in deals)  # a single-currency org
    item = next(iter(ns.suiteql("SELECT id FROM item ORDER BY id")))["id"]
    eur = {"id": LOOKUPS["currency_code_to_id"]["EUR"]}
    germany = {"id": LOOKUPS["country_to_subsidiary"]["DE"]}
    for deal in deals:
        customer = ns.upsert(
            "customer",
            f"ACQ-{deal['AccountId']}",
            {"companyName": f"Acme customer {deal['AccountId']}", "subsidiary": germany, "currency": eur},
        )
        order = ns.upsert(
            "salesOrder",
            f"ACQ-{deal['Id']}",
            {
                "entity": {"id": customer},
                "tranDate": deal["CloseDate"],
                "currency": eur,
                "subsidiary": germany,
                "custbody_sf_opportunity_id": deal["Id"],
                "item": {"items": [{"item": {"id": item}, "quantity": 1, "amount": deal["Amount"]}]},
            },
        )
        ns.transform("salesOrder", order, "invoice", {"tranDate": deal["CloseDate"]})

    acme = reconciliation_run(check="period_totals", integration=two_orgs.acme)
    assert acme.status == RunStatus.SUCCEEDED, acme.error
    assert not Mismatch.objects.filter(run=acme).exists()
    assert set(acme.totals) == {"EUR"}
    assert acme.totals["EUR"]["ordered"] == sum(deal["Amount"] for deal in deals)

    # The first org (primary) has written nothing: all its months are missing in NetSuite, none picks up
    # the acquired org's euro orders (ids alike, same account).
    primary = reconciliation_run(check="period_totals")
    assert primary.status == RunStatus.SUCCEEDED, primary.error
    kinds = set(Mismatch.objects.filter(run=primary).values_list("kind", flat=True))
    assert kinds <= {"missing_in_netsuite", "field_differs"}
    assert not any(amounts["ordered"] for amounts in primary.totals.values())
