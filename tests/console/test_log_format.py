"""The log formatter: one JSON object per line with the correlation id, or plain text for a terminal."""

from __future__ import annotations

import json
import logging
import logging.config
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.test import Client
from django.utils.log import configure_logging

from console.log_format import CorrelationFilter, JsonFormatter, RefusalWithoutTracebackFilter, logging_config
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


@pytest.fixture
def terminal_logging(request: pytest.FixtureRequest) -> Iterator[Callable[[bool], None]]:
    """Apply a plain WARNING config (quiet or not) over Django's defaults, as Django does at start; then
    the settings' own again."""

    def apply(quiet: bool) -> None:
        configure_logging(
            settings.LOGGING_CONFIG, logging_config(log_format="plain", level="WARNING", quiet_requests=quiet)
        )

    yield apply
    configure_logging(settings.LOGGING_CONFIG, settings.LOGGING)


def test_quiet_requests_log_a_refused_page_in_one_line_without_its_traceback(
    outsider_client: Client,
    terminal_logging: Callable[[bool], None],
    capsys: pytest.CaptureFixture[str],
    settings: Any,
) -> None:
    settings.DEBUG = True  # as in the demo: Django's own DEBUG-only console handler must stay silent too
    terminal_logging(True)
    assert outsider_client.get("/sync/rules/").status_code == 403
    assert outsider_client.get("/no-such-page/").status_code == 404
    logging.getLogger("django.server").warning('"GET /sync/rules/ HTTP/1.1" 403 1234')
    logging.getLogger("django.server").info('"GET / HTTP/1.1" 200 1234')
    err = capsys.readouterr().err
    assert "Forbidden (Permission denied): /sync/rules/" in err
    assert "Not Found: /no-such-page/" in err
    assert "Traceback" not in err and "PermissionDenied" not in err
    assert "HTTP/1.1" not in err  # runserver's line per request
    assert len(err.strip().splitlines()) == 2


def test_without_quiet_requests_the_refusal_keeps_its_traceback(
    outsider_client: Client, terminal_logging: Callable[[bool], None], capsys: pytest.CaptureFixture[str]
) -> None:
    terminal_logging(False)
    assert outsider_client.get("/sync/rules/").status_code == 403
    logging.getLogger("django.server").warning('"GET /sync/rules/ HTTP/1.1" 403 1234')
    err = capsys.readouterr().err
    assert "Traceback" in err and "HTTP/1.1" in err


def test_quiet_requests_still_show_server_errors() -> None:
    config = logging_config(log_format="plain", level="WARNING", quiet_requests=True)
    assert config["loggers"]["django.server"]["level"] == "ERROR"
    failed = logging.LogRecord("django.request", logging.ERROR, __file__, 1, "boom", None, None)
    failed.status_code = 500
    failed.exc_info = (ValueError, ValueError("boom"), None)
    RefusalWithoutTracebackFilter().filter(failed)
    assert failed.exc_info is not None  # a 500 keeps its traceback
