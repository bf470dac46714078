"""Where the project-wide templates and static files are, in a checkout and in an installed wheel.

The repository keeps them in the top-level ``templates/`` and ``static/`` folders; the wheel carries the
same folders as the data-only packages ``concord_templates`` and ``concord_static`` (setup.py maps them).
A checkout is recognised by ``manage.py`` beside the packages, so a stray ``templates`` folder some other
distribution left in site-packages is never taken for ours.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
FOLDERS = ("templates", "static")


def running_from_checkout(base_dir: Path = BASE_DIR) -> bool:
    """True in a git checkout (or an editable install), False in an installed wheel."""
    return (base_dir / "manage.py").is_file() and all((base_dir / name).is_dir() for name in FOLDERS)


def site_folder(name: str, *, base_dir: Path = BASE_DIR) -> Path:
    """The ``templates`` or ``static`` folder this Concord runs with."""
    if name not in FOLDERS:
        raise ValueError(f"{name!r} is not one of {FOLDERS}")
    if running_from_checkout(base_dir):
        return base_dir / name
    spec = importlib.util.find_spec(f"concord_{name}")
    locations = list(spec.submodule_search_locations or []) if spec is not None else []
    if not locations:
        raise ImproperlyConfigured(
            f"Concord's {name} are missing: neither {base_dir / name} (a checkout) nor the package "
            f"concord_{name} (an installed wheel) exists"
        )
    return Path(locations[0])


def default_var_dir(base_dir: Path = BASE_DIR) -> Path:
    """Local state: ``var/`` of the checkout, or ``var/`` under the working directory of an installed
    Concord (services set VAR_DIR: deploy/)."""
    return base_dir / "var" if running_from_checkout(base_dir) else Path.cwd() / "var"
