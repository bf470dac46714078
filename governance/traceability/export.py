"""The chain as CSV for auditors (JSON is :meth:`Chain.as_dict`)."""

from __future__ import annotations

from collections.abc import Iterable

from governance.traceability.chain import Chain, version_dict
from sync.mappings.models import MappingVersion
from sync.rules.models import RuleVersion

CSV_HEADER = (
    "at",
    "link",
    "kind",
    "title",
    "status",
    "detail",
    "actor",
    "job_id",
    "exception_id",
    "mapping_version_id",
    "rule_version_ids",
)


def trace_csv_rows(chain: Chain) -> Iterable[list[str]]:
    """The chain's timeline as CSV rows (header first), then each version it names, for auditors."""
    yield list(CSV_HEADER)
    for event in chain.timeline:
        data = event.as_dict()
        data["rule_version_ids"] = " ".join(str(v) for v in event.rule_version_ids)
        yield ["" if data[name] is None else str(data[name]) for name in CSV_HEADER]
    versions: list[tuple[str, MappingVersion | RuleVersion]] = [
        *(("mapping_version", version) for version in chain.mapping_versions),
        *(("rule_version", version) for version in chain.rule_versions),
    ]
    for kind, version in versions:
        described = version_dict(version)
        detail = ", ".join(
            f"{name} {described[name]}"
            for name in ("approved_by", "approved_at", "published_by", "published_at")
            if described[name]
        )
        yield [
            described["published_at"] or "",
            "",
            kind,
            described["name"],
            described["status"],
            detail,
            described["approved_by"],
            "",
            "",
            str(version.pk) if kind == "mapping_version" else "",
            str(version.pk) if kind == "rule_version" else "",
        ]
    for outcome in chain.rule_outcomes:
        yield [
            "",
            f"opportunity:{outcome.opportunity_id}",
            "rule_outcome",
            f"{outcome.placement} on {outcome.target}",
            outcome.outcome,
            outcome.message,
            "",
            str(outcome.job_id),
            "",
            "",
            str(outcome.version_id),
        ]
