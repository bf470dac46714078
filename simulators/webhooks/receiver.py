"""Slack and Microsoft Teams incoming webhooks as they answer, on loopback over HTTPS.

Each hook is a path registered with :meth:`WebhookReceiver.hook` (``/services/T.../B.../...`` for Slack,
``/workflows/...`` for Teams), as the vendors hand out one secret URL per channel. What it checks and
answers, as the vendors document it:

* Slack: a JSON object with a non-empty ``text`` or ``blocks``; each block needs a ``type``. 200 ``ok``;
  a bad payload 400 ``invalid_payload``; an unknown hook 404 ``no_service``; a removed one 410
  ``channel_is_archived``.
* Teams (Workflows): ``{"type": "message", "attachments": [...]}`` with an attachment whose
  ``contentType`` is ``application/vnd.microsoft.card.adaptive`` and whose ``content`` is an
  ``AdaptiveCard`` with a ``body``. 202 (accepted); a bad payload 400 with a JSON error; unknown 404.

:meth:`WebhookReceiver.fail_next` makes a hook answer a fault the next N times (503, or 429 with
``Retry-After``, or a dropped connection), for the retry tests. Everything received is kept in order.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from simulators.core.http import DropConnection, Request, Response, SimulatorServer
from simulators.core.tls import ensure_certificates

ADAPTIVE = "application/vnd.microsoft.card.adaptive"


@dataclass
class Received:
    path: str
    payload: Any
    status: int


@dataclass
class _Fault:
    status: int  # 0: drop the connection
    count: int
    retry_after: int | None = None


@dataclass
class WebhookReceiver:
    hooks: dict[str, str] = field(default_factory=dict)  # path -> "slack" | "teams"
    archived: set[str] = field(default_factory=set)
    received: list[Received] = field(default_factory=list)
    faults: dict[str, _Fault] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def hook(self, kind: str, path: str) -> str:
        if kind not in ("slack", "teams"):
            raise ValueError(f"unknown hook kind {kind!r}")
        self.hooks[path] = kind
        return path

    def fail_next(
        self, path: str, *, status: int = 503, count: int = 1, retry_after: int | None = None
    ) -> None:
        self.faults[path] = _Fault(status, count, retry_after)

    def delivered(self, path: str) -> list[Any]:
        """The payloads ``path`` accepted, in order."""
        return [entry.payload for entry in self.received if entry.path == path and entry.status < 300]

    def handle(self, request: Request) -> Response:
        if request.method != "POST":
            return Response.text(405, "method_not_allowed")
        with self.lock:
            fault = self.faults.get(request.path)
            if fault is not None and fault.count > 0:
                fault.count -= 1
                if fault.status == 0:
                    raise DropConnection()
                headers = [("Retry-After", str(fault.retry_after))] if fault.retry_after is not None else []
                self.received.append(Received(request.path, None, fault.status))
                return Response(fault.status, b"try later", [("Content-Type", "text/plain"), *headers])
        kind = self.hooks.get(request.path)
        if kind is None:
            return Response.text(404, "no_service")
        if request.path in self.archived:
            return Response.text(410, "channel_is_archived")
        try:
            payload = request.json()
        except ValueError:
            payload = None
        problem = _slack_problem(payload) if kind == "slack" else _teams_problem(payload)
        with self.lock:
            status = 400 if problem else (200 if kind == "slack" else 202)
            self.received.append(Received(request.path, payload, status))
        if problem:
            if kind == "slack":
                return Response.text(400, "invalid_payload")
            return Response.json(400, {"error": {"code": "InvalidRequestContent", "message": problem}})
        return Response.text(200, "ok") if kind == "slack" else Response.empty(202)


def _slack_problem(payload: Any) -> str:
    if not isinstance(payload, dict):
        return "not a JSON object"
    blocks = payload.get("blocks")
    if not payload.get("text") and not blocks:
        return "no text or blocks"
    if blocks is not None and (
        not isinstance(blocks, list) or not all(isinstance(b, dict) and b.get("type") for b in blocks)
    ):
        return "a block without a type"
    return ""


def _teams_problem(payload: Any) -> str:
    if not isinstance(payload, dict) or payload.get("type") != "message":
        return "the body must be a message"
    attachments = payload.get("attachments")
    if not isinstance(attachments, list) or not attachments:
        return "a message needs attachments"
    for attachment in attachments:
        content = attachment.get("content") if isinstance(attachment, dict) else None
        if attachment.get("contentType") != ADAPTIVE or not isinstance(content, dict):
            return "each attachment must be an Adaptive Card"
        if content.get("type") != "AdaptiveCard" or not isinstance(content.get("body"), list):
            return "the card must be an AdaptiveCard with a body"
    return ""


@dataclass
class RunningReceiver:
    receiver: WebhookReceiver
    server: SimulatorServer
    ca_file: str

    @property
    def url(self) -> str:
        return self.server.url

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def start_receiver(directory: Path) -> RunningReceiver:
    """Serve a new receiver over HTTPS on a free loopback port (certificates kept under ``directory``)."""
    certificates = ensure_certificates(directory)
    receiver = WebhookReceiver()
    server = SimulatorServer(("127.0.0.1", 0), receiver, certificates=certificates)
    server.start_in_thread()
    return RunningReceiver(receiver, server, str(certificates.ca))
