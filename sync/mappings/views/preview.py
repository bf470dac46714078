"""The dry run page: a real opportunity through a version, against NetSuite's current records.

The opportunity is picked by name or id: the search box asks :func:`opportunity_search` as one types
(htmx) and lists the matches, each a link to its dry run; the form takes a name or an id as well.
"""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from core.http import ConsoleRequest
from sync.mappings.engine import MappingValidationError
from sync.mappings.services.preview import PreviewUnavailable, mapping_dry_run, opportunity_search
from sync.mappings.views.access import require_previewer, version_or_404


def _opportunity(request: ConsoleRequest) -> str:
    # ``opportunity_id`` is the parameter's earlier name, still in bookmarked links.
    return (request.GET.get("opportunity") or request.GET.get("opportunity_id") or "").strip()


@require_GET
def version_preview(request: ConsoleRequest, version_id: int) -> HttpResponse:
    require_previewer(request)
    version = version_or_404(version_id)
    opportunity = _opportunity(request)
    context: dict[str, object] = {"area": "mappings", "version": version, "opportunity": opportunity}
    if opportunity:
        try:
            context["preview"] = mapping_dry_run(version=version, opportunity=opportunity)
        except PreviewUnavailable as error:
            context["error"] = str(error)
        except MappingValidationError as error:
            context["error"] = "; ".join(str(problem) for problem in error.problems)
    template = "mappings/partials/preview_result.html" if request.htmx else "mappings/preview.html"
    return render(request, template, context)


@require_GET
def version_preview_search(request: ConsoleRequest, version_id: int) -> HttpResponse:
    """The search box's matches: opportunities whose name contains ``q``, or whose id it is (the box
    sends its own field, ``opportunity``, as it is typed)."""
    require_previewer(request)
    version = version_or_404(version_id)
    term = (request.GET.get("q") or _opportunity(request)).strip()
    context: dict[str, object] = {"version": version, "term": term, "choices": []}
    if term:
        try:
            context["choices"] = opportunity_search(term=term)
        except PreviewUnavailable as error:
            context["error"] = str(error)
    return render(request, "mappings/partials/preview_choices.html", context)
