"""``concord``: the command line of an installed Concord (the wheel's manage.py), on the production
settings unless DJANGO_SETTINGS_MODULE says otherwise. ``concord setup``, ``concord migrate``,
``concord qcluster``... ``python -m console.cli`` is the same."""

from __future__ import annotations

import os
import sys

from django.core.management import execute_from_command_line


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "console.settings")
    execute_from_command_line(argv if argv is not None else sys.argv)


if __name__ == "__main__":
    main()
