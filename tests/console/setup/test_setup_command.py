"""``manage.py setup``: one command installs and upgrades; run again it changes nothing; bad input stops it
before anything changes."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import CommandError
from django_q.models import Schedule

from console.setup.install import (
    SetupInputError,
    admin_from_environment,
    migrations_pending,
)
from core.roles import ADMIN
from core.schedules import schedule_set
from governance.audit_checkpoints import CHECKPOINT_SCHEDULE
from governance.first_admin import setup_code_path
from governance.models import AuditEntry
from governance.releases.testing import SWEEP_SCHEDULE_NAME as RELEASE_SWEEP
from reconciliation.schedules import SCHEDULE_NAME as RECONCILIATION_SCHEDULE
from sync.exceptions.models import ExceptionCategory
from sync.exceptions.netsuite_lists import NETSUITE_LISTS_SPEC
from sync.mappings.models import MappingVersion

PASSWORD = "a-long-and-unusual-passphrase-42"
ADMIN_ENV = {
    "CONCORD_ADMIN_USERNAME": "ada",
    "CONCORD_ADMIN_EMAIL": "ada@example.com",
    "CONCORD_ADMIN_PASSWORD": PASSWORD,
}
# The migrate step reverses a migration and applies it again: real transactions, every app available
# (tests/sync/pipeline/conftest.py says why).
MIGRATING_DB = pytest.mark.django_db(
    transaction=True, available_apps=[config.name for config in apps.get_app_configs()]
)
# The newest sync migration and the one before it (an upgrade is the newest one pending).
OLDER_SYNC_MIGRATION, LAST_SYNC_MIGRATION = sorted(
    path.stem for path in (Path(__file__).resolve().parents[3] / "sync" / "migrations").glob("0*.py")
)[-2:]


@pytest.fixture(autouse=True)
def var_dir(settings: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    settings.VAR_DIR = tmp_path
    for name in (*ADMIN_ENV, "CONCORD_ADMIN_PASSWORD_FILE"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def _setup(*args: str) -> str:
    out = io.StringIO()
    call_command("setup", "--skip-static", "--no-input", *args, stdout=out)
    return out.getvalue()


def _counts() -> dict[str, object]:
    return {
        "schedules": sorted(Schedule.objects.values_list("name", "minutes", "repeats")),
        "users": User.objects.count(),
        "audit": AuditEntry.objects.count(),
        "mapping versions": MappingVersion.objects.count(),
        "exception categories": ExceptionCategory.objects.count(),
    }


# -- the environment ---------------------------------------------------------------------------------------


def test_no_username_asks_for_no_admin() -> None:
    assert admin_from_environment({}) is None


def test_the_password_comes_from_a_file_without_its_trailing_newline(tmp_path: Path) -> None:
    secret = tmp_path / "admin-password"
    secret.write_text(PASSWORD + "\n")
    request = admin_from_environment(
        {"CONCORD_ADMIN_USERNAME": "ada", "CONCORD_ADMIN_PASSWORD_FILE": str(secret)}
    )
    assert request is not None
    assert (request.username, request.email, request.password) == ("ada", "", PASSWORD)
    assert PASSWORD not in repr(request)


@pytest.mark.parametrize(
    ("environ", "says"),
    [
        ({"CONCORD_ADMIN_USERNAME": "ada"}, "give the password in CONCORD_ADMIN_PASSWORD"),
        ({"CONCORD_ADMIN_PASSWORD": PASSWORD}, "CONCORD_ADMIN_USERNAME is not set"),
        (
            {**ADMIN_ENV, "CONCORD_ADMIN_PASSWORD_FILE": "/run/secrets/x"},
            "not both",
        ),
        (
            {"CONCORD_ADMIN_USERNAME": "ada", "CONCORD_ADMIN_PASSWORD_FILE": "/nonexistent/secret"},
            "cannot be read",
        ),
        ({**ADMIN_ENV, "CONCORD_ADMIN_PASSWORD": "password"}, "too common"),
        ({**ADMIN_ENV, "CONCORD_ADMIN_EMAIL": "not an address"}, "valid email"),
    ],
)
def test_unusable_admin_settings_are_named(environ: dict[str, str], says: str) -> None:
    with pytest.raises(SetupInputError, match=says):
        admin_from_environment(environ)


# -- the command -------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_setup_makes_the_first_admin_and_a_second_run_changes_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name, value in ADMIN_ENV.items():
        monkeypatch.setenv(name, value)
    User.objects.all().delete()  # an empty installation (the personas are made per test, not here)

    first = _setup()

    admin = User.objects.get()
    assert admin.username == "ada" and admin.check_password(PASSWORD)
    assert list(admin.groups.values_list("name", flat=True)) == [ADMIN.name]
    assert AuditEntry.objects.filter(additional_data__event="first_admin_created").count() == 1
    assert "First administrator ada created" in first
    names = set(Schedule.objects.values_list("name", flat=True))
    # one schedule from each *_schedules_ensure command and the release test sweep
    assert {CHECKPOINT_SCHEDULE, RECONCILIATION_SCHEDULE, RELEASE_SWEEP, NETSUITE_LISTS_SPEC.name} <= names
    assert MappingVersion.objects.filter(status="published").exists()
    # The second day: an operator retimes a schedule, then the next deploy runs setup again.
    schedule_set(actor=None, key="catch-up-poll", minutes=17, source="command")
    before = _counts()

    second = _setup()

    assert _counts() == before  # nothing created, nothing audited, the operator's timing kept
    assert "Database: up to date" in second
    assert "first administrator exists (CONCORD_ADMIN_USERNAME left unused)" in second
    assert not setup_code_path().exists()


@pytest.mark.django_db
def test_without_an_admin_setting_it_points_to_the_setup_code() -> None:
    User.objects.all().delete()

    output = _setup()

    assert not User.objects.exists()
    assert setup_code_path().exists()
    assert str(setup_code_path()) in output and "CONCORD_ADMIN_USERNAME" in output


@MIGRATING_DB
def test_an_upgrade_is_the_same_command_and_bad_input_loses_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    """A database one migration behind: setup with an unusable password stops before migrating; fixed, the
    same command migrates it forward and sets the rest up."""
    call_command("migrate", "sync", OLDER_SYNC_MIGRATION, verbosity=0)
    assert migrations_pending() == [f"sync.{LAST_SYNC_MIGRATION}"]
    for name, value in {**ADMIN_ENV, "CONCORD_ADMIN_PASSWORD": "123"}.items():
        monkeypatch.setenv(name, value)

    with pytest.raises(CommandError, match="the first administrator: .*too short"):
        _setup()
    assert migrations_pending() == [f"sync.{LAST_SYNC_MIGRATION}"]
    assert not User.objects.exists()

    monkeypatch.setenv("CONCORD_ADMIN_PASSWORD", PASSWORD)
    output = _setup()

    assert "Database: 1 migration(s) applied" in output
    assert migrations_pending() == []
    assert User.objects.get().username == "ada"
    assert Schedule.objects.filter(name=RELEASE_SWEEP).exists()
