"""The favicon: every page links the SVG, and /favicon.ico (what browsers ask first) leads to it."""

from __future__ import annotations

import xml.etree.ElementTree as ET  # noqa: S405 - our own static file

import pytest
from django.contrib.staticfiles import finders
from django.templatetags.static import static
from django.test import Client

pytestmark = pytest.mark.django_db


def test_it_sends_favicon_ico_to_the_static_svg_for_anyone(client: Client) -> None:
    response = client.get("/favicon.ico")
    assert response.status_code == 302
    assert response["Location"] == static("favicon.svg")
    assert "max-age=86400" in response["Cache-Control"]


def test_every_page_links_the_icon(client: Client, revops_client: Client) -> None:
    link = f'<link rel="icon" href="{static("favicon.svg")}" type="image/svg+xml">'
    assert link in client.get("/accounts/login/").content.decode()
    assert link in revops_client.get("/").content.decode()


def test_the_icon_is_a_square_svg_the_static_files_serve() -> None:
    path = finders.find("favicon.svg")
    assert path, "static/favicon.svg is missing"
    root = ET.parse(path).getroot()  # noqa: S314 - our own static file
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert root.get("viewBox") == "0 0 64 64"
