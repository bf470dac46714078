"""Writing NetSuite ids and sync status back to Salesforce, batched with sObject Collections.

The Opportunity, its Account and the Contacts of its contact roles each get the status of the last
Closed Won sync that involved them (``Synced`` / ``Error``), its message (``<object>: <reason>``, e.g.
``customer: Subsidiary is required``, or ``Blocked: <reason>``; empty once synced) and its time. Within
one batch an error wins: an account shared by a failing and a succeeding opportunity shows the error.

Only what changed is sent, and the time only with it: a record already holding the same ids, status and
message is left alone, so a re-run (or the catch-up poll seeing our own write-back move SystemModstamp)
costs no Salesforce call. The time is therefore when the status last changed, not when Concord last
looked: writing it on every run would cost calls and move SystemModstamp on every run, which the
catch-up poll would read as a new change, forever.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from sync.connections.connectors.errors import ConnectorError
from sync.connections.connectors.salesforce import GraphQuery, SalesforceConnector
from sync.integrations.models import Integration
from sync.pipeline.models import RecordStatus
from sync.pipeline.reads import read_plan
from sync.pipeline.sync_status import (
    ERROR,
    SALESFORCE_MESSAGE_LENGTH,
    SYNCED,
    StatusFields,
    outcome_message,
    status_fields,
)
from sync.pipeline.writer import OpportunityOutcome

NO_FIELDS = StatusFields()


def graph_query(
    spec: Mapping[str, Any] | None = None, *, more_opportunity_fields: Sequence[str] = ()
) -> GraphQuery:
    """The opportunity graph a batch running ``spec`` reads, unfiltered: the structure, the fields the
    write-back compares with (ids, status, message), every field the mapping ``spec`` reads (rows,
    conditions, transform options) and ``more_opportunity_fields`` (the trigger's checkbox). The runner
    adds the rules' fields and filters by the org's metadata: :func:`sync.pipeline.reads.batch_read_plan`."""
    return read_plan(spec, trigger_fields=more_opportunity_fields).query


@dataclass
class _Pending:
    """One Salesforce record's write-back: what it holds now, and what it should hold."""

    current: dict[str, Any]
    status: str
    message: str
    ids: dict[str, Any]  # NetSuite ids, and the checkbox trigger's field to clear


def write_back(
    salesforce: SalesforceConnector,
    outcomes: Sequence[tuple[OpportunityOutcome, dict[str, Any]]],
    *,
    clear_field: str = "",
    integration: Integration | None = None,
) -> list[str]:
    """Update Opportunities, Accounts and Contacts; returns readable problems (nothing raises).

    ``clear_field`` (the checkbox trigger's field) is set to false on each opportunity that synced and
    has it ticked, so ticking it again pushes again; a failed or blocked one keeps it ticked."""
    pending: dict[str, dict[str, _Pending]] = {"Account": {}, "Contact": {}, "Opportunity": {}}
    for outcome, graph in outcomes:
        if outcome.status not in (RecordStatus.SYNCED, RecordStatus.FAILED, RecordStatus.BLOCKED):
            continue  # skipped (not won): Salesforce keeps whatever it shows
        status = SYNCED if outcome.status == RecordStatus.SYNCED else ERROR
        message = outcome_message(outcome)[:SALESFORCE_MESSAGE_LENGTH]
        for sobject, record_id, current, netsuite_ids in _touched(outcome, graph):
            if record_id:
                _merge(
                    pending[sobject], record_id, _Pending(current, status, message, _present(netsuite_ids))
                )
        if clear_field and status == SYNCED and graph.get(clear_field) is True:
            pending["Opportunity"][outcome.opportunity_id].ids[clear_field] = False
    now = timezone.now().strftime("%Y-%m-%dT%H:%M:%S.000+0000")
    fields = status_fields("salesforce", integration)
    # Accounts, contacts and opportunities together: one sObject Collections request per 200 records
    # (a lone opportunity's write-back is one call), each object's records kept together.
    records = [
        (sobject, {"Id": record_id, **changes})
        for sobject, by_id in pending.items()
        for record_id, item in by_id.items()
        if (changes := _changes(item, fields.get(sobject, NO_FIELDS), now))
    ]
    return _update(salesforce, records) if records else []


def _touched(
    outcome: OpportunityOutcome, graph: dict[str, Any]
) -> list[tuple[str, Any, dict[str, Any], dict[str, Any]]]:
    """The records one opportunity's outcome shows on, ``(sobject, id, as read, NetSuite ids)``: the
    opportunity, its account and the contacts of its roles."""
    ids = _netsuite_ids(outcome)
    account = graph.get("Account") or {}
    touched = [
        (
            "Opportunity",
            outcome.opportunity_id,
            graph,
            {"NetSuite_Sales_Order_Id__c": ids.get("sales_order")},
        ),
        ("Account", account.get("Id"), account, {"NetSuite_Id__c": ids.get("customer")}),
    ]
    for role in (graph.get("OpportunityContactRoles") or {}).get("records") or []:
        contact_id = role.get("ContactId")
        touched.append(
            (
                "Contact",
                contact_id,
                role.get("Contact") or {},
                {"NetSuite_Id__c": ids.get(f"contact[{contact_id}]")},
            )
        )
    return touched


def _update(salesforce: SalesforceConnector, records: list[tuple[str, dict[str, Any]]]) -> list[str]:
    """One collections update of every record; the readable problems (nothing raises)."""
    try:
        results = salesforce.collections_update_mixed(records)
    except ConnectorError as error:
        kinds = ", ".join(dict.fromkeys(sobject for sobject, _ in records))
        return [f"write-back of {len(records)} {kinds} records failed: {error}"]
    return [
        f"write-back of {sobject} {record['Id']}: {result.error('write-back')}"
        for (sobject, record), result in zip(records, results, strict=False)
        if not result.success
    ]


def _merge(pending: dict[str, _Pending], record_id: str, new: _Pending) -> None:
    """Several opportunities of a batch touch one record: ids add up, and an error wins over a success."""
    seen = pending.setdefault(record_id, new)
    if seen is not new:
        seen.ids.update(new.ids)
        if seen.status != ERROR and new.status == ERROR:
            seen.status, seen.message = new.status, new.message


def _changes(item: _Pending, fields: StatusFields, now: str) -> dict[str, Any]:
    """The fields to write on one record: changed ids, and status/message/time when either changed."""
    changes = {name: value for name, value in item.ids.items() if item.current.get(name) != value}
    status_changed = bool(fields.status) and item.current.get(fields.status) != item.status
    message_changed = bool(fields.message) and (item.current.get(fields.message) or "") != item.message
    if status_changed or message_changed or changes:
        changes.update(fields.values(status=item.status, message=item.message or None, moment=now))
    return changes


def _netsuite_ids(outcome: OpportunityOutcome) -> dict[str, str]:
    """Ref key -> NetSuite id: all of them on success; on failure, those written before it failed."""
    if outcome.netsuite_ids:
        return outcome.netsuite_ids
    ids: dict[str, str] = {}
    for written in outcome.written:
        if written.object_key == "customer":
            ids["customer"] = written.netsuite_id
        elif written.object_key == "contact":
            ids[f"contact[{written.salesforce_id}]"] = written.netsuite_id
    return ids


def _present(values: dict[str, str | None]) -> dict[str, str]:
    return {name: value for name, value in values.items() if value}
