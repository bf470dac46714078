"""Base classes of every API view, and the OpenAPI schema and its Swagger UI."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from django.contrib.auth.models import AnonymousUser, User
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework import mixins, viewsets
from rest_framework.request import Request
from rest_framework.serializers import BaseSerializer

from core.api.serializers import ReasonInputSerializer

if TYPE_CHECKING:  # names of the type stubs only
    from rest_framework.views import AsView, GenericView

V = TypeVar("V")
SLUG = r"[-a-zA-Z0-9_]+"  # the lookup of views looked up by a key (flows, rules)

# Answers whether a person may take an action: the feature's own predicate (its permissions.py), the same
# function its pages and services ask.
Predicate = Callable[[User | AnonymousUser], bool]


def role_checked_by_drf(view: V) -> V:
    """Let an API request past the console's role middleware, as DRF lets it past the login middleware:
    a token is only read by DRF, after the middleware ran, and DRF then applies the same role rule
    (``HasConsoleRole``)."""
    setattr(view, "role_required", False)  # noqa: B010 - the attribute core.access.role_not_required sets
    return view


class ApiViewSet(viewsets.GenericViewSet):
    """A viewset of the API. ``action_permissions`` names, per action, the predicate the user must satisfy
    (checked by :class:`core.api.permissions.HasActionCapability` before any input is read): the feature's
    own, from its permissions.py, which its pages and services ask too."""

    action_permissions: dict[str, Predicate] = {}
    lookup_value_regex = r"[0-9]+"  # ids; views looked up by a key say so

    @property
    def user(self) -> User:
        """The signed-in user (``HasConsoleRole`` has let nobody else in)."""
        user = self.request.user
        assert isinstance(user, User)  # noqa: S101 - guaranteed by the permission classes
        return user

    @classmethod
    def as_view(cls, actions: Any = None, **initkwargs: Any) -> AsView[GenericView]:
        return role_checked_by_drf(super().as_view(actions, **initkwargs))

    def input(
        self, serializer_class: type[BaseSerializer[Any]], request: Request, *, partial: bool = False
    ) -> dict[str, Any]:
        """The request body validated by ``serializer_class`` (400 with the problems otherwise)."""
        serializer = serializer_class(
            data=request.data, partial=partial, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        data: dict[str, Any] = dict(serializer.validated_data)
        return data

    def reason(self, request: Request) -> str:
        """The action's optional reason (:class:`core.api.serializers.ReasonInputSerializer`)."""
        reason: str = self.input(ReasonInputSerializer, request)["reason"]
        return reason


class ApiReadViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    """List and retrieve; writes are actions that call services."""


class SchemaView(SpectacularAPIView):
    @classmethod
    def as_view(cls, **initkwargs: Any) -> AsView[GenericView]:
        return role_checked_by_drf(super().as_view(**initkwargs))


class DocsView(SpectacularSwaggerSplitView):
    """Swagger UI from drf-spectacular-sidecar (no CDN). The page has no inline script or style (the
    console's Content-Security-Policy): its start-up script is served as a file by the same view."""

    template_name = "api/docs.html"

    @classmethod
    def as_view(cls, **initkwargs: Any) -> AsView[GenericView]:
        view = super().as_view(**initkwargs)
        # A page for people, unlike the API: anonymous visitors go to the login page (DRF exempts its
        # views from LoginRequiredMiddleware), and the role middleware applies.
        view.login_required = True  # type: ignore[attr-defined]
        return view
