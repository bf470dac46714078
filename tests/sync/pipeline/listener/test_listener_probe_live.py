"""The test notification, end to end over real HTTP against the running console (pytest-django's
live_server): reached and acknowledged, recorded, never in the inbox; a rotated URL is refused clearly; a
webhook test is signed with the stored key; and each failure says what it is."""

from __future__ import annotations

import socket
from io import StringIO
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.urls import reverse

from governance.models import AuditEntry
from sync.pipeline.listener.probe import NOT_CURRENT, listener_test_send
from sync.pipeline.listener.services import listener_set_active, listener_token_rotate
from sync.pipeline.listener.setup import listener_url
from sync.pipeline.models import InboxMessage, Listener
from tests.api_support import token_client
from tests.sync.pipeline.conftest import THREADED_DB
from tests.sync.pipeline.listener.support import listener_issue, url_token

# The live server's thread reads what the test commits; THREADED_DB's flush also works on PostgreSQL.
pytestmark = THREADED_DB


@pytest.fixture(autouse=True)
def fresh_content_types() -> None:
    # A THREADED_DB test's flush recreates the content types under new ids; forget the cached ones, or
    # this test's audit entries point at rows that are gone.
    ContentType.objects.clear_cache()


def _url(server: Any, listener: Listener, token: str | None = None) -> str:
    """The listener's URL on ``server`` (the live server, or a base URL)."""
    base = server if isinstance(server, str) else server.url
    return listener_url(listener=listener, token=token or url_token(listener), base_url=base)


def test_a_test_notification_reaches_the_listener_and_never_the_inbox(
    live_server: Any, listener: Listener, admin: User, enqueued: list[str]
) -> None:
    result = listener_test_send(listener=listener, url=_url(live_server, listener), user=admin)
    assert (result.ok, result.reached, result.status, result.acknowledged, result.error) == (
        True,
        True,
        200,
        True,
        "",
    )
    assert 0 <= result.elapsed_ms < 10_000 and url_token(listener) not in result.url
    listener.refresh_from_db()
    assert listener.last_test_at is not None and listener.last_received_at is None
    assert not InboxMessage.objects.exists() and enqueued == []
    entry = AuditEntry.objects.get(additional_data__event="listener_test_sent")
    assert entry.actor == admin and "acknowledged" in entry.additional_data["outcome"]


def test_after_two_rotations_the_old_url_is_refused_and_the_new_one_works(
    live_server: Any, listener: Listener, admin: User
) -> None:
    first = _url(live_server, listener)
    listener_token_rotate(listener=listener, user=admin)
    newest = listener_token_rotate(listener=listener, user=admin)
    with pytest.raises(ValidationError, match="was it rotated"):
        listener_test_send(listener=listener, url=first)
    assert NOT_CURRENT.startswith("not this listener's current URL")
    assert listener_test_send(listener=listener, url=_url(live_server, listener, newest)).ok
    # The command says the same.
    with pytest.raises(CommandError, match="was it rotated"):
        call_command("listener_test", listener.name, "--url", first)
    out = StringIO()
    call_command("listener_test", listener.name, "--url", _url(live_server, listener, newest), stdout=out)
    assert "Reached: yes; HTTP status: 200; acknowledged: yes" in out.getvalue()


def test_a_disabled_listener_reports_503_and_an_enabled_one_acknowledges(
    live_server: Any, listener: Listener
) -> None:
    listener_set_active(listener=listener, is_active=False)
    result = listener_test_send(listener=listener, url=_url(live_server, listener))
    assert (result.ok, result.reached, result.status) == (False, True, 503)
    assert "listener disabled in Concord; retry later" in result.error
    with pytest.raises(CommandError, match="HTTP 503"):
        call_command("listener_test", listener.name, "--url", _url(live_server, listener), stdout=StringIO())
    listener_set_active(listener=listener, is_active=True)
    assert listener_test_send(listener=listener, url=_url(live_server, listener)).ok


def test_each_failure_says_what_it_is(live_server: Any, listener: Listener) -> None:
    token = url_token(listener)
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    refused = listener_test_send(listener=listener, url=_url(f"http://127.0.0.1:{port}", listener), timeout=3)
    assert (refused.reached, refused.status) == (False, None) and "could not connect" in refused.error
    assert token not in refused.error
    tls = listener_test_send(
        listener=listener, url=_url(live_server.url.replace("http://", "https://"), listener), timeout=3
    )
    assert (tls.reached, tls.error.startswith("TLS error")) == (False, True)
    # Reached, but not the listener: a path behind another prefix is the console's 404.
    missing = listener_test_send(listener=listener, url=_url(live_server.url + "/elsewhere", listener))
    assert (missing.reached, missing.status, missing.ok) == (True, 404, False)
    assert missing.error.startswith("HTTP 404")


def test_a_listener_without_an_org_id_is_reported_as_refusing(live_server: Any, listener: Listener) -> None:
    # The test message comes from the listener's own org id; with none set every message is refused,
    # the test's included, and the result says so.
    Listener.objects.filter(pk=listener.pk).update(allowed_org_id="")
    listener.refresh_from_db()
    result = listener_test_send(listener=listener, url=_url(live_server, listener))
    assert (result.ok, result.status) == (False, 403) and "organization id not allowed" in result.error


def test_a_webhook_test_is_signed_with_the_stored_key(
    live_server: Any, webhook_listener: Listener, connections: Any
) -> None:
    assert listener_test_send(listener=webhook_listener, url=_url(live_server, webhook_listener)).ok
    webhook_listener.refresh_from_db()
    assert webhook_listener.last_test_at is not None and not InboxMessage.objects.exists()
    # A listener made without a key refuses every signature, the test's included: said plainly.
    unkeyed = listener_issue(
        name="unkeyed",
        kind="webhook",
        salesforce_connection=connections[0],
        netsuite_connection=connections[1],
    )
    result = listener_test_send(listener=unkeyed, url=_url(live_server, unkeyed))
    assert (result.ok, result.status) == (False, 403) and "the listener has no signing key" in result.error


def test_the_api_sends_a_test_and_refuses_a_stale_url(
    live_server: Any, listener: Listener, admin: User
) -> None:
    client = token_client(admin)
    path = f"/api/v1/listeners/{listener.pk}/test/"
    good = client.post(path, {"url": _url(live_server, listener)}, content_type="application/json")
    assert good.status_code == 200, good.content
    body = good.json()
    assert (body["ok"], body["status"], body["acknowledged"], body["error"]) == (True, 200, True, "")
    assert url_token(listener) not in good.content.decode()
    stale = client.post(
        path,
        {"url": live_server.url + "/sync/inbound/outbound-message/old/"},
        content_type="application/json",
    )
    assert stale.status_code == 400 and "was it rotated" in stale.content.decode()


def test_the_page_shows_the_result(live_server: Any, listener: Listener, admin_client: Any) -> None:
    answer = admin_client.post(
        reverse("sync:listener-test", args=[listener.pk]), {"url": _url(live_server, listener)}
    )
    html = answer.content.decode()
    assert answer.status_code == 200 and answer["Cache-Control"] == "no-store"
    assert "acknowledged" in html and "Reached, HTTP 200, acknowledged in" in html
    assert "Last test notification" in html
