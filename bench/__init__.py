"""Benchmarks: ``python -m bench.<name> --help``; figures are recorded in ``bench/RESULTS.md``."""
