"""The field conflicts page: what the return flows recorded, filtered, for every role."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from sync.connections.models import Connection
from sync.pipeline.models import FieldConflict
from tests.sync.connections.support import offline_connection_pair


def conflict(netsuite: Connection, field: str, *, resolved: bool = False) -> FieldConflict:
    return FieldConflict.objects.create(
        netsuite_connection=netsuite,
        flow="netsuite_customer_to_salesforce",
        sobject="Account",
        salesforce_id="001000000000001AAA",
        netsuite_type="customer",
        netsuite_id="107",
        field=field,
        owner="salesforce",
        owner_value="+1 415 555 0100",
        other_value="+1 212 555 0199",
        synced_value="+1 415 555 0100",
        detected_at=timezone.now(),
        resolved_at=timezone.now() if resolved else None,
    )


def test_it_lists_conflicts_with_both_values_and_filters_open_ones(db: None, auditor: User) -> None:
    _, netsuite = offline_connection_pair("conflicts")
    conflict(netsuite, "Phone")
    conflict(netsuite, "Website", resolved=True)
    client = Client()
    client.force_login(auditor)
    page = client.get(reverse("sync:conflicts"))
    assert page.status_code == 200
    text = page.content.decode()
    assert "Phone" in text and "Website" in text and "+1 212 555 0199" in text and "in NetSuite" in text
    only_open = client.get(reverse("sync:conflicts"), {"open": "on"}).content.decode()
    assert "<code>Phone</code>" in only_open and "<code>Website</code>" not in only_open
    by_field = client.get(reverse("sync:conflicts"), {"field": "Website"}).content.decode()
    assert "<code>Website</code>" in by_field and "<code>Phone</code>" not in by_field
