"""docs/operations.md's settings table and the code agree: every variable it lists is read from the
environment, and every variable the product reads is documented (there or on another page)."""

from __future__ import annotations

import re

from tests.docs.markdown import DOCS, README, ROOT, text

DOC = DOCS / "operations.md"
ENV_READ = re.compile(
    r"\benv_(?:str|int|float|bool|list|secret|secret_list)\(\s*[\"']([A-Z][A-Z0-9_]*)[\"']|environ(?:\.get)?[\[(]\s*[\"']([A-Z][A-Z0-9_]*)[\"']"
)
PRODUCT = ("core", "sync", "governance", "reconciliation", "console", "demo")


def _read_by_the_code() -> set[str]:
    names: set[str] = set()
    for package in PRODUCT:
        for source in (ROOT / package).rglob("*.py"):
            names.update(a or b for a, b in ENV_READ.findall(source.read_text()))
    return names - {"DJANGO_SETTINGS_MODULE"}


def _settings_table() -> set[str]:
    section = text(DOC).split("\n## Settings\n", 1)[1].split("\n## ", 1)[0]
    rows = [line.split("|")[1] for line in section.splitlines() if line.startswith("| `")]
    return {name for cell in rows for name in re.findall(r"`([A-Z][A-Z0-9_]*)`", cell)}


def test_it_finds_the_variables_it_should() -> None:
    assert {"DATABASE_URL", "SECRET_KEY", "REDIS_URL", "FIELD_ENCRYPTION_KEYS"} <= _read_by_the_code()


def test_it_lists_only_variables_the_code_reads() -> None:
    assert sorted(_settings_table() - _read_by_the_code()) == []


def test_it_documents_every_variable_the_code_reads() -> None:
    documented = "\n".join(text(page) for page in [README, *DOCS.glob("*.md")])
    assert sorted(name for name in _read_by_the_code() if f"`{name}`" not in documented) == []
