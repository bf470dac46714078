"""The jobs, inbox and trace pages, and re-running a record (audited, RevOps or Admin only)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from governance.models import AuditEntry
from sync.connections.models import Connection, ConnectionAuth, ConnectionEnvironment, ConnectionKind
from sync.pipeline.models import (
    CrossReference,
    InboxMessage,
    ReturnRecord,
    ReturnStatus,
    SyncFailure,
    SyncJob,
    SyncRecord,
)

OPP = "0065S0000000001QAA"


@pytest.fixture
def record(db: None, monkeypatch: pytest.MonkeyPatch) -> SyncRecord:
    monkeypatch.setattr("sync.pipeline.inbox.async_task", lambda name, **kw: None)
    sf, ns = (
        Connection.objects.create(
            name=name,
            kind=kind,
            environment=ConnectionEnvironment.SANDBOX,
            base_url="https://x.example",
            auth_method=auth,
        )
        for name, kind, auth in (
            ("sf", ConnectionKind.SALESFORCE, ConnectionAuth.SF_PASSWORD),
            ("ns", ConnectionKind.NETSUITE, ConnectionAuth.NS_TOKEN),
        )
    )
    job = SyncJob.objects.create(salesforce_connection=sf, netsuite_connection=ns, trigger="outbound_message")
    row = SyncRecord.objects.create(
        job=job,
        opportunity_id=OPP,
        status="failed",
        netsuite_ids={"customer": "107"},
        exchanges=[
            {
                "method": "PUT",
                "url": "https://ns/x",
                "status": 400,
                "elapsed_ms": 3.0,
                "request_excerpt": '{"companyName": "Acme"}',
                "response_excerpt": "{}",
            }
        ],
    )
    SyncFailure.objects.create(
        record=row,
        category="vendor",
        system="netsuite",
        vendor_code="INVALID_KEY_OR_REF",
        message="Invalid subsidiary",
        error_path="subsidiary",
        mapping_object_key="customer",
    )
    CrossReference.objects.create(
        netsuite_connection=ns,
        netsuite_type="customer",
        external_id="0015S",
        netsuite_id="107",
        salesforce_id="0015S",
        object_key="customer",
        payload_hash="x",
        synced_at=job.started_at,
    )
    return row


def test_it_lists_jobs_and_shows_a_job_with_its_failures(auditor_client: Client, record: SyncRecord) -> None:
    assert f"#{record.job_id}" in auditor_client.get(reverse("sync:jobs")).content.decode()
    page = auditor_client.get(reverse("sync:job", args=[record.job_id])).content.decode()
    assert (
        "INVALID_KEY_OR_REF" in page and "<code>subsidiary</code>" in page and "<code>customer</code>" in page
    )
    assert "Re-run" not in page  # auditors read, they do not act
    SyncJob.objects.filter(pk=record.job_id).update(correlation_id="c0ffee")
    page = auditor_client.get(reverse("sync:job", args=[record.job_id])).content.decode()
    assert "<code>correlation_id=c0ffee</code>" in page


def test_it_shows_the_inbox_and_a_trace(revops_client: Client, record: SyncRecord) -> None:
    InboxMessage.objects.create(
        notification_id="04l1",
        source="outbound_message",
        salesforce_connection=record.job.salesforce_connection,
        netsuite_connection=record.job.netsuite_connection,
        record_id=OPP,
    )
    assert "04l1" in revops_client.get(reverse("sync:inbox")).content.decode()
    trace = revops_client.get(reverse("sync:trace", args=[OPP])).content.decode()
    assert "04l1" in trace and f"job #{record.job_id}" in trace and "107" in trace


def test_it_reruns_a_record_and_audits_who_and_why(
    revops_client: Client, revops: Any, record: SyncRecord
) -> None:
    answer = revops_client.post(
        reverse("sync:record-rerun", args=[record.pk]), {"reason": "subsidiary fixed"}
    )
    assert answer.status_code == 302
    message = InboxMessage.objects.get(source="rerun")
    assert message.record_id == OPP and message.status == "pending"
    assert message.correlation_id == answer["X-Correlation-ID"]  # the worker will log under the request's id
    entry = AuditEntry.objects.filter(additional_data__event="sync_rerun").get()
    assert entry.actor == revops and entry.additional_data["reason"] == "subsidiary fixed"


@pytest.mark.parametrize("persona", ["auditor", "finance"])
def test_it_refuses_a_rerun_to_roles_that_do_not_run_the_integration(
    persona_client: Any, persona: str, record: SyncRecord
) -> None:
    answer = persona_client(persona).post(reverse("sync:record-rerun", args=[record.pk]))
    assert answer.status_code == 403
    assert not InboxMessage.objects.exists() and not AuditEntry.objects.filter(
        additional_data__event="sync_rerun"
    )


def test_it_lists_the_transactions_a_return_flow_job_read(record: SyncRecord, finance: Any) -> None:
    job = SyncJob.objects.create(
        flow="netsuite_to_salesforce",
        trigger="return_flow",
        salesforce_connection=record.job.salesforce_connection,
        netsuite_connection=record.job.netsuite_connection,
    )
    ReturnRecord.objects.create(
        job=job,
        netsuite_type="invoice",
        netsuite_id="601",
        tran_id="INV-601",
        opportunity_id=OPP,
        sales_order_id="501",
        invoice_id="601",
        status=ReturnStatus.WRITTEN,
    )
    client = Client()
    client.force_login(finance)
    page = client.get(reverse("sync:job", args=[job.pk])).content.decode()
    assert "INV-601" in page and "Written to Salesforce" in page
    assert reverse("governance:trace") + "?q=601" in page


def test_it_filters_jobs_by_flow_status_and_day(record: SyncRecord, auditor_client: Client) -> None:
    import datetime as dt

    from django.utils import timezone

    first = record.job
    other = SyncJob.objects.create(
        flow="account_to_netsuite",
        salesforce_connection=first.salesforce_connection,
        netsuite_connection=first.netsuite_connection,
        status="partial",
        records_total=3,
        records_failed=1,
    )
    SyncJob.objects.filter(pk=other.pk).update(started_at=timezone.now() - dt.timedelta(days=3))

    def listed(query: str) -> set[int]:
        page = auditor_client.get(f"/sync/jobs/?{query}").content.decode()
        return {job.pk for job in (first, other) if f'href="/sync/jobs/{job.pk}/"' in page}

    assert listed("") == {first.pk, other.pk}
    assert listed("flow=account_to_netsuite") == {other.pk}
    assert listed("status=with_failures") == {other.pk}
    assert listed("status=running") == {first.pk}
    assert listed(f"day={(timezone.now() - dt.timedelta(days=3)).date().isoformat()}") == {other.pk}
    assert listed(f"since={timezone.now().date().isoformat()}") == {first.pk}
    assert listed("since=not-a-date&status=bogus") == {first.pk, other.pk}  # ignored, never an error


def test_a_job_shows_each_records_deal_kind_and_its_change_orders(
    auditor_client: Client, record: SyncRecord
) -> None:
    record.deal_kind = "amendment"
    record.netsuite_ids = {"change_order[CO-006-208-MODIFY_PRICING-1]": "41"}
    record.save()
    page = auditor_client.get(reverse("sync:job", args=[record.job_id])).content.decode()
    assert 'title="Deal kind">Amendment</span>' in page
    assert "change_order[CO-006-208-MODIFY_PRICING-1]" in page and "<td>41</td>" in page


def test_jobs_say_their_flow_in_words_and_their_mapping_version_by_number(
    record: SyncRecord, auditor: Any, auditor_client: Client
) -> None:
    from sync.mappings.models import MappingVersion
    from sync.mappings.services.seed import mapping_seed_defaults
    from tests.api_support import token_client

    mapping_seed_defaults()
    version = MappingVersion.objects.get(flow__key="opportunity_to_netsuite", status="published")
    MappingVersion.objects.filter(pk=version.pk).update(number=2)  # its id is not its number
    SyncJob.objects.filter(pk=record.job_id).update(mapping_version_id=version.pk)
    jobs = auditor_client.get(reverse("sync:jobs")).content.decode()
    assert 'Closed Won deals to NetSuite <span class="label-key">opportunity_to_netsuite</span>' in jobs
    assert f'<a href="/sync/mappings/versions/{version.pk}/">v2</a>' in jobs
    assert '<option value="netsuite_to_salesforce">NetSuite changes back to Salesforce</option>' in jobs
    job = auditor_client.get(reverse("sync:job", args=[record.job_id])).content.decode()
    assert f'<a href="/sync/mappings/versions/{version.pk}/">v2</a>' in job
    # The API keeps its keys and adds the words beside them.
    (answer,) = token_client(auditor).get("/api/v1/jobs/").json()["results"]
    assert (answer["flow"], answer["flow_label"]) == (
        "opportunity_to_netsuite",
        "Closed Won deals to NetSuite",
    )
    assert (answer["status"], answer["status_label"]) == ("running", "Running")
    assert (answer["mapping_version_id"], answer["mapping_version"]) == (version.pk, "v2")
    # The second day: the job's version is gone from the database; the page says so, the API says null.
    SyncJob.objects.filter(pk=record.job_id).update(mapping_version_id=version.pk + 1000)
    assert "a removed version" in auditor_client.get(reverse("sync:jobs")).content.decode()
    assert token_client(auditor).get("/api/v1/jobs/").json()["results"][0]["mapping_version"] is None


def test_it_pages_jobs_and_the_inbox_newest_first_with_an_older_link(
    record: SyncRecord, revops_client: Client
) -> None:
    """Keyset pages of 50: the second page starts after the first one's last row, ties on the time
    broken by id; a cursor that does not parse shows the first page; filters carry over."""
    import re

    from core.keyset import PAGE_SIZE
    from sync.pipeline.models import InboxStatus

    job = record.job
    same_time = job.started_at
    SyncJob.objects.bulk_create(
        SyncJob(
            salesforce_connection=job.salesforce_connection,
            netsuite_connection=job.netsuite_connection,
            flow="opportunity_to_netsuite",
        )
        for _ in range(PAGE_SIZE + 4)
    )
    SyncJob.objects.update(started_at=same_time)  # every job in the same microsecond: ids break the tie
    InboxMessage.objects.bulk_create(
        InboxMessage(
            notification_id=f"n{n}",
            source="outbound_message",
            salesforce_connection=job.salesforce_connection,
            netsuite_connection=job.netsuite_connection,
            record_id=OPP,
            status=InboxStatus.DONE if n % 2 else InboxStatus.PENDING,
        )
        for n in range(PAGE_SIZE * 2 + 3)
    )

    def ids(page: str) -> list[int]:
        return [int(found) for found in re.findall(r'href="/sync/jobs/(\d+)/"', page)]

    first = revops_client.get("/sync/jobs/?flow=opportunity_to_netsuite").content.decode()
    newest = sorted(SyncJob.objects.filter(flow="opportunity_to_netsuite").values_list("pk", flat=True))[::-1]
    assert ids(first) == newest[:PAGE_SIZE]
    older = re.search(r'href="\?([^"]+)" rel="next">Older jobs', first)
    assert older is not None and "flow=opportunity_to_netsuite" in older.group(1)
    second = revops_client.get("/sync/jobs/?" + older.group(1).replace("&amp;", "&")).content.decode()
    assert ids(second) == newest[PAGE_SIZE:] and "Older jobs" not in second
    assert ids(revops_client.get("/sync/jobs/?older=not-a-cursor").content.decode())[:1] == newest[:1]

    pending = revops_client.get("/sync/inbox/?status=pending").content.decode()
    assert pending.count("<code>n") == PAGE_SIZE and "Older events" in pending
    link = re.search(r'href="\?([^"]+)" rel="next">Older events', pending)
    assert link is not None
    rest = revops_client.get("/sync/inbox/?" + link.group(1).replace("&amp;", "&")).content.decode()
    assert rest.count("<code>n") == 2 and "Older events" not in rest
