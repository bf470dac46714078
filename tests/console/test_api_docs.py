"""The API's OpenAPI schema and its Swagger UI page: served from here (no CDN), under the console's CSP."""

from __future__ import annotations

import re

from django.test import Client

from tests.console.test_templates_csp import INLINE


def test_it_serves_the_docs_page_without_inline_code_or_a_cdn(auditor_client: Client) -> None:
    response = auditor_client.get("/api/v1/docs/")
    assert response.status_code == 200
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "style-src 'self'" in policy and "unsafe-inline" not in policy
    html = response.content.decode()
    assert not INLINE.search(html)
    assert "://" not in html  # every asset is a path on this server
    sources = re.findall(r'<script src="([^"]+)"', html)
    styles = re.findall(r'<link rel="stylesheet" href="([^"]+)"', html)
    assert any("drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in src for src in sources)
    for url in [*sources, *styles]:
        asset = auditor_client.get(url.replace("&amp;", "&"))
        assert asset.status_code == 200, url
    init = auditor_client.get(sources[-1].replace("&amp;", "&"))
    assert init["Content-Type"].startswith("application/javascript")
    assert b"SwaggerUIBundle" in b"".join(getattr(init, "streaming_content", [init.content]))


def test_it_sends_an_anonymous_visitor_of_the_docs_to_the_login_page(client: Client) -> None:
    response = client.get("/api/v1/docs/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_it_gives_an_anonymous_visitor_neither_the_docs_script_nor_the_schema(client: Client) -> None:
    script = client.get("/api/v1/docs/", {"script": ""})
    assert script.status_code == 302 and script["Location"].startswith("/accounts/login/")
    for url in ("/api/v1/schema/", "/api/v1/schema/?format=json"):
        answer = client.get(url)
        assert answer.status_code == 401 and b"openapi" not in answer.content


def test_it_refuses_the_docs_to_a_user_without_a_role(outsider_client: Client) -> None:
    assert outsider_client.get("/api/v1/docs/").status_code == 403


def test_it_describes_every_endpoint_and_the_token_scheme(auditor_client: Client) -> None:
    response = auditor_client.get("/api/v1/schema/?format=json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["components"]["securitySchemes"]["apiToken"] == {
        "type": "http",
        "scheme": "bearer",
        "description": schema["components"]["securitySchemes"]["apiToken"]["description"],
    }
    paths = schema["paths"]
    for path in (
        "/api/v1/connections/",
        "/api/v1/mapping-versions/{id}/publish/",
        "/api/v1/rule-versions/{id}/send-back/",
        "/api/v1/exceptions/{id}/overrides/{override_id}/approve/",
        "/api/v1/reconciliation/runs/{run_id}/mismatches/",
        "/api/v1/audit-entries/",
        "/api/v1/tokens/{id}/revoke/",
    ):
        assert path in paths, path
    # A connection's secrets are accepted, never described in a response.
    connection = schema["components"]["schemas"]["Connection"]["properties"]
    assert "secrets" not in connection and "secret_keys" in connection
