"""The log formatter: one JSON object per line with the correlation id, or plain text for a terminal."""

from __future__ import annotations

import json
import logging

import pytest
from django.core.exceptions import ImproperlyConfigured

from console.log_format import CorrelationFilter, JsonFormatter, logging_config
from core.correlation import correlation


def record(message: str, **extra: object) -> logging.LogRecord:
    made = logging.LogRecord("sync.test", logging.WARNING, __file__, 1, message, ("x",), None)
    for key, value in extra.items():
        setattr(made, key, value)
    return made


def test_it_writes_one_json_object_with_the_correlation_id_and_extra_fields() -> None:
    with correlation("req-42"):
        line = record("job %s done", job_id=7, status=None)
        CorrelationFilter().filter(line)
    data = json.loads(JsonFormatter().format(line))
    assert data.pop("ts").endswith("+00:00")
    assert data == {
        "level": "WARNING",
        "logger": "sync.test",
        "message": "job x done",
        "correlation_id": "req-42",
        "job_id": 7,
        "status": None,
    }


def test_it_writes_null_outside_any_correlation_and_keeps_the_traceback() -> None:
    try:
        raise ValueError("boom")
    except ValueError:
        import sys

        line = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", None, sys.exc_info())
    CorrelationFilter().filter(line)
    data = json.loads(JsonFormatter().format(line))
    assert data["correlation_id"] is None and "ValueError: boom" in data["exc_info"]


def test_the_plain_format_names_the_correlation_too() -> None:
    config = logging_config(log_format="plain", level="INFO")
    formatter = logging.Formatter(config["formatters"]["plain"]["format"])
    with correlation("abc"):
        line = record("hello %s")
        CorrelationFilter().filter(line)
    assert formatter.format(line).endswith("WARNING sync.test [abc]: hello x")


def test_it_refuses_an_unknown_format() -> None:
    with pytest.raises(ValueError, match="json or plain"):
        logging_config(log_format="xml", level="INFO")


def test_settings_default_to_json_without_debug(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib

    import console.settings as concord_settings

    monkeypatch.delenv("LOG_FORMAT", raising=False)
    assert importlib.reload(concord_settings).LOGGING["handlers"]["console"]["formatter"] == "json"
    monkeypatch.setenv("LOG_FORMAT", "yaml")
    with pytest.raises(ImproperlyConfigured):
        importlib.reload(concord_settings)
    monkeypatch.delenv("LOG_FORMAT")
    importlib.reload(concord_settings)
