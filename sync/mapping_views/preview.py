"""The dry run page: a real opportunity through a version, against NetSuite's current records."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from console.http import ConsoleRequest
from sync.mapping import MappingValidationError
from sync.mapping_views.access import require_previewer, version_or_404
from sync.services.mapping_preview import PreviewUnavailable, mapping_dry_run


@require_GET
def version_preview(request: ConsoleRequest, version_id: int) -> HttpResponse:
    require_previewer(request)
    version = version_or_404(version_id)
    opportunity_id = request.GET.get("opportunity_id", "").strip()
    context: dict[str, object] = {"area": "mappings", "version": version, "opportunity_id": opportunity_id}
    if opportunity_id:
        try:
            context["preview"] = mapping_dry_run(version=version, opportunity_id=opportunity_id)
        except PreviewUnavailable as error:
            context["error"] = str(error)
        except MappingValidationError as error:
            context["error"] = "; ".join(str(problem) for problem in error.problems)
    template = "sync/mappings/partials/preview_result.html" if request.htmx else "sync/mappings/preview.html"
    return render(request, template, context)
