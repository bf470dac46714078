"""Build glue pyproject.toml cannot express: the top-level ``templates/`` and ``static/`` folders stay where
they are in a checkout and ship inside the wheel as the data-only packages ``concord_templates`` and
``concord_static`` (every folder below them a package too, so setuptools keeps each one's files), and an
installed Concord finds them there (console/site_files.py)."""

from pathlib import Path

from setuptools import find_packages, setup

HERE = Path(__file__).resolve().parent
PRODUCT_PACKAGES = ["core", "console", "sync", "reconciliation", "governance", "demo", "simulators"]
DATA_PACKAGES = {"concord_templates": "templates", "concord_static": "static"}


def data_packages() -> dict[str, list[str]]:
    """Each folder under templates/ and static/ as a package name, with all of its files."""
    found: dict[str, list[str]] = {}
    for package, folder in DATA_PACKAGES.items():
        root = HERE / folder
        for directory in sorted([root, *(p for p in root.rglob("*") if p.is_dir())]):
            if directory.name == "__pycache__":
                continue
            name = ".".join([package, *directory.relative_to(root).parts])
            found[name] = ["*"]
    return found


DATA = data_packages()

setup(
    packages=[
        *find_packages(include=[pattern for name in PRODUCT_PACKAGES for pattern in (name, f"{name}.*")]),
        *DATA,
    ],
    package_dir=DATA_PACKAGES,
    package_data=DATA,
)
