"""What an exception's page shows beyond its row, read for one person: links to its records in Salesforce
and NetSuite, to its job and its trace, its details in words, and the request and response that failed.

Links are built from the connections the exception's work ran on (its job's, else its retry's, else its
integration's): a Salesforce record opens under the org's instance URL (the connection's My Domain URL;
a generic login host such as login.salesforce.com names no org, so no link is made), a NetSuite record
under the account's UI host (``https://<account>.app.netsuite.com``). Everything read here is restricted
to what the person may see (the job and its exchanges by :func:`sync.pipeline.selectors.records_visible`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

from django.contrib.auth.models import AnonymousUser, User
from django.urls import reverse

from sync.connections.connectors.errors import ConfigurationError
from sync.connections.connectors.netsuite import account_slug
from sync.connections.models import Connection
from sync.exceptions.models import ExceptionItem
from sync.pipeline.models import SyncJob, SyncRecord
from sync.pipeline.selectors import jobs_visible, records_visible

AnyUser = User | AnonymousUser

# Hosts that sign anyone in: they name no org, so a record link under them would not open.
GENERIC_SALESFORCE_HOSTS = frozenset({"login.salesforce.com", "test.salesforce.com"})

# NetSuite's UI page for a record type (matched on the type's name in lower case without "_" or an
# "[external id]" suffix). Any transaction opens at transaction.nl, which redirects to its own form.
NETSUITE_PAGES: dict[str, str] = {
    "customer": "/app/common/entity/custjob.nl",
    "contact": "/app/common/entity/contact.nl",
    "vendor": "/app/common/entity/vendor.nl",
    "employee": "/app/common/entity/employee.nl",
    "subscription": "/app/accounting/subscription/subscription.nl",
    "subscriptionplan": "/app/common/item/item.nl",
    "item": "/app/common/item/item.nl",
    "inventoryitem": "/app/common/item/item.nl",
    "noninventoryitem": "/app/common/item/item.nl",
    "serviceitem": "/app/common/item/item.nl",
}
NETSUITE_TRANSACTIONS = frozenset(
    {
        "salesorder",
        "invoice",
        "estimate",
        "creditmemo",
        "customerpayment",
        "cashsale",
        "returnauthorization",
        "opportunity",
        "journalentry",
    }
)
SYSTEM_LABELS = {"salesforce": "Salesforce", "netsuite": "NetSuite"}


@dataclass(frozen=True)
class RecordLink:
    system: str  # "Salesforce" | "NetSuite"
    object_type: str
    id: str
    url: str  # "" when no link can be made (the text says why on the page)


@dataclass(frozen=True)
class DetailLine:
    label: str
    text: str
    link: str = ""


def salesforce_record_url(connection: Connection | None, object_type: str, record_id: str) -> str:
    """The record's Lightning page under the org's instance URL, or "" when the instance is unknown."""
    if connection is None or not record_id or not object_type.isidentifier():
        return ""
    parts = urlsplit(connection.base_url)
    if parts.scheme != "https" or not parts.netloc or parts.hostname in GENERIC_SALESFORCE_HOSTS:
        return ""
    return f"https://{parts.netloc}/lightning/r/{object_type}/{quote(record_id, safe='')}/view"


def netsuite_record_url(connection: Connection | None, object_type: str, record_id: str) -> str:
    """The record's page in the account's NetSuite UI, or "" for an unknown type or account."""
    if connection is None or not record_id.isdigit():
        return ""
    kind = object_type.split("[", 1)[0].replace("_", "").lower()
    path = NETSUITE_PAGES.get(kind) or (
        "/app/accounting/transactions/transaction.nl" if kind in NETSUITE_TRANSACTIONS else ""
    )
    if not path:
        return ""
    try:
        host = account_slug(connection.account_id)
    except ConfigurationError:
        return ""
    return f"https://{host}.app.netsuite.com{path}?id={record_id}"


def _connections(item: ExceptionItem, job: SyncJob | None) -> tuple[Connection | None, Connection | None]:
    if job is not None:
        return job.salesforce_connection, job.netsuite_connection
    ids = {
        kind: item.retry_kwargs.get(f"{kind}_connection_id")
        for kind in ("salesforce", "netsuite")
        if isinstance(item.retry_kwargs.get(f"{kind}_connection_id"), int)
    }
    found = Connection.objects.in_bulk(list(ids.values()))
    salesforce, netsuite = found.get(ids.get("salesforce", 0)), found.get(ids.get("netsuite", 0))
    integration = item.integration
    if integration is not None:
        salesforce = salesforce or integration.salesforce_connection
        netsuite = netsuite or integration.netsuite_connection
    return salesforce, netsuite


def exception_job(*, item: ExceptionItem, user: AnyUser) -> SyncJob | None:
    """The job the exception was raised from (``details["job"]``), if the person may see it."""
    job_id = item.details.get("job")
    if not isinstance(job_id, int):
        return None
    return jobs_visible(user=user).filter(pk=job_id).first()


def exception_sync_record(*, item: ExceptionItem, user: AnyUser) -> SyncRecord | None:
    """The synced record (one opportunity in one job) that failed (``details["record"]``), if visible."""
    record_id = item.details.get("record")
    if not isinstance(record_id, int):
        return None
    return records_visible(user=user).filter(pk=record_id).first()


def record_links(*, item: ExceptionItem, job: SyncJob | None = None) -> list[RecordLink]:
    """Each record the exception names, with a link to it in its own system when one can be made."""
    salesforce, netsuite = _connections(item, job)
    links = []
    for record in item.records:
        if not isinstance(record, dict):
            continue
        system, object_type, record_id = (
            str(record.get(key) or "") for key in ("system", "object_type", "id")
        )
        url = str(record.get("url") or "")
        if not url and system == "salesforce":
            url = salesforce_record_url(salesforce, object_type, record_id)
        elif not url and system == "netsuite":
            url = netsuite_record_url(netsuite, object_type, record_id)
        links.append(RecordLink(SYSTEM_LABELS.get(system, system), object_type, record_id, url))
    return links


def trace_opportunity(item: ExceptionItem) -> str:
    """The opportunity whose trace (event, job, record, NetSuite records) explains this exception."""
    opportunity = item.retry_kwargs.get("opportunity_id")
    if isinstance(opportunity, str) and opportunity:
        return opportunity
    for record in item.records:
        if isinstance(record, dict) and record.get("object_type") == "Opportunity" and record.get("id"):
            return str(record["id"])
    return ""


def details_in_words(
    *, item: ExceptionItem, job: SyncJob | None = None, record: SyncRecord | None = None
) -> list[DetailLine]:
    """The exception's ``details`` as a person reads them: one labelled sentence per fact, links where a
    fact is a page of its own; keys no sentence knows are shown with their name in words."""
    details = dict(item.details)
    lines: list[DetailLine] = []
    job_id = details.pop("job", None)
    if job_id is not None:
        url = reverse("sync:job", args=[job.pk]) if job is not None else ""
        lines.append(DetailLine("Raised by", f"sync job #{job_id}", url))
    record_id = details.pop("record", None)
    if record is not None:
        lines.append(
            DetailLine(
                "Record in that job",
                f"opportunity {record.opportunity_id}: {record.get_status_display().lower()} after "
                f"{record.attempts} attempt{'s' if record.attempts != 1 else ''}",
                f"{reverse('sync:job', args=[record.job_id])}#record-{record.pk}",
            )
        )
    elif record_id is not None:
        lines.append(DetailLine("Record in that job", f"#{record_id}"))
    failures = details.pop("failures", None)
    if isinstance(failures, int):
        lines.append(DetailLine("Failures in that run", f"{failures} problem{'s' if failures != 1 else ''}"))
    sent, read = details.pop("sent", None), details.pop("values", None)
    for field, value in (sent if isinstance(sent, dict) else {}).items():
        lines.append(DetailLine(f"Sent as {field}", value_words(value)))
    for field, values in (read if isinstance(read, dict) else {}).items():
        if isinstance(values, dict):
            text = "; ".join(f"{SYSTEM_LABELS.get(s, s)} has {value_words(v)}" for s, v in values.items())
        else:
            text = value_words(values)
        lines.append(DetailLine(f"Values of {field}", text))
    approval = details.pop("approval", None)
    approval_text = details.pop("approval_text", None)
    if approval:
        lines.append(DetailLine("Waiting for", str(approval_text or f"a finance approval ({approval})")))
    for key, value in details.items():
        lines.append(DetailLine(key.replace("_", " ").capitalize(), value_words(value)))
    return lines


def value_words(value: Any) -> str:
    """A value in words: a NetSuite reference by name and id, a list joined, an object as "key: value"."""
    if value is None or value == "":
        return "(empty)"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dict):
        if "id" in value and set(value) <= {"id", "refName", "externalId"}:
            return f"{value['refName']} (id {value['id']})" if value.get("refName") else f"id {value['id']}"
        return "; ".join(f"{str(k).replace('_', ' ')}: {value_words(v)}" for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(value_words(v) for v in value) or "(none)"
    return str(value)


def failing_exchanges(record: SyncRecord | None) -> list[dict[str, Any]]:
    """The requests and responses of the failed record's calls (secrets already masked by the writer),
    the failing ones (HTTP 400 or more, or no answer) first, each marked ``failed``."""
    if record is None:
        return []
    rows = []
    for exchange in record.exchanges or []:
        if not isinstance(exchange, dict):
            continue
        status = exchange.get("status")
        failed = not isinstance(status, int) or status >= 400
        rows.append({**exchange, "failed": failed})
    return sorted(rows, key=lambda row: not row["failed"])
