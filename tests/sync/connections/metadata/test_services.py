"""The metadata cache: refresh, what it reads, a failed refresh keeping the previous cache, audit,
who may refresh, and the selectors serving the cache in-process (connectors stubbed: no network)."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError

from governance.models import AuditEntry
from sync.connections.connectors.errors import ConnectorError
from sync.connections.metadata.selectors import (
    connection_metadata,
    metadata_summary,
    org_supplied_currency,
)
from sync.connections.metadata.services import MetadataRefreshFailed, metadata_refresh
from sync.connections.models import Connection, ConnectionMetadata, MetadataObject
from sync.integrations.sandboxes import editing_metadata
from tests.sync.connections.metadata.fakes import salesforce_org
from tests.sync.connections.support import offline_connection_pair

CONCORD_SF = {
    "Opportunity",
    "Account",
    "Contact",
    "OpportunityContactRole",
    "Product2",
    "SBQQ__Quote__c",
    "SBQQ__QuoteLine__c",
    "SBQQ__Subscription__c",
    "Organization",
}


@pytest.fixture
def pair(db: None) -> tuple[Connection, Connection]:
    return offline_connection_pair("meta")


def _entries(connection: Connection) -> list[AuditEntry]:
    return list(AuditEntry.objects.get_for_object(connection).order_by("pk"))


def test_it_reads_what_concord_needs_and_audits_the_refresh(
    pair: tuple[Connection, Connection], fake_systems: dict[str, Any], revops: User
) -> None:
    salesforce, _ = pair
    result = metadata_refresh(connection=salesforce, actor=revops)
    assert set(result.objects) == CONCORD_SF and result.missing == []
    # Objects the org lists but Concord does not need are not read.
    assert "Case" not in fake_systems["salesforce"].calls
    cache = ConnectionMetadata.objects.get(connection=salesforce)
    assert cache.fetched_at == result.fetched_at and cache.last_error == ""
    assert {"Case", "Lead", "Invoice__c"} <= set(cache.available)
    row = MetadataObject.objects.get(cache=cache, name="Opportunity")
    assert row.label == "Opportunity" and row.field_count == 19 and row.answer["name"] == "Opportunity"
    entry = _entries(salesforce)[-1]
    assert entry.actor == revops and entry.action == AuditEntry.Action.ACCESS
    assert entry.additional_data["event"] == "metadata_refresh"
    assert set(entry.additional_data["objects"]) == CONCORD_SF


def test_an_org_without_cpq_is_read_without_its_objects(
    pair: tuple[Connection, Connection], fake_systems: dict[str, Any]
) -> None:
    salesforce, _ = pair
    fake_systems["salesforce"] = salesforce_org(cpq=False)
    result = metadata_refresh(connection=salesforce)
    assert result.missing == ["SBQQ__Quote__c", "SBQQ__QuoteLine__c", "SBQQ__Subscription__c"]
    assert "SBQQ__Quote__c" not in result.objects and "Not in this org: SBQQ__Quote__c" in result.message
    assert connection_metadata(salesforce).object("SBQQ__Quote__c") is None


def test_an_extra_object_is_read_and_kept_on_later_refreshes(
    pair: tuple[Connection, Connection], fake_systems: dict[str, Any]
) -> None:
    salesforce, _ = pair
    first = metadata_refresh(connection=salesforce, objects=["invoice__c"])  # spelt as the org spells it
    assert "Invoice__c" in first.objects
    second = metadata_refresh(connection=salesforce)
    assert "Invoice__c" in second.objects


def test_an_object_the_system_does_not_list_is_refused_before_anything_changes(
    pair: tuple[Connection, Connection], fake_systems: dict[str, Any]
) -> None:
    salesforce, _ = pair
    metadata_refresh(connection=salesforce)
    before = ConnectionMetadata.objects.get(connection=salesforce).fetched_at
    with pytest.raises(ValidationError, match=r"Nope__c not found in meta-sf's org \(describeGlobal\)"):
        metadata_refresh(connection=salesforce, objects=["Nope__c"])
    with pytest.raises(ValidationError, match="not an object"):
        metadata_refresh(connection=salesforce, objects=["Bad Name; DROP"])
    cache = ConnectionMetadata.objects.get(connection=salesforce)
    assert cache.fetched_at == before and cache.last_error == ""


def test_a_refresh_failing_halfway_keeps_the_previous_cache_and_says_why(
    pair: tuple[Connection, Connection], fake_systems: dict[str, Any], admin: User
) -> None:
    salesforce, _ = pair
    fake_systems["salesforce"] = salesforce_org(custom=False)
    good = metadata_refresh(connection=salesforce)
    before = connection_metadata(salesforce)
    broken = salesforce_org(custom=True)
    broken.failing["Product2"] = ConnectorError(
        "salesforce", True, "Server unavailable", code="SERVER_UNAVAILABLE", status=503, operation="describe"
    )
    fake_systems["salesforce"] = broken
    with pytest.raises(MetadataRefreshFailed) as caught:
        metadata_refresh(connection=salesforce, actor=admin)
    message = str(caught.value)
    assert "the cached metadata is kept" in message and "reading Product2" in message and "503" in message
    # Opportunity was read again before the failure (with Region__c), but nothing of it was stored.
    assert "Opportunity" in broken.calls
    after = connection_metadata(salesforce)
    assert after is before and after.fetched_at == good.fetched_at.isoformat()
    assert after.object("Opportunity") is not None and after.object("Opportunity").field("Region__c") is None  # type: ignore[union-attr]
    cache = ConnectionMetadata.objects.get(connection=salesforce)
    assert cache.fetched_at == good.fetched_at and cache.last_error == message
    assert MetadataObject.objects.filter(cache=cache).count() == len(good.objects)
    entry = _entries(salesforce)[-1]
    assert entry.actor == admin and entry.additional_data["event"] == "metadata_refresh_failed"
    # The next good refresh clears the error and brings the new field.
    broken.failing.clear()
    metadata_refresh(connection=salesforce)
    assert ConnectionMetadata.objects.get(connection=salesforce).last_error == ""
    assert connection_metadata(salesforce).object("Opportunity").field("region__c") is not None  # type: ignore[union-attr]


def test_an_answer_of_the_wrong_shape_fails_the_refresh(
    pair: tuple[Connection, Connection], fake_systems: dict[str, Any]
) -> None:
    _, netsuite = pair
    fake_systems["netsuite"].schemas["invoice"] = {"type": "object"}
    with pytest.raises(MetadataRefreshFailed, match="the answer for invoice is not of the documented shape"):
        metadata_refresh(connection=netsuite)
    assert connection_metadata(netsuite).fetched_at == ""


def test_a_connection_that_cannot_sign_in_fails_clearly(pair: tuple[Connection, Connection]) -> None:
    salesforce, _ = pair  # no secrets stored: the connector cannot be built
    with pytest.raises(MetadataRefreshFailed, match="needs username, password, client_id, client_secret"):
        metadata_refresh(connection=salesforce)
    assert "needs" in ConnectionMetadata.objects.get(connection=salesforce).last_error


def test_netsuite_reads_the_record_types_the_catalog_lists(
    pair: tuple[Connection, Connection], fake_systems: dict[str, Any]
) -> None:
    _, netsuite = pair
    result = metadata_refresh(connection=netsuite, objects=["customrecord_region"])
    assert set(result.objects) == {
        "customer",
        "salesOrder",
        "invoice",
        "inventoryItem",
        "customrecord_region",
    }
    assert "vendorBill" not in fake_systems["netsuite"].calls
    assert "subscriptionChangeOrder" in result.missing
    order = connection_metadata(netsuite).object("salesorder")
    assert order is not None and order.fields["item"].sublist_fields["quantity"].type == "number"
    with pytest.raises(ValidationError, match="metadata catalog"):
        metadata_refresh(connection=netsuite, objects=["customrecord_gone"])


@pytest.mark.parametrize(
    ("persona", "allowed"), [("admin", True), ("revops", True), ("finance", False), ("auditor", False)]
)
def test_admins_and_mapping_editors_refresh(
    pair: tuple[Connection, Connection],
    fake_systems: dict[str, Any],
    request: pytest.FixtureRequest,
    persona: str,
    allowed: bool,
) -> None:
    salesforce, _ = pair
    user: User = request.getfixturevalue(persona)
    if allowed:
        assert metadata_refresh(connection=salesforce, actor=user).objects
    else:
        with pytest.raises(PermissionDenied):
            metadata_refresh(connection=salesforce, actor=user)
        assert not ConnectionMetadata.objects.filter(connection=salesforce).exists()


def test_the_selector_serves_the_cache_in_process_until_a_refresh(
    pair: tuple[Connection, Connection],
    fake_systems: dict[str, Any],
    django_assert_num_queries: Any,
) -> None:
    salesforce, netsuite = pair
    assert connection_metadata(salesforce).objects == {} and connection_metadata(salesforce).fetched_at == ""
    metadata_refresh(connection=salesforce)
    first = connection_metadata(salesforce)
    with django_assert_num_queries(1):  # the cache row's fetched_at, nothing else
        again = connection_metadata(salesforce)
    assert again is first and set(first.objects) == CONCORD_SF
    with pytest.raises(TypeError):
        first.objects["Opportunity"] = first.objects["Account"]  # type: ignore[index]
    metadata_refresh(connection=salesforce, objects=["Invoice__c"])
    fresh = connection_metadata(salesforce)
    assert fresh is not first and fresh.object("Invoice__c") is not None
    # editing_metadata: the (primary integration's) sandbox connections' caches, NetSuite's still empty.
    sf_side, ns_side = editing_metadata()
    assert sf_side is fresh and ns_side is not None and ns_side.objects == {}
    assert netsuite.kind == "netsuite"


def test_the_summary_lists_the_cached_objects(
    pair: tuple[Connection, Connection], fake_systems: dict[str, Any], auditor: User
) -> None:
    salesforce, _ = pair
    assert metadata_summary(user=auditor, connection_id=salesforce.pk).fetched_at is None
    metadata_refresh(connection=salesforce)
    summary = metadata_summary(user=auditor, connection_id=salesforce.pk)
    assert [row.name for row in summary.objects] == sorted(CONCORD_SF)
    assert summary.available_count == len(CONCORD_SF) + 3  # Invoice__c, Case, Lead


def test_a_refresh_learns_the_orgs_currencies(
    pair: tuple[Connection, Connection], fake_systems: dict[str, Any], auditor: User
) -> None:
    """No CurrencyType listed and no CurrencyIsoCode on any object: single-currency, in the currency the
    org names; CurrencyType listed: multi-currency. Stored with the cache, said by the summary, the
    selectors, the refresh message and its audit entry."""
    salesforce, netsuite = pair
    fake_systems["salesforce"].corporate = "EUR"
    result = metadata_refresh(connection=salesforce)
    assert result.message.endswith("Currencies: single-currency (EUR).")
    metadata = connection_metadata(salesforce)
    assert (metadata.multi_currency, metadata.supplied_currency) == (False, "EUR")
    assert org_supplied_currency(salesforce.pk) == "EUR"
    assert (
        metadata_summary(user=auditor, connection_id=salesforce.pk).currency_shape == "single-currency (EUR)"
    )
    assert _entries(salesforce)[-1].additional_data["corporate_currency"] == "EUR"
    fake_systems["salesforce"].listed_only = ("CurrencyType",)
    fake_systems["salesforce"].corporate = "USD"
    metadata_refresh(connection=salesforce)
    metadata = connection_metadata(salesforce)
    assert (metadata.multi_currency, metadata.corporate_currency, metadata.supplied_currency) == (
        True,
        "USD",
        "",
    )
    assert org_supplied_currency(salesforce.pk) == ""
    assert metadata_summary(user=auditor, connection_id=salesforce.pk).currency_shape == (
        "multi-currency (corporate USD)"
    )
    metadata_refresh(connection=netsuite)  # a NetSuite account has no such shape
    assert metadata_summary(user=auditor, connection_id=netsuite.pk).currency_shape == ""
