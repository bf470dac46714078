"""Two Salesforce orgs feeding one NetSuite account, over HTTPS: the harness of the multi-integration tests.

``two_orgs`` starts, each in its own data directory:

- org A: the default Salesforce simulator (multi-currency, USD, CPQ, Concord's custom fields), seeded with
  :data:`tests.sync.conftest.SEEDED` (the ``seeded_simulators`` fixture, so the ``sf``/``ns`` fixtures of
  ``tests/sync/pipeline`` talk to the same org and account);
- org B: an acquired company's org (:data:`simulators.salesforce.shape.ACME_SHAPE`: single-currency in EUR,
  its own custom fields and sync status field names), seeded with :data:`ACME_DATA`: other companies, the
  same number of records, so the same record ids as org A;
- one OneWorld NetSuite account (subsidiaries US/USD parent, UK/GBP, DE/EUR, AU/AUD, JP/JPY).

It stores the three connections as an admin would (encrypted secrets, the simulators' CAs), points the
primary integration at org A and the NetSuite account, creates integration ``acme`` (namespace ``ACQ``)
with org B and the same account, seeds the shipped configuration for the primary and hands it to ``acme``
through :func:`two_orgs_config_seed`. :class:`TwoOrgs` carries it all, with helpers that make a Closed
Won deal in either org as a sales rep would.
"""
# ruff: noqa: S608 - the f-strings build SOQL for the simulators

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from simple_salesforce import Salesforce

from simulators.core.runner import RunningSimulator, start_in_thread
from simulators.dataset import Dataset
from simulators.salesforce import ids, login
from simulators.salesforce.seed import seed as seed_salesforce
from simulators.salesforce.shape import ACME_SHAPE
from simulators.salesforce.spec import SPEC as SALESFORCE_SPEC
from sync.connections.connectors.netsuite import NetSuiteConnector
from sync.connections.connectors.salesforce import SalesforceConnector
from sync.connections.models import Connection
from sync.connections.services import netsuite_connector, salesforce_connector
from sync.integrations.models import Integration
from sync.integrations.selectors import primary_integration
from sync.mappings.services.seed import mapping_seed_defaults
from sync.onboarding.copying import CopyReport
from sync.onboarding.services import integration_update
from tests.simulators.conftest import https_session
from tests.sync.conftest import SEEDED, salesforce_connection_for
from tests.sync.integrations.support import config_live

# Org B's data: other companies (another seed), as many records as org A's, so the seeded ids are equal.
ACME_DATA = Dataset(
    seed=SEEDED.seed + 1,
    accounts=SEEDED.account_count,
    opportunities_per_account=SEEDED.opportunities_per_account,
)
ACME_ORG_ID = ids.make_id("00D", 2_000_002, pod="7x")
ACME_NAME = "acme"
ACME_NAMESPACE = "ACQ"
ACME_CONNECTION = "sf-acme"
FLOW_KEY = "opportunity_to_netsuite"
# Where org B keeps the sync status (the simulator's ``acme`` field set).
ACME_STATUS_FIELDS = {
    "salesforce": {
        sobject: {
            "status": "ERP_Sync_Status__c",
            "message": "ERP_Sync_Error__c",
            "time": "ERP_Last_Synced__c",
        }
        for sobject in ("Opportunity", "Account", "Contact")
    }
}
# A deal's lines: a CPQ package of two products (code, quantity, net price, parent code).
PACKAGE_LINES: tuple[tuple[str, float, float, str | None], ...] = (
    ("PKG-GROWTH", 1, 0.0, None),
    ("PLAT-CORE", 10, 50.0, "PKG-GROWTH"),
    ("SUP-PREM", 5, 20.0, "PKG-GROWTH"),
)


def salesforce_client(running: RunningSimulator) -> Any:
    """A sales rep's view of an org: unmodified simple-salesforce over HTTPS (not Concord's connector)."""
    session = https_session(running.ca_file)
    token = login.password_token(session, running.url)
    return Salesforce(
        instance_url=token["instance_url"], session_id=token["access_token"], session=session, version="62.0"
    )


@dataclass(frozen=True)
class WonDeal:
    """The ids of a Closed Won deal made by :meth:`Org.closed_won` (ids, not Concord's records)."""

    opportunity: str
    account: str
    contact: str
    quote: str
    lines: dict[str, str]


@dataclass
class Org:
    """One Salesforce org: its simulator, its stored connection and the integration it belongs to."""

    key: str  # "a" or "b"
    simulator: RunningSimulator
    connection: Connection
    integration: Integration
    # The currency its records carry; None for a single-currency org (no CurrencyIsoCode on any record).
    currency: str | None
    corporate_currency: str
    # Custom fields this org's records get when a deal is made (org B's Region__c and deal code).
    account_fields: dict[str, Any] = field(default_factory=dict)
    _client: Any = None

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = salesforce_client(self.simulator)
        return self._client

    def connector(self) -> SalesforceConnector:
        """Concord's connector to this org, built from the stored connection."""
        return salesforce_connector(self.connection)

    def closed_won(
        self,
        name: str,
        *,
        country: str = "US",
        lines: tuple[tuple[str, float, float, str | None], ...] = PACKAGE_LINES,
        deal_code: str | None = None,
        email_domain: str | None = None,
        **opportunity_fields: Any,
    ) -> WonDeal:
        """A new customer's deal, quoted in CPQ (``lines``: a package by default), then set Closed Won.

        In org B the account gets the region of its country and the deal ``deal_code`` (its
        ``Acme_Deal_Code__c``, the deal's name upper-cased when not given).
        """
        sf = self.client
        priced = {"CurrencyIsoCode": self.currency} if self.currency else {}
        products = {
            r["ProductCode"]: r["Id"] for r in sf.query_all("SELECT Id, ProductCode FROM Product2")["records"]
        }
        account_extra = dict(self.account_fields)
        if "Region__c" in account_extra:
            account_extra["Region__c"] = {"DE": "DACH", "AT": "DACH", "GB": "UK&I", "IE": "UK&I"}.get(country)
        # Each company its own e-mail domain: matching before create takes a shared domain for one company.
        domain = email_domain or f"{''.join(ch for ch in name.lower() if ch.isalnum())[:30]}.example"
        account = sf.Account.create({"Name": name, "BillingCountry": country, **priced, **account_extra})[
            "id"
        ]
        contact = sf.Contact.create(
            {"AccountId": account, "FirstName": "Pat", "LastName": name, "Email": f"pat@{domain}", **priced}
        )["id"]
        deal_fields = dict(opportunity_fields)
        if self.key == "b":
            deal_fields.setdefault("Acme_Deal_Code__c", (deal_code or name).upper().replace(" ", "-")[:20])
        total = sum(quantity * price for _, quantity, price, _ in lines)
        opportunity = sf.Opportunity.create(
            {
                "Name": f"{name} - New",
                "AccountId": account,
                "StageName": "Negotiation/Review",
                "CloseDate": "2026-12-01",
                "Amount": total,
                **priced,
                **deal_fields,
            }
        )["id"]
        sf.OpportunityContactRole.create(
            {"OpportunityId": opportunity, "ContactId": contact, "Role": "Decision Maker", "IsPrimary": True}
        )
        quote = sf.SBQQ__Quote__c.create(
            {
                "SBQQ__Opportunity2__c": opportunity,
                "SBQQ__Account__c": account,
                "SBQQ__Primary__c": True,
                "SBQQ__StartDate__c": "2026-12-01",
                "SBQQ__EndDate__c": "2027-11-30",
                "SBQQ__SubscriptionTerm__c": 12,
                "SBQQ__BillingFrequency__c": "Annual",
                **priced,
            }
        )["id"]
        made: dict[str, str] = {}
        for code, quantity, price, parent in lines:
            made[code] = sf.SBQQ__QuoteLine__c.create(
                {
                    "SBQQ__Quote__c": quote,
                    "SBQQ__Product__c": products[code],
                    "SBQQ__Number__c": len(made) + 1,
                    "SBQQ__Quantity__c": quantity,
                    "SBQQ__ListPrice__c": price,
                    "SBQQ__NetPrice__c": price,
                    "SBQQ__NetTotal__c": price * quantity,
                    "SBQQ__RequiredBy__c": made[parent] if parent else None,
                    "SBQQ__SubscriptionTerm__c": 12,
                }
            )["id"]
        sf.Opportunity.update(opportunity, {"StageName": "Closed Won"})
        return WonDeal(opportunity, account, contact, quote, made)


@dataclass
class TwoOrgs:
    a: Org
    b: Org
    netsuite: RunningSimulator
    netsuite_connection: Connection
    # What two_orgs_config_seed did for integration acme (None: nothing to copy with yet).
    config_copy_report: object | None = None

    @property
    def primary(self) -> Integration:
        return self.a.integration

    @property
    def acme(self) -> Integration:
        return self.b.integration

    @property
    def orgs(self) -> tuple[Org, Org]:
        return (self.a, self.b)

    @property
    def connections(self) -> tuple[Connection, Connection, Connection]:
        """Org A's, org B's and the NetSuite account's."""
        return (self.a.connection, self.b.connection, self.netsuite_connection)

    def ns(self) -> NetSuiteConnector:
        """Concord's connector to the NetSuite account (unthrottled, for test reads)."""
        return netsuite_connector(self.netsuite_connection, limited=False)


def two_orgs_config_seed(primary: Integration, acme: Integration, actor: User) -> CopyReport:
    """The primary gets the shipped configuration published as version 1 (as the demo seeds it); ``acme``
    starts as a copy of it, made live through the review (RevOps submits, Finance approves and publishes)
    and runs it unedited: its org being single-currency needs no mapping edit (Concord supplies the org's
    currency where the mapping reads ``CurrencyIsoCode`` and leaves it out of what it writes back). Only
    its sync status goes to the org's own fields (``ERP_Sync_*``)."""
    mapping_seed_defaults()
    report = config_live(primary, acme)
    integration_update(integration=acme, actor=actor, status_fields=ACME_STATUS_FIELDS)
    return report


@pytest.fixture
def acme_simulator(tmp_path: Path) -> Iterator[RunningSimulator]:
    """Org B's simulator, seeded with :data:`ACME_DATA` in :data:`ACME_SHAPE`."""
    data_dir = tmp_path / "acme"
    seed_salesforce(data_dir, ACME_DATA, **ACME_SHAPE)
    running = start_in_thread(SALESFORCE_SPEC, data_dir, org_id=ACME_ORG_ID, **ACME_SHAPE)
    yield running
    running.stop()


@pytest.fixture
def two_orgs(
    admin: User,
    seeded_simulators: tuple[RunningSimulator, RunningSimulator],
    seeded_connections: tuple[Connection, Connection],
    acme_simulator: RunningSimulator,
) -> TwoOrgs:
    """Org A (primary), org B (integration ``acme``, namespace ``ACQ``) and one NetSuite account."""
    salesforce_a, netsuite = seeded_connections
    salesforce_b = salesforce_connection_for(acme_simulator, name=ACME_CONNECTION)
    primary = primary_integration()
    primary.salesforce_connection = salesforce_a
    primary.netsuite_connection = netsuite
    primary.save()
    acme = Integration.objects.create(
        name=ACME_NAME,
        label="Acme (acquired)",
        namespace=ACME_NAMESPACE,
        salesforce_connection=salesforce_b,
        netsuite_connection=netsuite,
        based_on=primary,
    )
    report = two_orgs_config_seed(primary, acme, admin)
    return TwoOrgs(
        a=Org("a", seeded_simulators[0], salesforce_a, primary, currency="USD", corporate_currency="USD"),
        b=Org(
            "b",
            acme_simulator,
            salesforce_b,
            acme,
            currency=None,
            corporate_currency=ACME_SHAPE["corporate_currency"],
            account_fields={"Region__c": None},
        ),
        netsuite=seeded_simulators[1],
        netsuite_connection=netsuite,
        config_copy_report=report,
    )
