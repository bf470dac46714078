"""Reading Salesforce Outbound Message envelopes, and the one acknowledgement Salesforce accepts.

The body comes from the internet: defusedxml with DTDs forbidden refuses external entities (XXE) and
entity expansion (billion laughs) before any element is built.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from xml.etree.ElementTree import Element  # noqa: S405 - only the type; parsing goes through defusedxml
from xml.sax.saxutils import escape

from defusedxml import ElementTree
from defusedxml.common import DefusedXmlException

OUTBOUND_NS = "http://soap.sforce.com/2005/09/outbound"
SOBJECT_NS = "urn:sobject.enterprise.soap.sforce.com"
SOAP_ENV_NS = "http://schemas.xmlsoap.org/soap/envelope/"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
MAX_NOTIFICATIONS = 100

ACK = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    f'<soapenv:Envelope xmlns:soapenv="{SOAP_ENV_NS}" xmlns:xsd="http://www.w3.org/2001/XMLSchema" '
    f'xmlns:xsi="{XSI_NS}"><soapenv:Body>'
    f'<notificationsResponse xmlns="{OUTBOUND_NS}"><Ack>true</Ack></notificationsResponse>'
    "</soapenv:Body></soapenv:Envelope>"
).encode()


# A test notification's Id starts with this. Salesforce's own notification ids are 18-character record
# ids (letters and digits only), so a real message never carries one.
TEST_ID_PREFIX = "CONCORD-TEST-"
# A syntactically valid opportunity id that names no record: the test notification's sObject.
TEST_RECORD_ID = "006000000000000AAA"


def fault(message: str) -> bytes:
    """A SOAP 1.1 server fault: what a disabled listener answers (with a 503), which Salesforce counts as
    a failed delivery and retries."""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<soapenv:Envelope xmlns:soapenv="{SOAP_ENV_NS}"><soapenv:Body><soapenv:Fault>'
        f"<faultcode>soapenv:Server</faultcode><faultstring>{escape(message)}</faultstring>"
        "</soapenv:Fault></soapenv:Body></soapenv:Envelope>"
    ).encode()


def probe_envelope(*, organization_id: str, notification_id: str) -> bytes:
    """An Outbound Message as Salesforce sends it, holding one test notification about
    :data:`TEST_RECORD_ID` (``notification_id`` must start with :data:`TEST_ID_PREFIX`)."""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<soapenv:Envelope xmlns:soapenv="{SOAP_ENV_NS}" xmlns:xsd="http://www.w3.org/2001/XMLSchema" '
        f'xmlns:xsi="{XSI_NS}"><soapenv:Body><notifications xmlns="{OUTBOUND_NS}">'
        f"<OrganizationId>{escape(organization_id)}</OrganizationId>"
        "<ActionId>04k000000000000AAA</ActionId>"
        '<SessionId xsi:nil="true"/><EnterpriseUrl></EnterpriseUrl><PartnerUrl></PartnerUrl>'
        f"<Notification><Id>{escape(notification_id)}</Id>"
        f'<sObject xmlns:sf="{SOBJECT_NS}" xsi:type="sf:Opportunity">'
        f"<sf:Id>{TEST_RECORD_ID}</sf:Id><sf:Name>Concord test notification</sf:Name>"
        "</sObject></Notification></notifications></soapenv:Body></soapenv:Envelope>"
    ).encode()


def is_acknowledged(body: bytes) -> bool:
    """Whether ``body`` is the acknowledgement Salesforce accepts (``<Ack>true</Ack>``)."""
    try:
        root = ElementTree.fromstring(body, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except (DefusedXmlException, ElementTree.ParseError, ValueError):
        return False
    ack = root.find(f"{{{SOAP_ENV_NS}}}Body/{{{OUTBOUND_NS}}}notificationsResponse/{{{OUTBOUND_NS}}}Ack")
    return ack is not None and (ack.text or "").strip() == "true"


class MalformedMessage(ValueError):
    """The body is not an outbound message we can read; the message says why (sent back as a 400)."""


@dataclass(frozen=True)
class Notification:
    id: str
    sobject: str
    record_id: str
    fields: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class OutboundMessage:
    organization_id: str
    action_id: str
    notifications: list[Notification]


def parse_outbound_message(body: bytes) -> OutboundMessage:
    """The notifications of one envelope; raises :class:`MalformedMessage` for anything else."""
    try:
        root = ElementTree.fromstring(body, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise MalformedMessage(f"refused XML construct: {type(exc).__name__}") from exc
    except (ElementTree.ParseError, ValueError) as exc:
        raise MalformedMessage(f"not well-formed XML: {exc}") from exc
    if root.tag != f"{{{SOAP_ENV_NS}}}Envelope":
        raise MalformedMessage("not a SOAP 1.1 envelope")
    found = root.find(f"{{{SOAP_ENV_NS}}}Body/{{{OUTBOUND_NS}}}notifications")
    if found is None:
        raise MalformedMessage("no notifications element in the SOAP body")
    organization_id = _text(found, "OrganizationId")
    if not organization_id:
        raise MalformedMessage("no OrganizationId")
    items = found.findall(f"{{{OUTBOUND_NS}}}Notification")
    if not 1 <= len(items) <= MAX_NOTIFICATIONS:
        raise MalformedMessage(f"an outbound message holds 1 to {MAX_NOTIFICATIONS} notifications")
    return OutboundMessage(organization_id, _text(found, "ActionId"), [_notification(item) for item in items])


def _notification(item: Element) -> Notification:
    notification_id = _text(item, "Id")
    record = item.find(f"{{{OUTBOUND_NS}}}sObject")
    if not notification_id or record is None:
        raise MalformedMessage("a Notification needs an Id and an sObject")
    declared = record.get(f"{{{XSI_NS}}}type", "")
    sobject = declared.split(":", 1)[-1]
    values = {
        child.tag.split("}", 1)[-1]: (child.text or "").strip()
        for child in record
        if child.tag.startswith(f"{{{SOBJECT_NS}}}")
    }
    record_id = values.get("Id", "")
    if not sobject or not record_id or len(record_id) not in (15, 18) or not record_id.isalnum():
        raise MalformedMessage("a notification's sObject needs a type and a Salesforce Id")
    return Notification(notification_id[:120], sobject, record_id, values)


def _text(parent: Element, name: str) -> str:
    element = parent.find(f"{{{OUTBOUND_NS}}}{name}")
    return (element.text or "").strip() if element is not None else ""
