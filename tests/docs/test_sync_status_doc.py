"""docs/sync-status.md names the status fields the pipeline writes by default, and its configuration
example does what its comments say when put in the settings."""

from __future__ import annotations

import ast
import re

from django.test import override_settings

from sync.pipeline.sync_status import DEFAULT_FIELDS, NETSUITE_MESSAGE_LENGTH, StatusFields, status_fields
from tests.docs.markdown import DOCS, fenced_blocks, text

DOC = DOCS / "sync-status.md"


def _section(heading: str) -> str:
    return text(DOC).split(f"\n## {heading}\n", 1)[1].split("\n## ", 1)[0]


def test_it_names_the_default_fields_and_nothing_else() -> None:
    table = [
        line
        for line in _section("What is written").splitlines()
        if line.startswith("| Salesforce") or line.startswith("| NetSuite")
    ]
    named = {name for line in table for name in re.findall(r"`(\w+)`", line)}
    defaults = {
        name for objects in DEFAULT_FIELDS.values() for fields in objects.values() for name in fields.values()
    }
    assert named == defaults
    assert f"NetSuite gets the first {NETSUITE_MESSAGE_LENGTH} characters" in _section("What is written")


def test_it_shows_a_configuration_that_does_what_its_comments_say() -> None:
    (block,) = fenced_blocks(_section("Configuring the fields"), ("python",))
    (assignment,) = ast.parse(block).body
    assert isinstance(assignment, ast.Assign)
    configured = ast.literal_eval(assignment.value)
    with override_settings(SYNC_STATUS_FIELDS=configured):
        salesforce, netsuite = status_fields("salesforce"), status_fields("netsuite")
    assert salesforce["Account"] == StatusFields(status="Integration_Status__c", time="Integration_Time__c")
    assert "Contact" not in salesforce and "contact" not in netsuite
    assert salesforce["Opportunity"] == StatusFields(**DEFAULT_FIELDS["salesforce"]["Opportunity"])
    assert set(netsuite) == {"customer", "salesOrder"}
