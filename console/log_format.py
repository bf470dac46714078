"""Log lines for machines and for people, both carrying the correlation id of the work they describe.

``LOG_FORMAT=json`` (the default when ``DEBUG`` is off) writes one JSON object per line: ``ts``, ``level``,
``logger``, ``message``, ``correlation_id`` and every ``extra={...}`` field the call passed, so a log
pipeline can follow one event from the listener through the worker to each NetSuite call by its id.
``LOG_FORMAT=plain`` writes the same facts as text for a terminal.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from typing import Any

from core.correlation import current_correlation_id

# Attributes every LogRecord has; anything else on a record came from ``extra=`` and is logged too.
_STANDARD = frozenset(
    vars(logging.LogRecord("", logging.INFO, "", 0, "", None, None)).keys()
    | {"message", "asctime", "correlation_id", "taskName"}
)


class CorrelationFilter(logging.Filter):
    """Stamp each record with the correlation id open where it was logged (``-`` outside any)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "correlation_id", None):
            record.correlation_id = current_correlation_id() or "-"
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per record; values JSON cannot hold are written as their ``str()``."""

    def format(self, record: logging.LogRecord) -> str:
        correlation_id = getattr(record, "correlation_id", None) or current_correlation_id()
        line: dict[str, Any] = {
            "ts": dt.datetime.fromtimestamp(record.created, tz=dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "correlation_id": None if correlation_id in (None, "-") else correlation_id,
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                line[key] = value
        if record.exc_info:
            line["exc_info"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str, ensure_ascii=False)


PLAIN_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(correlation_id)s]: %(message)s"


def logging_config(*, log_format: str, level: str) -> dict[str, Any]:
    """The ``LOGGING`` dict: one stream handler writing ``log_format`` (``json`` or ``plain``)."""
    if log_format not in ("json", "plain"):
        raise ValueError(f"LOG_FORMAT must be json or plain, not {log_format!r}")
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"correlation": {"()": "console.log_format.CorrelationFilter"}},
        "formatters": {
            "plain": {"format": PLAIN_FORMAT},
            "json": {"()": "console.log_format.JsonFormatter"},
        },
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": log_format,
                "filters": ["correlation"],
            }
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {"django.db.backends": {"level": "WARNING"}},
    }
