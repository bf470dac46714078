"""The rules editor under /sync/rules/: list, new rule, a rule's versions with its draft editor, the
as-you-type condition check, status actions, and "test against a record". Views parse input and
render; the services decide and audit."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.http import ConsoleRequest
from core.json_input import json_loads_bounded
from sync.integrations.choice import PARAMETER, integration_chosen, integrations_visible
from sync.integrations.models import Integration
from sync.rules import services as services
from sync.rules.engine.ruleset import PLACEMENTS, SEVERITIES, SUBJECTS
from sync.rules.models import Rule, RuleVersion
from sync.rules.permissions import can_approve_rules, can_edit_rules
from sync.rules.selectors import rule_get_for_user, rule_version_get_for_user, rule_versions, rules_list


class RuleForm(forms.Form):
    name = forms.CharField(max_length=200)
    subject = forms.ChoiceField(choices=list(SUBJECTS.items()))
    placement = forms.ChoiceField(choices=list(PLACEMENTS.items()))
    severity = forms.ChoiceField(choices=list(SEVERITIES.items()))
    message = forms.CharField(max_length=500)
    owner = forms.CharField(max_length=100, required=False)
    condition = forms.CharField(widget=forms.Textarea(attrs={"rows": 5, "spellcheck": "false"}))


class NewRuleForm(RuleForm):
    key = forms.SlugField(max_length=80)
    field_order = ["key"]


def _errors_into(form: forms.Form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, problems in error.message_dict.items():
            form.add_error(field if field in form.fields else None, problems)
    else:
        form.add_error(None, error.messages)


def _integration(request: ConsoleRequest) -> Integration:
    """The integration the page works on: ``?integration=<name>`` (or the form's field), the primary
    integration when none; 404 for one outside the person's scope."""
    return integration_chosen(request.user, request.GET.get(PARAMETER) or request.POST.get(PARAMETER))


def _on(url: str, integration: Integration) -> HttpResponse:
    """Redirect to ``url`` on ``integration`` (the primary one needs no parameter)."""
    return redirect(url if integration.is_primary else f"{url}?{urlencode({PARAMETER: integration.name})}")


def _to_rule(rule: Rule) -> HttpResponse:
    return _on(reverse("sync:rule", kwargs={"key": rule.key}), rule.integration)


@require_GET
def rule_index(request: ConsoleRequest) -> HttpResponse:
    integration = _integration(request)
    return render(
        request,
        "rules/index.html",
        {
            "area": "sync",
            "integration": integration,
            "integrations": integrations_visible(request.user),
            "rows": rules_list(user=request.user, integration=integration),
            "can_edit": can_edit_rules(request.user),
        },
    )


@require_POST
def rule_install_shipped(request: ConsoleRequest) -> HttpResponse:
    integration = _integration(request)
    created = services.rules_shipped_install(user=request.user, integration=integration)
    messages.success(request, f"{len(created)} shipped rule(s) added as drafts.")
    return _on(reverse("sync:rules"), integration)


@require_http_methods(["GET", "POST"])
def rule_new(request: ConsoleRequest) -> HttpResponse:
    if not can_edit_rules(request.user):
        raise PermissionDenied
    integration = _integration(request)
    form = NewRuleForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        key = data.pop("key")
        try:
            version = services.rule_create(user=request.user, key=key, integration=integration, **data)
        except ValidationError as error:
            _errors_into(form, error)
        else:
            messages.success(request, f"Rule {key} created as a draft.")
            return _to_rule(version.rule)
    return render(request, "rules/new.html", {"area": "sync", "form": form, "integration": integration})


def _detail_context(request: ConsoleRequest, rule: Rule, form: RuleForm | None = None) -> dict[str, Any]:
    versions = list(rule_versions(rule=rule))
    draft = next((version for version in versions if version.is_editable), None)
    if form is None and draft is not None:
        form = RuleForm(initial={field: getattr(draft, field) for field in services.CONTENT_FIELDS})
    return {
        "area": "sync",
        "integration": rule.integration,
        "rule": rule,
        "versions": versions,
        "draft": draft,
        "form": form,
        "current": versions[0] if versions else None,
        "can_edit": can_edit_rules(request.user),
        "can_approve": can_approve_rules(request.user),
    }


@require_http_methods(["GET", "POST"])
def rule_detail(request: ConsoleRequest, key: str) -> HttpResponse:
    """The rule's versions; POST saves the draft (the whole page, or the form fragment for htmx)."""
    rule = rule_get_for_user(user=request.user, key=key, integration=_integration(request))
    if request.method == "GET":
        return render(request, "rules/detail.html", _detail_context(request, rule))
    if not can_edit_rules(request.user):
        # Checked before the form: an invalid form never reaches the service, which checks it too.
        raise PermissionDenied
    context = _detail_context(request, rule, RuleForm(request.POST))
    form, draft = context["form"], context["draft"]
    if draft is None:
        raise Http404("This rule has no draft to save")
    if form.is_valid():
        try:
            services.rule_version_update(version=draft, user=request.user, **form.cleaned_data)
        except ValidationError as error:
            _errors_into(form, error)
        else:
            context["saved"] = True
    template = "rules/partials/rule_form.html" if request.htmx else "rules/detail.html"
    return render(request, template, context)


@require_POST
def rule_check(request: ConsoleRequest) -> HttpResponse:
    """Validation as you type: the condition's first problem, with its caret, or "valid"."""
    problem = services.rule_condition_check(
        condition=request.POST.get("condition", ""), subject=request.POST.get("subject", "opportunity")
    )
    return render(request, "rules/partials/rule_check.html", {"problem": problem})


@require_POST
def rule_version_action(request: ConsoleRequest, version_id: int, action: str) -> HttpResponse:
    version = rule_version_get_for_user(user=request.user, version_id=version_id)
    reason = request.POST.get("reason", "").strip()
    moves: dict[str, Callable[..., RuleVersion]] = {
        "submit": services.rule_version_submit,
        "approve": services.rule_version_approve,
        "send-back": services.rule_version_send_back,
        "publish": services.rule_version_publish,
        "new-draft": lambda *, version, user, reason: services.rule_draft_start(rule=version.rule, user=user),
    }
    if action not in moves:
        raise Http404("No such action")
    try:
        moves[action](version=version, user=request.user, reason=reason)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"{version}: {action.replace('-', ' ')} done.")
    return _to_rule(version.rule)


@require_POST
def rule_version_try(request: ConsoleRequest, version_id: int) -> HttpResponse:
    """Test a version (or the condition being edited) against a pasted record or a record id."""
    version = rule_version_get_for_user(user=request.user, version_id=version_id)
    context: dict[str, Any] = {}
    text = request.POST.get("record", "").strip()
    record: Any = None
    try:
        if text:
            try:
                record = json_loads_bounded(text)
            except ValueError as error:  # not JSON, or nested too deeply
                raise ValidationError(f"The record is not valid JSON: {error}") from None
        condition = request.POST.get("condition") or None
        context["evaluation"] = services.rule_version_test(
            version=version,
            record=record,
            record_id=request.POST.get("record_id", "").strip(),
            fetch=None,  # an id lookup plugs in here once a Salesforce connection can build its connector
            condition=condition if version.is_editable else None,
        )
    except ValidationError as error:
        context["error"] = "\n".join(error.messages)
    return render(request, "rules/partials/rule_result.html", context)
