"""Machine endpoints for operations: ``/healthz`` for probes, ``/metrics`` for Prometheus (and the favicon).

Neither needs a session: a probe and a scraper have none. ``/healthz`` says only which part failed, in
fixed words. ``/metrics`` asks for ``Authorization: Bearer <METRICS_TOKEN>`` when that setting is set.
"""

from __future__ import annotations

import hmac

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.templatetags.static import static
from django.views.decorators.cache import cache_control, never_cache
from django.views.decorators.http import require_GET, require_safe
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest

from console.health import health_check
from console.metrics import metrics_registry
from core.access import role_not_required


@login_not_required
@role_not_required
@cache_control(max_age=86400, public=True)
@require_safe
def favicon(request: HttpRequest) -> HttpResponseRedirect:
    """Browsers ask for ``/favicon.ico`` before reading the page's ``<link rel="icon">``: send them to the
    static SVG (drawn for Concord, static/favicon.svg) instead of a 404 in every log."""
    return HttpResponseRedirect(static("favicon.svg"))


@login_not_required
@role_not_required
@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    """200 when the database, the broker and at least one worker are alive; 503 naming what is not."""
    health = health_check()
    return JsonResponse(health.as_dict(), status=200 if health.ok else 503)


def _authorized(request: HttpRequest) -> bool:
    token = getattr(settings, "METRICS_TOKEN", "")
    if not token:
        return True
    scheme, _, sent = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(sent.strip().encode(), token.encode())


@login_not_required
@role_not_required
@never_cache
@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    if not _authorized(request):
        response = HttpResponse("metrics need a bearer token\n", status=401, content_type="text/plain")
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return HttpResponse(generate_latest(metrics_registry()), content_type=CONTENT_TYPE_LATEST)
