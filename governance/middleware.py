from __future__ import annotations

from collections.abc import Callable

from auditlog.context import set_extra_data
from auditlog.middleware import AuditlogMiddleware
from django.conf import settings
from django.http import HttpRequest, HttpResponse

from core.correlation import HEADER, correlation


class AuditMiddleware(AuditlogMiddleware):
    """auditlog's middleware (actor and remote address on every entry) with two local rules.

    - X-Forwarded-For is believed only behind a known proxy (``BEHIND_PROXY``); auditlog trusts it always.
    - Each request runs under a correlation id, echoed in the response's ``X-Correlation-ID``.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        super().__init__(get_response)
        self.get_response = get_response

    @staticmethod
    def _get_remote_addr(request: HttpRequest) -> str | None:
        if settings.BEHIND_PROXY:
            return AuditlogMiddleware._get_remote_addr(request)
        return request.META.get("REMOTE_ADDR")

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with correlation(request.headers.get(HEADER)) as correlation_id:
            with set_extra_data(context_data=self.get_extra_data(request)):
                response = self.get_response(request)
        response[HEADER] = correlation_id
        return response
