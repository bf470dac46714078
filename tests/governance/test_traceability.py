"""The traceability selector: one chain built in the database, found whole from each of its ids, scoped
by exception subsidiary and audit permission, in a number of queries that does not grow with the chain."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext

from governance.traceability import trace_chain, trace_csv_rows
from sync.connections.models import Connection
from sync.exceptions.services import exception_raise
from tests.governance.conftest import INVOICE__C, OPPORTUNITY, OTHER_OPPORTUNITY, World, build_chain

EXPECTED_LINKS = {"opportunity:" + OPPORTUNITY, "sales_order:501", "invoice:601", "payment:9601"}


@pytest.mark.parametrize("key", [OPPORTUNITY, "501", f"SO-{OPPORTUNITY}", "601", INVOICE__C, "9601"])
def test_it_finds_the_whole_chain_from_each_of_its_ids(trace_world: World, auditor: User, key: str) -> None:
    chain = trace_chain(user=auditor, key=key)

    assert {link.ref for link in chain.links} == EXPECTED_LINKS
    links = {link.ref: link for link in chain.links}
    assert links["sales_order:501"].parents == [f"opportunity:{OPPORTUNITY}"]
    assert f"SO-{OPPORTUNITY}" in links["sales_order:501"].names
    assert links["invoice:601"].parents == ["sales_order:501"]
    assert {"INV-601", INVOICE__C} <= set(links["invoice:601"].names)
    assert links["payment:9601"].parents == ["invoice:601"]
    # Every sync and return job, with its record's attempts and status.
    assert {e.job_id for e in chain.timeline if e.kind in ("sync_record", "return_record")} == {
        trace_world.sync_job.pk,
        trace_world.return_job.pk,
    }
    sync_event = next(e for e in chain.timeline if e.kind == "sync_record")
    assert "2 attempt(s)" in sync_event.title and sync_event.status == "Synced"
    assert any(e.kind == "inbound" and e.title.endswith(f"msg-{OPPORTUNITY}") for e in chain.timeline)
    # The mapping and rule versions, with who approved them and what the rule decided.
    assert [v.pk for v in chain.mapping_versions] == [trace_world.mapping_version.pk]
    assert [v.pk for v in chain.rule_versions] == [trace_world.rule_version.pk]
    assert chain.rule_versions[0].approved_by.get_username() == "finance"  # type: ignore[union-attr]
    assert [(o.version_id, o.outcome) for o in chain.rule_outcomes] == [
        (trace_world.rule_version.pk, "warned")
    ]
    # Both exceptions, on their own links, with the override and who proposed and approved it.
    assert {item.pk for item in chain.exceptions} == {
        trace_world.order_exception.pk,
        trace_world.payment_exception.pk,
    }
    assert any(
        e.exception_id == trace_world.payment_exception.pk
        for e in links["payment:9601"].events
        if e.kind == "exception"
    )
    override = next(e for e in chain.timeline if e.kind == "override")
    assert "proposed by revops" in override.title and "approved by finance" in override.title
    assert override.link == f"opportunity:{OPPORTUNITY}"
    # Audit entries: the job's correlation id and the people's requests about the chain's exceptions.
    cids = {entry.cid for entry in chain.audit_entries}
    assert {"cid-job", "cid-person-propose", "cid-person-approve", "cid-return-exception"} <= cids
    assert "cid-other" not in cids
    # And the history of the rule version that ran (its creation here; approvals when made in the console).
    assert any(
        entry.content_type.model == "ruleversion" and entry.object_pk == str(trace_world.rule_version.pk)
        for entry in chain.audit_entries
    )
    assert f"rule_version:{trace_world.rule_version.pk}" in {
        e.link for e in chain.timeline if e.kind == "audit"
    }
    # Nothing of the other opportunity's chain.
    # (Exact refs: a database id such as an audit entry's 5020 may contain "502".)
    others = {"sales_order:502", "invoice:602"}
    assert not any(e.link in others or OTHER_OPPORTUNITY in e.link for e in chain.timeline)


def test_it_answers_nothing_for_an_unknown_id(trace_world: World, auditor: User) -> None:
    chain = trace_chain(user=auditor, key="no-such-id")
    assert not chain.found and chain.timeline == []


def test_it_shows_a_scoped_finance_user_only_the_exceptions_of_their_subsidiaries(
    trace_world: World, finance: User, auditor: User
) -> None:
    seen_by_finance = trace_chain(user=finance, key="9601")
    assert {link.ref for link in seen_by_finance.links} == EXPECTED_LINKS  # the chain itself is not scoped
    assert [item.pk for item in seen_by_finance.exceptions] == [trace_world.order_exception.pk]
    assert not any(e.exception_id == trace_world.payment_exception.pk for e in seen_by_finance.timeline)
    # The audit trail is for its readers only.
    assert not seen_by_finance.audit_visible and seen_by_finance.audit_entries == []
    assert not any(e.kind == "audit" for e in seen_by_finance.timeline)

    seen_by_auditor = trace_chain(user=auditor, key="9601")
    assert {item.pk for item in seen_by_auditor.exceptions} == {
        trace_world.order_exception.pk,
        trace_world.payment_exception.pk,
    }


def test_it_shows_an_outsider_nothing(trace_world: World, outsider: User) -> None:
    assert not trace_chain(user=outsider, key=OPPORTUNITY).found


def test_it_reads_a_long_chain_in_as_many_queries_as_a_short_one(trace_world: World, auditor: User) -> None:
    trace_chain(user=auditor, key="9601")  # content types and permissions cached, as on a warm server
    with CaptureQueriesContext(connection) as short:
        trace_chain(user=auditor, key="9601")
    sf = Connection.objects.get(name="trace-sf")
    build_chain(
        sf,
        trace_world.netsuite,
        "0065S00000LONG01AA",
        "503",
        [str(700 + n) for n in range(12)],
        mapping_version=trace_world.mapping_version,
        rule_version=trace_world.rule_version,
        cid="cid-long",
    )
    for invoice in range(700, 712):
        exception_raise(
            category="return_flow",
            dedup_key=f"return:{trace_world.netsuite.pk}:customerPayment:9{invoice}",
            title="Invoice__c refused the payment",
        )
    with CaptureQueriesContext(connection) as long:
        chain = trace_chain(user=auditor, key="9711")
    assert len([link for link in chain.links if link.kind == "invoice"]) == 12
    assert len([link for link in chain.links if link.kind == "payment"]) == 12
    assert len(chain.exceptions) == 12
    assert len(long.captured_queries) == len(short.captured_queries)
    assert len(long.captured_queries) <= 20, [q["sql"] for q in long.captured_queries]


def test_it_exports_the_timeline_and_versions_as_csv_rows(trace_world: World, auditor: User) -> None:
    rows = list(trace_csv_rows(trace_chain(user=auditor, key=OPPORTUNITY)))
    assert rows[0][:3] == ["at", "link", "kind"]
    kinds = {row[2] for row in rows[1:]}
    assert {"sync_record", "return_record", "exception", "override", "audit", "mapping_version"} <= kinds
    assert {"rule_version", "rule_outcome"} <= kinds
    assert all(len(row) == len(rows[0]) for row in rows)


def test_it_orders_the_timeline_by_time(trace_world: World, auditor: User) -> None:
    stamps = [e.at for e in trace_chain(user=auditor, key=OPPORTUNITY).timeline]
    floor = dt.datetime.min.replace(tzinfo=dt.UTC)
    assert [s or floor for s in stamps] == sorted(s or floor for s in stamps)
