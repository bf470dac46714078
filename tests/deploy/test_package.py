"""The package: what it declares, what it pins, and a built wheel that runs outside the checkout."""

from __future__ import annotations

import ast
import base64
import importlib.machinery
import importlib.metadata
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from console import site_files
from console.site_files import running_from_checkout, site_folder

ROOT = Path(settings.BASE_DIR)
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
PRODUCT = ["core", "console", "sync", "reconciliation", "governance", "demo", "simulators"]
# Named in settings or run as a program, never imported by the product's code.
RUNTIME_NOT_IMPORTED = {"whitenoise", "drf-spectacular-sidecar", "psycopg", "gunicorn"}


def _requirements(group: str | None = None) -> list[Requirement]:
    project = PYPROJECT["project"]
    found = project["dependencies"] if group is None else project["optional-dependencies"][group]
    return [Requirement(text) for text in found]


def _pins() -> dict[str, str]:
    pins: dict[str, str] = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, _, version = line.partition("==")
            assert version, f"constraints.txt: {line!r} is not pinned with =="
            pins[canonicalize_name(name)] = version
    return pins


def test_the_license_is_agpl_with_its_full_text() -> None:
    assert PYPROJECT["project"]["license"] == "AGPL-3.0-or-later"
    assert PYPROJECT["project"]["license-files"] == ["LICENSE"]
    text = (ROOT / "LICENSE").read_text()
    assert text.lstrip().startswith("GNU AFFERO GENERAL PUBLIC LICENSE")
    assert "13. Remote Network Interaction; Use with the GNU General Public License." in text
    assert len(text.encode()) == 34523  # the size of the FSF's agpl-3.0.txt


def test_the_constraints_pin_every_declared_requirement_within_its_range() -> None:
    pins = _pins()
    for requirement in [*_requirements(), *_requirements("dev")]:
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{requirement.name} is declared but not pinned in constraints.txt"
        assert requirement.specifier.contains(pins[name], prereleases=True), (
            f"constraints.txt pins {requirement.name}=={pins[name]}, outside {requirement.specifier}"
        )


def _third_party_imports() -> set[str]:
    found: set[str] = set()
    for package in PRODUCT:
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                if isinstance(node, ast.Import):
                    found.update(alias.name.split(".")[0] for alias in node.names)
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    found.add(node.module.split(".")[0])
    return found - set(sys.stdlib_module_names) - set(PRODUCT) - {"__future__"}


def test_every_package_the_product_imports_is_a_runtime_dependency() -> None:
    """Not a development extra: an installed Concord has only its dependencies (``jwt`` was missing)."""
    declared = {canonicalize_name(requirement.name) for requirement in _requirements()}
    owners = importlib.metadata.packages_distributions()
    missing = {}
    for module in sorted(_third_party_imports()):
        distributions = {canonicalize_name(name) for name in owners.get(module, [module])}
        if not distributions & declared:
            missing[module] = sorted(distributions)
    assert missing == {}
    assert {canonicalize_name(name) for name in RUNTIME_NOT_IMPORTED} <= declared


def _sources(into: Path) -> Path:
    """What a source distribution holds, copied (the build then leaves the checkout untouched)."""
    source = into / "source"
    source.mkdir()
    for name in ["pyproject.toml", "setup.py", "README.md", "LICENSE", "manage.py"]:
        shutil.copy2(ROOT / name, source / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in [*PRODUCT, "templates", "static"]:
        shutil.copytree(ROOT / name, source / name, ignore=ignore)
    return source


def _production_env(home: Path) -> dict[str, str]:
    return {
        "PATH": "/usr/bin:/bin",
        "HOME": str(home),
        "PYTHONPATH": str(home / "site"),  # only the installed wheel, then the venv's own packages
        "DEBUG": "0",
        "SECRET_KEY": base64.urlsafe_b64encode(os.urandom(48)).decode(),
        "FIELD_ENCRYPTION_KEYS": base64.urlsafe_b64encode(os.urandom(32)).decode(),
        "VAR_DIR": str(home / "var"),
        "STATIC_ROOT": str(home / "static-root"),
        "DATABASE_URL": f"sqlite:///{home / 'concord.sqlite3'}",
        "LOG_LEVEL": "WARNING",
    }


def test_a_built_wheel_carries_templates_static_files_and_the_concord_command(tmp_path: Path) -> None:
    source = _sources(tmp_path)
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--no-input"]
    subprocess.run(
        [*pip, "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-w", str(tmp_path / "dist"), "."],
        cwd=source,
        check=True,
        capture_output=True,
        timeout=120,
    )
    [wheel] = (tmp_path / "dist").glob("concord-*.whl")
    site = tmp_path / "site"
    subprocess.run(
        [*pip, "install", "--no-deps", "--no-index", "--target", str(site), str(wheel)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    shutil.rmtree(source)  # nothing of the checkout is left to lean on

    assert (site / "concord_templates" / "base.html").is_file()
    assert (site / "concord_templates" / "governance" / "partials").is_dir()
    assert (site / "concord_static" / "css" / "concord.css").is_file()
    assert (site / "sync" / "rules" / "engine" / "shipped.json").is_file()
    assert not (site / "tests").exists() and not (site / "bench").exists()
    [dist_info] = site.glob("concord-*.dist-info")
    metadata = (dist_info / "METADATA").read_text()
    assert "License-Expression: AGPL-3.0-or-later" in metadata
    assert (dist_info / "licenses" / "LICENSE").is_file()
    assert "Requires-Dist: gunicorn" in metadata and "Requires-Dist: PyJWT" in metadata

    env = _production_env(tmp_path)
    concord = site / "bin" / "concord"  # the console script pip wrote from the entry point
    check = subprocess.run([concord, "check"], cwd=tmp_path, env=env, capture_output=True, timeout=120)
    assert check.returncode == 0, check.stderr.decode()
    probe = (
        "import django, console; django.setup(); from django.core.management import call_command; "
        "from django.template.loader import get_template; call_command('collectstatic', interactive=False, "
        "verbosity=0); print(console.__file__); print(get_template('base.html').origin.name)"
    )
    where = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=tmp_path,
        env={**env, "DJANGO_SETTINGS_MODULE": "console.settings"},
        capture_output=True,
        timeout=120,
        text=True,
    )
    assert where.returncode == 0, where.stderr
    assert (tmp_path / "static-root" / "css" / "concord.css").is_file()
    module, template = where.stdout.split()
    assert Path(module).is_relative_to(site) and Path(template).is_relative_to(site / "concord_templates")


def test_settings_take_the_checkout_folders_in_a_checkout(tmp_path: Path) -> None:
    (tmp_path / "manage.py").write_text("")
    for name in ("templates", "static"):
        (tmp_path / name).mkdir()
    assert running_from_checkout(tmp_path)
    assert site_folder("static", base_dir=tmp_path) == tmp_path / "static"


def test_a_stray_templates_folder_in_site_packages_is_not_taken_for_ours(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "templates").mkdir()
    (tmp_path / "static").mkdir()
    assert not running_from_checkout(tmp_path)
    # No wheel installed (an editable install may provide the packages, so their absence is arranged):
    # the stray folders are not taken, and the error names the package.
    monkeypatch.setattr(site_files.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(ImproperlyConfigured, match="concord_templates"):
        site_folder("templates", base_dir=tmp_path)
    # A wheel installed: its package is taken, never the stray folder beside it.
    installed = tmp_path / "site-packages" / "concord_templates"
    installed.mkdir(parents=True)
    spec = importlib.machinery.ModuleSpec("concord_templates", None, is_package=True)
    spec.submodule_search_locations = [str(installed)]
    monkeypatch.setattr(site_files.importlib.util, "find_spec", lambda name: spec)
    assert site_folder("templates", base_dir=tmp_path) == installed
