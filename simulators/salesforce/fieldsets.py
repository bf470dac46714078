"""Which custom fields the org's admins created: Concord's own set, or another company's.

Two orgs never have the same custom fields. ``concord`` (the default) is the org set up for Concord from
the start: the sync status fields ``Concord_Sync_Status__c`` / ``Concord_Sync_Message__c`` /
``Concord_Last_Sync__c`` on Account, Contact and Opportunity, and ``Account.Subsidiary__c``.

``acme`` is an acquired company's org, set up by its own admins before Concord arrived:

- the sync status fields under their names: ``ERP_Sync_Status__c`` (picklist, the same values),
  ``ERP_Sync_Error__c`` (long text) and ``ERP_Last_Synced__c`` (date-time), on the same three objects;
  ``Concord_Sync_*`` do not exist there (describe leaves them out, SOQL naming them is ``INVALID_FIELD``);
- ``Account.Region__c`` (picklist of sales regions) instead of ``Account.Subsidiary__c``;
- ``Opportunity.Acme_Deal_Code__c`` (text 20, external id, unique): the deal code the company quotes by.

Everything else Concord reads and writes back (``NetSuite_Id__c``, ``NetSuite_Sales_Order_Id__c``, the
return flows' objects and fields, ``Send_to_NetSuite__c``) is in both: the admins added them for Concord.
"""

from __future__ import annotations

from simulators.salesforce.fields import SYNC_STATUSES, long_text, picklist, text, typed
from simulators.salesforce.schema import Field, SObject

FIELD_SETS = ("concord", "acme")
DEFAULT_FIELD_SET = "concord"

CONCORD_SYNC_FIELDS = ("Concord_Sync_Status__c", "Concord_Sync_Message__c", "Concord_Last_Sync__c")
# The acquired org's names for the same three fields: status, message, time.
ACME_SYNC_FIELDS = ("ERP_Sync_Status__c", "ERP_Sync_Error__c", "ERP_Last_Synced__c")
ACME_REGIONS = ("DACH", "Benelux", "Nordics", "UK&I", "Southern Europe")
# Where a seeded account's billing country puts it (others: no region).
ACME_REGION_OF_COUNTRY = {"DE": "DACH", "GB": "UK&I", "IE": "UK&I"}
_SYNC_OBJECTS = ("Account", "Contact", "Opportunity")


def _acme_sync_fields() -> list[Field]:
    status, message, moment = ACME_SYNC_FIELDS
    return [
        picklist(status, SYNC_STATUSES, "ERP Sync Status"),
        long_text(message, "ERP Sync Error"),
        typed(moment, "datetime", "ERP Last Synced"),
    ]


def _acme_fields(sobject: SObject) -> tuple[set[str], list[Field]]:
    """(names to drop, fields to add) for one object of the acquired company's org."""
    dropped: set[str] = set()
    added: list[Field] = []
    if sobject.name in _SYNC_OBJECTS:
        dropped |= set(CONCORD_SYNC_FIELDS)
        added += _acme_sync_fields()
    if sobject.name == "Account":
        dropped.add("Subsidiary__c")
        added.append(picklist("Region__c", ACME_REGIONS, "Sales Region"))
    if sobject.name == "Opportunity":
        added.append(text("Acme_Deal_Code__c", "Deal Code", 20, external_id=True, unique=True))
    return dropped, added


def apply_field_set(sobjects: list[SObject], field_set: str) -> None:
    """Shape ``sobjects`` (a fresh :func:`objects.build_schema` list) to ``field_set``, in place."""
    if field_set not in FIELD_SETS:
        raise ValueError(f"field set must be one of {', '.join(FIELD_SETS)}, not {field_set!r}")
    if field_set == DEFAULT_FIELD_SET:
        return
    for sobject in sobjects:
        dropped, added = _acme_fields(sobject)
        if dropped or added:
            _reshape(sobject, dropped, added)


def extra_fields() -> dict[str, list[Field]]:
    """Fields only a non-default set has, by object: the file keeps a column for each in every shape."""
    extras: dict[str, list[Field]] = {}
    for name in ("Account", "Contact", "Opportunity"):
        _, added = _acme_fields(SObject(name, name, "000", []))
        extras[name] = added
    return extras


def _reshape(sobject: SObject, dropped: set[str], added: list[Field]) -> None:
    sobject.fields = [f for f in sobject.fields if f.name not in dropped] + added
    sobject.__post_init__()
