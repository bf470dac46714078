"""The README stays a front page (issue 19): what Concord is, the two commands, the layering, where to
read on; every make target the pages name exists; the architecture picture matches the contracts."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from tests.docs.markdown import README, ROOT, fenced_blocks, inline_code, page_id, pages, text

MAX_LINES = 150


def _make_targets() -> dict[str, str]:
    """Each Makefile target and its recipe (the indented lines under it)."""
    targets: dict[str, str] = {}
    current = None
    for line in (ROOT / "Makefile").read_text().splitlines():
        match = re.match(r"^([\w-]+):(?!=)", line)
        if match:
            current = match[1]
            targets[current] = ""
        elif line.startswith("\t") and current:
            targets[current] += line + "\n"
        elif not line.strip() or line.startswith("#"):
            continue
        else:
            current = None
    return targets


def _section(source: str, heading: str) -> str:
    return source.split(f"\n{heading}\n", 1)[1].split("\n## ", 1)[0]


def test_it_keeps_the_readme_short() -> None:
    lines = len(text(README).splitlines())
    assert lines <= MAX_LINES, f"README.md has {lines} lines; move the detail to docs/"


def test_it_names_exactly_the_two_commands_and_both_exist() -> None:
    blocks = fenced_blocks(_section(text(README), "## Two commands"), ("sh",))
    assert len(blocks) == 1
    commands = [line.split("#")[0].strip() for line in blocks[0].splitlines() if line.split("#")[0].strip()]
    assert commands == ["make demo", "make test"]
    assert {"demo", "test"} <= set(_make_targets())


@pytest.mark.parametrize("page", pages(), ids=page_id)
def test_it_names_only_make_targets_that_exist(page: Path) -> None:
    source = text(page)
    code = inline_code(source) + [line for block in fenced_blocks(source) for line in block.splitlines()]
    named = {target for span in code for target in re.findall(r"(?:^|[\s;&|(])make ([a-z][\w-]*)", span)}
    assert sorted(named - set(_make_targets())) == []


def test_it_draws_every_layer_of_the_import_contract_and_says_make_lint_enforces_it() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    layers = next(c for c in config["contracts"] if c["type"] == "layers")["layers"]
    packages = [name.strip() for layer in layers for name in layer.split(":")]
    architecture = _section(text(README), "## Architecture")
    picture = fenced_blocks(architecture.split("\n### The code", 1)[1])[0]
    drawn = re.findall(r"^ ([a-z][\w.]*) ", picture, re.M)
    assert drawn == packages, "the README's picture lists the layers top-down, as the contract does"
    for package in drawn:
        assert (ROOT / package.replace(".", "/") / "__init__.py").exists(), package
    assert "`make lint`" in architecture and "lint-imports" in architecture
    assert "lint-imports" in _make_targets()["lint"]
    for outside in ("demo", "simulators"):
        assert f"`{outside}/`" in architecture and (ROOT / outside / "__init__.py").exists()
