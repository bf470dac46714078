"""Sync status write-back and NetSuite stamp with doubles (unit): what is sent, to whom, when nothing."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from django.test import override_settings

from sync.connections.connectors.salesforce import RecordResult, SalesforceConnector
from sync.pipeline.models import FailureCategory, RecordStatus
from sync.pipeline.sync_status import outcome_message, success_stamp
from sync.pipeline.writeback import graph_query, write_back
from sync.pipeline.writer import Failure, Known, OpportunityOutcome, Written
from tests.sync.pipeline.test_writer import GRAPHS, FakeNetSuite, writer

NOW_FIELDS = ("Concord_Last_Sync__c",)


class FakeSalesforce:
    def __init__(self) -> None:
        self.updates: list[tuple[str, list[dict[str, Any]]]] = []
        self.calls = 0

    def collections_update_mixed(self, records: Sequence[tuple[str, dict[str, Any]]]) -> list[RecordResult]:
        self.calls += 1
        for sobject, record in records:  # one entry per run of one object's records
            if not self.updates or self.updates[-1][0] != sobject:
                self.updates.append((sobject, []))
            self.updates[-1][1].append(dict(record))
        return [RecordResult(r["Id"], True) for _, r in records]

    def sent(self, sobject: str) -> dict[str, dict[str, Any]]:
        return {
            r["Id"]: {k: v for k, v in r.items() if k not in ("Id", *NOW_FIELDS)}
            for name, records in self.updates
            if name == sobject
            for r in records
        }


def graph(opportunity: str, account: str, contacts: Sequence[str], **held: Any) -> dict[str, Any]:
    """An opportunity graph as the runner reads it, every record holding ``held`` (status fields...)."""
    return {
        "Id": opportunity,
        "AccountId": account,
        **held,
        "Account": {"Id": account, **held},
        "OpportunityContactRoles": {"records": [{"ContactId": c, "Contact": {**held}} for c in contacts]},
    }


def synced(opportunity: str, ids: dict[str, str]) -> OpportunityOutcome:
    return OpportunityOutcome(opportunity, status=RecordStatus.SYNCED, netsuite_ids=ids)


def failed(opportunity: str, object_key: str, message: str) -> OpportunityOutcome:
    outcome = OpportunityOutcome(opportunity, status=RecordStatus.FAILED)
    outcome.failures.append(Failure(FailureCategory.VENDOR, message, object_key=object_key))
    return outcome


def run(outcomes: list[tuple[OpportunityOutcome, dict[str, Any]]]) -> FakeSalesforce:
    fake = FakeSalesforce()
    assert write_back(cast(SalesforceConnector, fake), outcomes) == []
    return fake


def test_it_names_the_failing_object_in_the_message() -> None:
    assert outcome_message(failed("006A", "customer", "Subsidiary is required")) == (
        "customer: Subsidiary is required"
    )
    blocked = failed("006A", "discount v3", "Discount above 20%")
    blocked.status = RecordStatus.BLOCKED
    assert outcome_message(blocked) == "Blocked: Discount above 20%"
    assert outcome_message(synced("006A", {})) == ""


def test_it_writes_status_ids_and_time_on_every_record_the_flow_touched() -> None:
    ids = {"customer": "11", "contact[003A]": "21", "sales_order": "31"}
    fake = run([(synced("006A", ids), graph("006A", "001A", ["003A"]))])
    status = {"Concord_Sync_Status__c": "Synced", "Concord_Sync_Message__c": None}
    assert fake.sent("Opportunity") == {"006A": {**status, "NetSuite_Sales_Order_Id__c": "31"}}
    assert fake.sent("Account") == {"001A": {**status, "NetSuite_Id__c": "11"}}
    assert fake.sent("Contact") == {"003A": {**status, "NetSuite_Id__c": "21"}}
    assert all(r["Concord_Last_Sync__c"] for _, records in fake.updates for r in records)
    assert fake.calls == 1  # the three objects in one sObject Collections request


def test_it_makes_no_call_when_every_record_already_shows_the_outcome() -> None:
    held = {"Concord_Sync_Status__c": "Synced", "Concord_Sync_Message__c": None, "NetSuite_Id__c": "11"}
    current = graph("006A", "001A", [], NetSuite_Sales_Order_Id__c="31", **held)
    fake = run([(synced("006A", {"customer": "11", "sales_order": "31"}), current)])
    assert fake.updates == []


def test_an_error_wins_on_a_record_shared_with_a_success_and_keeps_the_ids_written() -> None:
    good = synced("006G", {"customer": "11", "sales_order": "31"})
    bad = failed("006B", "sales_order", "Invalid item reference")
    bad.written.append(Written("customer", "001A", "11", "001A", "customer", "h"))
    fake = run([(good, graph("006G", "001A", [])), (bad, graph("006B", "001A", []))])
    assert fake.sent("Account") == {
        "001A": {
            "NetSuite_Id__c": "11",
            "Concord_Sync_Status__c": "Error",
            "Concord_Sync_Message__c": "sales_order: Invalid item reference",
        }
    }
    assert fake.sent("Opportunity")["006B"]["Concord_Sync_Status__c"] == "Error"
    assert fake.sent("Opportunity")["006G"]["Concord_Sync_Status__c"] == "Synced"


@override_settings(
    SYNC_STATUS_FIELDS={
        "salesforce": {
            "Account": {"status": "Integration_Status__c", "message": "", "time": "Integration_Time__c"},
            "Contact": {},
        }
    }
)
def test_the_fields_come_from_settings_and_an_object_can_go_without() -> None:
    fake = run([(failed("006A", "customer", "Subsidiary is required"), graph("006A", "001A", ["003A"]))])
    (account,) = fake.sent("Account").values()
    assert account == {
        "Integration_Status__c": "Error",
        "Integration_Time__c": account["Integration_Time__c"],
    }
    assert fake.sent("Contact") == {}  # no status fields on contacts, and no id to write
    query = graph_query()
    assert "Integration_Status__c" in query.account and "Concord_Sync_Message__c" not in query.account
    assert not any("Concord_Sync" in name for name in query.contact_roles)


class RecordingNetSuite(FakeNetSuite):
    def __init__(self) -> None:
        super().__init__()
        self.bodies: list[tuple[str, dict[str, Any]]] = []

    def upsert(
        self, record_type: str, external_id: str, body: dict[str, Any], *, replace: list[str] | None = None
    ) -> str:
        self.bodies.append((record_type, body))
        return super().upsert(record_type, external_id, body, replace=replace)


def test_the_netsuite_stamp_rides_in_the_upsert_and_never_defeats_the_hash_skip() -> None:
    netsuite = RecordingNetSuite()
    first = writer(netsuite, stamp=success_stamp()).sync(GRAPHS[0])
    assert first.status == RecordStatus.SYNCED
    stamps = {
        t: (b.get("custentity_concord_sync_status"), b.get("custbody_concord_sync_status"))
        for t, b in netsuite.bodies
    }
    assert stamps["customer"] == ("Synced", None) and stamps["contact"] == ("Synced", None)
    assert stamps["salesOrder"] == (None, "Synced")
    assert all("custbody_concord_sync_status" not in b for t, b in netsuite.bodies if t == "billingAccount")
    # The hash is of the mapped payload alone: a second run knowing those hashes writes nothing.
    known = {(w.netsuite_type, w.external_id): Known(w.netsuite_id, w.payload_hash) for w in first.written}
    again = RecordingNetSuite()
    second = writer(again, stamp=success_stamp(), known=known).sync(GRAPHS[0])
    assert second.status == RecordStatus.SYNCED and second.writes == 0 and again.bodies == []


def test_the_graph_reads_every_salesforce_field_the_mapping_names() -> None:
    spec = {
        "objects": [
            {
                "key": "customer",
                "source_path": "Account",
                "fields": [{"source": "Industry"}, {"source": "name"}],
            },
            {
                "key": "contact",
                "for_each": "OpportunityContactRoles",
                "fields": [{"source": "Contact.Department"}, {"source": "^.Description"}],
            },
            {
                "key": "order",
                "fields": [
                    {"concat": [{"source": "Type"}, {"constant": "-"}, {"source": "$.Account.Site"}]},
                    {"source": "primary_quote.SBQQ__Notes__c"},
                    {
                        "each": "$.primary_quote.lines",
                        "fields": [
                            {"source": "SBQQ__Description__c"},
                            {
                                "each": "@children_of(SBQQ__RequiredBy__c)",
                                "fields": [{"source": "SBQQ__Number__c"}],
                            },
                        ],
                    },
                ],
            },
        ]
    }
    base, query = graph_query(), graph_query(spec)
    added = {
        section: set(getattr(query, section)) - set(getattr(base, section))
        for section in ("opportunity", "account", "contact_roles", "quote", "quote_line")
    }
    assert added == {
        "opportunity": {"Description", "Type"},
        "account": {"Industry", "Site", "name"},  # the base reads Account.Id only: Name comes from the row
        "contact_roles": {"Contact.Department"},
        "quote": {"SBQQ__Notes__c"},
        "quote_line": {"SBQQ__Description__c"},  # SBQQ__Number__c is read already
    }
