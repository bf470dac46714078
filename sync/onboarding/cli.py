"""What the integration commands share: naming an integration or a connection, and saying a validation
error in one line per problem."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError, OutputWrapper

from sync.connections.models import Connection
from sync.integrations.models import Integration
from sync.onboarding.selectors import OnboardingPlan


def integration_named(name: str) -> Integration:
    """The integration called ``name``, or a CommandError listing the known names."""
    found = Integration.objects.filter(name=name).first()
    if found is None:
        names = ", ".join(Integration.objects.values_list("name", flat=True)) or "none"
        raise CommandError(f"no integration named {name!r} (known: {names})")
    return found


def connection_named(name: str | None) -> Connection | None:
    """The connection called ``name`` (any kind: the service says when it is the wrong one), None when
    not given, a CommandError when there is none."""
    if not name:
        return None
    found = Connection.objects.filter(name=name).first()
    if found is None:
        raise CommandError(f"no connection named {name!r}")
    return found


def validation_error(error: ValidationError) -> CommandError:
    """A CommandError with one ``field: problem`` per line."""
    if hasattr(error, "error_dict"):
        lines = [
            f"{field}: {message}" for field, messages in error.message_dict.items() for message in messages
        ]
    else:
        lines = list(error.messages)
    return CommandError("\n".join(lines))


ACTION_LABELS = {
    "link": "to link (the Salesforce id is written as externalId)",
    "shared_link": "shared with another integration (linked, never re-keyed)",
    "duplicate_suspect": "duplicate suspects (a person decides in the exception queue)",
    "create": "to create (the first sync creates them)",
    "already_linked": "already linked",
}


def plan_write(out: OutputWrapper, plan: OnboardingPlan, *, rows: bool = True) -> None:
    """The plan's counts, then its shared links and suspects record by record."""
    out.write(f"Onboarding scan #{plan.run.pk} of {plan.integration.name} ({plan.run.get_status_display()}):")
    for action, label in ACTION_LABELS.items():
        out.write(f"  {plan.counts.get(action, 0):>6} {label}")
    if not rows:
        return
    for action in ("shared_link", "duplicate_suspect", "link"):
        for row in plan.rows.get(action, []):
            target = f"{row.netsuite_type} {row.netsuite_id}" if row.netsuite_id else row.netsuite_type
            shared = f" (carries {row.shared_with}'s external id)" if row.shared_with else ""
            out.write(
                f"  {action}: {row.salesforce_type} {row.salesforce_name or row.salesforce_id} -> {target}"
                f"{shared}: {row.reason}"
            )
