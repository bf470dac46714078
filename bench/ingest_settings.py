"""Settings for bench/ingest.py only: the project's own, plus one bare view (bench/ingest_urls.py)."""

from console.settings import *  # noqa: F403

ROOT_URLCONF = "bench.ingest_urls"
