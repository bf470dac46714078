"""The architecture holds: the layering (import-linter's contracts), no import hidden inside a function, and
a test tree that mirrors the product's packages."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
import tomllib
from pathlib import Path

from django.urls import URLPattern, URLResolver, get_resolver

ROOT = Path(__file__).resolve().parents[1]
PRODUCT = ("core", "sync", "reconciliation", "governance", "console", "demo")
FIRST_PARTY = (*PRODUCT, "simulators", "tests")
# Test folders that are not about one product package: the stacks, the docs, the benches' helpers.
# Test-only folders: no product package of that name. postgresql_backend is the suite's database backend
# (tests/settings.py chooses it on PostgreSQL).
TEST_ONLY = {
    "browser",
    "reliability",
    "docs",
    "bench",
    "simulators",
    "migrations",
    "management",
    "postgresql_backend",
    "deploy",
}
LAYERS = [
    "console",
    "governance",
    "sync.notifications : sync.retention",
    "sync.exceptions : sync.golive : reconciliation : sync.catalogue : sync.onboarding",
    "sync.pipeline",
    "sync.lifecycle",
    "sync.mappings : sync.rules : sync.matching",
    "sync.integrations",
    "sync.connections",
    "core",
]


def _config() -> dict[str, object]:
    config: dict[str, object] = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    return config


def test_the_layers_are_the_documented_ones() -> None:
    contracts = _config()["contracts"]
    assert isinstance(contracts, list)
    layers = [c for c in contracts if c["type"] == "layers"]
    assert [c["layers"] for c in layers] == [LAYERS]
    forbidden = {name for c in contracts if c["type"] == "forbidden" for name in c["forbidden_modules"]}
    assert {"django", "simulators", "tests", "demo"} <= forbidden


def test_every_contract_is_kept() -> None:
    lint_imports = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run(  # noqa: S603 - our own tool from our own venv
        [str(lint_imports), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stdout[-4000:]
    assert "0 broken" in result.stdout


def _function_imports(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        if node.name == "ready" and path.name == "apps.py":
            continue  # an AppConfig's ready() is Django's composition root: wiring and registrations
        for inner in ast.walk(node):
            if isinstance(inner, ast.ImportFrom) and inner.level == 0 and inner.module:
                names = [inner.module]
            elif isinstance(inner, ast.Import):
                names = [alias.name for alias in inner.names]
            else:
                continue
            found += [
                f"{path.relative_to(ROOT)}:{inner.lineno} {node.name}() imports {name}"
                for name in names
                if name.split(".")[0] in FIRST_PARTY
            ]
    return found


def test_no_product_module_imports_its_own_code_inside_a_function() -> None:
    """An import inside a function is how a cycle hides; the layers make every import a top-level one."""
    found = [
        line
        for package in PRODUCT
        for path in sorted((ROOT / package).rglob("*.py"))
        if "migrations" not in path.parts
        for line in _function_imports(path)
    ]
    assert found == []


def _packages(top: Path) -> set[str]:
    return {
        str(init.parent.relative_to(top.parent))
        for init in top.rglob("__init__.py")
        if not {"migrations", "management", "commands", "templates"} & set(init.parts)
    }


def test_the_test_tree_mirrors_the_product_packages() -> None:
    """Every test folder is named after a product package (or is one of the stack-wide ones), and every
    feature package of sync has its tests in the matching folder."""
    product = set().union(*(_packages(ROOT / package) for package in PRODUCT))
    tests = {path.removeprefix("tests/") for path in _packages(ROOT / "tests")} - {"tests"}
    stray = {path for path in tests if path not in product and not set(path.split("/")) & TEST_ONLY}
    assert stray == set()
    features = {path for path in product if path.count("/") == 1 and path.startswith("sync/")}
    assert features <= tests, sorted(features - tests)


def test_every_url_name_is_in_one_style() -> None:
    """kebab-case names (``sync:job-requeue``), in every namespace, pages and API alike."""

    def names(patterns: list[URLPattern | URLResolver]) -> list[str]:
        found: list[str] = []
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                found += names(pattern.url_patterns)
            elif pattern.name:
                found.append(pattern.name)
        return found

    every = names(get_resolver().url_patterns)
    assert len(every) > 100
    style = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
    assert [name for name in every if not style.match(name)] == []
