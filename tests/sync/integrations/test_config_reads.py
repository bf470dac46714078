"""Each integration reads its own configuration: published mapping, lookup tables, rules, dynamic lookups,
flow settings; two integrations with the same flow key never mix."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence

import pytest
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone

from sync.connections.models import Connection
from sync.integrations.models import Integration
from sync.integrations.selectors import primary_integration
from sync.mappings.models import DynamicLookupEntry, Flow, LookupTable, MappingVersion
from sync.mappings.selectors import NoPublishedMapping, published_mapping
from sync.mappings.services.lookups import ITEM_BY_SKU, _cached_fetch, lookup_tables_seed_defaults
from sync.mappings.services.seed import mapping_seed_defaults
from sync.mappings.services.specs import lookup_table_names
from sync.mappings.services.versions import (
    version_approve,
    version_create_draft,
    version_publish,
    version_submit,
)
from sync.onboarding.copying import config_copy
from sync.pipeline.flow_state import closed_won_trigger, flow_paused
from sync.pipeline.models import FlowSetting
from sync.pipeline.sources import live_mapping
from sync.rules.models import Rule
from sync.rules.services import (
    rule_create,
    rule_version_approve,
    rule_version_publish,
    rule_version_submit,
    rules_evaluate,
    rules_published_ruleset,
)

pytestmark = pytest.mark.django_db
FLOW = "opportunity_to_netsuite"


@pytest.fixture
def acme() -> Integration:
    return Integration.objects.create(name="acme", label="Acme", namespace="ACQ")


def _connection(name: str, kind: str = "netsuite") -> Connection:
    return Connection.objects.create(
        name=name,
        kind=kind,
        environment="production",
        base_url=f"https://{name}.example.com",
        auth_method="ns_token" if kind == "netsuite" else "sf_password",
    )


def test_the_migration_gave_existing_configuration_to_the_primary_and_keys_are_unique_per_integration(
    acme: Integration,
) -> None:
    flow = Flow.objects.create(key=FLOW, source="Opportunity", direction="Salesforce -> NetSuite")
    assert flow.integration == primary_integration()  # created without naming one: the primary's
    Flow.objects.create(integration=acme, key=FLOW, source="Opportunity", direction="Salesforce -> NetSuite")
    with pytest.raises(IntegrityError), transaction.atomic():
        Flow.objects.create(integration=acme, key=FLOW, source="Opportunity")
    LookupTable.objects.create(integration=acme, name="country_to_subsidiary")
    with pytest.raises(IntegrityError), transaction.atomic():
        LookupTable.objects.create(integration=acme, name="country_to_subsidiary")
    Rule.objects.create(integration=acme, key="amount_positive")
    with pytest.raises(IntegrityError), transaction.atomic():
        Rule.objects.create(integration=acme, key="amount_positive")


def test_published_mapping_is_the_integrations_own(
    acme: Integration, admin: User, revops: User, finance: User
) -> None:
    mapping_seed_defaults()
    config_copy(primary_integration(), acme, admin)
    with pytest.raises(NoPublishedMapping, match="acme"):
        published_mapping(FLOW, acme)
    draft = MappingVersion.objects.get(flow__integration=acme, flow__key=FLOW)
    draft.description = "Acme's deals"
    draft.save(update_fields=["description"])
    version_submit(version=draft, user=revops)
    version_approve(version=draft, user=finance)
    version_publish(version=draft, user=finance)

    primary_version, primary_mapping = published_mapping(FLOW)
    acme_version, acme_mapping = published_mapping(FLOW, acme)
    assert primary_version.flow.integration.is_primary and acme_version.flow.integration == acme
    assert acme_version.pk == draft.pk and primary_version.pk != acme_version.pk
    assert acme_mapping.spec["description"] == "Acme's deals" != primary_mapping.spec["description"]
    # The pipeline's source picks by integration too; the primary's new version leaves acme's alone.
    assert live_mapping(FLOW, acme)[0] == acme_version.pk
    assert live_mapping(FLOW)[0] == primary_version.pk
    newer = version_create_draft(flow=primary_version.flow, user=revops)
    version_submit(version=newer, user=revops)
    version_approve(version=newer, user=finance)
    version_publish(version=newer, user=finance)
    assert live_mapping(FLOW)[0] == newer.pk
    assert live_mapping(FLOW, acme)[0] == acme_version.pk


def test_a_mapping_compiles_against_its_own_integrations_tables(acme: Integration) -> None:
    lookup_tables_seed_defaults()
    assert "country_to_subsidiary" in lookup_table_names()
    assert lookup_table_names(acme) == set()
    LookupTable.objects.create(integration=acme, name="country_to_subsidiary")
    assert lookup_table_names(acme) == {"country_to_subsidiary"}


def _rule_publish(integration: Integration, key: str, condition: str, revops: User, finance: User) -> None:
    version = rule_create(
        user=revops,
        key=key,
        integration=integration,
        name=key,
        subject="opportunity",
        placement="pre_sale",
        severity="block",
        message=f"{key} failed",
        condition=condition,
    )
    rule_version_submit(version=version, user=revops)
    rule_version_approve(version=version, user=finance, reason="ok")
    rule_version_publish(version=version, user=finance)


def test_each_integration_evaluates_only_its_own_published_rules(
    acme: Integration, revops: User, finance: User
) -> None:
    _rule_publish(primary_integration(), "amount_under_limit", "Amount < 1000", revops, finance)
    _rule_publish(acme, "amount_under_limit", "Amount < 50000", revops, finance)
    _rule_publish(acme, "named", 'Name != ""', revops, finance)
    record = {"Amount": 5000, "Name": "Big deal"}

    primary = rules_evaluate(placement="pre_sale", subject="opportunity", record=record)
    acme_outcome = rules_evaluate(
        placement="pre_sale", subject="opportunity", record=record, integration=acme
    )
    assert primary.decision == "blocked"
    assert acme_outcome.decision == "passed"
    assert [rule.spec.key for rule in rules_published_ruleset(acme).rules] == ["amount_under_limit", "named"]
    assert [rule.spec.key for rule in rules_published_ruleset().rules] == ["amount_under_limit"]
    # Both cached side by side: asking again gives the same compiled sets, not each other's.
    assert rules_published_ruleset(acme) is rules_published_ruleset(acme)
    assert len(rules_published_ruleset().rules) == 1


def test_dynamic_lookup_answers_are_kept_per_netsuite_account() -> None:
    first, second = _connection("ns-one"), _connection("ns-two")
    asked: list[tuple[str, Sequence[str]]] = []

    def fetch_from(name: str, ids: dict[str, str]) -> Callable[[Sequence[str]], dict[str, str]]:
        def fetch(keys: Sequence[str]) -> dict[str, str]:
            asked.append((name, list(keys)))
            return {key: ids[key] for key in keys if key in ids}

        return fetch

    assert _cached_fetch(fetch_from("one", {"SKU-1": "101"}), first.pk)(["SKU-1"]) == {"SKU-1": "101"}
    assert _cached_fetch(fetch_from("two", {"SKU-1": "9001"}), second.pk)(["SKU-1"]) == {"SKU-1": "9001"}
    # Cached now: each account answers from its own rows without asking again.
    assert _cached_fetch(fetch_from("one", {}), first.pk)(["SKU-1"]) == {"SKU-1": "101"}
    assert _cached_fetch(fetch_from("two", {}), second.pk)(["SKU-1"]) == {"SKU-1": "9001"}
    assert asked == [("one", ["SKU-1"]), ("two", ["SKU-1"])]
    assert DynamicLookupEntry.objects.filter(source=ITEM_BY_SKU, key="SKU-1").count() == 2
    DynamicLookupEntry.objects.update(fetched_at=timezone.now() - dt.timedelta(days=2))
    assert _cached_fetch(fetch_from("one", {"SKU-1": "102"}), first.pk)(["SKU-1"]) == {"SKU-1": "102"}


def test_flow_settings_are_the_integrations_own(acme: Integration) -> None:
    primary_flow = Flow.objects.create(key=FLOW, source="Opportunity")
    acme_flow = Flow.objects.create(integration=acme, key=FLOW, source="Opportunity")
    FlowSetting.objects.create(flow=acme_flow, paused=True)
    FlowSetting.objects.create(flow=primary_flow, trigger="checkbox", checkbox_field="Ready__c")
    assert flow_paused(FLOW, acme) and not flow_paused(FLOW)
    assert closed_won_trigger().kind == "checkbox"
    assert closed_won_trigger(acme).kind == "closed_won"
