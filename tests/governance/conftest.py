"""A traceability chain built in the database the way the pipeline writes it: an opportunity synced to a
sales order, its invoices and one payment each read back by the return flow, exceptions with an approved
override, and a second, unrelated chain that must never show up."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from core.correlation import correlation
from sync.connections.models import Connection
from sync.exceptions.actions import exception_override_approve, exception_override_propose
from sync.exceptions.models import ExceptionItem, Subsidiary
from sync.exceptions.permissions import subsidiary_scope_grant
from sync.exceptions.services import exception_raise
from sync.mappings.models import MappingVersion
from sync.mappings.services.seed import mapping_seed_defaults
from sync.pipeline.models import (
    CrossReference,
    InboxMessage,
    InboxSource,
    RecordStatus,
    ReturnRecord,
    ReturnStatus,
    SyncJob,
    SyncRecord,
)
from sync.rules.models import Rule, RuleStatus, RuleVersion
from tests.simulators.conftest import netsuite_sim, salesforce_sim, simulator_dir  # noqa: F401
from tests.sync.conftest import seeded_connections, seeded_simulators  # noqa: F401
from tests.sync.connections.support import offline_connection_pair

OPPORTUNITY = "0065S00000TRACE1AA"
OTHER_OPPORTUNITY = "0065S00000OTHER1AA"
INVOICE__C = "a0B5S00000INV01AAA"


@dataclass
class World:
    netsuite: Connection
    sync_job: SyncJob
    return_job: SyncJob
    record: SyncRecord
    mapping_version: MappingVersion
    rule_version: RuleVersion
    order_exception: ExceptionItem
    payment_exception: ExceptionItem


def trace_connections() -> tuple[Connection, Connection]:
    return offline_connection_pair("trace")


def build_chain(
    sf: Connection,
    ns: Connection,
    opportunity: str,
    order: str,
    invoices: list[str],
    *,
    mapping_version: MappingVersion,
    rule_version: RuleVersion,
    cid: str,
    notification: str = "",
) -> tuple[SyncJob, SyncJob, SyncRecord]:
    """The rows the pipeline writes for one won opportunity, its order, invoices and one payment each."""
    InboxMessage.objects.create(
        notification_id=notification or f"msg-{opportunity}",
        source=InboxSource.OUTBOUND_MESSAGE,
        salesforce_connection=sf,
        netsuite_connection=ns,
        record_id=opportunity,
    )
    sync_job = SyncJob.objects.create(
        salesforce_connection=sf,
        netsuite_connection=ns,
        trigger="outbound_message",
        mapping_version_id=mapping_version.pk,
        correlation_id=cid,
    )
    record = SyncRecord.objects.create(
        job=sync_job,
        opportunity_id=opportunity,
        status=RecordStatus.SYNCED,
        attempts=2,
        started_at=timezone.now(),
        mapping_version_id=mapping_version.pk,
        netsuite_ids={"customer": "11", "sales_order": order},
        rule_evaluations=[
            {
                "placement": "pre_sale",
                "subject": "opportunity",
                "target": "opportunity",
                "decision": "warned",
                "rule_versions": [rule_version.pk],
                "failures": [
                    {
                        "rule": rule_version.rule.key,
                        "version_id": rule_version.pk,
                        "status": "warned",
                        "message": "Discount above 20%",
                        "item": None,
                    }
                ],
            }
        ],
    )
    CrossReference.objects.create(
        netsuite_connection=ns,
        netsuite_type="salesOrder",
        external_id=f"SO-{opportunity}",
        netsuite_id=order,
        salesforce_id=opportunity,
        object_key="sales_order",
        payload_hash="x",
        synced_at=timezone.now(),
    )
    return_job = SyncJob.objects.create(
        flow="netsuite_to_salesforce",
        trigger="return_flow",
        salesforce_connection=sf,
        netsuite_connection=ns,
        correlation_id=f"{cid}-return",
    )
    rows = [
        ReturnRecord(
            job=return_job,
            netsuite_type="salesOrder",
            netsuite_id=order,
            opportunity_id=opportunity,
            sales_order_id=order,
            salesforce_id=opportunity,
            status=ReturnStatus.WRITTEN,
        )
    ]
    for position, invoice in enumerate(invoices):
        rows.append(
            ReturnRecord(
                job=return_job,
                netsuite_type="invoice",
                netsuite_id=invoice,
                tran_id=f"INV-{invoice}",
                opportunity_id=opportunity,
                sales_order_id=order,
                invoice_id=invoice,
                salesforce_id=INVOICE__C if position == 0 and opportunity == OPPORTUNITY else "",
                mapping_version_id=mapping_version.pk,
                status=ReturnStatus.WRITTEN,
            )
        )
        rows.append(
            ReturnRecord(
                job=return_job,
                netsuite_type="customerPayment",
                netsuite_id=f"9{invoice}",
                invoice_id=invoice,
                status=ReturnStatus.WRITTEN,
            )
        )
    ReturnRecord.objects.bulk_create(rows)
    return sync_job, return_job, record


@pytest.fixture
def trace_world(revops: User, finance: User) -> World:
    mapping_seed_defaults()
    mapping_version = MappingVersion.objects.get(flow__key="opportunity_to_netsuite", status="published")
    rule = Rule.objects.create(key="discount_cap")
    rule_version = RuleVersion.objects.create(
        rule=rule,
        number=1,
        status=RuleStatus.PUBLISHED,
        name="Discount cap",
        subject="opportunity",
        placement="pre_sale",
        severity="warning",
        message="Discount above 20%",
        condition="true",
        approved_by=finance,
        approved_at=timezone.now(),
        published_by=finance,
        published_at=timezone.now(),
    )
    sf, ns = trace_connections()
    sync_job, return_job, record = build_chain(
        sf,
        ns,
        OPPORTUNITY,
        "501",
        ["601"],
        mapping_version=mapping_version,
        rule_version=rule_version,
        cid="cid-job",
    )
    build_chain(
        sf,
        ns,
        OTHER_OPPORTUNITY,
        "502",
        ["602"],
        mapping_version=mapping_version,
        rule_version=rule_version,
        cid="cid-other",
    )
    with correlation("cid-job"):
        order_exception = exception_raise(
            category="sync_failure",
            dedup_key=f"sync:{ns.pk}:{OPPORTUNITY}",
            title="NetSuite refused the sales order",
            subsidiary="SUB-A",
            details={"values": {"Amount": {"salesforce": 1200, "netsuite": 1000}}},
        )
    with correlation("cid-return-exception"):
        payment_exception = exception_raise(
            category="return_flow",
            dedup_key=f"return:{ns.pk}:customerPayment:9601",
            title="Invoice__c refused the payment",
            subsidiary="SUB-B",
        )
    subsidiary_scope_grant(holder=finance, subsidiary=Subsidiary.objects.get(key="SUB-A"))
    with correlation("cid-person-propose"):
        override = exception_override_propose(
            item=order_exception, user=revops, field="Amount", new_value=1000, reason="PO says so"
        )
    with correlation("cid-person-approve"):
        exception_override_approve(override=override, user=finance, reason="Matches the PO")
    return World(
        netsuite=ns,
        sync_job=sync_job,
        return_job=return_job,
        record=record,
        mapping_version=mapping_version,
        rule_version=rule_version,
        order_exception=order_exception,
        payment_exception=payment_exception,
    )
