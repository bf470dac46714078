"""The outbound-message SOAP 1.1 envelope Salesforce posts, and the acknowledgement it expects back."""

from __future__ import annotations

from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

from defusedxml import ElementTree
from defusedxml.common import DefusedXmlException

OUTBOUND_NS = "http://soap.sforce.com/2005/09/outbound"
SOBJECT_NS = "urn:sobject.enterprise.soap.sforce.com"
SOAP_ENV_NS = "http://schemas.xmlsoap.org/soap/envelope/"


@dataclass(frozen=True)
class Notification:
    id: str
    sobject: str
    # (field name, value in enterprise-WSDL text form), Id first; null fields are left out.
    fields: tuple[tuple[str, str], ...]


def envelope(
    *,
    organization_id: str,
    action_id: str,
    session_id: str | None,
    enterprise_url: str,
    partner_url: str,
    notifications: list[Notification],
) -> bytes:
    """One ``notifications`` message holding 1 to 100 notifications."""
    if not 1 <= len(notifications) <= 100:
        raise ValueError("an outbound message holds 1 to 100 notifications")
    session = f"<SessionId>{escape(session_id)}</SessionId>" if session_id else '<SessionId xsi:nil="true"/>'
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<soapenv:Envelope xmlns:soapenv="{SOAP_ENV_NS}" xmlns:xsd="http://www.w3.org/2001/XMLSchema" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">',
        "<soapenv:Body>",
        f'<notifications xmlns="{OUTBOUND_NS}">',
        f"<OrganizationId>{escape(organization_id)}</OrganizationId>",
        f"<ActionId>{escape(action_id)}</ActionId>",
        session,
        f"<EnterpriseUrl>{escape(enterprise_url)}</EnterpriseUrl>",
        f"<PartnerUrl>{escape(partner_url)}</PartnerUrl>",
    ]
    for notification in notifications:
        parts.append(f"<Notification><Id>{escape(notification.id)}</Id>")
        parts.append(f'<sObject xsi:type={quoteattr("sf:" + notification.sobject)} xmlns:sf="{SOBJECT_NS}">')
        parts.extend(f"<sf:{name}>{escape(value)}</sf:{name}>" for name, value in notification.fields)
        parts.append("</sObject></Notification>")
    parts.append("</notifications></soapenv:Body></soapenv:Envelope>")
    return "".join(parts).encode("utf-8")


def acknowledged(body: bytes) -> bool:
    """True when ``body`` is a SOAP answer holding ``<Ack>true</Ack>`` in the outbound namespace.

    The listener is untrusted: the XML is parsed with entity and DTD tricks refused.
    """
    try:
        root = ElementTree.fromstring(body, forbid_dtd=True)
    except (ElementTree.ParseError, DefusedXmlException, ValueError):
        return False
    return any((element.text or "").strip() == "true" for element in root.iter(f"{{{OUTBOUND_NS}}}Ack"))
