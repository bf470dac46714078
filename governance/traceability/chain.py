"""What a trace answers: the chain's links, its timeline events, and the versions and outcomes it names."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from governance.models import AuditEntry
from sync.exceptions.models import ExceptionItem
from sync.mappings.models import MappingVersion
from sync.rules.models import RuleVersion

SALES_ORDER = "salesOrder"
INVOICE = "invoice"
PAYMENT = "customerPayment"
KINDS = ("opportunity", "sales_order", "invoice", "payment")
KIND_OF_TYPE = {SALES_ORDER: "sales_order", INVOICE: "invoice", PAYMENT: "payment"}


@dataclass
class TraceEvent:
    """One line of the timeline: something that happened to one link of the chain."""

    at: dt.datetime | None
    link: str  # "<kind>:<key>" of the link it belongs to
    kind: str  # inbound, sync_record, return_record, exception, exception_event, override, audit
    title: str
    status: str = ""
    detail: str = ""
    job_id: int | None = None
    exception_id: int | None = None
    mapping_version_id: int | None = None
    mapping_version: str = ""  # as people say it: "Closed Won deals to NetSuite v2"
    rule_version_ids: tuple[int, ...] = ()
    actor: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "at": self.at.isoformat() if self.at else None,
            "link": self.link,
            "kind": self.kind,
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
            "job_id": self.job_id,
            "exception_id": self.exception_id,
            "mapping_version_id": self.mapping_version_id,
            "mapping_version": self.mapping_version,
            "rule_version_ids": list(self.rule_version_ids),
            "actor": self.actor,
        }


@dataclass(frozen=True)
class RuleOutcome:
    """What one rule version decided in one sync of one opportunity."""

    version_id: int
    opportunity_id: str
    job_id: int
    placement: str
    target: str  # "opportunity" (pre-sale) or the NetSuite object key checked (post-sale)
    outcome: str  # passed, warned, blocked
    message: str = ""

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class TraceLink:
    """One record of the chain and the record it hangs from."""

    kind: str  # opportunity, sales_order, invoice, payment
    key: str  # Salesforce Id (opportunity) or NetSuite internal id
    parents: list[str] = field(default_factory=list)  # "<kind>:<key>" of the links above it
    names: list[str] = field(default_factory=list)  # external ids, document numbers, Invoice__c Ids
    events: list[TraceEvent] = field(default_factory=list)

    @property
    def ref(self) -> str:
        return f"{self.kind}:{self.key}"

    @property
    def label(self) -> str:
        return self.kind.replace("_", " ").capitalize()

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "key": self.key, "parents": self.parents, "names": self.names}


@dataclass
class Chain:
    """One integration's chain through the id searched for (``integration``: its name, ``""`` when none
    was found)."""

    query: str
    integration: str = ""
    integration_label: str = ""
    links: list[TraceLink] = field(default_factory=list)
    timeline: list[TraceEvent] = field(default_factory=list)
    mapping_versions: list[MappingVersion] = field(default_factory=list)
    rule_versions: list[RuleVersion] = field(default_factory=list)
    rule_outcomes: list[RuleOutcome] = field(default_factory=list)
    exceptions: list[ExceptionItem] = field(default_factory=list)
    audit_entries: list[AuditEntry] = field(default_factory=list)
    audit_visible: bool = False

    @property
    def found(self) -> bool:
        return bool(self.links)

    def as_dict(self) -> dict[str, Any]:
        """The chain as JSON for auditors (the export)."""
        return {
            "query": self.query,
            "integration": self.integration,
            "links": [link.as_dict() for link in self.links],
            "timeline": [event.as_dict() for event in self.timeline],
            "mapping_versions": [version_dict(version) for version in self.mapping_versions],
            "rule_versions": [version_dict(version) for version in self.rule_versions],
            "rule_outcomes": [outcome.as_dict() for outcome in self.rule_outcomes],
            "exceptions": [
                {"id": item.pk, "title": item.title, "status": item.status, "dedup_key": item.dedup_key}
                for item in self.exceptions
            ],
        }


@dataclass
class Keys:
    """The ids of each kind of link found so far."""

    opportunities: set[str] = field(default_factory=set)
    orders: set[str] = field(default_factory=set)
    invoices: set[str] = field(default_factory=set)
    payments: set[str] = field(default_factory=set)

    def empty(self) -> bool:
        return not (self.opportunities or self.orders or self.invoices or self.payments)


def who(user: Any) -> str:
    if user is None:
        return "the system"
    return str(user.get_username())


def version_dict(version: MappingVersion | RuleVersion) -> dict[str, Any]:
    return {
        "id": version.pk,
        "name": str(version),
        "status": version.status,
        "created_by": who(version.created_by) if version.created_by_id else "",
        "submitted_by": who(version.submitted_by) if version.submitted_by_id else "",
        "approved_by": who(version.approved_by) if version.approved_by_id else "",
        "approved_at": version.approved_at.isoformat() if version.approved_at else None,
        "published_by": who(version.published_by) if version.published_by_id else "",
        "published_at": version.published_at.isoformat() if version.published_at else None,
    }
