"""Test settings: the real settings, read from an environment the tests control.

pytest-django loads settings before any conftest runs, so the test environment is set here, before
``console.settings`` reads it. DATABASE_URL still comes from the caller: unset means SQLite (in memory),
``postgres://...`` runs the same suite on PostgreSQL.
"""

import os

os.environ["DEBUG"] = "0"
os.environ["Q_SYNC"] = "1"  # django-q2 runs tasks inline
os.environ["STATIC_MANIFEST"] = "0"  # no collectstatic before tests
os.environ.setdefault("SECRET_KEY", "tests-only-secret-key-" + "x" * 40)
os.environ.setdefault("FIELD_ENCRYPTION_KEYS", "W8YC5k1K8S5gq1gzVx0sepaZF-jbReo19Tg0Y95EO5U=")
os.environ["SECURE_SSL_REDIRECT"] = "0"  # the test client speaks plain HTTP
os.environ.pop("REDIS_URL", None)
# The personas sign in with a password alone; tests/governance/mfa sets MFA_REQUIRED_ROLES itself.
os.environ["MFA_REQUIRED_ROLES"] = ""

from console.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast; tests only
LOGGING = {"version": 1, "disable_existing_loggers": False}
# Serve static files from the finders, as in development: tests never run collectstatic.
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":  # noqa: F405
    # Django's, with a flush that deletes instead of truncating (see tests/postgresql_backend/base.py).
    DATABASES["default"]["ENGINE"] = "tests.postgresql_backend"  # noqa: F405
