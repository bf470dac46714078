"""Which integration a page, an API call or a command works on: ``?integration=<name>`` (the API's filter,
the command's ``--integration NAME``), the primary one when none is named.

A person limited to some integrations (:mod:`sync.integrations.access`) may only name theirs: any other
name is 404, as if it did not exist; with no name given, such a person works on the primary integration
when they hold it, else on the first of theirs.
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.core.management.base import CommandError
from django.db.models import Model, QuerySet
from django.http import Http404

from core.api.views import ApiViewSet
from sync.integrations.access import integration_scope
from sync.integrations.models import Integration
from sync.integrations.selectors import primary_integration

PARAMETER = "integration"
M = TypeVar("M", bound=Model)


def integration_chosen(user: Any, name: str | None) -> Integration:
    """The integration ``name`` among those ``user`` may see, or their default one when ``name`` is
    empty; 404 for a name that is unknown or outside their scope."""
    scope = integration_scope(user)
    name = (name or "").strip()
    if name:
        found = scope.integrations().filter(name=name).first()
        if found is None:
            raise Http404(f"No integration {name!r}")
        return found
    primary = primary_integration()
    if scope.allows(primary.pk):
        return primary
    first = scope.integrations().first()
    if first is None:
        raise Http404("No integration")
    return first


def integration_named(name: str | None) -> Integration:
    """The integration called ``name`` (the primary one when empty) for admin tools, which are not
    scoped; Integration.DoesNotExist names the known ones."""
    name = (name or "").strip()
    if not name:
        return primary_integration()
    found = Integration.objects.filter(name=name).first()
    if found is None:
        known = ", ".join(Integration.objects.values_list("name", flat=True))
        raise Integration.DoesNotExist(f"No integration {name!r} (integrations: {known}).")
    return found


def command_integration(name: str | None) -> Integration:
    """The integration a command's ``--integration NAME`` names (the primary one without it), or a
    CommandError naming the integrations that exist."""
    try:
        return integration_named(name)
    except Integration.DoesNotExist as error:
        raise CommandError(str(error)) from error


INTEGRATION_OPTION_HELP = "the integration's name (default: the primary integration)"


def integrations_visible(user: Any) -> list[Integration]:
    """The integrations ``user`` may choose from (the console's selector)."""
    return list(integration_scope(user).integrations())


class ChosenIntegration(ApiViewSet):
    """What the API views of one integration's flows, tables and rules share: ``?integration=<name>``
    (the primary integration when none), among the integrations the caller may see (404 for another)."""

    def chosen_integration(self, name: str | None = None) -> Integration:
        asked = name if name is not None else self.request.query_params.get(PARAMETER)
        return integration_chosen(self.user, asked)

    def of_chosen(self, queryset: QuerySet[M]) -> QuerySet[M]:
        """``queryset`` (of rows with an ``integration``) narrowed to the chosen integration; empty for
        the schema generator, which has no person to choose for."""
        if getattr(self, "swagger_fake_view", False):
            return queryset.none()
        return queryset.filter(integration=self.chosen_integration())
