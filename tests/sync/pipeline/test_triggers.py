"""The trigger module on its own: the criteria text, the SOQL criterion, the local checks of a condition,
and the "is it due?" judgement (Salesforce stubbed; the simulator tests are in test_flow_triggers.py)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from sync.connections.connectors.errors import ConnectorError
from sync.pipeline.models import FlowSetting, TriggerKind
from sync.pipeline.triggers import (
    CLOSED_WON,
    Trigger,
    condition_clean,
    trigger_clears,
    trigger_not_due,
    trigger_salesforce_criteria,
    trigger_validate,
    trigger_where,
)

CHECKBOX = Trigger(TriggerKind.CHECKBOX, "Send_to_NetSuite__c")
CONDITION = Trigger(TriggerKind.CONDITION, condition="Type = 'Renewal' AND Amount > 10000")


class FakeSalesforce:
    """Answers queries from a list of ids meeting the condition, or refuses them with ``error``."""

    def __init__(self, meeting: Iterable[str] = (), error: ConnectorError | None = None) -> None:
        self.meeting = set(meeting)
        self.error = error
        self.queries: list[str] = []

    def query(self, soql: str) -> Iterator[dict[str, Any]]:
        self.queries.append(soql)
        if self.error is not None:
            raise self.error
        return iter([{"Id": i} for i in sorted(self.meeting)])

    def query_in(self, template: str, ids: Iterable[str]) -> Iterator[dict[str, Any]]:
        soql = template.format(ids=", ".join(f"'{i}'" for i in ids))
        self.queries.append(soql)
        return iter([{"Id": i} for i in ids if i in self.meeting])


def test_it_says_what_the_salesforce_side_must_test() -> None:
    assert trigger_salesforce_criteria(None) == "Stage equals Closed Won"
    assert trigger_salesforce_criteria(FlowSetting()) == "Stage equals Closed Won"
    assert trigger_salesforce_criteria(FlowSetting(trigger="checkbox")) == "Send_to_NetSuite__c equals True"
    assert trigger_salesforce_criteria(CHECKBOX) == "Send_to_NetSuite__c equals True"
    assert trigger_salesforce_criteria(CONDITION) == "Type = 'Renewal' AND Amount > 10000"


def test_it_gives_the_poll_the_criterion_of_each_trigger() -> None:
    assert trigger_where(CLOSED_WON) == "IsWon = true"
    assert trigger_where(CHECKBOX) == "Send_to_NetSuite__c = true"
    assert trigger_where(CONDITION) == "(Type = 'Renewal' AND Amount > 10000)"
    assert (trigger_clears(CLOSED_WON), trigger_clears(CHECKBOX), trigger_clears(CONDITION)) == (
        "",
        "Send_to_NetSuite__c",
        "",
    )
    with pytest.raises(ValueError, match="not a field name"):
        trigger_where(Trigger(TriggerKind.CHECKBOX, "x = true OR Id"))


@pytest.mark.parametrize(
    ("condition", "problem"),
    [
        ("", "Write a condition"),
        ("Amount > 1; DELETE", "';' or comments"),
        ("Amount > 1 -- and more", "';' or comments"),
        ("Amount > 1 /* x */", "';' or comments"),
        ("Amount > 1) OR (Id != null", "closes a parenthesis"),
        ("(Amount > 1", "parenthesis open"),
        ("Name = 'it''s", "quote that is not closed"),
        ("Amount > 1 ORDER BY Name", "'ORDER BY' is not allowed"),
        ("Amount > 1 LIMIT 5", "'LIMIT' is not allowed"),
        ("Amount > 1 AND Id IN (SELECT Id FROM Opportunity) FOR UPDATE", "'FOR UPDATE' is not allowed"),
        ("Id != null) FROM Account WHERE (Id != null", "closes a parenthesis"),
        ("WHERE Amount > 1", "Leave out the word WHERE"),
        ("x" * 2001, "longer than 2000"),
    ],
)
def test_it_refuses_what_is_not_one_where_expression(condition: str, problem: str) -> None:
    with pytest.raises(ValidationError, match=problem):
        condition_clean(condition)


def test_it_keeps_a_where_expression_with_strings_and_semi_joins() -> None:
    assert condition_clean("  StageName = 'Closed Won'\n AND Amount > 10000 ") == (
        "StageName = 'Closed Won' AND Amount > 10000"
    )
    # Clause words and semicolons inside a string, and a semi-join in parentheses, are part of the condition.
    text = "Name = 'limit; order by -- x' AND AccountId IN (SELECT Id FROM Account WHERE Name LIKE 'A%')"
    assert condition_clean(text) == text
    assert condition_clean(r"Name = 'O\'Brien'") == r"Name = 'O\'Brien'"


def test_it_judges_a_batch_by_its_trigger_and_lets_pushed_records_through() -> None:
    graphs = {
        "006A": {"Id": "006A", "IsWon": True, "StageName": "Closed Won", "Send_to_NetSuite__c": False},
        "006B": {"Id": "006B", "IsWon": False, "StageName": "Prospecting", "Send_to_NetSuite__c": True},
        "006C": {"Id": "006C", "IsWon": False, "StageName": "Prospecting", "Send_to_NetSuite__c": False},
    }
    fake: Any = FakeSalesforce(meeting={"006B"})
    assert trigger_not_due(CLOSED_WON, graphs, salesforce=fake) == {
        "006B": "not won (stage 'Prospecting'): nothing to sync",
        "006C": "not won (stage 'Prospecting'): nothing to sync",
    }
    assert trigger_not_due(CHECKBOX, graphs, salesforce=fake, chosen={"006C"}) == {
        "006A": "Send_to_NetSuite__c is not ticked: nothing to sync"
    }
    assert fake.queries == []  # neither asks Salesforce
    assert trigger_not_due(CONDITION, graphs, salesforce=fake) == {
        "006A": "does not meet the flow's condition: nothing to sync",
        "006C": "does not meet the flow's condition: nothing to sync",
    }
    assert fake.queries == [
        "SELECT Id FROM Opportunity WHERE Id IN ('006A', '006B', '006C') "
        "AND (Type = 'Renewal' AND Amount > 10000)"
    ]
    # Braces in a condition's string are no format placeholders.
    braces = Trigger(TriggerKind.CONDITION, condition="Name = '{ids}'")
    assert trigger_not_due(braces, graphs, salesforce=fake, chosen={"006A", "006B"}) == {
        "006C": "does not meet the flow's condition: nothing to sync"
    }
    assert fake.queries[-1].endswith("AND (Name = '{ids}')")


def test_it_shows_salesforces_own_words_when_it_refuses_a_condition() -> None:
    refusal = ConnectorError(
        system="salesforce",
        transient=False,
        message="No such column 'Amont' on entity 'Opportunity'.",
        code="INVALID_FIELD",
        status=400,
    )
    fake: Any = FakeSalesforce(error=refusal)
    with pytest.raises(ValidationError) as caught:
        trigger_validate(
            Trigger(TriggerKind.CONDITION, condition="Amont > 5"), connectors=[("sf-prod", fake)]
        )
    assert (
        caught.value.messages
        == [
            "Salesforce (sf-prod) refused the condition: INVALID_FIELD: No such column 'Amont' on entity "
            "'Opportunity'.. Nothing was saved."
        ]
        or "INVALID_FIELD: No such column 'Amont'" in caught.value.messages[0]
    )
    assert fake.queries == ["SELECT Id FROM Opportunity WHERE (Amont > 5) LIMIT 1"]
    with pytest.raises(ValidationError, match="no active Salesforce connection"):
        trigger_validate(CONDITION, connectors=[])
    # Closed Won needs no Salesforce check.
    assert trigger_validate(CLOSED_WON, connectors=[]) == CLOSED_WON
