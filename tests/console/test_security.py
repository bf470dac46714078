"""Security headers and cookies: a strict Content-Security-Policy, and no inline script in any page."""

from __future__ import annotations

import re

from django.conf import settings
from django.test import Client


def test_it_sends_a_strict_content_security_policy(auditor_client: Client) -> None:
    response = auditor_client.get("/governance/audit/")
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "'unsafe-inline'" not in policy and "'unsafe-eval'" not in policy
    assert "frame-ancestors 'none'" in policy
    html = response.content.decode()
    # Every <script> loads a file; htmx keeps its indicator style out of the page and never evaluates code.
    assert all("src=" in tag for tag in re.findall(r"<script[^>]*>", html))
    assert " on" not in " ".join(re.findall(r"<[^>]+ on[a-z]+=", html))
    assert '"includeIndicatorStyles": false' in html and '"allowEval": false' in html


def test_it_keeps_cookies_away_from_scripts_and_other_sites() -> None:
    assert settings.SESSION_COOKIE_HTTPONLY and settings.CSRF_COOKIE_HTTPONLY
    assert settings.SESSION_COOKIE_SAMESITE == settings.CSRF_COOKIE_SAMESITE == "Lax"
    # DEBUG=0 (tests/settings.py): the production defaults apply.
    assert settings.SESSION_COOKIE_SECURE and settings.CSRF_COOKIE_SECURE and settings.SECURE_HSTS_SECONDS > 0
