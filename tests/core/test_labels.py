"""The label registry (core/labels.py) and its template filters (core/templatetags/labels.py)."""

from __future__ import annotations

import pytest
from django.template import Context, Template

from core import labels
from reconciliation.checks import CHECKS
from reconciliation.engine import MismatchKind
from sync.mappings.engine.defaults import DEFAULT_FLOWS
from sync.pipeline.selectors import JOB_FLOWS


def render(source: str, **context: object) -> str:
    return Template("{% load labels %}" + source).render(Context(context))


def test_it_gives_every_shipped_flow_and_job_flow_its_own_words() -> None:
    for flow in (*DEFAULT_FLOWS, *JOB_FLOWS):
        assert labels.has_words(labels.FLOW, flow), f"{flow} has no words in core/labels.py"
        assert labels.key_adds(labels.FLOW, flow)
    assert labels.flow_label("opportunity_to_netsuite") == "Closed Won deals to NetSuite"


def test_it_names_checks_and_mismatch_classes_as_the_reconciliation_app_registered_them() -> None:
    for name, check in CHECKS.items():
        assert labels.check_label(name) == check.title
    assert labels.mismatch_label("missing_in_netsuite") == "Missing in NetSuite"
    for kind in MismatchKind:
        assert labels.has_words(labels.MISMATCH, kind.value), kind
    assert labels.mismatch_label("duplicate") == "Claimed twice"


def test_it_spells_out_a_key_nobody_gave_words_to() -> None:
    assert labels.flow_label("netsuite_vendor_bill_to_salesforce") == "NetSuite vendor bill to Salesforce"
    assert labels.status_label("rolled_back") == "Rolled back"
    assert labels.status_label("running") == "Running"
    assert labels.label(labels.STATUS, None) == "" and labels.label(labels.STATUS, "") == ""
    assert labels.spelled_out("cpq_sku_id") == "CPQ SKU id"
    assert labels.status_label("cid 3f2a") == "cid 3f2a"  # already words, not a key: as it is


def test_it_shows_a_version_by_its_number_not_its_id() -> None:
    class Version:
        pk, number = 7, 2

    assert labels.version_label(Version()) == "v2"
    assert labels.version_label(3) == "v3"
    assert labels.version_label(None) == ""


def test_it_refuses_words_for_an_unknown_domain() -> None:
    with pytest.raises(ValueError, match="unknown label domain 'flows'"):
        labels.labels_register("flows", {"x": "X"})


def test_the_filters_put_the_key_beside_the_words_only_where_it_adds_something() -> None:
    html = render(
        "{{ flow|flow_label }}|{{ status|status_label }}|{{ flow|flow_text }}",
        flow="opportunity_to_netsuite",
        status="failed",
    )
    assert html == (
        'Closed Won deals to NetSuite <span class="label-key">opportunity_to_netsuite</span>'
        "|Failed|Closed Won deals to NetSuite"
    )
    assert render("{{ v|version_label }} {{ k|spelled_out }}", v=4, k="sync_record") == "v4 Sync record"


def test_the_filters_escape_the_words_and_the_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(labels._REGISTRY[labels.STATUS], "<b>odd</b>", "Odd & <i>bold</i>")
    assert render("{{ key|status_label }}", key="<i>x</i>") == "&lt;i&gt;x&lt;/i&gt;"
    html = render("{{ key|status_label }}", key="<b>odd</b>")
    assert html == 'Odd &amp; &lt;i&gt;bold&lt;/i&gt; <span class="label-key">&lt;b&gt;odd&lt;/b&gt;</span>'
    assert render("{{ key|status_text }}", key="<b>odd</b>") == "Odd &amp; &lt;i&gt;bold&lt;/i&gt;"
