"""``manage.py release``: releases from the command line, with the console's checks and audit.

    release list [--integration NAME]
    release show ID
    release create NAME --user U [--integration NAME] [--notes TEXT] [--mapping-version ID ...]
                                 [--rule-version ID ...] [--lookup-version ID ...]
    release items ID --user U [--mapping-version ID ...] [--rule-version ID ...] [--lookup-version ID ...]
    release test ID --user U --opportunity SFID [--opportunity SFID ...] [--salesforce NAME --netsuite NAME]
    release retry RUN_ID --user U [--reason TEXT]
    release sign ID --user U --role revops|finance [--note TEXT]
    release publish ID --user U [--reason TEXT]
    release rollback ID --user U --reason TEXT

``items`` replaces the versions the release carries (list them all: to add one, name the current ones and
it; to remove one, leave it out). ``test`` queues the sandbox test run on the release's integration's
sandbox pair (its first active sandbox of each kind unless named); a worker runs it (``show`` follows
it). Each step is taken as ``--user`` (an active account): the services check the role, four eyes (two
people sign, Finance never the release's maker) and the integration (a person limited to other
integrations is told there is no such release), and write the audit entry. A refusal changes nothing.
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Model, QuerySet

from core.commands import command_actor
from governance.releases import services, testing
from governance.releases.models import Release, ReleaseTestRun, SignoffRole
from governance.releases.selectors import release_detail, releases_visible
from sync.connections.models import Connection
from sync.integrations.access import integration_scope
from sync.integrations.choice import INTEGRATION_OPTION_HELP, command_integration
from sync.mappings.models import LookupVersion, MappingVersion
from sync.rules.models import RuleVersion

M = TypeVar("M", bound=Model)
READS = ("list", "show")
CHANGES = ("create", "items", "test", "retry", "sign", "publish", "rollback")
VersionModel = type[MappingVersion] | type[RuleVersion] | type[LookupVersion]
VERSION_OPTIONS: dict[str, tuple[str, VersionModel, str]] = {
    "mapping_versions": ("mapping_version", MappingVersion, "flow__integration"),
    "rule_versions": ("rule_version", RuleVersion, "rule__integration"),
    "lookup_versions": ("lookup_version", LookupVersion, "table__integration"),
}


def _id(target: str | None, what: str) -> int:
    if not target or not target.isdigit():
        raise CommandError(f"give the {what} id (see: release list)")
    return int(target)


class Command(BaseCommand):
    help = "List, show, create, change, test, sign off, publish and roll back releases."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("step", choices=[*READS, *CHANGES])
        parser.add_argument(
            "target", nargs="?", help="create: the release's name; retry: the run id; else its id"
        )
        parser.add_argument("--user", help="the account that takes the step (required for changes)")
        parser.add_argument("--integration", help=f"list/create: {INTEGRATION_OPTION_HELP}")
        parser.add_argument("--notes", default="", help="create: what changes and why")
        for option, (single, _, _) in VERSION_OPTIONS.items():
            parser.add_argument(
                f"--{single.replace('_', '-')}",
                dest=option,
                type=int,
                action="append",
                default=[],
                help="create/items: a version id (repeat for more)",
            )
        parser.add_argument("--opportunity", action="append", default=[], help="test: a Salesforce id")
        parser.add_argument("--salesforce", help="test: the sandbox Salesforce connection's name")
        parser.add_argument("--netsuite", help="test: the sandbox NetSuite connection's name")
        parser.add_argument("--role", choices=SignoffRole.values, help="sign: the role you sign in")
        parser.add_argument("--note", default="", help="sign: a note")
        parser.add_argument("--reason", default="", help="retry/publish/rollback: why (rollback: required)")

    def handle(self, *args: Any, **options: Any) -> None:
        step = options["step"]
        if step == "list":
            self._list(options["integration"])
            return
        if step == "show":
            self._show(self._release(Release.objects.all(), options["target"]))
            return
        user = command_actor(options["user"])
        try:
            said = self._change(step, user, options)
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from error
        except PermissionDenied as error:
            raise CommandError(f"refused: {error}") from error
        self.stdout.write(self.style.SUCCESS(said))

    def _change(self, step: str, user: User, options: dict[str, Any]) -> str:
        if step == "create":
            if not options["target"]:
                raise CommandError("give the release's name: release create NAME --user U ...")
            integration = command_integration(options["integration"]) if options["integration"] else None
            release = services.release_create(
                user=user,
                name=options["target"],
                notes=options["notes"],
                integration=integration,
                **self._versions(user, options),
            )
            return f"release {release.name} (id {release.pk}) of {release.integration.name} is a draft"
        if step == "retry":
            runs = ReleaseTestRun.objects.filter(release__in=releases_visible(user=user))
            run = self._one(runs, _id(options["target"], "test run"), "test run")
            new = testing.release_test_run_retry(run=run, user=user, reason=options["reason"])
            return f"test run #{new.pk} queued (a retry of #{run.pk})"
        release = self._release(releases_visible(user=user), options["target"])
        if step == "items":
            release = services.release_items_set(release=release, user=user, **self._versions(user, options))
        elif step == "test":
            run = self._test(release, user, options)
            return (
                f"test run #{run.pk} of release {release.name} queued (follow it: release show {release.pk})"
            )
        elif step == "sign":
            if not options["role"]:
                raise CommandError("say which role you sign in: --role revops|finance")
            services.release_sign(release=release, user=user, role=options["role"], note=options["note"])
        elif step == "publish":
            services.release_publish(release=release, user=user, reason=options["reason"])
        else:
            services.release_rollback(release=release, user=user, reason=options["reason"])
        release.refresh_from_db()
        return f"release {release.name} (id {release.pk}) is {release.get_status_display().lower()}"

    def _test(self, release: Release, user: User, options: dict[str, Any]) -> ReleaseTestRun:
        if not options["opportunity"]:
            raise CommandError("name the opportunities to sync: --opportunity SFID (repeat for more)")
        named = {}
        for kind in ("salesforce", "netsuite"):
            if options[kind]:
                found = integration_scope(user).filter(Connection.objects.all(), connection="pk")
                named[kind] = self._named(found, options[kind], f"{kind} connection")
        salesforce, netsuite = testing.release_test_connections(release, **named)
        return testing.release_test_run_start(
            release=release,
            user=user,
            salesforce=salesforce,
            netsuite=netsuite,
            opportunity_ids=options["opportunity"],
        )

    def _versions(self, user: User, options: dict[str, Any]) -> dict[str, list[Any]]:
        """The versions named, each of the integrations ``user`` works on; an unknown id is refused before
        anything is changed."""
        chosen: dict[str, list[Any]] = {}
        for option, (single, model, owner) in VERSION_OPTIONS.items():
            ids: list[int] = options[option]
            found = integration_scope(user).filter(model.objects.filter(pk__in=ids), integration=owner)
            by_id = {version.pk: version for version in found}
            missing = [str(pk) for pk in ids if pk not in by_id]
            if missing:
                raise CommandError(f"no {single.replace('_', ' ')} {', '.join(missing)}")
            chosen[option] = [by_id[pk] for pk in ids]
        return chosen

    def _release(self, releases: QuerySet[Release], target: str | None) -> Release:
        return self._one(releases.select_related("integration"), _id(target, "release"), "release")

    def _one(self, found: QuerySet[M], pk: int, what: str) -> M:
        row = found.filter(pk=pk).first()
        if row is None:
            raise CommandError(f"no {what} {pk}")
        return row

    def _named(self, found: QuerySet[Connection], name: str, what: str) -> Connection:
        row = found.filter(name=name).first()
        if row is None:
            raise CommandError(f"no {what} {name!r}")
        return row

    def _list(self, integration_name: str | None) -> None:
        releases = Release.objects.select_related("integration").order_by("-created_at", "-id")
        if integration_name:
            releases = releases.filter(integration=command_integration(integration_name))
        for release in releases:
            self.stdout.write(
                f"{release.pk:>5}  {release.integration.name}  {release.name}  {release.status}  "
                f"{release.items.count()} items"
            )

    def _show(self, release: Release) -> None:
        detail = release_detail(release)
        self.stdout.write(
            f"release {release.name} (id {release.pk}) of {release.integration.name}: {release.status}"
        )
        for item in detail.items:
            self.stdout.write(f"  item    {item.target} v{item.version_number} (id {item.version_id})")
        for run in detail.test_runs:
            verdict = "passed" if run.passed else run.status
            self.stdout.write(
                f"  run     #{run.pk} {verdict}: {run.records_synced}/{run.records_total} synced, "
                f"{run.records_failed} failed, {run.mismatch_count} mismatches"
            )
        for signoff in detail.signoffs:
            void = f" (void: {signoff.invalidated_reason})" if signoff.invalidated_at else ""
            signed = f"{signoff.get_role_display()} by {signoff.user} on run #{signoff.test_run_id}"
            self.stdout.write(f"  signed  {signed}{void}")
