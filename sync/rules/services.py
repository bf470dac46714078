"""Business rules: writing versions (draft -> submitted -> approved -> published, four-eyes), and
evaluating the published rules for the pipeline.

Edits need ``edit_mappings`` (RevOps: "edit field mappings and sync rules"); approving and publishing
need ``approve_mappings`` (Finance, Admin: "approve mapping and rule changes"), and nobody approves a
version they wrote. Each status change writes one audit entry with its reason; auditlog records the
edits of a draft.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from auditlog.context import disable_auditlog
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from core.audit import AuditAction, audit_record
from sync.integrations.models import Integration
from sync.integrations.selectors import primary_integration
from sync.rules.engine import Evaluation, RuleError, RuleSet, RuleSpec, compile_condition, compile_rule
from sync.rules.engine.ruleset import PLACEMENTS, SEVERITIES, SUBJECTS
from sync.rules.engine.shipped import shipped_rules, shipped_tables
from sync.rules.models import Rule, RuleStatus, RuleVersion
from sync.rules.permissions import can_approve_rules, can_edit_rules

User = AbstractBaseUser | AnonymousUser
CONTENT_FIELDS = ("name", "subject", "placement", "severity", "message", "owner", "condition")


def _require(allowed: bool, doing: str) -> None:
    if not allowed:
        raise PermissionDenied(f"You may not {doing}.")


def rule_condition_check(*, condition: str, subject: str) -> RuleError | None:
    """The first problem in ``condition`` (with line, column and caret), or None when it is valid."""
    try:
        compile_condition(condition, subject=subject, tables=set(shipped_tables()))
    except RuleError as error:
        return error
    return None


def _validate(values: Mapping[str, Any]) -> None:
    errors: dict[str, str] = {}
    for field, allowed in (("subject", SUBJECTS), ("placement", PLACEMENTS), ("severity", SEVERITIES)):
        if values.get(field) not in allowed:
            errors[field] = f"Choose one of: {', '.join(allowed)}."
    for field in ("name", "message", "condition"):
        if not str(values.get(field) or "").strip():
            errors[field] = "This field is required."
    if "condition" not in errors and "subject" not in errors:
        problem = rule_condition_check(condition=values["condition"], subject=values["subject"])
        if problem is not None:
            errors["condition"] = problem.pretty()
    if errors:
        raise ValidationError(errors)


def rule_create(
    *, user: Any, key: str, integration: Integration | None = None, **content: Any
) -> RuleVersion:
    """A new rule of ``integration`` (the primary one when None) with its first version, a draft."""
    _require(can_edit_rules(user), "edit rules")
    values = {field: content.get(field, "") for field in CONTENT_FIELDS}
    _validate(values)
    owner = integration if integration is not None else primary_integration()
    with transaction.atomic():
        rule = Rule(integration=owner, key=key, created_by=user)
        rule.full_clean()
        rule.save()
        version = RuleVersion(
            rule=rule, number=1, created_by=user, updated_by=user, editors=[user.pk], **values
        )
        version.full_clean()
        version.save()
    return version


def rule_version_update(*, version: RuleVersion, user: Any, **content: Any) -> RuleVersion:
    """Change a draft's text (a submitted, approved or published version never changes)."""
    _require(can_edit_rules(user), "edit rules")
    with transaction.atomic():
        version = RuleVersion.objects.select_for_update().get(pk=version.pk)
        if not version.is_editable:
            raise ValidationError(
                f"{version} is {version.get_status_display().lower()}; only a draft changes."
            )
        values = {field: content.get(field, getattr(version, field)) for field in CONTENT_FIELDS}
        _validate(values)
        for field, value in values.items():
            setattr(version, field, value)
        version.updated_by = user
        if user.pk not in version.editors:
            version.editors = [*version.editors, user.pk]
        version.full_clean()
        version.save()
    return version


def rule_draft_start(*, rule: Rule, user: Any) -> RuleVersion:
    """A new draft copying the latest version (the one way to change a published rule)."""
    _require(can_edit_rules(user), "edit rules")
    with transaction.atomic():
        versions = RuleVersion.objects.select_for_update().filter(rule=rule)
        open_version = versions.filter(
            status__in=[RuleStatus.DRAFT, RuleStatus.SUBMITTED, RuleStatus.APPROVED]
        ).first()
        if open_version is not None:
            raise ValidationError(f"{open_version} is still open ({open_version.get_status_display()}).")
        latest = versions.order_by("-number").first()
        if latest is None:
            raise ValidationError(f"{rule} has no version to start from.")
        draft = RuleVersion(
            rule=rule,
            number=latest.number + 1,
            created_by=user,
            updated_by=user,
            editors=[user.pk],
            **{field: getattr(latest, field) for field in CONTENT_FIELDS},
        )
        draft.full_clean()
        draft.save()
    return draft


def _transition(
    *,
    version: RuleVersion,
    user: Any,
    reason: str,
    event: str,
    allowed_from: str,
    to: str,
    stamp: str | None,
    four_eyes: bool = False,
) -> RuleVersion:
    """Move ``version`` from ``allowed_from`` to ``to`` and write one audit entry with the reason.

    Checks run on the row locked in this transaction, not on the caller's (possibly stale) copy."""
    with transaction.atomic():
        version = RuleVersion.objects.select_for_update().select_related("rule").get(pk=version.pk)
        if four_eyes and user.pk in version.authors:
            raise PermissionDenied(
                "You wrote or submitted this version; another approver must approve it (four-eyes)."
            )
        if version.status != allowed_from:
            raise ValidationError(
                f"Only a {RuleStatus(allowed_from).label.lower()} version can be {event}ed; "
                f"{version} is {version.get_status_display().lower()}."
            )
        before = version.status
        version.status = to
        fields = ["status"]
        if stamp:
            setattr(version, f"{stamp}_at", timezone.now())
            setattr(version, f"{stamp}_by", user)
            fields += [f"{stamp}_at", f"{stamp}_by"]
        retired = None
        with disable_auditlog():  # one explicit entry below says what happened and why
            if to == RuleStatus.PUBLISHED:
                retired = RuleVersion.objects.filter(rule=version.rule, status=RuleStatus.PUBLISHED).first()
                if retired is not None:
                    retired.status = RuleStatus.RETIRED
                    retired.save(update_fields=["status"])
            version.save(update_fields=fields)
        retired_number: dict[str, Any] = {"retired_version": retired.number} if retired is not None else {}
        audit_record(
            obj=version,
            actor=user,
            action=AuditAction.UPDATE,
            changes={"status": [before, to]},
            event=f"rule_{event}",
            reason=reason,
            **retired_number,
        )
    return version


def rule_version_submit(*, version: RuleVersion, user: Any, reason: str = "") -> RuleVersion:
    """Ask for approval of a draft; its text is frozen from here on."""
    _require(can_edit_rules(user), "submit rules")
    _validate({field: getattr(version, field) for field in CONTENT_FIELDS})
    return _transition(
        version=version,
        user=user,
        reason=reason,
        event="submit",
        allowed_from=RuleStatus.DRAFT,
        to=RuleStatus.SUBMITTED,
        stamp="submitted",
    )


def rule_version_approve(*, version: RuleVersion, user: Any, reason: str) -> RuleVersion:
    """Approve a submitted version: four-eyes, so not by anyone who wrote or submitted it."""
    _require(can_approve_rules(user), "approve rules")
    if not reason.strip():
        raise ValidationError("Say why you approve this version.")
    return _transition(
        version=version,
        user=user,
        reason=reason,
        event="approve",
        allowed_from=RuleStatus.SUBMITTED,
        to=RuleStatus.APPROVED,
        stamp="approved",
        four_eyes=True,
    )


def rule_version_send_back(*, version: RuleVersion, user: Any, reason: str) -> RuleVersion:
    """Return a submitted version to its author as a draft, with the reason."""
    _require(can_approve_rules(user), "review rules")
    if not reason.strip():
        raise ValidationError("Say what must change.")
    return _transition(
        version=version,
        user=user,
        reason=reason,
        event="send_back",
        allowed_from=RuleStatus.SUBMITTED,
        to=RuleStatus.DRAFT,
        stamp=None,
    )


def rule_version_publish(*, version: RuleVersion, user: Any, reason: str = "") -> RuleVersion:
    """Make an approved version the one the pipeline evaluates; the previous one is retired."""
    _require(can_approve_rules(user), "publish rules")
    return _transition(
        version=version,
        user=user,
        reason=reason,
        event="publish",
        allowed_from=RuleStatus.APPROVED,
        to=RuleStatus.PUBLISHED,
        stamp="published",
    )


def rule_version_release_publish(*, version: RuleVersion, user: Any, reason: str) -> RuleVersion:
    """Publish ``version`` as one item of a release, exactly as it is (same id, same text).

    An approved version is published; a version published before (now retired) is published again,
    which is how a release rollback restores the previous one; a published version is left alone. The
    caller (``governance.releases.services``) checks ``approve_releases`` and holds the transaction.
    """
    status = RuleVersion.objects.filter(pk=version.pk).values_list("status", flat=True).get()
    if status == RuleStatus.PUBLISHED:
        return version
    return _transition(
        version=version,
        user=user,
        reason=reason,
        event="release_publish" if status == RuleStatus.APPROVED else "release_republish",
        allowed_from=RuleStatus.APPROVED if status == RuleStatus.APPROVED else RuleStatus.RETIRED,
        to=RuleStatus.PUBLISHED,
        stamp="published",
    )


def rule_release_unpublish(*, rule: Rule, user: Any, reason: str) -> RuleVersion | None:
    """Retire ``rule``'s published version, leaving none (a rollback to before its first release)."""
    current = RuleVersion.objects.filter(rule=rule, status=RuleStatus.PUBLISHED).first()
    if current is None:
        return None
    return _transition(
        version=current,
        user=user,
        reason=reason,
        event="release_unpublish",
        allowed_from=RuleStatus.PUBLISHED,
        to=RuleStatus.RETIRED,
        stamp=None,
    )


def rules_shipped_install(*, user: Any, integration: Integration | None = None) -> list[RuleVersion]:
    """Create the shipped rules (sync/rules/engine/shipped.json) that ``integration`` (the primary one
    when None) does not have yet, as drafts."""
    # Checked here, not only in rule_create: with every shipped rule installed, nothing would check it.
    _require(can_edit_rules(user), "install rules")
    owner = integration if integration is not None else primary_integration()
    existing = set(Rule.objects.filter(integration=owner).values_list("key", flat=True))
    created = []
    for spec in shipped_rules():
        if spec.key not in existing:
            content = {field: getattr(spec, field) for field in CONTENT_FIELDS}
            created.append(rule_create(user=user, key=spec.key, integration=owner, **content))
    return created


def version_spec(version: RuleVersion) -> RuleSpec:
    return RuleSpec(
        key=version.rule.key,
        version_id=version.pk,
        **{field: getattr(version, field) for field in CONTENT_FIELDS},
    )


# Per integration: the ids of the published versions and their compiled rule set.
_PUBLISHED_CACHE: dict[int, tuple[tuple[int, ...], RuleSet]] = {}


def rules_published_ruleset(integration: Integration | None = None) -> RuleSet:
    """``integration``'s published rules (the primary integration's when None), compiled; compiled again
    only when what is published changes."""
    owner = integration if integration is not None else primary_integration()
    versions = list(
        RuleVersion.objects.filter(status=RuleStatus.PUBLISHED, rule__integration=owner)
        .select_related("rule")
        .order_by("rule__key")
    )
    key = tuple(version.pk for version in versions)
    cached = _PUBLISHED_CACHE.get(owner.pk)
    if cached is not None and cached[0] == key:
        return cached[1]
    ruleset = rules_ruleset(versions)
    _PUBLISHED_CACHE[owner.pk] = (key, ruleset)
    return ruleset


def rules_ruleset(versions: Sequence[RuleVersion]) -> RuleSet:
    """``versions`` compiled into one rule set (the published ones, or a release's chosen ones)."""
    tables = shipped_tables()
    return RuleSet([compile_rule(version_spec(v), tables=set(tables)) for v in versions], tables=tables)


def rules_evaluate(
    *,
    placement: str,
    subject: str,
    record: dict[str, Any],
    ruleset: RuleSet | None = None,
    today: dt.date | None = None,
    integration: Integration | None = None,
) -> Evaluation:
    """Evaluate ``integration``'s published rules of ``placement`` on ``record`` (the pipeline's call;
    the primary integration's rules when None).

    ``decision`` is "blocked" (stop this record), "warned" (go on, record the warnings) or "passed";
    every outcome names its rule version (``Evaluation.rule_versions`` for the record of what ran) and,
    for a failure, the values its condition read. Pass ``ruleset`` to evaluate a batch against one
    snapshot of the published rules.
    """
    if placement not in PLACEMENTS:
        raise ValueError(f"unknown placement {placement!r}")
    chosen = ruleset if ruleset is not None else rules_published_ruleset(integration)
    return chosen.evaluate(record, subject=subject, placement=placement, today=today or timezone.localdate())


RecordFetch = Callable[[str], dict[str, Any] | None]


def rule_version_test(
    *,
    version: RuleVersion,
    record: dict[str, Any] | None = None,
    record_id: str = "",
    fetch: RecordFetch | None = None,
    condition: str | None = None,
    today: dt.date | None = None,
) -> Evaluation:
    """Evaluate one version (or the ``condition`` being edited) on a record, tracing every value read.

    The record is given as JSON, or by id through ``fetch`` (e.g. a Salesforce connection's
    ``fetch_opportunity_graphs``); an opportunity graph also runs a quote line rule on every line.
    """
    spec = version_spec(version)
    if condition is not None:
        spec = RuleSpec(**{**spec.__dict__, "condition": condition})
    if record is None:
        if not record_id or fetch is None:
            raise ValidationError("Paste the record as JSON (looking a record up by id needs a connection).")
        record = fetch(record_id)
        if record is None:
            raise ValidationError(f"No record with id {record_id!r}.")
    if not isinstance(record, dict):
        raise ValidationError("The record must be a JSON object.")
    try:
        compiled = compile_rule(spec, tables=set(shipped_tables()))
    except RuleError as error:
        raise ValidationError({"condition": error.pretty()}) from None
    subject = "opportunity" if spec.subject == "quote_line" and "primary_quote" in record else spec.subject
    return RuleSet([compiled], tables=shipped_tables()).evaluate(
        record, subject=subject, today=today or timezone.localdate(), trace="all"
    )
