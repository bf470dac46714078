"""Tickets reach a real webhook over HTTP, signed, and failed deliveries are tried again with backoff."""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.utils import timezone

from governance.models import AuditEntry
from sync.exceptions.models import ExceptionAction, ExceptionCategory, Ticket, TicketEndpoint, TicketStatus
from sync.exceptions.ticket_endpoint import ticket_endpoint_set, ticket_endpoint_test
from sync.exceptions.tickets import backoff, ticket_deliver, ticket_endpoint, tickets_deliver_due
from tests.sync.exceptions.support import raise_sample

pytestmark = pytest.mark.django_db
SECRET = "webhook-shared-secret"


class Tracker(ThreadingHTTPServer):
    """A ticket tracker that checks signatures and fails the first delivery it receives."""

    received: list[dict[str, Any]]
    fail_next: int


class TrackerHandler(BaseHTTPRequestHandler):
    server: Tracker

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        timestamp = self.headers["X-Concord-Timestamp"]
        expected = hmac.new(SECRET.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
        valid = hmac.compare_digest(self.headers["X-Concord-Signature"], f"sha256={expected}")
        self.server.received.append({"valid": valid, "payload": json.loads(body)})
        if not valid:
            self._answer(401, {"error": "bad signature"})
        elif self.server.fail_next > 0:
            self.server.fail_next -= 1
            self._answer(503, {"error": "try later"})
        else:
            self._answer(201, {"id": f"OPS-{len(self.server.received)}"})

    def _answer(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
        return


@pytest.fixture
def tracker() -> Iterator[Tracker]:
    server = Tracker(("127.0.0.1", 0), TrackerHandler)
    server.received, server.fail_next = [], 1
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def _webhook(server: Tracker, secret: str = SECRET) -> Any:
    return override_settings(
        EXCEPTION_TICKET_WEBHOOK_URL=f"http://127.0.0.1:{server.server_address[1]}/tickets",
        EXCEPTION_TICKET_WEBHOOK_SECRET=secret,
    )


def test_it_opens_a_ticket_and_retries_a_failed_delivery(
    tracker: Tracker, django_capture_on_commit_callbacks: Any
) -> None:
    ExceptionCategory.objects.create(key="sync_failure", name="Sync failure", auto_ticket=True)
    start = timezone.now()
    with _webhook(tracker), django_capture_on_commit_callbacks(execute=True):
        item = raise_sample(now=start)  # auto ticket; the delivery task runs after commit (inline)
    ticket = Ticket.objects.get(item=item)
    assert ticket.status == TicketStatus.PENDING and ticket.attempts == 1
    assert tracker.received[0]["valid"] and tracker.received[0]["payload"]["exception_id"] == item.pk
    assert ticket.next_attempt_at is not None
    wait = ticket.next_attempt_at - timezone.now()
    assert timedelta(seconds=25) < wait <= timedelta(seconds=34)  # 30 s backoff (+ up to 10% jitter)

    with _webhook(tracker):
        assert tickets_deliver_due(now=start + timedelta(seconds=5)) == 0  # not due yet
        assert tickets_deliver_due(now=ticket.next_attempt_at + timedelta(seconds=1)) == 1
    ticket.refresh_from_db()
    assert (ticket.status, ticket.external_ref, ticket.attempts) == (TicketStatus.DELIVERED, "OPS-2", 2)
    attempts = list(ticket.attempt_log.values_list("ok", "status_code"))
    assert attempts == [(False, 503), (True, 201)]
    assert item.events.filter(action=ExceptionAction.TICKET_OPENED).count() == 1

    # Occurring again does not open a second ticket.
    with _webhook(tracker), django_capture_on_commit_callbacks(execute=True):
        raise_sample(now=start + timedelta(minutes=1))
    assert Ticket.objects.filter(item=item).count() == 1


def test_it_records_a_refused_signature_as_a_failed_attempt(tracker: Tracker) -> None:
    ExceptionCategory.objects.create(key="sync_failure", name="Sync failure", auto_ticket=True)
    item = raise_sample()
    ticket = Ticket.objects.get(item=item)
    with _webhook(tracker, secret="wrong-secret"):
        ticket_deliver(ticket_id=ticket.pk)
    ticket.refresh_from_db()
    assert tracker.received[0]["valid"] is False
    assert ticket.status == TicketStatus.PENDING and ticket.last_status.startswith("HTTP 401")


def test_it_records_an_unreachable_webhook_and_gives_up_after_the_last_attempt() -> None:
    ExceptionCategory.objects.create(key="sync_failure", name="Sync failure", auto_ticket=True)
    ticket = Ticket.objects.get(item=raise_sample())
    now = timezone.now()
    with override_settings(EXCEPTION_TICKET_WEBHOOK_URL="http://127.0.0.1:9/nothing-listens"):
        for _ in range(8):
            now += timedelta(days=1)
            ticket_deliver(ticket_id=ticket.pk, now=now)
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.FAILED and ticket.attempts == 8
    assert ticket.attempt_log.count() == 8 and not ticket.attempt_log.filter(ok=True).exists()
    assert "ConnectionError" in ticket.attempt_log.first().error  # type: ignore[union-attr]


def test_it_backs_off_exponentially_up_to_a_cap() -> None:
    assert timedelta(seconds=60) <= backoff(2) <= timedelta(seconds=66)
    assert timedelta(seconds=480) <= backoff(5) <= timedelta(seconds=528)
    assert backoff(30) <= timedelta(hours=6, minutes=36)


def test_the_endpoint_saved_by_an_admin_wins_over_the_environment_and_keeps_its_secret_hidden(
    tracker: Tracker, admin: User, django_capture_on_commit_callbacks: Any
) -> None:
    url = f"http://127.0.0.1:{tracker.server_address[1]}/tickets"
    with override_settings(
        EXCEPTION_TICKET_WEBHOOK_URL="https://env.example/x", EXCEPTION_TICKET_WEBHOOK_SECRET="e"
    ):
        assert ticket_endpoint().url_source == "environment"
        ticket_endpoint_set(user=admin, url=url, secret=SECRET)
        stored = TicketEndpoint.objects.get()
        assert stored.secret.startswith("fernet:") and SECRET not in stored.secret
        endpoint = ticket_endpoint()
        assert (endpoint.url, endpoint.secret, endpoint.url_source) == (url, SECRET, "console")
        entry = AuditEntry.objects.filter(additional_data__event="ticket_endpoint_changed").latest("pk")
        assert entry.actor == admin and SECRET not in json.dumps(entry.changes)

        ExceptionCategory.objects.create(key="sync_failure", name="Sync failure", auto_ticket=True)
        tracker.fail_next = 0
        with django_capture_on_commit_callbacks(execute=True):
            item = raise_sample()
        assert tracker.received[-1]["valid"] and tracker.received[-1]["payload"]["exception_id"] == item.pk
        assert Ticket.objects.get(item=item).status == TicketStatus.DELIVERED

        result = ticket_endpoint_test(user=admin)
        assert result.ok and "HTTP 201" in result.message
        assert tracker.received[-1]["payload"]["test"] is True and tracker.received[-1]["valid"]

        ticket_endpoint_set(user=admin, url="", clear_secret=True)  # back to the environment's
        assert ticket_endpoint().url == "https://env.example/x"


def test_the_endpoint_refuses_plain_http_and_people_who_are_not_admins(finance: User, admin: User) -> None:
    with pytest.raises(ValidationError, match="https://"):
        ticket_endpoint_set(user=admin, url="http://tracker.example/hook")
    with pytest.raises(ValidationError):
        ticket_endpoint_set(user=admin, url="not a url")
    with pytest.raises(PermissionDenied):
        ticket_endpoint_set(user=finance, url="https://tracker.example/hook")
    assert not TicketEndpoint.objects.exists()
    assert ticket_endpoint_test(user=admin).ok is False  # nowhere to send: says so


def test_the_command_sets_the_secret_from_the_environment_only(
    monkeypatch: pytest.MonkeyPatch, admin: User
) -> None:
    monkeypatch.setenv("TICKET_SECRET", "s3cret")
    out = io.StringIO()
    call_command(
        "ticket_endpoint",
        "set",
        "--url",
        "https://t.example/h",
        "--secret-env",
        "TICKET_SECRET",
        "--as",
        "admin",
        stdout=out,
    )
    assert "secret: set (console)" in out.getvalue() and "s3cret" not in out.getvalue()
    with pytest.raises(CommandError, match="empty or unset"):
        call_command("ticket_endpoint", "set", "--secret-env", "NO_SUCH_VARIABLE")
