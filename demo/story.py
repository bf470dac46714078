"""The demo's story: a few simulated weeks of a company using Concord, played before the console opens.

Nothing here writes a Concord row itself. The people of the story act where they would act: sales
reps close opportunities in the Salesforce simulator through its REST API, NetSuite bills orders,
collects payments and corrects a price (the simulator's REST API and control endpoints), RevOps and
Finance submit, approve and publish the shipped rules, people work the exception queue, and an admin
runs the reconciliation; all of them through Concord's own services. Concord's side runs the very
functions its worker runs (``sync.pipeline.tasks``: the catch-up poll, the inbox drain, the return
flow), in this process.

Time: the dashboard charts Concord's own timestamps (jobs per day, quote to cash, exception ages),
so each simulated day runs with Concord's clock (``django.utils.timezone.now``, which every model and
service reads) set back to that day. Only that clock moves: ``time.time()`` stays real, so OAuth
signatures, tokens and leases keep agreeing with the simulators, which run on the real clock. The
patch lives in this module only, used by the ``demo_story`` command; nothing in the product imports it.

The story plays once per database: :func:`story_played` is true as soon as Concord has run a sync job,
so a second ``make demo`` starts the console on the history the first one wrote.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from unittest import mock

import requests
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.utils import timezone

from demo.launcher import DEMO_LISTENER, SimulatorPlan
from reconciliation.checks import CHECKS
from reconciliation.models import ReconciliationRun, RunTrigger
from reconciliation.services import reconciliation_run
from simulators.netsuite.client import RestClient
from simulators.salesforce import login as salesforce_login
from simulators.salesforce.org import DEFAULT_ORG_ID
from sync.connections.models import Connection
from sync.connections.watch import connection_watch
from sync.exceptions.actions import (
    exception_assign,
    exception_comment,
    exception_escalate,
    exception_ignore,
    exception_resolve,
)
from sync.exceptions.models import ACTIVE_STATUSES, ExceptionItem, ExceptionStatus
from sync.exceptions.netsuite_lists import netsuite_lists_read
from sync.pipeline import tasks
from sync.pipeline.backfills import backfill_start
from sync.pipeline.listener.services import listener_create
from sync.pipeline.models import Backfill, BackfillStatus, Listener, RecordStatus, SyncJob, SyncRecord
from sync.pipeline.returns import return_flow_run
from sync.rules.models import RuleVersion
from sync.rules.services import rule_version_approve, rule_version_publish, rule_version_submit

SALESFORCE_API = "/services/data/v62.0"
RETURN_FLOW_OVERLAP = dt.timedelta(seconds=1)
REAL_NOW: Callable[[], dt.datetime] = timezone.now  # the real clock, kept before any patch


@dataclass(frozen=True)
class StoryPlan:
    """How long the story lasts and how busy the company is (small enough for a minute on two cores)."""

    days: int = 21
    deals_per_day: int = 2
    rules_day: int = 3  # RevOps submits the shipped rules, Finance approves and publishes them
    invoice_after_days: int = 1  # NetSuite bills an order 1 to 4 days after it arrives
    pay_after_days: int = 3  # customers pay (most of) an invoice 3 to 10 days after it is issued
    price_correction_day: int = -2  # counted from the end: NetSuite corrects a price on an order


@dataclass
class StoryLog:
    """What happened, for the summary the demo prints (counts read back from Concord's tables)."""

    days: int = 0
    backfilled: int = 0
    closed_won: int = 0
    invoiced: int = 0
    paid: int = 0
    published_rules: int = 0
    price_corrections: list[str] = field(default_factory=list)
    people: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        records = SyncRecord.objects.all()
        exceptions = ExceptionItem.objects.all()
        states = ", ".join(
            f"{exceptions.filter(status=status).count()} {label.lower()}"
            for status, label in ExceptionStatus.choices
            if exceptions.filter(status=status).exists()
        )
        mismatches = sum(run.mismatch_total for run in _reconciliation_runs())
        return [
            f"The story: {self.days} simulated days before today.",
            f"  {self.backfilled} earlier deals backfilled at go-live, then {self.closed_won} opportunities "
            f"closed won in Salesforce; {_deals(records.filter(status=RecordStatus.SYNCED))} deals synced "
            f"to NetSuite, {_deals(records.filter(status=RecordStatus.BLOCKED))} blocked by the "
            f"{self.published_rules} published rules, "
            f"{_deals(records.filter(status=RecordStatus.FAILED))} failed.",
            f"  NetSuite billed {self.invoiced} orders and took {self.paid} payments; the return flow "
            "brought them back to Salesforce.",
            f"  Reconciliation: {len(_reconciliation_runs())} checks run, {mismatches} mismatches "
            f"(after NetSuite corrected a price on {', '.join(self.price_corrections) or 'no order'}).",
            f"  Exceptions: {states}.",
            *(f"  {line}" for line in self.people),
        ]


def story_played() -> bool:
    """Whether this database already has the history of a story (or of real use): then it is not replayed."""
    return SyncJob.objects.exists()


@contextmanager
def concord_clock(day: dt.date, hour: int) -> Iterator[dt.datetime]:
    """Concord's clock at ``hour`` (UTC) on ``day``, ticking with the real clock; never ahead of it."""
    target = min(dt.datetime.combine(day, dt.time(hour), tzinfo=dt.UTC), REAL_NOW() - dt.timedelta(minutes=1))
    offset = REAL_NOW() - target
    with mock.patch("django.utils.timezone.now", lambda: REAL_NOW() - offset):
        yield timezone.now()


class Story:
    """One play of the story against the running simulators of ``simulators``."""

    def __init__(self, *, simulators: SimulatorPlan, plan: StoryPlan | None = None) -> None:
        self.simulators = simulators
        self.plan = plan or StoryPlan()
        self.log = StoryLog()
        self.salesforce = _salesforce_session(simulators)
        self.netsuite = RestClient(simulators.url(simulators.netsuite_port), str(simulators.ca_file))
        self.control = requests.Session()
        self.control.trust_env = False
        self.control.verify = str(simulators.ca_file)
        users = get_user_model().objects
        self.revops, self.finance, self.admin = (
            users.get(username=n) for n in ("revops", "finance", "admin")
        )
        # NetSuite's side of the business, as its people track it: order id -> day it arrived, ...
        self.orders: dict[str, dt.date] = {}
        self.invoices: dict[str, tuple[str, dt.date]] = {}  # order id -> (invoice id, day billed)
        self.collected: set[str] = set()  # invoices whose customer has paid or decided to be late
        self.typo: tuple[str, float] | None = None  # the deal a rep closed with a mistyped amount

    # -- the whole story ---------------------------------------------------------------------------

    def play(self, *, say: Callable[[str], None] = lambda line: None) -> StoryLog:
        _listener_ensure()
        today = REAL_NOW().date()
        first = today - dt.timedelta(days=self.plan.days - 1)
        for number in range(self.plan.days):
            self.day(number, first + dt.timedelta(days=number))
            self.log.days += 1
            if number % 7 == 6:
                say(f"  ... week {number // 7 + 1} played")
        return self.log

    def day(self, number: int, day: dt.date) -> None:
        last = self.plan.days - 1
        with concord_clock(day, 8 + number % 4):  # the morning: deals close and sync as they are won
            connection_watch()  # the connection watch's morning check, as its schedule would run it
            if number == 0:
                self.lists_read()
                self.backfill_history(day)
            else:
                self.close_won(day, self.plan.deals_per_day, typo=number == self.plan.rules_day + 1)
            if number == self.plan.days // 2:
                self.rep_fixes_the_typo()
            tasks.catch_up_poll()
            tasks.inbox_drain()
        with concord_clock(day, 13 + number % 3):  # the afternoon: finance in NetSuite, rules, the queue
            if number == self.plan.rules_day:
                self.rules_publish()
            self.orders_note(day)
            self.netsuite_bills_and_collects(day)
            if number == last + self.plan.price_correction_day:
                self.netsuite_corrects_a_price()
            self.return_flow()
            self.people_work_exceptions(number)
        if number == last:
            with concord_clock(day, 17):
                self.reconcile()

    def lists_read(self) -> None:
        """The admin reads NetSuite's subsidiaries and lists with their names (grants name them)."""
        netsuite = _listener_ensure().netsuite_connection
        read = netsuite_lists_read(connection=netsuite, user=self.admin)
        self.log.people.append(
            f"admin read {read.subsidiaries} subsidiaries and {sum(read.lists.values())} list values "
            f"from {read.connection}."
        )

    # -- go-live: the admin brings in the deals won before Concord ---------------------------------

    def backfill_history(self, day: dt.date) -> None:
        """The admin backfills the won opportunities of the last years (the seeded history), batch by
        batch through the worker's own task, as the console's "Backfill" button would have it run."""
        listener = _listener_ensure()
        backfill = backfill_start(
            actor=self.admin,
            salesforce=listener.salesforce_connection,
            netsuite=listener.netsuite_connection,
            since=day - dt.timedelta(days=3 * 365),
        )
        step = 0
        while Backfill.objects.filter(pk=backfill.pk, status=BackfillStatus.QUEUED).exists():
            tasks.backfill_run(backfill.pk, step)
            step += 1
        backfill.refresh_from_db()
        self.log.backfilled = backfill.done
        self.log.people.append(f"admin backfilled {backfill.done} deals won before go-live.")

    # -- Salesforce: sales reps close deals --------------------------------------------------------

    def close_won(self, day: dt.date, count: int, *, typo: bool = False) -> None:
        """Close the next ``count`` open opportunities won; with ``typo``, the rep mistypes the amount of
        one that is otherwise clean (100 more than its quote), which the published rules then block."""
        soql = f"SELECT Id FROM Opportunity WHERE IsClosed = false ORDER BY Id LIMIT {int(count)}"  # noqa: S608
        for row in self._query(soql):
            fields: dict[str, Any] = {"StageName": "Closed Won", "CloseDate": day.isoformat()}
            net = self._clean_quote_amount(row["Id"]) if typo and self.typo is None else None
            if net is not None:
                fields["Amount"] = net + 100
                self.typo = (row["Id"], net)
            self._sf_patch("Opportunity", row["Id"], fields)
            self.log.closed_won += 1

    def rep_fixes_the_typo(self) -> None:
        """The rep corrects the amount: the next poll syncs the deal and its exception resolves itself."""
        if self.typo is not None:
            opportunity, net = self.typo
            self._sf_patch("Opportunity", opportunity, {"Amount": net})
            self.log.people.append(f"A sales rep corrected the mistyped amount on {opportunity}.")

    def _clean_quote_amount(self, opportunity: str) -> float | None:
        """The primary quote's net amount when the deal would pass the shipped rules (its amount agrees,
        no unapproved discount, a billing country); None otherwise."""
        deal = self._query(
            f"SELECT Amount, Account.BillingCountry FROM Opportunity WHERE Id = '{opportunity}'"  # noqa: S608
        )
        quotes = self._query(
            "SELECT Id, SBQQ__NetAmount__c FROM SBQQ__Quote__c "  # noqa: S608 - ids Salesforce gave us
            f"WHERE SBQQ__Opportunity2__c = '{opportunity}' AND SBQQ__Primary__c = true"
        )
        if not deal or not quotes or not (deal[0].get("Account") or {}).get("BillingCountry"):
            return None
        net = float(quotes[0]["SBQQ__NetAmount__c"] or 0)
        discounted = self._query(
            "SELECT Id FROM SBQQ__QuoteLine__c "  # noqa: S608
            f"WHERE SBQQ__Quote__c = '{quotes[0]['Id']}' AND SBQQ__AdditionalDiscount__c > 20"
        )
        return net if not discounted and float(deal[0]["Amount"] or 0) == net else None

    def _query(self, soql: str) -> list[dict[str, Any]]:
        answer = self.salesforce.get(f"{self._sf()}/query", params={"q": soql}, timeout=30)
        answer.raise_for_status()
        return list(answer.json()["records"])

    def _sf_patch(self, sobject: str, record_id: str, fields: dict[str, Any]) -> None:
        url = f"{self._sf()}/sobjects/{sobject}/{record_id}"
        self.salesforce.patch(url, json=fields, timeout=30).raise_for_status()

    def _sf(self) -> str:
        return self.simulators.url(self.simulators.salesforce_port) + SALESFORCE_API

    # -- NetSuite: billing, collections, a price correction ----------------------------------------

    def orders_note(self, day: dt.date) -> None:
        for ids in SyncRecord.objects.filter(status=RecordStatus.SYNCED).values_list(
            "netsuite_ids", flat=True
        ):
            order = str((ids or {}).get("sales_order") or "")
            if order:
                self.orders.setdefault(order, day)

    def netsuite_bills_and_collects(self, day: dt.date) -> None:
        # How long each order waits and each customer takes varies by record, the same on every play.
        due = [
            order
            for order, arrived in sorted(self.orders.items())
            if order not in self.invoices
            and (day - arrived).days >= self.plan.invoice_after_days + int(order) % 4
        ]
        for result in self._control(
            "invoice-orders", {"salesOrders": [int(o) for o in due]} if due else None
        ):
            # An error means billed already (a replay over the same simulators): nothing new to collect.
            self.invoices[str(result["salesOrder"])] = (str(result.get("invoice") or ""), day)
            self.log.invoiced += 1 if result.get("invoice") else 0
        payable = [
            invoice
            for invoice, billed in sorted(self.invoices.values())
            if invoice
            and invoice not in self.collected
            and (day - billed).days >= self.plan.pay_after_days + int(invoice) % 8
        ]
        for invoice in payable:
            self.collected.add(invoice)
            if int(invoice) % 5 == 4:
                continue  # this customer is late: the invoice stays open (DSO and the reconciliation see it)
            fraction = 0.5 if int(invoice) % 3 == 2 else 1.0  # some pay half
            paid = self._control("pay-invoices", {"invoices": [int(invoice)], "fraction": fraction})
            self.log.paid += sum(1 for result in paid if result.get("customerPayment"))

    def netsuite_corrects_a_price(self) -> None:
        """An accountant grants a 2% goodwill discount on line 1 of the newest order, in NetSuite only."""
        order = max(self.orders, key=lambda o: (self.orders[o], int(o)), default="")
        if not order:
            return
        record = self.netsuite.get("salesOrder", order, expandSubResources="true")
        lines = record.get("item", {}).get("items", [])
        if not lines:
            return
        amount = round(float(lines[0].get("amount") or 0) * 0.98, 2)
        answer = self.netsuite.request(
            "PATCH",
            f"record/v1/salesOrder/{order}",
            json={"item": {"items": [{"line": lines[0].get("line", 1), "amount": amount}]}},
        )
        if answer.status_code < 300:
            self.log.price_corrections.append(f"order {record.get('tranId') or order}")

    def _control(self, action: str, body: dict[str, Any] | None) -> list[dict[str, Any]]:
        if body is None:
            return []
        url = f"{self.simulators.url(self.simulators.netsuite_port)}/_control/netsuite/{action}"
        answer = self.control.post(url, json=body, timeout=60)
        answer.raise_for_status()
        return list(answer.json()["results"])

    def return_flow(self) -> None:
        """What the worker's ``return_flow`` task runs, with a one-second overlap: the overlap (minutes)
        guards against clock skew and late commits between real runs minutes apart, but the story's days
        are seconds apart on NetSuite's clock, so the task's default would re-read every earlier day."""
        for salesforce, netsuite in tasks.served_pairs():
            return_flow_run(salesforce=salesforce, netsuite=netsuite, overlap=RETURN_FLOW_OVERLAP)

    # -- Concord's people --------------------------------------------------------------------------

    def rules_publish(self) -> None:
        """RevOps submits the shipped rules it drafted; Finance (four eyes) approves and publishes them."""
        for version in RuleVersion.objects.filter(status="draft", created_by=self.revops).order_by("pk"):
            rule_version_submit(version=version, user=self.revops, reason="Ready to enforce on new deals")
            rule_version_approve(version=version, user=self.finance, reason="Matches our order policy")
            rule_version_publish(version=version, user=self.finance, reason="Go live")
            self.log.published_rules += 1
        self.log.people.append(
            f"RevOps submitted {self.log.published_rules} shipped rules; Finance approved and published them."
        )

    def people_work_exceptions(self, number: int) -> None:
        """Now and then someone works the queue: assigns, resolves, ignores, escalates, comments."""
        days = self.plan.days
        active = ExceptionItem.objects.filter(status__in=ACTIVE_STATUSES).order_by("first_seen", "pk")
        if number in (days // 4, days // 2, days * 3 // 4):
            for item in active.filter(owner_user=None, owner_group=None)[:2]:
                self._act("assigned", exception_assign, item=item, user=self.revops, owner_user=self.finance)
        if number == max(1, days * 2 // 5):
            self._act(
                "resolved", exception_resolve, item=active.first(), user=self.revops, reason="Quote fixed"
            )
        if number == max(2, days * 3 // 5):
            self._act(
                "ignored", exception_ignore, item=active.last(), user=self.finance, reason="Test account"
            )
        if number == days - 2:
            self._act(
                "escalated", exception_escalate, item=active.first(), user=self.finance, reason="Overdue"
            )
            self._act(
                "commented", exception_comment, item=active.last(), user=self.revops, text="Asked the rep"
            )

    def _act(
        self, what: str, action: Callable[..., Any], *, item: ExceptionItem | None, **kwargs: Any
    ) -> None:
        if item is None:
            return
        try:
            action(item=item, **kwargs)
        except (ValidationError, PermissionDenied) as refused:
            # The console would show the same refusal (e.g. no escalation path yet): the story moves on.
            self.log.people.append(f"Not {what} ({item.title[:50]}): {_text(refused)}")
            return
        self.log.people.append(
            f"{kwargs['user'].get_username()} {what} exception #{item.pk}: {item.title[:60]}"
        )

    def reconcile(self) -> None:
        for check in CHECKS:
            reconciliation_run(check=check, actor=self.admin, trigger=RunTrigger.CONSOLE)


def _reconciliation_runs() -> list[ReconciliationRun]:
    """The latest run of each check."""
    latest: dict[str, ReconciliationRun] = {}
    for run in ReconciliationRun.objects.order_by("-pk"):
        latest.setdefault(run.check_name, run)
    return list(latest.values())


def _deals(records: QuerySet[SyncRecord]) -> int:
    return records.values("opportunity_id").distinct().count()


def _text(error: Exception) -> str:
    messages = getattr(error, "messages", None)
    return "; ".join(messages) if messages else str(error)


def _salesforce_session(simulators: SimulatorPlan) -> requests.Session:
    """A Salesforce user's API session (the demo credentials), trusting the simulators' CA."""
    session = requests.Session()
    session.trust_env = False
    session.verify = str(simulators.ca_file)
    session.headers.update(
        salesforce_login.bearer_headers(session, simulators.url(simulators.salesforce_port))
    )
    return session


def _listener_ensure() -> Listener:
    """The Closed Won listener whose connection pair the worker's tasks serve (its URL is wired into the
    Salesforce simulator once the console runs: demo.launcher.demo_listener_ensure)."""
    listener = Listener.objects.filter(name=DEMO_LISTENER).first()
    if listener is None:
        listener, _ = listener_create(
            name=DEMO_LISTENER,
            salesforce_connection=Connection.objects.get(name="salesforce-sandbox"),
            netsuite_connection=Connection.objects.get(name="netsuite-sandbox"),
            allowed_org_id=DEFAULT_ORG_ID,
        )
    return listener
