"""Getting an access token from the simulator, as Concord's connector does against a real org.

simple-salesforce's own login helpers only know ``*.salesforce.com``, so clients of the simulator (tests,
benchmarks, demos) post to ``/services/oauth2/token`` themselves and hand the token to
``Salesforce(instance_url=..., session_id=..., session=...)``.
"""

from __future__ import annotations

from typing import Any

import requests

DEMO_USERNAME = "integration@concord.example"
DEMO_PASSWORD = "concord-demo"  # noqa: S105 - documented demo credential of a local simulator
DEMO_SECURITY_TOKEN = "DEMOTOKEN"  # noqa: S105 - idem
DEMO_CLIENT_ID = "3MVG9Concord.Demo.ConnectedApp"
DEMO_CLIENT_SECRET = "concord-demo-secret"  # noqa: S105 - idem


def password_token(session: requests.Session, base_url: str, **overrides: str) -> dict[str, Any]:
    """The token response of the password flow with the demo credentials (``overrides`` replace fields)."""
    form = {
        "grant_type": "password",
        "client_id": DEMO_CLIENT_ID,
        "client_secret": DEMO_CLIENT_SECRET,
        "username": DEMO_USERNAME,
        "password": DEMO_PASSWORD + DEMO_SECURITY_TOKEN,
        **overrides,
    }
    answer = session.post(base_url.rstrip("/") + "/services/oauth2/token", data=form, timeout=30)
    answer.raise_for_status()
    return dict(answer.json())


def bearer_headers(session: requests.Session, base_url: str) -> dict[str, str]:
    """``Authorization`` header for plain ``requests`` calls to the REST API."""
    return {"Authorization": "Bearer " + password_token(session, base_url)["access_token"]}
