#!/usr/bin/env python
"""Django's command-line utility for Concord (installed, the same is the ``concord`` command)."""

from console.cli import main

if __name__ == "__main__":
    main()
