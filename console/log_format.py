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


class RefusalWithoutTracebackFilter(logging.Filter):
    """Keep a refused request (a 4xx ``django.request`` logs) to its one line: Django attaches the
    ``PermissionDenied`` traceback to each 403, which says nothing a person at a terminal needs."""

    def filter(self, record: logging.LogRecord) -> bool:
        if 400 <= int(getattr(record, "status_code", 0) or 0) < 500:
            record.exc_info = None
            record.exc_text = None
        return True


PLAIN_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(correlation_id)s]: %(message)s"


def logging_config(*, log_format: str, level: str, quiet_requests: bool = False) -> dict[str, Any]:
    """The ``LOGGING`` dict: one stream handler writing ``log_format`` (``json`` or ``plain``).

    ``quiet_requests`` (``LOG_QUIET_REQUESTS``, set by ``manage.py demo`` for its processes) keeps a
    terminal to what needs a look: runserver's line per request only for server errors, and a refused
    page (403, 404) as one line without its traceback.
    """
    if log_format not in ("json", "plain"):
        raise ValueError(f"LOG_FORMAT must be json or plain, not {log_format!r}")
    loggers: dict[str, dict[str, Any]] = {"django.db.backends": {"level": "WARNING"}}
    handler_filters = ["correlation"]
    if quiet_requests:
        # Django's own config (django.utils.log.DEFAULT_LOGGING) gives "django" a console handler of its
        # own under DEBUG, which prints every refusal again with its traceback, and "django.server" one
        # that does not propagate: both go through our handler only.
        loggers["django"] = {"handlers": [], "propagate": True}
        loggers["django.server"] = {"level": "ERROR", "handlers": [], "propagate": True}
        handler_filters.append("refusal_without_traceback")
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "correlation": {"()": "console.log_format.CorrelationFilter"},
            "refusal_without_traceback": {"()": "console.log_format.RefusalWithoutTracebackFilter"},
        },
        "formatters": {
            "plain": {"format": PLAIN_FORMAT},
            "json": {"()": "console.log_format.JsonFormatter"},
        },
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": log_format,
                "filters": handler_filters,
            }
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": loggers,
    }
