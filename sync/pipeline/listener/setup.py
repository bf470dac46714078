"""What to set up on the sender's side for a listener: the steps the listener page, the API and the
``listener_create`` / ``listener_rotate_token`` commands all show, built here once.

:func:`trigger_criteria` is the one place that says *when* Salesforce should notify Concord: every
listener serves the Closed Won flow, whose trigger (Closed Won, a "send to NetSuite" checkbox, a SOQL
condition the user wrote: sync/pipeline/triggers.py) the steps below follow.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.urls import reverse

from sync.pipeline.flow_state import closed_won_trigger
from sync.pipeline.listener import webhook
from sync.pipeline.models import Listener, ListenerKind
from sync.pipeline.triggers import TriggerKind

URL_NAMES = {
    ListenerKind.OUTBOUND_MESSAGE: "sync:inbound-outbound",
    ListenerKind.WEBHOOK: "sync:inbound-webhook",
}
# Shown in place of the token once the URL has been handed out (Concord keeps only its hash).
MASK = "********"
# Concord reads the opportunity, its account, contacts and quote fresh when it syncs: the notification
# only has to name the record. The other fields are kept on the inbox row for people reading it.
REQUIRED_FIELDS = ("Id",)
USEFUL_FIELDS = ("Name", "StageName")


@dataclass(frozen=True)
class Condition:
    """One criterion on the record, in the words of Salesforce's setup screens."""

    field_label: str  # as the workflow rule editor shows it ("Stage")
    field_api: str  # as the flow's entry conditions show it ("StageName")
    operator: str  # "equals"
    value: str

    def workflow_text(self, sobject: str) -> str:
        return f"{sobject}: {self.field_label} {self.operator} {self.value}"

    def flow_text(self) -> str:
        return f"{self.field_api} {self.operator.capitalize()} {self.value}"


@dataclass(frozen=True)
class TriggerCriteria:
    """When the sender notifies Concord: all ``conditions`` met, the ``formula`` true, or the records a
    ``soql`` WHERE condition selects (the user's own trigger condition)."""

    sobject: str
    conditions: tuple[Condition, ...] = ()
    formula: str = ""
    soql: str = ""

    @property
    def summary(self) -> str:
        if self.soql:
            return f"{self.sobject} WHERE {self.soql}"
        if self.formula:
            return f"{self.sobject}: {self.formula}"
        return " AND ".join(condition.workflow_text(self.sobject) for condition in self.conditions)


CLOSED_WON = TriggerCriteria(
    sobject="Opportunity", conditions=(Condition("Stage", "StageName", "equals", "Closed Won"),)
)


def trigger_criteria(listener: Listener) -> TriggerCriteria:
    """When Salesforce should notify ``listener``: the Closed Won flow's trigger, as Salesforce's setup
    screens word it (every listener serves that flow)."""
    trigger = closed_won_trigger()
    if trigger.kind == TriggerKind.CHECKBOX:
        field = trigger.checkbox_field
        return TriggerCriteria(sobject="Opportunity", conditions=(Condition(field, field, "equals", "True"),))
    if trigger.kind == TriggerKind.CONDITION:
        return TriggerCriteria(sobject="Opportunity", soql=trigger.condition)
    return CLOSED_WON


@dataclass(frozen=True)
class SetupStep:
    title: str
    lines: tuple[str, ...]
    example: str = ""  # a block to copy as is (shown preformatted)


@dataclass(frozen=True)
class SetupGuide:
    url: str  # the exact URL, or the masked one when the token is not known here
    url_is_exact: bool
    steps: tuple[SetupStep, ...] = field(default_factory=tuple)

    def as_text(self) -> str:
        """The guide as the commands print it."""
        out = []
        for number, step in enumerate(self.steps, 1):
            out.append(f"{number}. {step.title}")
            out.extend(f"   - {line}" for line in step.lines)
            if step.example:
                out.extend(f"     {line}" for line in step.example.splitlines())
        return "\n".join(out)

    def as_json(self) -> list[dict[str, object]]:
        return [{"title": s.title, "lines": list(s.lines), "example": s.example} for s in self.steps]


def listener_url(*, listener: Listener, token: str, base_url: str) -> str:
    """The full URL to give Salesforce (or the webhook sender): ``base_url`` is the console's address as
    the sender reaches it, e.g. ``https://concord.example``."""
    return base_url.rstrip("/") + reverse(URL_NAMES[ListenerKind(listener.kind)], args=[token])


def listener_url_masked(*, listener: Listener, base_url: str) -> str:
    """The listener's URL with its token hidden: what the page shows once the URL has been handed out."""
    return listener_url(listener=listener, token=MASK, base_url=base_url)


def setup_guide(*, listener: Listener, base_url: str, token: str = "") -> SetupGuide:
    """The steps to make the sender post to ``listener``; with ``token`` (just created or rotated) they
    carry the exact URL, otherwise the masked one."""
    if token:
        url = listener_url(listener=listener, token=token, base_url=base_url)
    else:
        url = listener_url_masked(listener=listener, base_url=base_url)
    criteria = trigger_criteria(listener)
    if listener.kind == ListenerKind.WEBHOOK:
        steps = _webhook_steps(url, criteria)
    else:
        steps = _outbound_steps(listener, url, criteria)
    return SetupGuide(url=url, url_is_exact=bool(token), steps=steps)


def _outbound_steps(listener: Listener, url: str, criteria: TriggerCriteria) -> tuple[SetupStep, ...]:
    if criteria.soql:
        # Concord asks Salesforce again whether the record meets the condition before it syncs it, so an
        # entry condition a little wider than the SOQL only costs a notification, never a wrong sync.
        flow_condition = (
            f"conditions selecting the same records as the SOQL condition {criteria.soql} (Concord checks "
            "each notified record against it with Salesforce before syncing)"
        )
        rule_criteria = f"the same records as the SOQL condition {criteria.soql}"
    elif criteria.formula:
        flow_condition = f"Formula Evaluates to True: {criteria.formula}"
        rule_criteria = f"formula evaluates to true: {criteria.formula}"
    else:
        flow_condition = "All Conditions Are Met (AND): " + "; ".join(
            c.flow_text() for c in criteria.conditions
        )
        rule_criteria = "criteria are met: " + " AND ".join(
            c.workflow_text(criteria.sobject) for c in criteria.conditions
        )
    org = listener.allowed_org_id
    return (
        SetupStep(
            "In Salesforce Setup, Quick Find 'Outbound Messages', then New Outbound Message",
            (
                f"Object: {criteria.sobject}",
                f"Name: Concord {listener.name}",
                f"Endpoint URL: {url}",
                "User to send as: an integration user who can read the opportunities to sync",
                "Send Session ID: unticked (the URL's secret authenticates; no Salesforce session is needed)",
                f"Fields to send: {', '.join(REQUIRED_FIELDS)} (required: Concord reads the opportunity, its "
                f"account, contacts and quote fresh when it syncs); {', '.join(USEFUL_FIELDS)} are useful, "
                "they are kept with the inbox row",
            ),
        ),
        SetupStep(
            "Send it from a record-triggered flow (Setup > Flows > New Flow > Record-Triggered Flow)",
            (
                f"Object: {criteria.sobject}",
                "Trigger the flow when: A record is created or updated",
                f"Set entry conditions: {flow_condition}",
                "When to run the flow for updated records: Only when a record is updated to meet the "
                "condition requirements",
                "Optimize the flow for: Actions and Related Records",
                "Add an action: Outbound Message, the one made in step 1; save and activate the flow",
            ),
        ),
        SetupStep(
            "Or, in an org that still has workflow rules (Setup > Workflow Rules > New Rule)",
            (
                f"Object: {criteria.sobject}",
                "Evaluation criteria: created, and any time it's edited to subsequently meet criteria",
                f"Rule criteria: {rule_criteria}",
                "Immediate workflow action: Select Existing Action > Outbound Message, the one from step 1; "
                "activate the rule",
            ),
        ),
        SetupStep(
            "The organization Concord accepts",
            (
                f"Organization id: {org}"
                if org
                else "No organization id is set: every message is refused "
                "(403) until the listener is created again with the org id (Setup > Company Information)",
                "A message from any other org is refused with 403 and nothing is stored",
            ),
        ),
        SetupStep(
            "Check the path",
            (
                "Send a test notification from the listener's page (or manage.py listener_test): Concord "
                "posts a marked test message to the URL and expects Salesforce's acknowledgement back",
                f"Then move an opportunity to meet the criteria ({criteria.summary}) and watch 'Last "
                "notification' on the listener's page; Salesforce's side: Setup > Outbound Messages > "
                "View Message Delivery Status",
                "While the listener is disabled it answers 503 and Salesforce retries for 24 hours: "
                "nothing is lost if it is enabled again within that time",
            ),
        ),
    )


def _webhook_steps(url: str, criteria: TriggerCriteria) -> tuple[SetupStep, ...]:
    body = '{"events": [{"id": "evt-0001", "sobject": "Opportunity", "record_id": "0065g00000AbCdEAAA"}]}'
    example = "\n".join(
        (
            "ts=$(date +%s)",
            f"body='{body}'",
            'sig=$(printf \'%s.%s\' "$ts" "$body" | openssl dgst -sha256 -hmac "$KEY" | sed \'s/^.* //\')',
            f'curl -X POST "{url}" -H "Content-Type: application/json" \\',
            f'  -H "{webhook.TIMESTAMP_HEADER}: $ts" -H "{webhook.SIGNATURE_HEADER}: sha256=$sig" \\',
            '  --data "$body"',
        )
    )
    return (
        SetupStep(
            "Post JSON to the listener's URL",
            (f"POST {url}", "Content-Type: application/json", f"Send when: {criteria.summary}"),
        ),
        SetupStep(
            "Sign each request with the signing key entered when the listener was made",
            (
                f"{webhook.TIMESTAMP_HEADER}: the time of sending in Unix seconds (refused when more than "
                f"{webhook.TOLERANCE_SECONDS // 60} minutes from Concord's clock)",
                f"{webhook.SIGNATURE_HEADER}: sha256=<hex HMAC-SHA256 under the key of "
                "'<timestamp>.<raw body>'>, the timestamp header's value, a dot, then the body's exact bytes",
            ),
        ),
        SetupStep(
            "The body names the records that changed",
            (
                '{"events": [{"id": ..., "sobject": "Opportunity", "record_id": ...}]}',
                f"1 to {webhook.MAX_EVENTS} events; id: unique per event, at most 100 characters (a repeated "
                "id is stored once, so retries are safe); record_id: the 15- or 18-character Salesforce id",
            ),
        ),
        SetupStep(
            "The answers",
            (
                '200 {"accepted": n, "new": m}: stored; 403 signature refused; 400 malformed; 413 too large',
                "503 listener disabled: retry later (nothing is stored while it is off)",
            ),
        ),
        SetupStep("Example (KEY holds the signing key)", (), example),
    )
