"""A new integration's configuration as a copy of another's: its flows, lookup tables and rules.

:func:`config_copy` copies, for every flow, lookup table and rule of the source integration, its published
version (else its latest) into the target integration as a **draft** version 1. Nothing the copy makes
runs: the target's people adapt the drafts (its subsidiaries, currencies and NetSuite ids are its own),
submit them, and someone else approves and publishes each (four eyes, as for any change; the person who
copied is one of the makers). The copy is one transaction and one audit entry on the target integration
(the rows it creates are audited as any other); a target that already holds configuration is refused: a
copy never overwrites.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet

from core.audit import AuditAction, audit_record
from sync.integrations.models import Integration
from sync.mappings.models import (
    Flow,
    LookupEntry,
    LookupTable,
    LookupVersion,
    MappingVersion,
    VersionStatus,
)
from sync.mappings.services.specs import spec_rows_replace, version_spec
from sync.rules.models import Rule, RuleStatus, RuleVersion
from sync.rules.services import CONTENT_FIELDS as RULE_CONTENT_FIELDS

COPY_EVENT = "config_copy"


class ConfigCopyRefused(ValidationError):
    """The copy cannot be made (the target holds configuration already, or is the source itself)."""


@dataclass
class CopyReport:
    """What a copy made: one line per flow, table and rule ("name: vN published -> draft v1")."""

    source: str
    target: str
    flows: list[str] = field(default_factory=list)
    tables: list[str] = field(default_factory=list)
    rules: list[str] = field(default_factory=list)
    mapping_versions: list[MappingVersion] = field(default_factory=list)
    lookup_versions: list[LookupVersion] = field(default_factory=list)
    rule_versions: list[RuleVersion] = field(default_factory=list)

    @property
    def summary(self) -> str:
        return (
            f"copied {len(self.flows)} flow(s), {len(self.tables)} lookup table(s) and {len(self.rules)} "
            f"rule(s) of {self.source} into {self.target} as drafts"
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "target": self.target,
            "flows": self.flows,
            "tables": self.tables,
            "rules": self.rules,
            "summary": self.summary,
        }


def _actor(actor: Any) -> Any:
    return actor if getattr(actor, "is_authenticated", False) else None


def _chosen(versions: QuerySet[Any], published: str) -> Any:
    """The published version, else the latest one (None when there is none)."""
    return versions.filter(status=published).first() or versions.order_by("-number").first()


def config_existing(target: Integration) -> dict[str, int]:
    """How many flows, lookup tables and rules ``target`` holds (a copy needs none)."""
    return {
        "flows": Flow.objects.filter(integration=target).count(),
        "lookup tables": LookupTable.objects.filter(integration=target).count(),
        "rules": Rule.objects.filter(integration=target).count(),
    }


def config_copy(source: Integration, target: Integration, actor: Any) -> CopyReport:
    """Copy ``source``'s flows, lookup tables and rules into ``target`` as draft versions (see the module
    docstring); raises :class:`ConfigCopyRefused` when ``target`` already holds any configuration."""
    if source.pk == target.pk:
        raise ConfigCopyRefused(f"{target.name} cannot be a copy of itself.")
    with transaction.atomic():
        Integration.objects.select_for_update().get(pk=target.pk)  # two copies at once: the second waits
        held = {kind: count for kind, count in config_existing(target).items() if count}
        if held:
            listed = ", ".join(f"{count} {kind}" for kind, count in held.items())
            raise ConfigCopyRefused(
                f"{target.name} already has its own configuration ({listed}): a copy never overwrites it. "
                f"Change its versions instead (or copy into a new integration)."
            )
        report = CopyReport(source=source.name, target=target.name)
        maker = _actor(actor)
        _tables_copy(source, target, maker, report)
        _flows_copy(source, target, maker, report)
        _rules_copy(source, target, maker, report)
        before = target.based_on_id
        Integration.objects.filter(pk=target.pk).update(based_on=source)
        target.based_on = source
        audit_record(
            obj=target,
            actor=maker,
            action=AuditAction.UPDATE,
            changes={"based_on": [before, source.pk]},
            event=COPY_EVENT,
            source=source.name,
            flows=report.flows,
            tables=report.tables,
            rules=report.rules,
        )
    return report


def _origin(version: Any, published: str, source: Integration) -> str:
    state = "published" if version.status == published else f"latest, {version.status}"
    return (
        f"Copy of {source.name}'s v{version.number} ({state}): adapt it to this integration, then submit it."
    )


def _tables_copy(source: Integration, target: Integration, maker: Any, report: CopyReport) -> None:
    for table in LookupTable.objects.filter(integration=source).order_by("name"):
        chosen = _chosen(table.versions.all(), VersionStatus.PUBLISHED)
        copy = LookupTable.objects.create(
            integration=target, name=table.name, description=table.description, revision=0
        )
        if chosen is None:
            report.tables.append(f"{table.name}: no version (the table alone)")
            continue
        version = LookupVersion.objects.create(
            table=copy,
            number=1,
            notes=_origin(chosen, VersionStatus.PUBLISHED, source),
            created_by=maker,
        )
        if maker is not None:
            version.editors.add(maker)
        LookupEntry.objects.bulk_create(
            [LookupEntry(version=version, key=entry.key, value=entry.value) for entry in chosen.entries.all()]
        )
        report.lookup_versions.append(version)
        report.tables.append(f"{table.name}: v{chosen.number} ({chosen.status}) -> draft v1")


def _flows_copy(source: Integration, target: Integration, maker: Any, report: CopyReport) -> None:
    for flow in Flow.objects.filter(integration=source).order_by("key"):
        chosen = _chosen(flow.versions.all(), VersionStatus.PUBLISHED)
        copy = Flow.objects.create(
            integration=target,
            key=flow.key,
            source=flow.source,
            target_system=flow.target_system,
            direction=flow.direction,
            description=flow.description,
        )
        if chosen is None:
            report.flows.append(f"{flow.key}: no version (the flow alone)")
            continue
        version = MappingVersion.objects.create(
            flow=copy,
            number=1,
            notes=_origin(chosen, VersionStatus.PUBLISHED, source),
            created_by=maker,
            description=chosen.description,
        )
        if maker is not None:
            version.editors.add(maker)
        spec_rows_replace(
            version=version, spec=version_spec(chosen), user=maker, event=f"copy of {source.name}'s {chosen}"
        )
        report.mapping_versions.append(version)
        report.flows.append(f"{flow.key}: v{chosen.number} ({chosen.status}) -> draft v1")


def _rules_copy(source: Integration, target: Integration, maker: Any, report: CopyReport) -> None:
    for rule in Rule.objects.filter(integration=source).order_by("key"):
        chosen = _chosen(rule.versions.exclude(status=RuleStatus.RETIRED), RuleStatus.PUBLISHED)
        chosen = chosen or rule.versions.order_by("-number").first()
        copy = Rule.objects.create(integration=target, key=rule.key, created_by=maker)
        if chosen is None:
            report.rules.append(f"{rule.key}: no version (the rule alone)")
            continue
        version = RuleVersion.objects.create(
            rule=copy,
            number=1,
            status=RuleStatus.DRAFT,
            created_by=maker,
            updated_by=maker,
            editors=[maker.pk] if maker is not None else [],
            **{name: getattr(chosen, name) for name in RULE_CONTENT_FIELDS},
        )
        report.rule_versions.append(version)
        report.rules.append(f"{rule.key}: v{chosen.number} ({chosen.status}) -> draft v1")
