"""The generic e-mail domains in the API (/api/v1/generic-domains/): read by every role; added
(``POST``) and removed (``POST .../remove/``) by mapping editors not limited to some integrations, each
change audited with its reason (:mod:`sync.matching.domains`)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from core.api.views import ApiViewSet
from sync.matching.domains import (
    REASON_LENGTH,
    can_change_generic_domains,
    generic_domain_add,
    generic_domain_remove,
    generic_domain_rows,
)
from sync.matching.models import GenericEmailDomain


class GenericDomainSerializer(serializers.Serializer[Any]):
    domain = serializers.CharField()
    built_in = serializers.BooleanField(help_text="Built into Concord (cannot be removed)")
    added_by = serializers.CharField(allow_blank=True)
    added_at = serializers.DateTimeField(allow_null=True)
    reason = serializers.CharField(allow_blank=True)


class GenericDomainInputSerializer(serializers.Serializer[Any]):
    domain = serializers.CharField(
        max_length=253, help_text="A domain (an address or a web address gives its own)"
    )
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=REASON_LENGTH)


class GenericDomainViewSet(ApiViewSet):
    """E-mail domains that are no evidence in matching before create: built in, and the operator's."""

    queryset = GenericEmailDomain.objects.none()  # for the schema generator; the list reads the service
    serializer_class = GenericDomainSerializer
    pagination_class = None
    action_permissions = {"create": can_change_generic_domains, "remove": can_change_generic_domains}

    def list(self, request: Request) -> Response:
        return Response(GenericDomainSerializer(generic_domain_rows(), many=True).data)

    @extend_schema(request=GenericDomainInputSerializer, responses={201: GenericDomainSerializer})
    def create(self, request: Request) -> Response:
        """Add a domain; audited with the reason. A built-in or listed domain, or no domain, is a 400."""
        data = self.input(GenericDomainInputSerializer, request)
        row = generic_domain_add(user=self.user, domain=data["domain"], reason=data["reason"])
        answer = {"domain": row.domain, "built_in": False, "added_by": self.user.get_username()}
        answer |= {"added_at": row.added_at, "reason": row.reason}
        return Response(GenericDomainSerializer(answer).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=GenericDomainInputSerializer, responses={204: None})
    @action(detail=False, methods=["post"])
    def remove(self, request: Request) -> Response:
        """Remove a domain the operator added (built-in ones stay); audited with the reason."""
        data = self.input(GenericDomainInputSerializer, request)
        generic_domain_remove(user=self.user, domain=data["domain"], reason=data["reason"])
        return Response(status=status.HTTP_204_NO_CONTENT)


router = SimpleRouter()
router.register("generic-domains", GenericDomainViewSet, basename="generic-domain")
urlpatterns = router.urls
