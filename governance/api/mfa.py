"""An admin resets a person's second factor (their TOTP device), as from the user's page."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.http import Http404
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from core.api.serializers import ReasonInputSerializer
from core.api.views import ApiViewSet
from governance import selectors
from governance.mfa.services import mfa_reset
from governance.permissions import can_manage_users


class UserMfaViewSet(ApiViewSet):
    queryset = User.objects.none()  # for the schema generator; the action reads through the selector
    action_permissions = {"mfa_reset": can_manage_users}

    @extend_schema(
        request=ReasonInputSerializer,
        responses=inline_serializer("MfaResetResult", {"removed": serializers.IntegerField()}),
    )
    @action(detail=True, methods=["post"], url_path="mfa-reset", url_name="reset")
    def mfa_reset(self, request: Request, pk: str) -> Response:
        """Remove the user's TOTP device (a lost phone); they enrol again at their next sign-in. Audited;
        nobody resets their own."""
        row = selectors.user_detail_get(user=self.user, user_id=int(pk))
        if row is None:
            raise Http404("No such user")
        removed = mfa_reset(user=row.user, actor=self.user, reason=self.reason(request))
        return Response({"removed": removed})
