"""A real OpenID Connect provider (simulators/oidc: panva's oidc-provider) on loopback, for the SSO tests.

The first run installs it with ``npm ci`` from the committed lock file into ``var/cache/oidc-provider/<lock
hash>/`` (a file lock keeps two xdist workers from installing at once); later runs reuse it. Without
``node`` and ``npm`` the tests are skipped, except in CI (``CI`` set), where that is a failure.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[3]
SOURCE = ROOT / "simulators" / "oidc"
CLIENT_ID = "concord-test"
CLIENT_SECRET = "concord-test-secret"  # noqa: S105 - the throwaway provider's client
REDIRECT_URI = "http://testserver/accounts/sso/callback/"
USERS: dict[str, dict[str, Any]] = {
    "ada": {"password": "ada-pw", "email": "ada@example.com", "name": "Ada", "groups": ["concord-admins"]},
    "fin": {
        "password": "fin-pw",
        "email": "fin@example.com",
        "name": "Fin",
        "groups": ["concord-finance", "everyone"],
    },
    "rev": {"password": "rev-pw", "email": "rev@example.com", "name": "Rev", "groups": ["concord-revops"]},
    "nobody": {"password": "nobody-pw", "email": "nobody@example.com", "name": "No Body", "groups": []},
}
ROLE_MAP = "concord-admins=Admin,concord-finance=Finance,concord-revops=RevOps,concord-audit=Auditor"


@dataclass
class OidcProvider:
    issuer: str
    config_path: Path

    def set_groups(self, username: str, groups: list[str]) -> None:
        """What an IdP administrator does between two sign-ins."""
        config = json.loads(self.config_path.read_text())
        config["users"][username]["groups"] = groups
        self.config_path.write_text(json.dumps(config))


def _installed() -> Path:
    lock = (SOURCE / "package-lock.json").read_bytes()
    target = ROOT / "var" / "cache" / "oidc-provider" / hashlib.sha256(lock).hexdigest()[:16]
    target.mkdir(parents=True, exist_ok=True)
    with open(target / ".lock", "w") as lock_file:
        fcntl.flock(lock_file, fcntl.LOCK_EX)
        if not (target / "node_modules" / "oidc-provider").is_dir():
            for name in ("package.json", "package-lock.json"):
                shutil.copyfile(SOURCE / name, target / name)
            subprocess.run(
                [str(shutil.which("npm")), "ci", "--no-audit", "--no-fund", "--loglevel=error"],
                cwd=target,
                check=True,
                timeout=300,
            )
        shutil.copyfile(SOURCE / "provider.mjs", target / "provider.mjs")
    return target


@pytest.fixture(scope="session")
def oidc_provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OidcProvider]:
    if not (shutil.which("node") and shutil.which("npm")):
        if os.environ.get("CI"):
            pytest.fail("node and npm are needed for the SSO tests")
        pytest.skip("node and npm are needed for the SSO tests")
    home = _installed()
    config_path = tmp_path_factory.mktemp("oidc") / "provider.json"
    config_path.write_text(
        json.dumps(
            {
                "port": 0,
                "client": {
                    "client_id": CLIENT_ID,
                    "client_secret": CLIENT_SECRET,
                    "redirect_uris": [REDIRECT_URI],
                },
                "users": USERS,
            }
        )
    )
    process = subprocess.Popen(
        [str(shutil.which("node")), str(home / "provider.mjs"), str(config_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline().strip()
        if not line.startswith("listening "):
            raise RuntimeError(f"the OIDC provider did not start: {line!r}")
        yield OidcProvider(issuer=line.removeprefix("listening "), config_path=config_path)
    finally:
        process.terminate()
        process.wait(timeout=10)
        process.stdout.close() if process.stdout else None


@pytest.fixture
def sso_settings(settings: Any, oidc_provider: OidcProvider) -> Any:
    """Concord set up for the provider by discovery alone, as an operator would."""
    settings.OIDC_RP_CLIENT_ID = CLIENT_ID
    settings.OIDC_RP_CLIENT_SECRET = CLIENT_SECRET
    settings.OIDC_OP_DISCOVERY = f"{oidc_provider.issuer}/.well-known/openid-configuration"
    settings.OIDC_ROLE_MAP = ROLE_MAP
    settings.AUTHENTICATION_BACKENDS = [
        *settings.AUTHENTICATION_BACKENDS,
        "governance.sso.backend.ConcordOIDCBackend",
    ]
    return settings
