"""Integrations set up and changed: create (with its listener and schedules, optionally a copy of another
integration's configuration), update, deactivate; and the acquisition onboarding.

Life cycle of an acquired org's integration:

1. :func:`integration_create`: the org's Salesforce connection with the NetSuite account (usually the
   account the first org already feeds) under a namespace of its own. Its Closed Won listener is created
   (the URL's token is returned once) and the pipeline's and reconciliation's schedules are ensured (the
   catch-up poll and the return flow serve every pair an active listener serves). With ``copy_from`` its
   mappings, lookups and rules start as drafts copied from another integration (four eyes apply before
   they go live).
2. :func:`onboarding_scan`: the go-live scan for the new pair (:mod:`sync.golive.scan`), against the
   NetSuite account that already holds the first org's records. Nothing is written.
3. :func:`sync.onboarding.selectors.onboarding_plan`: what apply would do, record by record: link,
   shared link (the NetSuite record carries another integration's external id: a customer both companies
   sell to), duplicate suspect (a person decides in the exception queue) or create (left to the first sync).
4. :func:`onboarding_apply`: links written with the integration; shared links never re-key the record.

Every change is audited: the integration through its auditlog registration (one entry per save, naming
the actor), the onboarding through the go-live run's entries.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q

from core.audit import AuditAction, audit_actor, audit_record
from reconciliation.schedules import reconciliation_schedules_ensure
from sync.connections.models import Connection, ConnectionEnvironment, ConnectionKind
from sync.golive.models import GoLiveRun, GoLiveStatus
from sync.golive.scan import golive_scan_execute
from sync.golive.services import golive_apply_confirm, golive_apply_execute, golive_start
from sync.integrations.models import NAMESPACE_RE, RESERVED_NAMESPACES, Integration
from sync.integrations.selectors import integration_for_pair
from sync.onboarding.copying import CopyReport, config_copy
from sync.onboarding.permissions import can_manage_integrations
from sync.pipeline.listener.services import listener_create, listener_set_active
from sync.pipeline.models import CrossReference, Listener
from sync.pipeline.schedules import sync_schedules_ensure

# The connection fields of an integration, with the kind each must be and whether it must be a sandbox.
CONNECTION_FIELDS: dict[str, tuple[str, bool]] = {
    "salesforce_connection": (ConnectionKind.SALESFORCE, False),
    "netsuite_connection": (ConnectionKind.NETSUITE, False),
    "sandbox_salesforce_connection": (ConnectionKind.SALESFORCE, True),
    "sandbox_netsuite_connection": (ConnectionKind.NETSUITE, True),
}
EDITABLE_FIELDS = ("label", "namespace", "notes", "status_fields", *CONNECTION_FIELDS)
LISTENER_SUFFIX = "-closed-won"


@dataclass(frozen=True)
class IntegrationSetup:
    """What creating an integration set up. ``listener_token`` is the listener URL's secret, shown this
    once (Concord keeps only its hash; rotate it from the listener's page to see a new one)."""

    integration: Integration
    listener: Listener | None
    listener_token: str = ""
    schedules: tuple[str, ...] = ()
    copy_report: Any = None  # sync.onboarding.copying.CopyReport when copy_from was given
    warnings: tuple[str, ...] = field(default_factory=tuple)


def _require_manager(actor: User | None) -> None:
    if actor is not None and not can_manage_integrations(actor):
        raise PermissionDenied("Only admins create, change or onboard integrations.")


def integration_create(
    *,
    name: str,
    namespace: str,
    salesforce: Connection,
    netsuite: Connection,
    label: str = "",
    sandbox_salesforce: Connection | None = None,
    sandbox_netsuite: Connection | None = None,
    copy_from: Integration | None = None,
    notes: str = "",
    org_id: str = "",
    actor: User | None,
) -> IntegrationSetup:
    """A new (non-primary) integration: validated, saved, with its listener and the schedules; with
    ``copy_from`` its configuration starts as drafts copied from that integration. All or nothing.

    ``actor`` None is the terminal (management commands). Raises ValidationError naming each problem:
    a reserved or taken namespace, a Salesforce org another integration holds, a connection of the wrong
    kind or environment, an inactive connection or copy source. ``org_id`` is the Salesforce organization
    id its listener accepts (default: the Salesforce connection's account id).
    """
    _require_manager(actor)
    integration = Integration(
        name=name.strip(),
        label=label.strip(),
        namespace=namespace.strip().upper(),
        notes=notes,
        salesforce_connection=salesforce,
        netsuite_connection=netsuite,
        sandbox_salesforce_connection=sandbox_salesforce,
        sandbox_netsuite_connection=sandbox_netsuite,
        based_on=copy_from,
    )
    errors = _problems(integration)
    if copy_from is not None and not copy_from.is_active:
        errors.setdefault("copy_from", []).append(f"integration {copy_from.name} is deactivated")
    _raise(errors)
    with transaction.atomic(), audit_actor(actor):
        _full_clean(integration)
        integration.save()
        listener, token, warnings = _listener_ensure(integration, actor, org_id=org_id.strip())
        schedules = _schedules_ensure()
        report = _config_copy(source=copy_from, target=integration, actor=actor) if copy_from else None
    return IntegrationSetup(integration, listener, token, schedules, report, warnings)


def integration_update(*, integration: Integration, actor: User | None, **fields: Any) -> Integration:
    """Change an integration's label, notes, namespace, connections or sync status fields (one audit entry).

    The primary integration keeps its empty namespace; a namespace cannot change once the integration has
    written records (their external ids carry it).
    """
    _require_manager(actor)
    unknown = sorted(set(fields) - set(EDITABLE_FIELDS))
    if unknown:
        raise ValidationError(f"not an editable integration field: {', '.join(unknown)}")
    with transaction.atomic(), audit_actor(actor):
        stored = Integration.objects.select_for_update().get(pk=integration.pk)
        if "namespace" in fields:
            fields["namespace"] = str(fields["namespace"] or "").strip().upper()
        errors: dict[str, list[str]] = {}
        if "namespace" in fields and fields["namespace"] != stored.namespace:
            if stored.is_primary:
                errors["namespace"] = ["the primary integration's namespace stays empty"]
            elif CrossReference.objects.filter(integration=stored).exists():
                errors["namespace"] = [
                    "the integration has written records whose external ids carry its namespace: it "
                    "cannot change"
                ]
        _raise(errors)
        held = _connection_ids(stored)
        for name, value in fields.items():
            setattr(stored, name, value)
        _raise(_problems(stored, held=held))
        _full_clean(stored)
        stored.save()
    return stored


def integration_deactivate(*, integration: Integration, actor: User | None, reason: str = "") -> Integration:
    """Stop an integration: its listeners are disabled (Salesforce retries for 24 hours, so enabling
    again loses nothing), so the catch-up poll and the return flow no longer serve its pair. Its records,
    cross-references and configuration are kept. The primary integration cannot be deactivated."""
    _require_manager(actor)
    if integration.is_primary:
        raise ValidationError("the primary integration cannot be deactivated")
    with transaction.atomic(), audit_actor(actor):
        stored = Integration.objects.select_for_update().get(pk=integration.pk)
        if stored.is_active:
            stored.is_active = False
            stored.save(update_fields=["is_active", "updated_at"])
        for listener in _listeners_of(stored):
            listener_set_active(
                listener=listener, is_active=False, user=actor, reason=reason or f"integration {stored} off"
            )
    return stored


def integration_activate(*, integration: Integration, actor: User | None) -> Integration:
    """Start a deactivated integration again: active, and its listeners enabled."""
    _require_manager(actor)
    with transaction.atomic(), audit_actor(actor):
        stored = Integration.objects.select_for_update().get(pk=integration.pk)
        _raise(_problems(stored, held=_connection_ids(stored)))
        if not stored.is_active:
            stored.is_active = True
            stored.save(update_fields=["is_active", "updated_at"])
        for listener in _listeners_of(stored):
            listener_set_active(
                listener=listener, is_active=True, user=actor, reason=f"integration {stored} on"
            )
    return stored


# -- the acquisition onboarding ---------------------------------------------------------------------------


def onboarding_scan(*, integration: Integration, actor: User | None, run_now: bool = False) -> GoLiveRun:
    """Start the go-live scan of ``integration``'s pair (queued for a worker; ``run_now`` scans in this
    process, as the command does). Reads both systems, writes nothing."""
    _require_manager(actor)
    if not integration.is_active:
        raise ValidationError(f"integration {integration} is deactivated")
    salesforce, netsuite = integration.salesforce_connection, integration.netsuite_connection
    if salesforce is None or netsuite is None:
        raise ValidationError(f"integration {integration} needs a Salesforce and a NetSuite connection first")
    run = golive_start(actor=actor, salesforce=salesforce, netsuite=netsuite, run_now=run_now)
    audit_record(
        obj=integration,
        actor=actor,
        action=AuditAction.UPDATE,
        changes={},
        event="integration_onboarding_scan",
        run=run.pk,
    )
    if run_now:
        run = golive_scan_execute(run)
    return run


def onboarding_apply(*, run: GoLiveRun, actor: User | None, run_now: bool = False) -> GoLiveRun:
    """Apply a reviewed onboarding scan: links (externalId written, cross-reference with the integration),
    shared links (cross-reference marked shared, the record not re-keyed) and suspects as exceptions.
    Queued for a worker; ``run_now`` applies in this process."""
    _require_manager(actor)
    if run.status != GoLiveStatus.READY and not (run.status == GoLiveStatus.APPLYING and run_now):
        raise ValidationError(f"onboarding scan #{run.pk} is {run.get_status_display().lower()}, not ready")
    integration = integration_for_pair(run.salesforce_connection_id, run.netsuite_connection_id)
    if run.status == GoLiveStatus.READY:
        run = golive_apply_confirm(run=run, actor=actor, run_now=run_now)
        audit_record(
            obj=integration,
            actor=actor,
            action=AuditAction.UPDATE,
            changes={},
            event="integration_onboarding_apply",
            run=run.pk,
        )
    if run_now:
        while golive_apply_execute(run):
            pass
        run.refresh_from_db()
    return run


# -- helpers ----------------------------------------------------------------------------------------------


def _problems(integration: Integration, *, held: frozenset[int] = frozenset()) -> dict[str, list[str]]:
    """Every reason ``integration`` cannot be saved as it is, by field (the checks a person can act on;
    the model's own validation follows). ``held``: the connections it already had (already its own)."""
    errors: dict[str, list[str]] = {}
    namespace = _namespace_problem(integration)
    if namespace:
        errors["namespace"] = [namespace]
    for name in CONNECTION_FIELDS:
        problem = _connection_problem(integration, name, held)
        if problem:
            errors[name] = [problem]
    if (
        integration.salesforce_connection_id is not None
        and integration.salesforce_connection_id == integration.sandbox_salesforce_connection_id
    ):
        errors.setdefault("sandbox_salesforce_connection", []).append(
            "the sandbox org must be another connection than production"
        )
    return errors


def _namespace_problem(integration: Integration) -> str:
    namespace = integration.namespace
    if integration.is_primary:
        return ""
    if not namespace:
        return "an integration other than the primary needs a namespace (e.g. ACQ)"
    if namespace in RESERVED_NAMESPACES:
        return (
            f"{namespace} is reserved (Concord's own external ids start with "
            f"{', '.join(sorted(RESERVED_NAMESPACES))})"
        )
    if not re.match(NAMESPACE_RE, namespace):
        return "2-10 upper-case letters and digits, starting with a letter"
    taken = Integration.objects.filter(namespace=namespace).exclude(pk=integration.pk).first()
    return f"namespace {namespace} is already integration {taken.name}'s" if taken is not None else ""


def _connection_problem(integration: Integration, name: str, held: frozenset[int]) -> str:
    kind, sandbox = CONNECTION_FIELDS[name]
    connection: Connection | None = getattr(integration, name)
    if connection is None:
        required = name in ("salesforce_connection", "netsuite_connection") and not integration.is_primary
        return "required" if required else ""
    if connection.kind != kind:
        return f"{connection.name} is a {connection.get_kind_display()} connection, not {kind}"
    if sandbox and connection.environment != ConnectionEnvironment.SANDBOX:
        return f"{connection.name} is not a sandbox connection (the sandbox pair tests releases)"
    if not connection.is_active:
        return f"{connection.name} is deactivated"
    if kind != ConnectionKind.SALESFORCE:
        return ""
    holder = (
        Integration.objects.filter(
            Q(salesforce_connection=connection) | Q(sandbox_salesforce_connection=connection)
        )
        .exclude(pk=integration.pk)
        .first()
    )
    if holder is not None:
        return f"Salesforce connection {connection.name} already belongs to integration {holder.name}"
    if not integration.is_primary and connection.pk not in held and _serves_primary_unnamed(connection):
        return (
            f"Salesforce connection {connection.name} already syncs under the primary integration (a "
            "listener serves it): set it on the primary integration instead"
        )
    return ""


def _serves_primary_unnamed(connection: Connection) -> bool:
    """A Salesforce org no integration names runs under the primary one (a listener serves it): moving
    it to another integration would re-key every record it synced."""
    return Listener.objects.filter(salesforce_connection=connection).exists()


def _connection_ids(integration: Integration) -> frozenset[int]:
    return frozenset(
        pk for pk in (getattr(integration, f"{name}_id") for name in CONNECTION_FIELDS) if pk is not None
    )


def _raise(errors: dict[str, list[str]]) -> None:
    if errors:
        raise ValidationError(errors)


def _full_clean(integration: Integration) -> None:
    integration.full_clean(exclude=["based_on"])


def _listeners_of(integration: Integration) -> list[Listener]:
    ids = [
        pk
        for pk in (integration.salesforce_connection_id, integration.sandbox_salesforce_connection_id)
        if pk
    ]
    return list(Listener.objects.filter(salesforce_connection_id__in=ids).order_by("pk"))


def _listener_ensure(
    integration: Integration, actor: User | None, *, org_id: str = ""
) -> tuple[Listener | None, str, tuple[str, ...]]:
    """The integration's Closed Won listener (an Outbound Message URL) for its production pair, as the
    listener page makes one; an org that already has one keeps it."""
    salesforce, netsuite = integration.salesforce_connection, integration.netsuite_connection
    if salesforce is None or netsuite is None:
        return None, "", ()
    existing = Listener.objects.filter(salesforce_connection=salesforce, netsuite_connection=netsuite).first()
    if existing is not None:
        return existing, "", ()
    base = f"{integration.name}{LISTENER_SUFFIX}"[:80]
    name, number = base, 1
    while Listener.objects.filter(name=name).exists():
        number += 1
        name = f"{base[: 80 - len(str(number)) - 1]}-{number}"
    if not org_id and len(salesforce.account_id) in (15, 18):
        org_id = salesforce.account_id
    listener, token = listener_create(
        name=name,
        salesforce_connection=salesforce,
        netsuite_connection=netsuite,
        allowed_org_id=org_id,
        user=actor,
    )
    warnings: tuple[str, ...] = ()
    if not org_id:
        warnings = (
            f"listener {name} has no Salesforce organization id (the connection's account id is empty): it "
            "refuses every message until it is created again with the org id",
        )
    return listener, token, warnings


def _schedules_ensure() -> tuple[str, ...]:
    """The catch-up poll, the return flow and the daily reconciliation serve every pair an active listener
    serves: ensured (created when missing, an operator's timing kept)."""
    names = [schedule.name for schedule in sync_schedules_ensure()]
    schedule, _ = reconciliation_schedules_ensure()
    return (*names, schedule.name)


def _config_copy(*, source: Integration, target: Integration, actor: User | None) -> CopyReport:
    """Copy ``source``'s mappings, lookups and rules into ``target`` as drafts (four eyes apply)."""
    return config_copy(source=source, target=target, actor=actor)
