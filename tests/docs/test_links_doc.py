"""Every page can be found and every place a page points at exists: links between pages (and their
anchors), files of the tree named in code, and the Python objects named by their dotted path. When a
module moves, these tests name the page that still sends people to the old place."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest
from django.urls import Resolver404, resolve

from tests.docs.markdown import DOCS, README, ROOT, heading_anchors, inline_code, links, page_id, pages, text

# Top-level folders of the tree whose files the pages name; var/ is local state, not in git.
TREE = (
    "core",
    "sync",
    "governance",
    "reconciliation",
    "console",
    "demo",
    "simulators",
    "tests",
    "bench",
    "docs",
    "static",
    "templates",
    ".ci",
)
TREE_PATH = re.compile(rf"^(?:{'|'.join(re.escape(top) for top in TREE)})/[\w./-]*$")
PRODUCT = ("core", "sync", "governance", "reconciliation", "console", "demo", "simulators")
DOTTED = re.compile(
    rf"^(?:{'|'.join(PRODUCT)})(?:\.\w+){{2,}}$"
)  # app_label.Model and permissions have one dot
LOGGER_NAME = re.compile(r"getLogger\(\s*[\"']([\w.]+)[\"']")


@pytest.mark.parametrize("page", pages(), ids=page_id)
def test_it_links_only_to_files_and_headings_that_exist(page: Path) -> None:
    for target in links(text(page)):
        if re.match(r"^[a-z]+:", target):  # http(s), mailto: outside the tree
            continue
        path, _, anchor = target.partition("#")
        linked = (page.parent / path).resolve() if path else page
        assert linked.exists(), f"{page_id(page)}: {target} does not exist"
        if anchor:
            assert anchor in heading_anchors(text(linked)), f"{page_id(page)}: no heading for {target}"


def test_it_reaches_every_docs_page_from_the_readme_or_the_index() -> None:
    linked = {
        (source.parent / target.partition("#")[0]).resolve()
        for source in (README, DOCS / "index.md")
        for target in links(text(source))
    }
    unreachable = [page_id(page) for page in sorted(DOCS.glob("*.md")) if page.resolve() not in linked]
    assert unreachable == []


def test_it_lists_every_docs_page_in_the_index_with_one_line() -> None:
    index = text(DOCS / "index.md")
    for page in sorted(DOCS.glob("*.md")):
        if page.name == "index.md":
            continue
        entries = re.findall(rf"^- \[[^\]]+\]\({re.escape(page.name)}\): \S.*$", index, re.M)
        assert len(entries) == 1, f"docs/index.md: {page.name} needs exactly one line"
    assert "[docs/index.md](docs/index.md)" in text(README)


@pytest.mark.parametrize("page", pages(), ids=page_id)
def test_it_names_only_files_of_the_tree_that_exist(page: Path) -> None:
    missing = []
    for span in inline_code(text(page)):
        if TREE_PATH.match(span) and not (ROOT / span).exists() and not _api_resource(span):
            missing.append(span)
    assert missing == [], f"{page_id(page)} names files that are not in the tree"


def _api_resource(span: str) -> bool:
    """A relative path such as `reconciliation/runs/` in the API page is a resource, not a file."""
    try:
        resolve("/api/v1/" + re.sub(r"<[^>]+>", "1", span))
    except Resolver404:
        return False
    return True


def _logger_names() -> set[str]:
    names: set[str] = set()
    for package in PRODUCT:
        for source in (ROOT / package).rglob("*.py"):
            names.update(LOGGER_NAME.findall(source.read_text()))
    return names


def _resolves(dotted: str) -> bool:
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            found: object = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError:
            continue
        for attribute in parts[cut:]:
            if not hasattr(found, attribute):
                return False
            found = getattr(found, attribute)
        return True
    return False


@pytest.mark.parametrize("page", pages(), ids=page_id)
def test_it_names_only_python_objects_that_exist(page: Path) -> None:
    loggers = _logger_names()
    dotted = {span for span in inline_code(text(page)) if DOTTED.match(span)}
    assert sorted(name for name in dotted if name not in loggers and not _resolves(name)) == []
