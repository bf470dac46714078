"""Creating, changing and deactivating integrations: clear refusals, the listener and schedules made with
it, one audit entry per change, the configuration copy, and who may."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django_q.models import Schedule

from governance.models import AuditEntry
from reconciliation.schedules import SCHEDULE_NAME as RECONCILIATION_SCHEDULE
from sync.connections.models import Connection, ConnectionEnvironment
from sync.integrations.models import Integration
from sync.integrations.selectors import primary_integration
from sync.mappings.models import MappingVersion
from sync.mappings.services.seed import mapping_seed_defaults
from sync.onboarding.services import (
    integration_activate,
    integration_create,
    integration_deactivate,
    integration_update,
)
from sync.pipeline.models import CrossReference, Listener
from sync.pipeline.schedules import CATCH_UP_POLL, RETURN_FLOW
from tests.sync.connections.support import offline_connection_pair

pytestmark = pytest.mark.django_db


@pytest.fixture
def pairs() -> dict[str, Connection]:
    """The first org's pair (on the primary integration) and an acquired org's Salesforce connection."""
    sf_a, ns = offline_connection_pair("org-a")
    sf_b, ns_b = offline_connection_pair("org-b")
    integration_update(
        integration=primary_integration(), actor=None, salesforce_connection=sf_a, netsuite_connection=ns
    )
    return {"sf_a": sf_a, "ns": ns, "sf_b": sf_b, "ns_b": ns_b}


def _errors(excinfo: pytest.ExceptionInfo[ValidationError]) -> dict[str, list[str]]:
    return excinfo.value.message_dict


def _create(pairs: dict[str, Connection], actor: User | None, **overrides: Any) -> Integration:
    values: dict[str, Any] = {
        "name": "acme",
        "label": "Acme",
        "namespace": "ACQ",
        "salesforce": pairs["sf_b"],
        "netsuite": pairs["ns"],
        **overrides,
    }
    return integration_create(actor=actor, **values).integration


def test_it_creates_an_integration_with_its_listener_and_schedules_audited(
    pairs: dict[str, Connection], admin: User
) -> None:
    pairs["sf_b"].account_id = "00D5S000000ORGBQAA"
    pairs["sf_b"].save()
    setup = integration_create(
        name="acme",
        label="Acme",
        namespace="acq",
        salesforce=pairs["sf_b"],
        netsuite=pairs["ns"],
        actor=admin,
    )
    acme = setup.integration
    assert (acme.namespace, acme.is_primary, acme.is_active) == ("ACQ", False, True)
    listener = Listener.objects.get(salesforce_connection=pairs["sf_b"])
    assert setup.listener == listener and listener.name == "acme-closed-won" and listener.is_active
    assert listener.allowed_org_id == "00D5S000000ORGBQAA" and setup.listener_token and not setup.warnings
    names = set(Schedule.objects.values_list("name", flat=True))
    assert {CATCH_UP_POLL, RETURN_FLOW, RECONCILIATION_SCHEDULE} <= names
    assert set(setup.schedules) >= {CATCH_UP_POLL, RETURN_FLOW, RECONCILIATION_SCHEDULE}
    entry = AuditEntry.objects.get(content_type__model="integration", object_pk=str(acme.pk), action=0)
    assert entry.actor == admin


def test_it_warns_when_the_listener_has_no_org_id(pairs: dict[str, Connection], admin: User) -> None:
    setup = integration_create(
        name="acme", namespace="ACQ", salesforce=pairs["sf_b"], netsuite=pairs["ns"], actor=admin
    )
    assert setup.listener is not None and setup.listener.allowed_org_id == ""
    assert "organization id" in setup.warnings[0]


@pytest.mark.parametrize(
    ("namespace", "problem"),
    [
        ("SUB", "reserved"),
        ("ns", "reserved"),
        ("", "needs a namespace"),
        ("1AB", "upper-case letters"),
        ("A", "upper-case letters"),
        ("TOOLONGNAMESPACE", "upper-case letters"),
    ],
)
def test_it_refuses_a_reserved_or_malformed_namespace(
    pairs: dict[str, Connection], admin: User, namespace: str, problem: str
) -> None:
    with pytest.raises(ValidationError) as excinfo:
        _create(pairs, admin, namespace=namespace)
    assert problem in " ".join(_errors(excinfo)["namespace"])
    assert not Integration.objects.filter(name="acme").exists()
    assert not Listener.objects.exists()


def test_it_refuses_a_namespace_or_a_salesforce_org_another_integration_holds(
    pairs: dict[str, Connection], admin: User
) -> None:
    _create(pairs, admin)
    sf_c, _ = offline_connection_pair("org-c")
    with pytest.raises(ValidationError) as excinfo:
        _create(pairs, admin, name="beta", salesforce=sf_c)
    assert _errors(excinfo)["namespace"] == ["namespace ACQ is already integration acme's"]
    with pytest.raises(ValidationError) as excinfo:
        _create(pairs, admin, name="beta", namespace="BETA", salesforce=pairs["sf_a"])
    assert _errors(excinfo)["salesforce_connection"] == [
        "Salesforce connection org-a-sf already belongs to integration primary"
    ]
    with pytest.raises(ValidationError) as excinfo:
        _create(pairs, admin, name="beta", namespace="BETA", salesforce=pairs["sf_b"])
    assert "already belongs to integration acme" in _errors(excinfo)["salesforce_connection"][0]


def test_it_refuses_connections_of_the_wrong_kind_or_environment(
    pairs: dict[str, Connection], admin: User
) -> None:
    production_sf = pairs["sf_a"]
    with pytest.raises(ValidationError) as excinfo:
        _create(pairs, admin, salesforce=pairs["ns_b"], netsuite=pairs["sf_b"])
    errors = _errors(excinfo)
    assert errors["salesforce_connection"] == ["org-b-ns is a NetSuite connection, not salesforce"]
    assert errors["netsuite_connection"] == ["org-b-sf is a Salesforce connection, not netsuite"]
    production_sf.environment = ConnectionEnvironment.PRODUCTION
    production_sf.save()
    sandbox_ns = pairs["ns_b"]
    sandbox_ns.environment = ConnectionEnvironment.PRODUCTION
    sandbox_ns.save()
    with pytest.raises(ValidationError) as excinfo:
        _create(pairs, admin, sandbox_netsuite=sandbox_ns)
    assert "not a sandbox connection" in _errors(excinfo)["sandbox_netsuite_connection"][0]


def test_it_refuses_an_org_that_already_syncs_under_the_primary_unnamed(admin: User) -> None:
    sf, ns = offline_connection_pair("legacy")
    Listener.objects.create(
        name="legacy", salesforce_connection=sf, netsuite_connection=ns, path_token_hash="x"
    )
    with pytest.raises(ValidationError) as excinfo:
        integration_create(name="acme", namespace="ACQ", salesforce=sf, netsuite=ns, actor=admin)
    assert "already syncs under the primary integration" in _errors(excinfo)["salesforce_connection"][0]


def test_only_admins_manage_integrations(pairs: dict[str, Connection], revops: User, finance: User) -> None:
    for person in (revops, finance):
        with pytest.raises(PermissionDenied):
            _create(pairs, person)
    assert not Integration.objects.filter(name="acme").exists()


def test_it_updates_an_integration_and_keeps_a_namespace_its_records_carry(
    pairs: dict[str, Connection], admin: User
) -> None:
    acme = _create(pairs, admin)
    acme = integration_update(integration=acme, actor=admin, label="Acme GmbH", namespace="acme2")
    assert (acme.label, acme.namespace) == ("Acme GmbH", "ACME2")
    entry = AuditEntry.objects.filter(content_type__model="integration", object_pk=str(acme.pk)).latest("pk")
    assert entry.actor == admin and "label" in entry.changes
    CrossReference.objects.create(
        netsuite_connection=pairs["ns"],
        integration=acme,
        netsuite_type="customer",
        external_id="ACME2-001",
        netsuite_id="9",
        salesforce_id="001",
        object_key="customer",
        payload_hash="",
        synced_at=timezone.now(),
    )
    with pytest.raises(ValidationError) as excinfo:
        integration_update(integration=acme, actor=admin, namespace="ACME3")
    assert "cannot change" in _errors(excinfo)["namespace"][0]
    with pytest.raises(ValidationError) as excinfo:
        integration_update(integration=primary_integration(), actor=admin, namespace="PRI")
    assert "stays empty" in _errors(excinfo)["namespace"][0]
    with pytest.raises(ValidationError):
        integration_update(integration=acme, actor=admin, is_primary=True)
    # Changing the integration's own Salesforce connection is not "another integration's" org.
    assert integration_update(integration=acme, actor=admin, notes="moved").notes == "moved"


def test_deactivating_disables_its_listeners_and_activating_enables_them(
    pairs: dict[str, Connection], admin: User
) -> None:
    acme = _create(pairs, admin)
    acme = integration_deactivate(integration=acme, actor=admin, reason="paused for the migration")
    assert not acme.is_active
    assert not Listener.objects.get(salesforce_connection=pairs["sf_b"]).is_active
    event = AuditEntry.objects.filter(additional_data__event="listener_disabled").get()
    assert event.actor == admin
    acme = integration_activate(integration=acme, actor=admin)
    assert acme.is_active and Listener.objects.get(salesforce_connection=pairs["sf_b"]).is_active
    with pytest.raises(ValidationError):
        integration_deactivate(integration=primary_integration(), actor=admin)


def test_it_copies_another_integrations_configuration_as_drafts(
    pairs: dict[str, Connection], admin: User
) -> None:
    mapping_seed_defaults()
    setup = integration_create(
        name="acme",
        namespace="ACQ",
        salesforce=pairs["sf_b"],
        netsuite=pairs["ns"],
        copy_from=primary_integration(),
        actor=admin,
    )
    assert setup.copy_report is not None and setup.integration.based_on == primary_integration()
    assert MappingVersion.objects.filter(flow__integration=setup.integration, status="draft").exists()
