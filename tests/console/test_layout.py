"""The base layout: navigation for the four areas, htmx from our own static files, CSRF for htmx."""

from __future__ import annotations

import re

from django.conf import settings
from django.test import Client


def test_it_links_the_four_areas(revops_client: Client) -> None:
    html = revops_client.get("/").content.decode()
    for label, href in [
        ("Sync", "/sync/"),
        ("Exceptions", "/exceptions/"),
        ("Reconciliation", "/reconciliation/"),
        ("Governance", "/governance/"),
    ]:
        assert re.search(rf'<a href="{href}"[^>]*>{label}</a>', html), label


def test_it_marks_the_current_area(revops_client: Client) -> None:
    html = revops_client.get("/reconciliation/").content.decode()
    assert '<a href="/reconciliation/" aria-current="page">Reconciliation</a>' in html


def test_it_loads_htmx_from_our_static_files_and_no_cdn(revops_client: Client) -> None:
    html = revops_client.get("/").content.decode()
    assert 'src="/static/vendor/htmx/htmx.min.js"' in html
    assert not re.search(r"<script[^>]+src=\"https?://", html)
    assert (settings.BASE_DIR / "static" / "vendor" / "htmx" / "htmx.min.js").stat().st_size > 10_000


def test_it_sends_the_csrf_token_with_every_htmx_request(revops_client: Client) -> None:
    html = revops_client.get("/").content.decode()
    assert re.search(r"""<body hx-headers='\{"X-CSRFToken": "[A-Za-z0-9]{32,}"\}'>""", html)


def test_it_logs_out_with_a_post_form(finance_client: Client) -> None:
    html = finance_client.get("/").content.decode()
    assert re.search(
        r'<form method="post" action="/accounts/logout/">\s*<input type="hidden" name="csrfmiddlewaretoken"',
        html,
    )


def test_it_shows_who_is_signed_in_and_their_role(finance_client: Client) -> None:
    html = finance_client.get("/").content.decode()
    assert "Frances Finance" in html and '<span class="badge">Finance</span>' in html


def test_it_echoes_a_correlation_id(revops_client: Client) -> None:
    assert revops_client.get("/", HTTP_X_CORRELATION_ID="job-42").headers["X-Correlation-ID"] == "job-42"
    assert len(revops_client.get("/").headers["X-Correlation-ID"]) == 32
