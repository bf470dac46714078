"""The subscriptions check with in-memory sides: pairing CPQ contract subscriptions with NetSuite
subscriptions and lines, every finding, agreement after an amendment and after a termination, and the
skip of an org without CPQ."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from io import StringIO
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from reconciliation import services
from reconciliation.checks import CHECKS, SUBSCRIPTIONS
from reconciliation.engine import compare
from reconciliation.models import Mismatch, ReconciliationRun, RunStatus
from reconciliation.reading import Sources
from reconciliation.services import reconciliation_run
from sync.connections.connectors.netsuite import Page
from tests.api_support import token_client
from tests.reconciliation.fakes import ExceptionQueueDouble

CONTRACT = "8005S0000000001AAA"
END = "2027-12-31"
PACKAGE = "SUB-QL-PKG"


def sub(record_id: str, code: str, quantity: float, **more: Any) -> dict[str, Any]:
    return {
        "Id": record_id,
        "SBQQ__Contract__c": more.pop("contract", CONTRACT),
        "SBQQ__Contract__r": {"Status": more.pop("contract_status", "Activated")},
        "SBQQ__ProductCode__c": code,
        "SBQQ__Quantity__c": quantity,
        "SBQQ__EndDate__c": END,
        "SBQQ__TerminatedDate__c": None,
        "SBQQ__QuoteLine__c": f"QL-{record_id}",
        "SBQQ__OriginalQuoteLine__c": f"QL-{record_id}",
        "SBQQ__RequiredById__c": None,
        "SBQQ__RevisedSubscription__c": None,
        **more,
    }


def contract() -> list[dict[str, Any]]:
    """A contracted package (PKG) with two members: 10 PLAT-CORE, 5 SVC-SUP."""
    return [
        sub("PKG", "PKG-GROWTH", 1),
        sub("M1", "PLAT-CORE", 10, SBQQ__RequiredById__c="PKG"),
        sub("M2", "SVC-SUP", 5, SBQQ__RequiredById__c="PKG"),
    ]


def line(item: str, quantity: float, status: str = "ACTIVE", **more: Any) -> dict[str, Any]:
    return {"item": item, "itemid": item, "quantity": str(quantity), "isincluded": "T", "status": status,
            "enddate": END, **more}  # fmt: skip


class NetSuite:
    """SuiteQL answers: subscriptions (keyset pages) and their lines (by subscription id)."""

    def __init__(self) -> None:
        self.subscriptions: list[dict[str, Any]] = []
        self.lines: dict[str, list[dict[str, Any]]] = {}

    def add(self, external_id: str, lines: list[dict[str, Any]], **header: Any) -> str:
        internal = str(100 + len(self.subscriptions))
        self.subscriptions.append(
            {
                "id": internal,
                "externalid": external_id,
                "status": "ACTIVE",
                "enddate": END,
                "planitem": "PKG-GROWTH",
                **header,
            }
        )
        self.lines[internal] = [{**row, "subscription": internal} for row in lines]
        return internal

    def suiteql_page(self, query: str, *, limit: int = 1000, offset: int = 0) -> Page:
        assert "FROM subscription" in query and "LIKE 'SUB-%'" in query
        after = int(query.split("id > ")[1].split(" ")[0])
        rows = [row for row in self.subscriptions if int(row["id"]) > after][offset:]
        return Page(rows, False, len(rows), offset)

    def suiteql(self, query: str, *, page_size: int = 1000) -> Iterator[dict[str, Any]]:
        if query.startswith("SELECT externalid, subsidiary FROM subscription"):  # where a finding lives
            yield from ({"externalid": row["externalid"], "subsidiary": "3"} for row in self.subscriptions)
            return
        assert "FROM subscriptionline sl" in query
        ids = query.split("IN (")[1].split(")")[0].split(", ")
        for internal in ids:
            yield from self.lines.get(internal, [])


class Salesforce:
    def __init__(
        self, records: list[dict[str, Any]], quote_lines: list[dict[str, Any]] | None = None
    ) -> None:
        self.records = records
        self.quote_lines = quote_lines or []

    def query(self, soql: str, *, include_deleted: bool = False) -> Iterator[dict[str, Any]]:
        if "FROM SBQQ__QuoteLine__c" in soql:  # won deals not contracted yet
            assert "SBQQ__Contracted__c = false" in soql
            yield from self.quote_lines
            return
        assert "FROM SBQQ__Subscription__c" in soql
        if "BillingCountry" in soql:  # where a finding lives
            for row in self.records:
                yield {
                    "SBQQ__QuoteLine__c": row["SBQQ__QuoteLine__c"],
                    "SBQQ__Account__r": {"BillingCountry": "GB"},
                }
            return
        yield from sorted(self.records, key=lambda row: (row["SBQQ__Contract__c"], row["Id"]))


def sources(
    records: list[dict[str, Any]],
    netsuite: NetSuite,
    quote_lines: list[dict[str, Any]] | None = None,
    **more: Any,
) -> Sources:
    return Sources(salesforce=Salesforce(records, quote_lines), netsuite=netsuite, lookups={}, **more)


def findings(
    records: list[dict[str, Any]], netsuite: NetSuite, quote_lines: list[dict[str, Any]] | None = None
) -> set[tuple[str, str, Any, Any]]:
    source = sources(records, netsuite, quote_lines)
    found = compare(
        SUBSCRIPTIONS.read_salesforce(source), SUBSCRIPTIONS.read_netsuite(source), SUBSCRIPTIONS.fields
    )
    return {
        (SUBSCRIPTIONS.finding(m.kind.value, m.field)[0], m.key, m.salesforce, m.netsuite)
        if m.field
        else (SUBSCRIPTIONS.finding(m.kind.value)[0], m.key, None, None)
        for m in found
    }


def synced() -> NetSuite:
    """NetSuite as Concord writes the contract: one subscription, the members as lines, one plan member
    nobody bought left NOT_INCLUDED."""
    netsuite = NetSuite()
    netsuite.add(
        PACKAGE,
        [
            line("PLAT-CORE", 10),
            line("SVC-SUP", 5),
            line("ADDON-API", 1, "NOT_INCLUDED", isincluded="F"),
            line("PKG-GROWTH", 1),  # the plan's own item, a required member
        ],
    )
    return netsuite


def test_the_keys_pair_a_package_and_its_products() -> None:
    pairs = dict(SUBSCRIPTIONS.read_salesforce(sources(contract(), NetSuite())))
    assert pairs == {
        PACKAGE: (None, "active", END),
        f"{PACKAGE}/PLAT-CORE": (10.0, "active", END),
        f"{PACKAGE}/SVC-SUP": (5.0, "active", END),
    }
    netsuite_pairs = dict(SUBSCRIPTIONS.read_netsuite(sources([], synced())))
    assert netsuite_pairs == pairs  # the NOT_INCLUDED member and the plan's own item are left out
    assert findings(contract(), synced()) == set()


def test_every_kind_of_finding() -> None:
    netsuite = NetSuite()
    netsuite.add(
        PACKAGE,
        [
            line("PLAT-CORE", 12),  # quantity_differs
            line("SVC-SUP", 5, "PENDING_ACTIVATION"),  # status_differs: never activated
            line("EXTRA-SKU", 3),  # extra_in_netsuite: a line CPQ has no subscription for
        ],
        enddate="2028-01-31",  # end_date_differs on the subscription
    )
    netsuite.add("SUB-QL-NOBODY", [line("PLAT-CORE", 1)])  # extra_in_netsuite: a whole subscription
    other = [
        sub("PKG2", "PKG-GROWTH", 1, contract="8005S0000000002AAA"),
        sub("M21", "PLAT-CORE", 4, contract="8005S0000000002AAA", SBQQ__RequiredById__c="PKG2"),
    ]
    assert findings(contract() + other, netsuite) == {
        ("quantity_differs", f"{PACKAGE}/PLAT-CORE", 10.0, 12.0),
        ("status_differs", f"{PACKAGE}/SVC-SUP", "active", "pending activation"),
        ("end_date_differs", PACKAGE, END, "2028-01-31"),
        ("extra_in_netsuite", f"{PACKAGE}/EXTRA-SKU", None, None),
        ("extra_in_netsuite", "SUB-QL-NOBODY", None, None),
        ("extra_in_netsuite", "SUB-QL-NOBODY/PLAT-CORE", None, None),
        ("missing_in_netsuite", "SUB-QL-PKG2", None, None),  # contract 2's subscription was never written
        ("missing_in_netsuite", "SUB-QL-PKG2/PLAT-CORE", None, None),
    }


def test_a_line_end_date_and_a_terminated_line_differ() -> None:
    netsuite = NetSuite()
    netsuite.add(PACKAGE, [line("PLAT-CORE", 10, enddate="2027-06-30"), line("SVC-SUP", 5, "TERMINATED")])
    assert findings(contract(), netsuite) == {
        ("end_date_differs", f"{PACKAGE}/PLAT-CORE", END, "2027-06-30"),
        ("quantity_differs", f"{PACKAGE}/SVC-SUP", 5.0, 0.0),  # a terminated line counts nothing
        ("status_differs", f"{PACKAGE}/SVC-SUP", "active", "terminated"),
    }


def test_two_contracts_claiming_one_package_are_a_duplicate() -> None:
    again = [
        {**row, "SBQQ__Contract__c": "8005S0000000009AAA", "Id": row["Id"] + "-copy"}
        | ({"SBQQ__RequiredById__c": "PKG-copy"} if row["SBQQ__RequiredById__c"] else {})
        for row in contract()
    ]
    for row in again:
        row["SBQQ__QuoteLine__c"] = row["SBQQ__QuoteLine__c"].removesuffix("-copy")
    assert ("duplicate", PACKAGE, None, None) in findings(contract() + again, synced())


def amended() -> list[dict[str, Any]]:
    """The contract after an amendment: PLAT-CORE 10 -> 15 (a +5 delta revising M1), SVC-SUP 5 -> 3 (a -2
    delta whose RequiredBy names the package's own revision), and ADDON-API added to the package."""
    records = contract()
    records += [
        sub("PKGD", "PKG-GROWTH", 0, SBQQ__RevisedSubscription__c="PKG", SBQQ__QuoteLine__c="QL-AMD-PKG",
            SBQQ__OriginalQuoteLine__c="QL-PKG"),
        sub("D1", "PLAT-CORE", 5, SBQQ__RevisedSubscription__c="M1", SBQQ__RequiredById__c="PKG",
            SBQQ__QuoteLine__c="QL-AMD-1", SBQQ__OriginalQuoteLine__c="QL-M1"),
        sub("D2", "SVC-SUP", -2, SBQQ__RevisedSubscription__c="M2", SBQQ__RequiredById__c="PKGD",
            SBQQ__QuoteLine__c="QL-AMD-2", SBQQ__OriginalQuoteLine__c="QL-M2"),
        sub("N3", "ADDON-API", 2, SBQQ__RequiredById__c="PKG", SBQQ__QuoteLine__c="QL-AMD-3"),
    ]  # fmt: skip
    return records


def test_it_agrees_after_an_amendment_with_delta_subscriptions() -> None:
    netsuite = NetSuite()
    # Change orders changed the lines' quantities in place; the added product's line became included.
    netsuite.add(PACKAGE, [line("PLAT-CORE", 15), line("SVC-SUP", 3), line("ADDON-API", 2)])
    assert findings(amended(), netsuite) == set()
    # NetSuite still at the old quantities (the change orders never written): exactly those differ.
    assert findings(amended(), synced()) == {
        ("quantity_differs", f"{PACKAGE}/PLAT-CORE", 15.0, 10.0),
        ("quantity_differs", f"{PACKAGE}/SVC-SUP", 3.0, 5.0),
        ("missing_in_netsuite", f"{PACKAGE}/ADDON-API", None, None),
    }


def test_it_agrees_after_a_termination() -> None:
    ended = "2027-06-30"
    records = amended()
    # CPQ's cancelling amendment: negative deltas to zero, every record of the contract terminated.
    records += [
        sub("T1", "PLAT-CORE", -15, SBQQ__RevisedSubscription__c="M1", SBQQ__RequiredById__c="PKG"),
        sub("T2", "SVC-SUP", -3, SBQQ__RevisedSubscription__c="M2", SBQQ__RequiredById__c="PKG"),
        sub("T3", "ADDON-API", -2, SBQQ__RevisedSubscription__c="N3", SBQQ__RequiredById__c="PKG"),
    ]
    for record in records:
        record["SBQQ__TerminatedDate__c"] = ended
    netsuite = NetSuite()
    netsuite.add(
        PACKAGE,
        [
            line("PLAT-CORE", 15, "TERMINATED", enddate=ended),
            line("SVC-SUP", 3, "TERMINATED", enddate=ended),
            line("ADDON-API", 2, "TERMINATED", enddate=ended),
        ],
        status="TERMINATED",
        enddate=ended,
    )
    pairs = dict(SUBSCRIPTIONS.read_salesforce(sources(records, netsuite)))
    assert pairs[PACKAGE] == (None, "terminated", ended)
    assert pairs[f"{PACKAGE}/PLAT-CORE"] == (0.0, "terminated", ended)
    assert findings(records, netsuite) == set()

    # NetSuite never terminated it: status and end date differ, on the subscription and every line.
    still = copy.deepcopy(netsuite)
    still.subscriptions[0].update(status="ACTIVE", enddate=END)
    for row in still.lines[still.subscriptions[0]["id"]]:
        row.update(status="ACTIVE", enddate=END)
    found = findings(records, still)
    assert ("status_differs", PACKAGE, "terminated", "active") in found
    assert ("end_date_differs", PACKAGE, ended, END) in found
    assert ("quantity_differs", f"{PACKAGE}/PLAT-CORE", 0.0, 15.0) in found
    assert len(found) == 2 + 3 * 3


def test_a_renewal_contract_pairs_with_its_own_subscription() -> None:
    renewal = "8005S0000000002AAA"
    later = {"contract": renewal, "SBQQ__EndDate__c": "2028-12-31"}
    records = contract() + [
        sub("RPKG", "PKG-GROWTH", 1, **later),
        sub("R1", "PLAT-CORE", 15, SBQQ__RequiredById__c="RPKG", **later),
    ]
    netsuite = synced()
    netsuite.add("SUB-QL-RPKG", [line("PLAT-CORE", 15, enddate="2028-12-31")], enddate="2028-12-31",
                 parentsubscription="100")  # fmt: skip
    assert findings(records, netsuite) == set()


def test_a_won_deal_not_contracted_yet_is_compared_from_its_quote() -> None:
    quote = {"SBQQ__Opportunity2__c": "0065S0000000001AAA", "SBQQ__EndDate__c": END}

    def quote_line(line_id: str, code: str, quantity: float, parent: str | None = None) -> dict[str, Any]:
        return {"Id": line_id, "SBQQ__Quote__r": quote, "SBQQ__ProductCode__c": code,
                "SBQQ__Quantity__c": quantity, "SBQQ__RequiredBy__c": parent}  # fmt: skip

    lines = [
        quote_line("QL-PKG", "PKG-GROWTH", 1),
        quote_line("QL-1", "PLAT-CORE", 10, "QL-PKG"),
        quote_line("QL-2", "SVC-SUP", 5, "QL-PKG"),
        quote_line("QL-3", "SVC-ONB", 1),  # a one-off service: on the sales order, no subscription
    ]
    assert findings([], synced(), lines) == set()
    netsuite = synced()
    netsuite.lines[netsuite.subscriptions[0]["id"]][0]["quantity"] = "9"
    assert findings([], netsuite, lines) == {("quantity_differs", f"{PACKAGE}/PLAT-CORE", 10.0, 9.0)}
    assert findings([], NetSuite(), lines) == {
        ("missing_in_netsuite", PACKAGE, None, None),
        ("missing_in_netsuite", f"{PACKAGE}/PLAT-CORE", None, None),
        ("missing_in_netsuite", f"{PACKAGE}/SVC-SUP", None, None),
    }


# -- runs --------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_run_stores_the_findings_with_labels(monkeypatch: pytest.MonkeyPatch) -> None:
    queue = ExceptionQueueDouble().install(monkeypatch)
    records = contract()
    records[0]["SBQQ__QuoteLine__c"] = "a0y5S000000PKG1AAA"  # an id Salesforce could hold
    package = "SUB-a0y5S000000PKG1AAA"
    netsuite = NetSuite()
    netsuite.add(package, [line("PLAT-CORE", 12), line("SVC-SUP", 5)])
    run = reconciliation_run(check="subscriptions", sources=sources(records, netsuite))
    assert run.status == RunStatus.SUCCEEDED, run.error
    mismatch = Mismatch.objects.get(run=run)
    assert (mismatch.kind, mismatch.key, mismatch.field) == (
        "field_differs",
        f"{package}/PLAT-CORE",
        "quantity",
    )
    assert (mismatch.finding, mismatch.label) == ("quantity_differs", "Quantity differs")
    (opened,) = queue.opened
    assert opened["dedup_key"] == f"recon:subscriptions:{package}/PLAT-CORE:quantity"
    assert (opened["scope"].subsidiary_id, opened["scope"].billing_country) == ("3", "GB")
    assert run.counts["matched"] == 2


@pytest.mark.django_db
def test_an_org_without_cpq_skips_the_check_with_a_note(monkeypatch: pytest.MonkeyPatch) -> None:
    without_cpq = sources([], NetSuite(), salesforce_objects=frozenset({"account", "opportunity"}))
    run = reconciliation_run(check="subscriptions", sources=without_cpq)
    assert run.status == RunStatus.SKIPPED and run.progress["phase"] == "skipped"
    assert "no SBQQ__Subscription__c object" in run.note and run.error == ""

    no_suitebilling = sources([], NetSuite(), netsuite_record_types=frozenset({"customer"}))
    run = reconciliation_run(check="subscriptions", sources=no_suitebilling)
    assert run.status == RunStatus.SKIPPED and "no subscription record type" in run.note

    # The command says so and does not fail.
    monkeypatch.setattr(services, "reconciliation_sources", lambda: without_cpq)
    out = StringIO()
    call_command("reconcile", "subscriptions", stdout=out)
    assert out.getvalue().startswith("subscriptions: skipped (run #") and "Salesforce CPQ" in out.getvalue()


def test_the_check_is_listed_with_its_label() -> None:
    assert list(CHECKS)[-1] == "subscriptions"
    assert SUBSCRIPTIONS.title == "CPQ subscriptions ↔ NetSuite subscriptions"
    assert SUBSCRIPTIONS.finding("missing_in_salesforce") == (
        "extra_in_netsuite",
        "Extra in NetSuite (no CPQ subscription)",
    )
    assert CHECKS["accounts"].finding("field_differs", "name") == ("name_differs", "Name differs")


@pytest.mark.django_db
def test_console_api_and_command_offer_the_check_by_its_label(
    finance_client: Client,
    finance: User,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    queued: list[object] = []
    monkeypatch.setattr(services, "async_task", lambda *args, **kwargs: queued.append(args))
    page = finance_client.get("/reconciliation/").content.decode()
    assert "CPQ subscriptions ↔ NetSuite subscriptions" in page
    assert 'action="/reconciliation/checks/subscriptions/run/"' in page
    started = finance_client.post("/reconciliation/checks/subscriptions/run/")
    first = ReconciliationRun.objects.get()
    assert started.status_code == 302 and (first.check_name, first.status) == ("subscriptions", "queued")
    api = token_client(finance)
    again = api.post(
        "/api/v1/reconciliation/runs/", {"check": "subscriptions"}, content_type="application/json"
    )
    assert again.status_code == 202 and again.json()["id"] == first.pk  # the same check, already queued
    with pytest.raises(SystemExit):
        call_command("reconcile", "--help")
    assert "period_totals, subscriptions" in " ".join(capsys.readouterr().out.split())

    # A finished run's findings under their labels, on the run page and through the API.
    run = ReconciliationRun.objects.create(
        check_name="subscriptions",
        status=RunStatus.SUCCEEDED,
        counts={"counts": {"missing_in_salesforce": 1}, "field_counts": {}},
        finished_at=timezone.now(),
    )
    Mismatch.objects.create(
        run=run, check_name="subscriptions", kind="missing_in_salesforce", key="SUB-X", dedup_key="d"
    )
    assert (
        "Extra in NetSuite (no CPQ subscription)"
        in finance_client.get(f"/reconciliation/runs/{run.pk}/").content.decode()
    )
    (row,) = api.get(f"/api/v1/reconciliation/runs/{run.pk}/mismatches/").json()["results"]
    assert (row["kind"], row["finding"], row["finding_label"]) == (
        "missing_in_salesforce",
        "extra_in_netsuite",
        "Extra in NetSuite (no CPQ subscription)",
    )

    skipped = ReconciliationRun.objects.create(
        check_name="subscriptions",
        status=RunStatus.SKIPPED,
        note="Skipped: no CPQ here.",
        finished_at=timezone.now(),
    )
    assert (
        "Skipped: no CPQ here." in finance_client.get(f"/reconciliation/runs/{skipped.pk}/").content.decode()
    )
    assert api.get(f"/api/v1/reconciliation/runs/{skipped.pk}/").json()["note"] == "Skipped: no CPQ here."
