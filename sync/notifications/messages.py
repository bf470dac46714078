"""The wire payloads of each channel, built from one event (pure functions; no Django, no I/O).

* Slack incoming webhook: a JSON object with ``text`` (the fallback shown in notifications) and
  ``blocks`` (Block Kit: a ``header`` block, a ``section`` with ``mrkdwn`` text, a ``context`` line).
  Slack answers 200 with the body ``ok``; errors come as 4xx with a short text (``invalid_payload``,
  ``no_service``, ``channel_is_archived``...), and 429 with ``Retry-After`` when rate limited.
* Microsoft Teams incoming webhook (a Workflows "post to a channel when a webhook request is received"
  URL, or a legacy connector URL): a ``message`` whose one attachment is an Adaptive Card
  (``contentType`` ``application/vnd.microsoft.card.adaptive``). Workflows answer 202, legacy 200.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

SLACK_TEXT_LIMIT = 3000  # characters in one section block's text
ADAPTIVE_CARD_VERSION = "1.4"


@dataclass(frozen=True)
class Message:
    """What any channel says: a title, a few lines of body, where to look, and the event's label."""

    title: str
    body: str
    url: str
    label: str


def slack_payload(message: Message) -> dict[str, Any]:
    text = message.body or message.title
    if message.url:
        text += f"\n<{message.url}|Open in Concord>"
    return {
        "text": message.title,
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": message.title[:150], "emoji": False}},
            {"type": "section", "text": {"type": "mrkdwn", "text": text[:SLACK_TEXT_LIMIT]}},
            {"type": "context", "elements": [{"type": "mrkdwn", "text": f"Concord · {message.label}"}]},
        ],
    }


def teams_payload(message: Message) -> dict[str, Any]:
    body: list[dict[str, Any]] = [
        {"type": "TextBlock", "text": message.title, "weight": "Bolder", "size": "Medium", "wrap": True},
        {"type": "TextBlock", "text": message.body or message.title, "wrap": True},
        {"type": "TextBlock", "text": f"Concord · {message.label}", "isSubtle": True, "size": "Small"},
    ]
    card: dict[str, Any] = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": ADAPTIVE_CARD_VERSION,
        "body": body,
    }
    if message.url:
        card["actions"] = [{"type": "Action.OpenUrl", "title": "Open in Concord", "url": message.url}]
    return {
        "type": "message",
        "attachments": [
            {"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None, "content": card}
        ],
    }


def email_text(message: Message) -> tuple[str, str]:
    """(subject, body) of the e-mail."""
    subject = f"[Concord] {message.title}"[:150]
    body = f"{message.body or message.title}\n"
    if message.url:
        body += f"\nOpen in Concord: {message.url}\n"
    body += f"\n{message.label}. Change what you receive on the Notifications settings page.\n"
    return subject, body
