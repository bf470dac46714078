"""The matching page: the generic e-mail domains, no evidence in matching before create
(/sync/matching/domains/). Writes go through :mod:`sync.matching.domains`, which checks the role again and
audits."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from core.http import ConsoleRequest
from sync.matching.domains import (
    can_change_generic_domains,
    generic_domain_add,
    generic_domain_remove,
    generic_domain_rows,
)


class GenericDomainForm(forms.Form):
    domain = forms.CharField(max_length=253)
    reason = forms.CharField(required=False, max_length=500)


@require_GET
def generic_domain_list(request: ConsoleRequest) -> HttpResponse:
    context = {
        "area": "sync",
        "rows": generic_domain_rows(),
        "form": GenericDomainForm(),
        "can_change": can_change_generic_domains(request.user),
    }
    return render(request, "matching/generic_domains.html", context)


@require_POST
def generic_domain_change(request: ConsoleRequest) -> HttpResponse:
    """Add a domain (``action=add``) or remove one the operator added (``action=remove``)."""
    if not can_change_generic_domains(request.user):
        raise PermissionDenied(
            "Changing the generic e-mail domains needs the RevOps role, unlimited by integration."
        )
    form = GenericDomainForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Give a domain, e.g. mailbox.example.")
        return redirect("sync:matching-domains")
    change = generic_domain_remove if request.POST.get("action") == "remove" else generic_domain_add
    try:
        change(user=request.user, domain=form.cleaned_data["domain"], reason=form.cleaned_data["reason"])
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        done = "removed from" if change is generic_domain_remove else "added to"
        messages.success(
            request, f"{form.cleaned_data['domain'].strip().lower()} {done} the generic domains."
        )
    return redirect("sync:matching-domains")
