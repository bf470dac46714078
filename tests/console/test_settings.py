"""Settings come from the environment; production settings pass ``check --deploy``.

Each case runs in a fresh interpreter, since settings are read once at start-up.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": secrets.token_urlsafe(64),
    "ALLOWED_HOSTS": "concord.example.com",
    "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
    "METRICS_TOKEN": secrets.token_urlsafe(32),
}
PROBE = (
    "import json, django; from django.conf import settings; django.setup(); "
    "print(json.dumps({'q': settings.Q_CLUSTER, 'db': settings.DATABASES['default'], "
    "'storage': settings.STORAGES['staticfiles']['BACKEND'], 'debug': settings.DEBUG}, default=str))"
)


def run_with_env(args: list[str], env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    clean = {key: value for key, value in os.environ.items() if key not in _SETTINGS_VARIABLES}
    clean.update({"DJANGO_SETTINGS_MODULE": "console.settings", "PYTHONPATH": str(ROOT)})
    if "DATABASE_URL_FILE" not in env:
        clean.setdefault("DATABASE_URL", f"sqlite:///{tmp_path / 'probe.sqlite3'}")
    clean.update(env)
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=120, check=False
    )


_SETTINGS_VARIABLES = {
    "DATABASE_URL",
    "DEBUG",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "FIELD_ENCRYPTION_KEYS",
    "REDIS_URL",
    "Q_SYNC",
    "Q_TIMEOUT",
    "Q_RETRY",
    "STATIC_MANIFEST",
    "SECURE_SSL_REDIRECT",
    "BEHIND_PROXY",
    "STATIC_ROOT",
    "VAR_DIR",
    "METRICS_TOKEN",
    "SILENCED_SYSTEM_CHECKS",
    "REDIS_URL_FILE",
    "SECRET_KEY_FILE",
    "DATABASE_URL_FILE",
    "FIELD_ENCRYPTION_KEYS_FILE",
    "METRICS_TOKEN_FILE",
}


def probe(env: dict[str, str], tmp_path: Path) -> dict[str, object]:
    result = run_with_env(["-c", PROBE], env, tmp_path)
    assert result.returncode == 0, result.stderr
    parsed: dict[str, object] = json.loads(result.stdout.strip().splitlines()[-1])
    return parsed


def test_it_passes_check_deploy_with_production_settings(tmp_path: Path) -> None:
    result = run_with_env(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], PRODUCTION, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_it_refuses_to_start_in_production_without_a_secret_key(tmp_path: Path) -> None:
    env = {**PRODUCTION, "SECRET_KEY": ""}
    result = run_with_env(["-c", PROBE], env, tmp_path)
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_it_refuses_to_start_in_production_without_field_encryption_keys(tmp_path: Path) -> None:
    env = {**PRODUCTION, "FIELD_ENCRYPTION_KEYS": ""}
    result = run_with_env(["-c", PROBE], env, tmp_path)
    assert result.returncode != 0
    assert "FIELD_ENCRYPTION_KEYS must be set" in result.stderr


def test_it_refuses_a_retry_that_does_not_exceed_the_timeout(tmp_path: Path) -> None:
    result = run_with_env(["-c", PROBE], {**PRODUCTION, "Q_TIMEOUT": "300", "Q_RETRY": "300"}, tmp_path)
    assert result.returncode != 0
    assert "Q_RETRY must be greater than Q_TIMEOUT" in result.stderr


def test_it_runs_the_demo_on_sqlite_with_the_orm_broker(tmp_path: Path) -> None:
    seen = probe({"DEBUG": "1"}, tmp_path)
    q, db = seen["q"], seen["db"]
    assert isinstance(q, dict) and isinstance(db, dict)
    assert q["orm"] == "default" and "redis" not in q
    assert q["retry"] > q["timeout"]
    assert db["ENGINE"] == "django.db.backends.sqlite3"
    assert db["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    assert "journal_mode=WAL" in db["OPTIONS"]["init_command"]
    assert seen["storage"] == "django.contrib.staticfiles.storage.StaticFilesStorage"


def test_it_uses_the_redis_broker_and_manifest_static_files_in_production(tmp_path: Path) -> None:
    seen = probe({**PRODUCTION, "REDIS_URL": "redis://127.0.0.1:6379/3"}, tmp_path)
    q = seen["q"]
    assert isinstance(q, dict)
    assert q["redis"] == "redis://127.0.0.1:6379/3" and "orm" not in q
    assert seen["storage"] == "whitenoise.storage.CompressedManifestStaticFilesStorage"


def test_it_reads_postgres_from_database_url(tmp_path: Path) -> None:
    seen = probe({"DEBUG": "1", "DATABASE_URL": "postgres://concord:pw@db.example:5433/concord"}, tmp_path)
    db = seen["db"]
    assert isinstance(db, dict)
    assert db["ENGINE"] == "django.db.backends.postgresql"
    assert (db["HOST"], db["PORT"], db["NAME"]) == ("db.example", 5433, "concord")


@pytest.mark.skipif(
    settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3", reason="SQLite only"
)
def test_it_configures_sqlite_for_a_web_server_and_workers_writing_together() -> None:
    options = settings.DATABASES["default"]["OPTIONS"]
    assert options["timeout"] >= 10
    assert options["transaction_mode"] == "IMMEDIATE"


def test_it_collects_hashed_compressed_static_files_for_whitenoise(tmp_path: Path) -> None:
    static_root = tmp_path / "static"
    env = {**PRODUCTION, "STATIC_ROOT": str(static_root)}
    result = run_with_env(["manage.py", "collectstatic", "--noinput"], env, tmp_path)
    assert result.returncode == 0, result.stderr
    manifest = json.loads((static_root / "staticfiles.json").read_text())
    hashed = manifest["paths"]["vendor/htmx/htmx.min.js"]
    assert hashed != "vendor/htmx/htmx.min.js"
    assert (static_root / f"{hashed}.gz").exists()


def test_it_keeps_the_demo_files_under_var_dir(tmp_path: Path) -> None:
    code = (
        "import django; from django.conf import settings; django.setup(); "
        "from demo.launcher import SimulatorPlan; print(settings.VAR_DIR, SimulatorPlan.default().data_dir)"
    )
    var_dir = tmp_path / "var"
    result = run_with_env(["-c", code], {"DEBUG": "1", "VAR_DIR": str(var_dir)}, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [str(var_dir), str(var_dir / "simulators")]


def test_it_warns_at_check_deploy_when_metrics_have_no_token(tmp_path: Path) -> None:
    env = {**PRODUCTION, "METRICS_TOKEN": ""}
    result = run_with_env(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], env, tmp_path)
    assert result.returncode != 0
    assert "concord.W001" in result.stderr + result.stdout
    assert "/metrics is open" in result.stderr + result.stdout
    # An operator whose network alone reaches /metrics says so, and the check is quiet.
    silenced = {**env, "SILENCED_SYSTEM_CHECKS": "concord.W001"}
    result = run_with_env(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], silenced, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_it_reads_every_production_secret_from_files(tmp_path: Path) -> None:
    key = Fernet.generate_key().decode()
    files = {
        "SECRET_KEY": "s" * 60 + "\n",
        "FIELD_ENCRYPTION_KEYS": key + "\n",
        "METRICS_TOKEN": "scrape-from-file\n",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'from-file.sqlite3'}\n",
        "REDIS_URL": "redis://:pw@127.0.0.1:6379/7\n",
        "OIDC_RP_CLIENT_SECRET": "client-secret-from-file\n",
    }
    env = {"DEBUG": "0", "ALLOWED_HOSTS": "concord.example.com"}
    for name, content in files.items():
        path = tmp_path / name.lower()
        path.write_text(content)
        env[f"{name}_FILE"] = str(path)
    probe_secrets = (
        "import json, django; from django.conf import settings; django.setup(); "
        "print(json.dumps([settings.SECRET_KEY, settings.FIELD_ENCRYPTION_KEYS, settings.METRICS_TOKEN, "
        "settings.DATABASES['default']['NAME'], settings.REDIS_URL, settings.OIDC_RP_CLIENT_SECRET]))"
    )
    result = run_with_env(["-c", probe_secrets], env, tmp_path)
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    # The trailing newline an editor leaves is dropped; nothing else is changed.
    assert seen == [
        "s" * 60,
        [key],
        "scrape-from-file",
        str(tmp_path / "from-file.sqlite3"),
        files["REDIS_URL"][:-1],
        "client-secret-from-file",
    ]


def test_it_refuses_a_secret_given_twice_or_a_file_it_cannot_read(tmp_path: Path) -> None:
    path = tmp_path / "key"
    path.write_text("k" * 60)
    both = run_with_env(["-c", PROBE], {**PRODUCTION, "SECRET_KEY_FILE": str(path)}, tmp_path)
    assert both.returncode != 0
    assert "set SECRET_KEY or SECRET_KEY_FILE, not both" in both.stderr
    env = {key: value for key, value in PRODUCTION.items() if key != "SECRET_KEY"}
    missing = run_with_env(["-c", PROBE], {**env, "SECRET_KEY_FILE": str(tmp_path / "absent")}, tmp_path)
    assert missing.returncode != 0
    assert "SECRET_KEY_FILE=" in missing.stderr and "cannot be read" in missing.stderr
