"""Request types for views (what the middleware stack guarantees, made visible to mypy)."""

from django.contrib.auth.models import User
from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails


class ConsoleRequest(HttpRequest):
    """A request to a console page: the user is signed in (LoginRequiredMiddleware), htmx is parsed."""

    user: User
    htmx: HtmxDetails
