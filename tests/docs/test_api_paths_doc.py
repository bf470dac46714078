"""The URLs the pages show are served: every console or API path resolves in the URL conf, every API
path is an operation of the published OpenAPI schema, and docs/api.md lists every resource the API has."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest
from django.urls import Resolver404, URLResolver, get_resolver, resolve
from drf_spectacular.generators import SchemaGenerator

from tests.docs.markdown import DOCS, inline_code, page_id, pages, text

API = "/api/v1/"
# Where the console's own URLs begin; other absolute paths in the pages are files (/usr/bin/chromium).
CONSOLE = ("/api/", "/sync/", "/governance/", "/reconciliation/", "/exceptions/", "/dashboard/", "/accounts/")
PATH = re.compile(r"(?:^|(?<=\s))(/[^\s?`,;)]*)")
PLACEHOLDER = re.compile(r"<[^>]+>|\{[^}]+\}")


def _paths(page: Path) -> list[str]:
    """Console paths named in code on the page, with placeholders filled in; `…` abbreviations skipped."""
    found = []
    for span in inline_code(text(page)):
        for path in PATH.findall(PLACEHOLDER.sub("1", span)):
            if path in ("/healthz", "/metrics") or (
                path.startswith(CONSOLE) and path != API and "…" not in path
            ):
                found.append(path)
    return found


@cache
def _schema_paths() -> list[re.Pattern[str]]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return [
        re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(path)) + "$") for path in schema["paths"]
    ]


@pytest.mark.parametrize("page", pages(), ids=page_id)
def test_it_shows_only_paths_the_console_serves(page: Path) -> None:
    for path in _paths(page):
        try:
            resolve(path)
        except Resolver404:
            pytest.fail(f"{page_id(page)}: {path} is not served")


@pytest.mark.parametrize("page", pages(), ids=page_id)
def test_it_shows_only_api_paths_of_the_openapi_schema(page: Path) -> None:
    for path in _paths(page):
        if path.startswith(API) and path not in (f"{API}schema/", f"{API}docs/"):
            assert any(pattern.match(path) for pattern in _schema_paths()), f"{page_id(page)}: {path}"


def test_it_finds_the_paths_it_should() -> None:
    shown = {path for page in pages() for path in _paths(page)}
    assert {"/api/v1/exceptions/", "/sync/mappings/", "/governance/releases/", "/healthz"} <= shown


def _api_resources() -> set[str]:
    """The API's collections, as the URL conf serves them: `exceptions/`, `reconciliation/runs/`,
    `catalogue/sync/`, ..."""
    api = next(
        p for p in get_resolver().url_patterns if isinstance(p, URLResolver) and str(p.pattern) == "api/v1/"
    )
    resources = set()
    for pattern in api.url_patterns:
        route = str(pattern.pattern).removeprefix("^").removesuffix("$")
        if "(?P<" not in route and route.count("/") >= 1 and route not in ("schema/", "docs/"):
            first = route.split("/")[0]
            resources.add(route if first in ("reconciliation", "catalogue") else first + "/")
    return resources


def test_it_lists_every_api_resource_in_the_api_page() -> None:
    table = [line for line in text(DOCS / "api.md").splitlines() if line.startswith("| `")]
    listed = {name for line in table for name in re.findall(r"`([\w/<>-]+/)`", line.split("|")[1])}
    for name in listed:
        resolve(API + PLACEHOLDER.sub("1", name))
    assert sorted(_api_resources() - listed) == []
