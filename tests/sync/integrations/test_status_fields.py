"""An integration's own sync status fields: its org keeps the status under other names."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from sync.integrations.models import Integration, status_fields_validate
from sync.pipeline.sync_status import StatusFields, status_fields

pytestmark = pytest.mark.django_db

ACME = {
    "salesforce": {
        sobject: {
            "status": "ERP_Sync_Status__c",
            "message": "ERP_Sync_Error__c",
            "time": "ERP_Last_Synced__c",
        }
        for sobject in ("Opportunity", "Account", "Contact")
    }
}


def test_an_integrations_fields_replace_the_defaults_for_its_org_only() -> None:
    acme = Integration.objects.create(name="acme", namespace="ACQ", status_fields=ACME)
    own = status_fields("salesforce", acme)
    assert own["Opportunity"] == StatusFields("ERP_Sync_Status__c", "ERP_Sync_Error__c", "ERP_Last_Synced__c")
    assert status_fields("salesforce")["Opportunity"].status == "Concord_Sync_Status__c"
    # NetSuite is not overridden: the account's fields stay the install's.
    assert status_fields("netsuite", acme) == status_fields("netsuite")


def test_one_field_can_be_overridden_or_switched_off() -> None:
    partial = Integration(
        name="eu",
        namespace="EU",
        status_fields={"salesforce": {"Contact": {"time": ""}, "Account": {"message": "X__c"}}},
    )
    fields = status_fields("salesforce", partial)
    assert fields["Contact"] == StatusFields("Concord_Sync_Status__c", "Concord_Sync_Message__c", "")
    assert fields["Account"].message == "X__c" and fields["Account"].status == "Concord_Sync_Status__c"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ([], "an object keyed by salesforce / netsuite"),
        ({"sap": {}}, "unknown system 'sap'"),
        ({"salesforce": {"Opportunity": {"colour": "X__c"}}}, "only status, message and time"),
        ({"salesforce": {"Opportunity": {"status": "bad name!"}}}, "is not a field name"),
        ({"netsuite": {"customer": "custentity_x"}}, "only status, message and time"),
    ],
)
def test_a_malformed_setting_is_refused_with_the_reason(value: object, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        status_fields_validate(value)
    status_fields_validate(ACME)  # the well-formed one passes
