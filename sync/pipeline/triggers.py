"""The Closed Won flow's trigger: which opportunities are due to go to NetSuite.

Three kinds, as Oracle's NetSuite connector offers them (:class:`~sync.pipeline.models.TriggerKind`):

- ``closed_won`` (the default): the opportunity is won (``IsWon``, which Salesforce derives from the stage);
- ``checkbox``: a boolean field on Opportunity is ticked (``Send_to_NetSuite__c`` by default). After a
  successful sync Concord clears it in Salesforce (:mod:`sync.pipeline.writeback`), so ticking it again
  pushes the record again; a failed or blocked sync leaves it ticked (the request stands, and the record
  shows the error) and the next change, the exception's retry or a push syncs it;
- ``condition``: a SOQL WHERE condition the user writes (``Type = 'Renewal' AND Amount > 10000``).
  Salesforce evaluates it, never Concord: the batch asks
  ``SELECT Id FROM Opportunity WHERE Id IN (...) AND (<condition>)``.

The same criterion drives the catch-up poll and backfills (:func:`trigger_where`) and the batch's "is this
record due?" check (:func:`trigger_not_due`); a record a person pushed (inbox source ``manual``) skips it,
never the rules. :func:`trigger_salesforce_criteria` says what the Salesforce side (the outbound message's
flow or workflow rule) must test, for setup instructions.

A condition is checked when it is saved (:func:`trigger_validate`): locally for anything that is not one
WHERE expression (a semicolon, a comment, a parenthesis closing the wrapper, ORDER BY / LIMIT ...), then by
Salesforce itself on every Salesforce connection the flow reads (``... WHERE (<condition>) LIMIT 1``), whose
own error (``MALFORMED_QUERY``, ``INVALID_FIELD``) is shown. A checkbox field is checked by describe: it must
exist on Opportunity, be a boolean, and be updateable (Concord clears it).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError

from sync.connections.connectors.errors import ConnectorError
from sync.connections.connectors.salesforce import SalesforceConnector
from sync.connections.models import Connection, ConnectionKind
from sync.connections.services import salesforce_connector
from sync.pipeline.models import DEFAULT_CHECKBOX_FIELD, FlowSetting, Listener, ListenerKind, TriggerKind

CONDITION_LIMIT = 2000  # characters; Salesforce allows 4,000 in a WHERE clause, and we add our own
FIELD_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,79}$")
# Clauses that end a WHERE expression; at the condition's top level they would change the query.
_CLAUSES = re.compile(
    r"\b(ORDER\s+BY|GROUP\s+BY|HAVING|LIMIT|OFFSET|FOR\s+(UPDATE|VIEW|REFERENCE)|WITH|USING\s+SCOPE|"
    r"UPDATE\s+(TRACKING|VIEWSTAT)|ALL\s+ROWS|FROM|SELECT)\b",
    re.IGNORECASE,
)
_STRING = re.compile(r"'(?:[^'\\]|\\.)*'")


@dataclass(frozen=True)
class Trigger:
    """What makes an opportunity due (see the module docstring)."""

    kind: str = TriggerKind.CLOSED_WON
    checkbox_field: str = DEFAULT_CHECKBOX_FIELD
    condition: str = ""


CLOSED_WON = Trigger()


def trigger_of(setting: FlowSetting | None) -> Trigger:
    if setting is None:
        return CLOSED_WON
    return Trigger(setting.trigger, setting.checkbox_field or DEFAULT_CHECKBOX_FIELD, setting.condition)


def trigger_salesforce_criteria(setting: FlowSetting | Trigger | None) -> str:
    """The criteria the Salesforce side must test, for setup instructions: "Stage equals Closed Won",
    "Send_to_NetSuite__c equals True", or the user's condition."""
    trigger = setting if isinstance(setting, Trigger) else trigger_of(setting)
    if trigger.kind == TriggerKind.CHECKBOX:
        return f"{trigger.checkbox_field} equals True"
    if trigger.kind == TriggerKind.CONDITION:
        return trigger.condition
    return "Stage equals Closed Won"


def trigger_where(trigger: Trigger) -> str:
    """The SOQL criterion of due opportunities, for the catch-up poll and backfills."""
    if trigger.kind == TriggerKind.CHECKBOX:
        return f"{_field(trigger.checkbox_field)} = true"
    if trigger.kind == TriggerKind.CONDITION:
        return f"({trigger.condition})"
    return "IsWon = true"


def trigger_graph_fields(trigger: Trigger) -> tuple[str, ...]:
    """Opportunity fields the batch must read to judge (and, for a checkbox, clear) the trigger."""
    return (_field(trigger.checkbox_field),) if trigger.kind == TriggerKind.CHECKBOX else ()


def trigger_clears(trigger: Trigger) -> str:
    """The field the write-back clears after a successful sync ("" unless the trigger is a checkbox)."""
    return trigger.checkbox_field if trigger.kind == TriggerKind.CHECKBOX else ""


def won_only(graph: Mapping[str, Any]) -> str:
    """The Closed Won check: "" when the opportunity is won, else why it is not due."""
    if graph.get("IsWon"):
        return ""
    return f"not won (stage {graph.get('StageName')!r}): nothing to sync"


def trigger_not_due(
    trigger: Trigger,
    graphs: Mapping[str, Mapping[str, Any]],
    *,
    salesforce: SalesforceConnector,
    chosen: Collection[str] = (),
) -> dict[str, str]:
    """Opportunity id -> why it is not due, for the ``graphs`` of a batch; ``chosen`` (pushed by a person)
    are always due. A condition is asked of Salesforce in one query per 200 opportunities; a refusal
    raises the connector's error (the batch is retried, then set aside with it)."""
    judged = [key for key in graphs if key not in chosen]
    if trigger.kind == TriggerKind.CHECKBOX:
        name = trigger.checkbox_field
        return {
            key: f"{name} is not ticked: nothing to sync"
            for key in judged
            if graphs[key].get(name) is not True
        }
    if trigger.kind == TriggerKind.CONDITION:
        if not judged:
            return {}
        condition = trigger.condition.replace("{", "{{").replace("}", "}}")
        template = f"SELECT Id FROM Opportunity WHERE Id IN ({{ids}}) AND ({condition})"  # noqa: S608
        meeting = {str(row["Id"]) for row in salesforce.query_in(template, judged)}
        return {
            key: "does not meet the flow's condition: nothing to sync" for key in judged if key not in meeting
        }
    return {key: reason for key in judged if (reason := won_only(graphs[key]))}


# -- validation, when a trigger is saved ------------------------------------------------------------


def condition_clean(text: str) -> str:
    """``text`` as one WHERE expression, or a ValidationError saying why it is not one.

    Local checks only (Salesforce judges fields and syntax, :func:`trigger_validate`): no semicolon or
    comment, quotes closed, parentheses that never close the wrapper ``(...)`` Concord puts around it,
    and no clause that ends a WHERE (ORDER BY, LIMIT ...) outside a semi-join's parentheses."""
    condition = " ".join((text or "").split())
    if not condition:
        raise ValidationError("Write a condition, e.g. StageName = 'Closed Won' AND Amount > 10000.")
    if len(condition) > CONDITION_LIMIT:
        raise ValidationError(f"The condition is longer than {CONDITION_LIMIT} characters.")
    outside = _STRING.sub("''", condition)
    if "'" in outside.replace("''", ""):
        raise ValidationError("The condition has a quote that is not closed.")
    if ";" in outside or "--" in outside or "/*" in outside or "*/" in outside or "//" in outside:
        raise ValidationError("The condition may not contain ';' or comments: write one WHERE expression.")
    depth, top = 0, []
    for char in outside:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth < 0:
            raise ValidationError("The condition closes a parenthesis it did not open.")
        top.append(char if depth == 0 else " ")
    if depth:
        raise ValidationError("The condition leaves a parenthesis open.")
    clause = _CLAUSES.search("".join(top))
    if clause:
        raise ValidationError(
            f"The condition is a WHERE expression only: {clause.group(0).upper()!r} is not allowed here "
            "(a semi-join, Id IN (SELECT ...), goes in parentheses)."
        )
    if outside.upper().lstrip().startswith("WHERE "):
        raise ValidationError("Leave out the word WHERE: write the condition only.")
    return condition


def checkbox_field_clean(name: str) -> str:
    name = (name or "").strip()
    if not FIELD_NAME.match(name):
        raise ValidationError(f"{name!r} is not a Salesforce field name (e.g. {DEFAULT_CHECKBOX_FIELD}).")
    return name


def trigger_salesforce_connections() -> list[Connection]:
    """The Salesforce connections the Closed Won flow reads: those of active Outbound Message listeners,
    else every active Salesforce connection."""
    ids = set(
        Listener.objects.filter(is_active=True, kind=ListenerKind.OUTBOUND_MESSAGE).values_list(
            "salesforce_connection_id", flat=True
        )
    )
    connections = Connection.objects.filter(kind=ConnectionKind.SALESFORCE, is_active=True).order_by("name")
    return list(connections.filter(pk__in=ids) if ids else connections)


def trigger_validate(
    trigger: Trigger, *, connectors: Iterable[tuple[str, SalesforceConnector]] | None = None
) -> Trigger:
    """``trigger`` cleaned and checked against Salesforce (every ``(name, connector)``, by default those of
    :func:`trigger_salesforce_connections`); a ValidationError with Salesforce's own words otherwise."""
    if trigger.kind not in TriggerKind.values:
        raise ValidationError(f"Unknown trigger {trigger.kind!r}: one of {', '.join(TriggerKind.values)}.")
    if trigger.kind == TriggerKind.CLOSED_WON:
        return Trigger(TriggerKind.CLOSED_WON, trigger.checkbox_field or DEFAULT_CHECKBOX_FIELD)
    if connectors is None:
        connectors = [(c.name, salesforce_connector(c)) for c in trigger_salesforce_connections()]
    targets = list(connectors)
    if not targets:
        raise ValidationError(
            "There is no active Salesforce connection to check the trigger against: add one first."
        )
    if trigger.kind == TriggerKind.CHECKBOX:
        field = checkbox_field_clean(trigger.checkbox_field)
        for name, connector in targets:
            _checkbox_check(name, connector, field)
        return Trigger(TriggerKind.CHECKBOX, field)
    condition = condition_clean(trigger.condition)
    for name, connector in targets:
        try:
            list(connector.query(f"SELECT Id FROM Opportunity WHERE ({condition}) LIMIT 1"))  # noqa: S608
        except ConnectorError as error:
            raise ValidationError(
                f"Salesforce ({name}) refused the condition: {_vendor_words(error)}. Nothing was saved."
            ) from error
    return Trigger(TriggerKind.CONDITION, trigger.checkbox_field or DEFAULT_CHECKBOX_FIELD, condition)


def _checkbox_check(name: str, connector: SalesforceConnector, field: str) -> None:
    try:
        described = connector.describe("Opportunity")
    except ConnectorError as error:
        raise ValidationError(
            f"Could not read Opportunity's fields from Salesforce ({name}): {_vendor_words(error)}."
        ) from error
    fields = {str(f.get("name", "")).lower(): f for f in described.get("fields") or []}
    found = fields.get(field.lower())
    if found is None:
        raise ValidationError(
            f"Salesforce ({name}) has no field {field} on Opportunity. Create a checkbox field with that "
            "API name (Setup > Object Manager > Opportunity > Fields), or name the one your org uses."
        )
    if found.get("type") != "boolean":
        raise ValidationError(
            f"{found.get('name')} on Opportunity in Salesforce ({name}) is a {found.get('type')} field, "
            "not a checkbox."
        )
    if not found.get("updateable", True):
        raise ValidationError(
            f"{found.get('name')} on Opportunity in Salesforce ({name}) is read-only for Concord's user: "
            "Concord clears the checkbox after each sync, so it must be editable."
        )


def _vendor_words(error: ConnectorError) -> str:
    words = error.message.rstrip(".")
    return f"{error.code}: {words}" if error.code else words


def _field(name: str) -> str:
    """A field name as SOQL takes it (it was checked on save; this guards what reaches a query)."""
    if not FIELD_NAME.match(name):
        raise ValueError(f"not a field name: {name!r}")
    return name
