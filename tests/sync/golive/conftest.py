"""Pre-existing NetSuite customers and contacts for the go-live assistant, made over HTTPS through the
real connector: exact matches, a near duplicate, an ambiguous pair, a shared company domain alone, one
already linked, and none."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from sync.connections.connectors.netsuite import NetSuiteConnector
from sync.connections.connectors.salesforce import SalesforceConnector
from sync.connections.models import Connection
from sync.mappings.services.seed import mapping_seed_defaults
from tests.sync.pipeline.conftest import ns, sf  # noqa: F401


@dataclass(frozen=True)
class GoLiveWorld:
    """Salesforce id -> the NetSuite id it should be linked to, and who should be a suspect."""

    links: dict[str, str]  # confident matches
    suspects: dict[str, list[str]]  # Salesforce id -> candidate NetSuite ids
    already_linked: dict[str, str]
    accounts: int
    contacts: int


def _customer(ns: NetSuiteConnector, name: str, country: str, **extra: Any) -> str:  # noqa: F811
    billing = {"label": "Billing", "defaultBilling": True, "addressBookAddress": {"country": country}}
    body = {"companyName": name, "subsidiary": {"id": "1"}, "addressBook": {"items": [billing]}, **extra}
    return ns.create("customer", body)


@pytest.fixture
def golive_world(
    seeded_connections: tuple[Connection, Connection],
    sf: SalesforceConnector,  # noqa: F811
    ns: NetSuiteConnector,  # noqa: F811
) -> GoLiveWorld:
    mapping_seed_defaults()  # the published opportunity_to_netsuite mapping: default match keys
    accounts = list(sf.query("SELECT Id, Name, BillingCountry, Website FROM Account ORDER BY Id"))
    contacts = list(sf.query("SELECT Id, FirstName, LastName, Email FROM Contact ORDER BY Id"))
    exact, near, ambiguous, carried, by_domain = accounts[:5]
    links = {
        # The same company, legal form and case aside, in the same country.
        exact["Id"]: _customer(ns, exact["Name"].upper() + " Inc.", exact["BillingCountry"]),
    }
    suspects = {
        # Near duplicate: the same name, but billed in another country.
        near["Id"]: [_customer(ns, near["Name"], "GB" if near["BillingCountry"] != "GB" else "DE")],
        # Ambiguous: two customers with the same name and country.
        ambiguous["Id"]: [_customer(ns, ambiguous["Name"], ambiguous["BillingCountry"]) for _ in range(2)],
        # Another name, only its e-mail at the account's web domain (the second key): a shared company
        # domain alone is evidence for a person, never a link.
        by_domain["Id"]: [
            _customer(
                ns,
                "Completely Other Trading",
                by_domain["BillingCountry"],
                email="billing@" + by_domain["Website"].removeprefix("https://www."),
            )
        ],
    }
    already = {carried["Id"]: _customer(ns, "Renamed Long Ago", "US", externalId=carried["Id"])}
    first, second = contacts[:2]
    links[first["Id"]] = ns.create(
        "contact", {"firstName": "H.", "lastName": first["LastName"], "email": first["Email"].upper()}
    )
    suspects[second["Id"]] = [
        ns.create("contact", {"firstName": second["FirstName"], "lastName": "x", "email": second["Email"]})
        for _ in range(2)
    ]
    return GoLiveWorld(links, suspects, already, len(accounts), len(contacts))
