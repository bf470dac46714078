"""Delivering outbound messages: the background thread that posts due notifications and records the result.

Pending notifications are grouped per rule into messages of at most 100, with the record's current field
values. A delivery counts only when the listener answers HTTP 200 with ``<Ack>true</Ack>``; otherwise
each notification waits ``retry_delay(attempts) * time_scale`` before the next try, and is dropped once
it is older than 24 hours (scaled). Everything lives in SQLite, so a restart resumes where it stopped.
"""
# ruff: noqa: S608 - table and column names come from the schema definitions, values are always bound.

from __future__ import annotations

import sqlite3
import threading
import time
from collections import Counter
from typing import TYPE_CHECKING, Any

import requests

from simulators.salesforce import soap
from simulators.salesforce.schema import SObject
from simulators.salesforce.values import soap_value

if TYPE_CHECKING:
    from simulators.salesforce.outbound import Outbound, Rule

FIRST_RETRY_SECONDS = 15.0
MAX_RETRY_SECONDS = 2 * 3600.0
GIVE_UP_SECONDS = 24 * 3600.0
BATCH = 100
DELIVERY_TIMEOUT_SECONDS = 10.0


def retry_delay(attempts: int) -> float:
    """Seconds to wait after the ``attempts``-th failed delivery (unscaled)."""
    return min(FIRST_RETRY_SECONDS * 2 ** max(0, attempts - 1), MAX_RETRY_SECONDS)


class Courier:
    """The delivery thread of one :class:`~simulators.salesforce.outbound.Outbound`."""

    def __init__(self, outbound: Outbound) -> None:
        self.outbound = outbound
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._stats: Counter[str] = Counter()
        self._lock = threading.Lock()

    def wake(self) -> None:
        """Tell the delivery thread to look now (call after the write transaction committed)."""
        self._wake.set()

    def stats(self) -> dict[str, Any]:
        with self._lock:
            return dict(self._stats)

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="salesforce-outbound", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=DELIVERY_TIMEOUT_SECONDS + 5)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                pause = self.deliver_due()
            except sqlite3.Error:
                pause = 1.0
            self._wake.wait(timeout=pause)
            self._wake.clear()

    def deliver_due(self) -> float:
        """Send every notification that is due; returns how long the thread may sleep."""
        now = time.time()
        rows = (
            self.outbound.store.read()
            .execute(
                "SELECT * FROM _outbound_notification WHERE status = 'pending' AND next_attempt_at <= ? "
                "ORDER BY created_at, id LIMIT 1000",
                (now,),
            )
            .fetchall()
        )
        batches: dict[str, list[sqlite3.Row]] = {}
        for row in rows:
            batches.setdefault(row["rule_id"], []).append(row)
        for rule_id, pending in batches.items():
            rule = self.outbound.rule(rule_id)
            for start in range(0, len(pending), BATCH):
                if self._stop.is_set():
                    return 0.0
                self._deliver(rule, pending[start : start + BATCH])
        if len(rows) == 1000:
            return 0.0
        following = (
            self.outbound.store.read()
            .execute("SELECT MIN(next_attempt_at) FROM _outbound_notification WHERE status = 'pending'")
            .fetchone()[0]
        )
        if following is None:
            return 1.0
        return max(0.0, min(1.0, float(following) - time.time()))

    def _deliver(self, rule: Rule | None, pending: list[sqlite3.Row]) -> None:
        if rule is None:
            self._finish(pending, ok=False, error="rule deleted", drop=True)
            return
        sobject = self.outbound.schema.sobjects.get(rule.object)
        if sobject is None:  # the org's shape has no such object now (a CPQ rule, started --no-cpq)
            self._finish(pending, ok=False, error=f"{rule.object} is not in this org", drop=True)
            return
        notifications = [
            soap.Notification(row["id"], sobject.name, self._fields(rule, sobject, row["record_id"]))
            for row in pending
        ]
        base = self.outbound.base_url
        org15 = self.outbound.organization_id[:15]
        body = soap.envelope(
            organization_id=self.outbound.organization_id,
            action_id=rule.id,
            session_id=self.outbound.issue_session() if rule.send_session_id else None,
            enterprise_url=f"{base}/services/Soap/c/{self.outbound.api_version}/{org15}",
            partner_url=f"{base}/services/Soap/u/{self.outbound.api_version}/{org15}",
            notifications=notifications,
        )
        error = ""
        with requests.Session() as session:
            session.trust_env = False  # the rule's CA, not REQUESTS_CA_BUNDLE, decides whom to trust
            try:
                answer = session.post(
                    rule.endpoint_url,
                    data=body,
                    timeout=DELIVERY_TIMEOUT_SECONDS,
                    verify=rule.ca_file or True,
                    headers={
                        "Content-Type": "text/xml; charset=utf-8",
                        "SOAPAction": '""',
                        "User-Agent": "Salesforce Outbound Message Simulator",
                    },
                )
                if answer.status_code != 200:
                    error = f"HTTP {answer.status_code}"
                elif not soap.acknowledged(answer.content):
                    error = "no <Ack>true</Ack> in the response"
            except requests.RequestException as exc:
                error = f"{type(exc).__name__}: {exc}"[:500]
        with self._lock:
            self._stats["messages_sent"] += 1
            self._stats["messages_acknowledged" if not error else "messages_failed"] += 1
        self._finish(pending, ok=not error, error=error)

    def _fields(self, rule: Rule, sobject: SObject, record_id: str) -> tuple[tuple[str, str], ...]:
        row = (
            self.outbound.store.read()
            .execute(f'SELECT * FROM "{sobject.table}" WHERE "Id" = ?', (record_id,))
            .fetchone()
        )
        if row is None:
            return (("Id", record_id),)
        values = []
        for name in rule.fields:
            f = sobject.by_lower.get(name.lower())
            # A field the org's shape hides now (CurrencyIsoCode in a single-currency start) is not sent.
            if f is not None and row[f.name] is not None:
                values.append((f.name, soap_value(f, row[f.name])))
        return tuple(values)

    def _finish(self, pending: list[sqlite3.Row], *, ok: bool, error: str, drop: bool = False) -> None:
        now = time.time()
        with self.outbound.store.write() as connection:
            for row in pending:
                attempts = row["attempts"] + 1
                if ok:
                    connection.execute(
                        "UPDATE _outbound_notification SET status = 'delivered', attempts = ?, "
                        "delivered_at = ?, last_error = NULL WHERE id = ?",
                        (attempts, now, row["id"]),
                    )
                    continue
                give_up = drop or now - row["created_at"] >= GIVE_UP_SECONDS * self.outbound.time_scale
                connection.execute(
                    "UPDATE _outbound_notification SET status = ?, attempts = ?, last_error = ?, "
                    "next_attempt_at = ? WHERE id = ?",
                    (
                        "dropped" if give_up else "pending",
                        attempts,
                        error,
                        now + retry_delay(attempts) * self.outbound.time_scale,
                        row["id"],
                    ),
                )

    def retry_now(self) -> int:
        """Make every pending notification due at once (a control for demos and tests)."""
        with self.outbound.store.write() as connection:
            count = connection.execute(
                "UPDATE _outbound_notification SET next_attempt_at = 0 WHERE status = 'pending'"
            ).rowcount
        self.wake()
        return int(count)
