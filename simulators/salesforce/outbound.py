"""Outbound messages: workflow rules that POST a SOAP notification when a record comes to meet them.

A rule fires when a record is created meeting its criterion, or edited so that it now meets it having
not met it before ("created, and any time it's edited to subsequently meet criteria"). The
notification row is written in the same transaction as the record (an outbox), so nothing is lost
on a crash; :mod:`simulators.salesforce.delivery` posts pending notifications in messages of up to
100 and retries failures at growing intervals (15 s doubling up to 2 h) until 24 h after the change.
``time_scale`` shrinks every interval for tests and demos.
"""
# ruff: noqa: S608 - table and column names come from the schema definitions, values are always bound.

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from simulators.core.store import SqliteStore
from simulators.salesforce import ids
from simulators.salesforce.delivery import Courier
from simulators.salesforce.schema import Schema, SObject
from simulators.salesforce.store import next_number
from simulators.salesforce.values import output

OPERATORS = ("equals", "notEqual")


@dataclass(frozen=True)
class Rule:
    id: str
    name: str
    object: str
    field: str
    operator: str
    value: Any
    endpoint_url: str
    fields: tuple[str, ...]
    send_session_id: bool
    ca_file: str | None

    def public(self) -> dict[str, Any]:
        answer = asdict(self)
        answer["fields"] = list(self.fields)
        return answer


class Outbound:
    """Rules, the durable notification queue and its delivery thread."""

    def __init__(
        self,
        store: SqliteStore,
        schema: Schema,
        *,
        organization_id: str,
        api_version: str,
        time_scale: float,
        issue_session: Callable[[], str],
    ) -> None:
        self.store = store
        self.schema = schema
        self.organization_id = organization_id
        self.api_version = api_version
        self.time_scale = time_scale
        self.issue_session = issue_session
        self.base_url = ""
        self._rules: dict[str, Rule] = {}
        self._by_object: dict[str, list[Rule]] = {}
        self._lock = threading.Lock()
        self.courier = Courier(self)
        self._load_rules()

    # -- rules ----------------------------------------------------------------------------------

    def _load_rules(self) -> None:
        rows = self.store.read().execute("SELECT * FROM _outbound_rule ORDER BY created_at").fetchall()
        rules = [
            Rule(
                row["id"],
                row["name"],
                row["object"],
                row["field"],
                row["operator"],
                json.loads(row["value"]),
                row["endpoint_url"],
                tuple(json.loads(row["fields"])),
                bool(row["send_session_id"]),
                row["ca_file"],
            )
            for row in rows
        ]
        by_object: dict[str, list[Rule]] = {}
        for rule in rules:
            by_object.setdefault(rule.object, []).append(rule)
        with self._lock:
            self._rules = {rule.id: rule for rule in rules}
            self._by_object = by_object

    def rules(self) -> list[Rule]:
        with self._lock:
            return list(self._rules.values())

    def create_rule(self, payload: dict[str, Any]) -> Rule:
        """Validate and store a rule; raises ValueError with a readable reason."""
        sobject = self.schema.get(str(payload.get("object", "")))
        if sobject is None:
            raise ValueError(f"unknown object {payload.get('object')!r}")
        criterion = sobject.field(str(payload.get("field", "")))
        if criterion is None:
            raise ValueError(f"{sobject.name} has no field {payload.get('field')!r}")
        operator = str(payload.get("operator", "equals"))
        if operator not in OPERATORS:
            raise ValueError(f"operator must be one of {', '.join(OPERATORS)}")
        endpoint = str(payload.get("endpoint_url", ""))
        if not endpoint.startswith(("http://", "https://")):
            raise ValueError("endpoint_url must be an http:// or https:// URL")
        names = ["Id"]
        for name in payload.get("fields") or [criterion.name]:
            f = sobject.field(str(name))
            if f is None:
                raise ValueError(f"{sobject.name} has no field {name!r}")
            if f.name not in names:
                names.append(f.name)
        if "value" not in payload:
            raise ValueError("value is required (the criterion's value)")
        with self.store.write() as connection:
            rule_id = ids.make_id("04k", next_number(connection, "04k"))
            rule = Rule(
                rule_id,
                str(payload.get("name") or f"{sobject.name} {criterion.name} {operator}"),
                sobject.name,
                criterion.name,
                operator,
                payload["value"],
                endpoint,
                tuple(names),
                bool(payload.get("send_session_id", False)),
                payload.get("ca_file"),
            )
            connection.execute(
                "INSERT INTO _outbound_rule (id, name, object, field, operator, value, endpoint_url, fields, "
                "send_session_id, ca_file, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    rule.id,
                    rule.name,
                    rule.object,
                    rule.field,
                    rule.operator,
                    json.dumps(rule.value),
                    rule.endpoint_url,
                    json.dumps(list(rule.fields)),
                    int(rule.send_session_id),
                    rule.ca_file,
                    time.time(),
                ),
            )
        self._load_rules()
        return rule

    def delete_rule(self, rule_id: str) -> bool:
        with self.store.write() as connection:
            deleted = connection.execute("DELETE FROM _outbound_rule WHERE id = ?", (rule_id,)).rowcount
            connection.execute(
                "UPDATE _outbound_notification SET status = 'dropped', last_error = 'rule deleted' "
                "WHERE rule_id = ? AND status = 'pending'",
                (rule_id,),
            )
        self._load_rules()
        return bool(deleted)

    def matches(self, rule: Rule, sobject: SObject, row: dict[str, Any] | None) -> bool:
        if row is None or row.get("IsDeleted"):
            return False
        f = sobject.by_lower[rule.field.lower()]
        actual = output(f)(row.get(f.name))
        expected = rule.value
        if f.type == "boolean" and isinstance(expected, str):
            expected = expected.lower() == "true"
        if isinstance(actual, str) and isinstance(expected, str):
            equal = actual.lower() == expected.lower()
        elif (
            isinstance(actual, float) and isinstance(expected, int | float) and not isinstance(expected, bool)
        ):
            equal = actual == float(expected)
        else:
            equal = actual == expected
        return equal if rule.operator == "equals" else not equal

    # -- the outbox -----------------------------------------------------------------------------

    def on_change(
        self,
        connection: sqlite3.Connection,
        sobject: SObject,
        record_id: str,
        before: dict[str, Any] | None,
        after: dict[str, Any],
    ) -> None:
        """The record writer's hook: queue a notification for every rule the record has come to meet."""
        rules = self._by_object.get(sobject.name)
        if not rules:
            return
        now = time.time()
        for rule in rules:
            if self.matches(rule, sobject, after) and not self.matches(rule, sobject, before):
                notification_id = ids.make_id("04l", next_number(connection, "04l"))
                connection.execute(
                    "INSERT INTO _outbound_notification (id, rule_id, object, record_id, created_at, "
                    "next_attempt_at) VALUES (?, ?, ?, ?, ?, ?)",
                    (notification_id, rule.id, sobject.name, record_id, now, now),
                )

    def rule(self, rule_id: str) -> Rule | None:
        return self._rules.get(rule_id)

    # -- delivery (see simulators.salesforce.delivery) ------------------------------------------

    def start(self) -> None:
        self.courier.start()

    def stop(self) -> None:
        self.courier.stop()

    def wake(self) -> None:
        """Tell the delivery thread to look now (call after the write transaction committed)."""
        self.courier.wake()

    def deliver_due(self) -> float:
        return self.courier.deliver_due()

    def retry_now(self) -> int:
        """Make every pending notification due at once (a control for demos and tests)."""
        return self.courier.retry_now()

    def status(self, limit: int = 100) -> dict[str, Any]:
        connection = self.store.read()
        counts = {"pending": 0, "delivered": 0, "dropped": 0}
        for row in connection.execute("SELECT status, COUNT(*) FROM _outbound_notification GROUP BY status"):
            counts[row[0]] = row[1]
        recent = connection.execute(
            "SELECT id, rule_id, object, record_id, status, attempts, last_error, created_at, "
            "next_attempt_at, delivered_at FROM _outbound_notification "
            "ORDER BY created_at DESC, id DESC LIMIT ?",
            (limit,),
        )
        return {
            **counts,
            "messages": self.courier.stats(),
            "time_scale": self.time_scale,
            "notifications": [dict(row) for row in recent],
        }
