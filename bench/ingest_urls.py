"""The product's URLs unchanged, plus ``bench/bare/``: the baseline bench/ingest.py measures against."""

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from console.urls import urlpatterns as product_urlpatterns
from core.access import role_not_required


@csrf_exempt
@login_not_required
@role_not_required
def bare(request: HttpRequest) -> HttpResponse:
    """As little as a Django view can do: read the body, answer a short 200 text."""
    request.read()
    return HttpResponse(b"ok\n", content_type="text/plain")


urlpatterns = [path("bench/bare/", bare), *product_urlpatterns]
