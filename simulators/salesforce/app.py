"""The Salesforce simulator application: routing, sessions, the daily API limit and governance answers.

Everything under ``/services/data/vNN.0/`` and Apex REST (``/services/apexrest/``) needs a bearer token,
counts against the daily request limit and carries ``Sforce-Limit-Info``; errors are JSON arrays with
Salesforce's error codes. The hot path (token check in memory, a precompiled route match, one SQLite read)
is kept cheap on purpose.
"""

from __future__ import annotations

import datetime as dt
import re
import sqlite3
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import unquote

from simulators.core.http import Request, Response
from simulators.core.store import SqliteStore
from simulators.salesforce import contracts, customfields, rest
from simulators.salesforce.apexrest import ApexRest
from simulators.salesforce.auth import Credentials, Sessions
from simulators.salesforce.collections import CollectionsApi
from simulators.salesforce.control import ControlApi
from simulators.salesforce.errors import ApiError, not_found
from simulators.salesforce.outbound import Outbound
from simulators.salesforce.schema import Schema
from simulators.salesforce.soql.engine import QueryEngine
from simulators.salesforce.writes import MultipleMatches, RecordWriter, forget_converters

MIN_API_VERSION = 40
_VERSION = re.compile(r"^v(\d{2})\.0$")
_SEASONS = ("Summer", "Winter", "Spring")


def version_label(number: int) -> str:
    """Release name of API version ``number`` (v40.0 was Summer '17, three releases a year)."""
    step = number - MIN_API_VERSION
    return f"{_SEASONS[step % 3]} '{17 + (step + 2) // 3:02d}"


class ApiUsage:
    """The org's daily API request allowance (in memory; it restarts with the simulator, like a new day)."""

    def __init__(self, limit: int) -> None:
        self.max = limit
        self.used = 0
        self._day = dt.datetime.now(dt.UTC).date()
        self._lock = threading.Lock()

    def take(self) -> bool:
        with self._lock:
            today = dt.datetime.now(dt.UTC).date()
            if today != self._day:
                self._day, self.used = today, 0
            if self.used >= self.max:
                return False
            self.used += 1
            return True

    def header(self) -> tuple[str, str]:
        return ("Sforce-Limit-Info", f"api-usage={self.used}/{self.max}")

    def set(self, *, used: int | None = None, limit: int | None = None) -> None:
        with self._lock:
            if limit is not None:
                self.max = limit
            if used is not None:
                self.used = used


class SalesforceApp:
    """Implements :class:`simulators.core.governance.GovernedApplication` for Salesforce."""

    def __init__(
        self,
        *,
        store: SqliteStore,
        schema: Schema,
        credentials: Credentials,
        api_version_max: int,
        daily_api_limit: int,
        outbound_time_scale: float,
    ) -> None:
        self.store = store
        self.schema = schema
        self.credentials = credentials
        self.api_version_max = api_version_max
        self.versions = {f"v{n}.0" for n in range(MIN_API_VERSION, api_version_max + 1)}
        self.sessions = Sessions(store, credentials)
        self.usage = ApiUsage(daily_api_limit)
        self.engine = QueryEngine(store, schema)
        self.outbound = Outbound(
            store,
            schema,
            organization_id=credentials.org_id,
            api_version=f"{api_version_max}.0",
            time_scale=outbound_time_scale,
            issue_session=self.sessions.issue,
        )
        self.writer = RecordWriter(
            schema,
            user_id=credentials.user_id,
            on_change=self.outbound.on_change,
            automation=contracts.on_saved,
        )
        self.rest = rest.RestApi(self)
        self.apexrest = ApexRest(self)
        self.collections = CollectionsApi(self)
        self.control = ControlApi(self)
        self.base_url = ""
        self._stats: Counter[str] = Counter()
        self._stats_lock = threading.Lock()

    # -- lifecycle hooks the runner calls -------------------------------------------------------

    def bind(self, url: str) -> None:
        """Learn the public URL; outbound delivery starts now, so messages never carry an empty URL."""
        self.base_url = url
        self.outbound.base_url = url
        self.outbound.start()

    def close(self) -> None:
        self.outbound.stop()

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """A write transaction; outbound delivery is woken once it has committed."""
        with self.store.write() as connection:
            yield connection
        self.outbound.wake()

    def add_custom_field(self, definition: Any) -> dict[str, Any]:
        """Add a custom field while the org runs (see :mod:`simulators.salesforce.customfields`); returns
        the field as describe shows it, or raises ``CustomFieldError``."""
        sobject, new_field = customfields.field_from_definition(self.schema, definition)
        try:
            with self.store.write() as connection:
                customfields.add_custom_field(connection, self.schema, sobject, new_field)
        except sqlite3.IntegrityError:
            raise customfields.CustomFieldError(
                f"{sobject.name} already has a field named {new_field.name}"
            ) from None
        # Compiled plans and record converters list an object's fields: FIELDS(ALL) must see the new one.
        self.engine.forget_plans()
        forget_converters()
        return {"object": sobject.name, **new_field.describe()}

    def count(self, key: str) -> None:
        with self._stats_lock:
            self._stats[key] += 1

    def stats(self) -> dict[str, Any]:
        with self._stats_lock:
            counters = dict(self._stats)
        return {
            "counters": counters,
            "api_usage": {"used": self.usage.used, "max": self.usage.max},
            "open_query_locators": self.engine.open_cursors(),
        }

    # -- GovernedApplication --------------------------------------------------------------------

    def refusal_response(self, request: Request) -> Response:
        self.count("refused_concurrency")
        return self._error(ApiError(403, "REQUEST_LIMIT_EXCEEDED", "ConcurrentPerOrgLongTxn Limit exceeded."))

    def fault_response(self, kind: str, request: Request) -> Response:
        self.count(f"fault_{kind}")
        if kind == "429":
            error = ApiError(403, "REQUEST_LIMIT_EXCEEDED", "ConcurrentPerOrgLongTxn Limit exceeded.")
        elif kind == "503":
            error = ApiError(
                503, "SERVER_UNAVAILABLE", "Server temporarily unavailable, please try again later."
            )
        else:
            error = ApiError(
                500,
                "UNKNOWN_EXCEPTION",
                "An unexpected error occurred. Please include this "
                "ErrorId if you contact support: 1234567890-12345 (-123456789)",
            )
        return self._error(error)

    def _error(self, error: ApiError) -> Response:
        return Response.json(error.status, error.body(), [self.usage.header()])

    # -- routing --------------------------------------------------------------------------------

    def handle(self, request: Request) -> Response:
        path = request.path
        if path.startswith("/services/data"):
            return self._api(request)
        if path.startswith("/services/apexrest/"):
            return self._apex(request)
        if path.rstrip("/") == "/services/oauth2/token":
            response = self.sessions.token_response(request, self.instance_url(request))
            self.count("token_issued" if response.status == 200 else "token_refused")
            return response
        if path.startswith("/_control/salesforce"):
            return self.control.handle(request)
        return Response.json(404, not_found().body())

    def instance_url(self, request: Request) -> str:
        return request.base_url if request.host else self.base_url

    def _api(self, request: Request) -> Response:
        segments = [unquote(part) for part in request.raw_path.split("?", 1)[0].split("/")[3:]]
        while segments and segments[-1] == "":
            segments.pop()
        if not segments:
            if request.method != "GET":
                return Response.json(
                    405,
                    [
                        {
                            "errorCode": "METHOD_NOT_ALLOWED",
                            "message": f"HTTP Method '{request.method}' not allowed. Allowed are GET",
                        }
                    ],
                )
            return Response.json(
                200,
                [
                    {"label": version_label(n), "url": f"/services/data/v{n}.0", "version": f"{n}.0"}
                    for n in range(MIN_API_VERSION, self.api_version_max + 1)
                ],
            )
        if segments[0] not in self.versions:
            return Response.json(404, not_found().body())
        version = segments[0][1:]
        return self._guarded(request, version, lambda: self._route(request, version, segments[1:]))

    def _apex(self, request: Request) -> Response:
        """``/services/apexrest/...``: signed in and counted like the REST API (see :mod:`.apexrest`)."""
        segments = [unquote(part) for part in request.raw_path.split("?", 1)[0].split("/")[3:] if part]
        version = f"{self.api_version_max}.0"
        return self._guarded(request, version, lambda: self.apexrest.handle(request, segments))

    def _guarded(self, request: Request, version: str, call: Callable[[], Response]) -> Response:
        """Session check, the daily limit and Salesforce's error answers around one API call."""
        if not self.sessions.is_valid(request.header("Authorization")):
            self.count("invalid_session")
            return Response.json(
                401,
                [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}],
                [("WWW-Authenticate", "Token")],
            )
        if not self.usage.take():
            self.count("refused_request_limit")
            return self._error(ApiError(403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded."))
        try:
            response = call()
        except MultipleMatches as multiple:
            response = Response.json(300, multiple.urls(version))
        except ApiError as error:
            response = Response.json(error.status, error.body())
        except sqlite3.Error as exc:
            response = Response.json(
                500, [{"errorCode": "UNKNOWN_EXCEPTION", "message": f"storage error: {exc}"}]
            )
        self.count(f"status_{response.status // 100}xx")
        response.headers.append(self.usage.header())
        return response

    def _route(self, request: Request, version: str, parts: list[str]) -> Response:
        method = request.method
        head = parts[0] if parts else ""
        size = len(parts)
        if size == 0:
            return rest.allow(method, "GET") or self.rest.resources(version)
        if head == "sobjects":
            if size == 1:
                return rest.allow(method, "GET") or self.rest.describe_global(version)
            return self.rest.sobjects(request, version, parts[1:])
        if head in ("query", "queryAll"):
            if size == 1:
                return rest.allow(method, "GET") or self.rest.query(request, version, head == "queryAll")
            if size == 2:
                return rest.allow(method, "GET") or Response.json(
                    200, self.engine.more(parts[1], version=version)
                )
        if head == "composite" and size >= 2 and parts[1] == "sobjects":
            return self.collections.handle(request, version, parts[2:])
        if head == "limits" and size == 1:
            return rest.allow(method, "GET") or self.rest.limits()
        raise not_found()
