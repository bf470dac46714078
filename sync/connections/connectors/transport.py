"""What both connectors share about HTTP: sessions that trust the right CA, time-outs, bounded retry."""

from __future__ import annotations

import logging
import random
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeVar
from urllib.parse import urlencode, urlsplit

import requests
from requests.adapters import HTTPAdapter
from requests.cookies import RequestsCookieJar, extract_cookies_to_jar
from requests.structures import CaseInsensitiveDict
from requests.utils import check_header_validity, get_encoding_from_headers
from urllib3.connectionpool import ConnectionPool

from sync.connections.connectors.errors import ConnectorError

T = TypeVar("T")
_SESSION_SEND = requests.Session.send
http_log = logging.getLogger("sync.connections.connectors.http")


class ConnectorAdapter(HTTPAdapter):
    """requests' HTTP adapter minus two costs of every request that change nothing for a connector's:

    - the connection pool for a request is looked up once per origin and TLS settings (requests parses
      the URL, builds the pool key and asks the pool manager on every request), as long as that pool is
      open and no proxy applies;
    - an answer's cookies are read only when it sets one (requests wraps request and answer in
      ``http.cookiejar`` adapters on every answer to find none).

    Sending itself, and the translation of urllib3's errors into requests', stay ``HTTPAdapter.send``'s.
    """

    POOLS_KEPT = 8  # a connector talks to one or two origins

    def __init__(self) -> None:
        super().__init__()
        self._pools: dict[tuple[Any, ...], ConnectionPool] = {}

    def get_connection_with_tls_context(
        self,
        request: requests.PreparedRequest,
        verify: bool | str | None,
        proxies: Mapping[str, str] | None = None,
        cert: tuple[str, str] | str | None = None,
    ) -> ConnectionPool:
        if proxies and any(proxies.values()):
            return super().get_connection_with_tls_context(request, verify, proxies=proxies, cert=cert)
        parts = urlsplit(request.url or "")
        key = (parts.scheme.lower(), parts.netloc.lower(), verify, cert)
        pool = self._pools.get(key)
        if pool is None or getattr(pool, "pool", None) is None:  # none yet, or closed (evicted)
            pool = super().get_connection_with_tls_context(request, verify, proxies=proxies, cert=cert)
            if len(self._pools) >= self.POOLS_KEPT:
                self._pools.clear()
            self._pools[key] = pool
        return pool

    def close(self) -> None:
        self._pools.clear()
        super().close()

    def build_response(self, req: requests.PreparedRequest, resp: Any) -> requests.Response:
        response = requests.Response()
        response.status_code = getattr(resp, "status", None)  # type: ignore[assignment]  # as requests does
        response.headers = CaseInsensitiveDict(getattr(resp, "headers", {}))
        response.encoding = get_encoding_from_headers(response.headers)
        response.raw = resp
        response.reason = resp.reason
        url: Any = req.url
        response.url = url.decode("utf-8") if isinstance(url, bytes) else url
        if "set-cookie" in response.headers or "set-cookie2" in response.headers:
            extract_cookies_to_jar(response.cookies, req, resp)
        response.request = req
        response.connection = self
        return response


class ConnectorSession(requests.Session):
    """A ``requests.Session`` with a default time-out and a CA bundle that the environment cannot override.

    requests lets ``REQUESTS_CA_BUNDLE``/``CURL_CA_BUNDLE`` replace ``Session.verify`` whenever
    ``trust_env`` is on; a connection configured with its own CA must keep it, while proxies from the
    environment still apply.

    Every request is logged (``sync.connections.connectors.http``): system, method, path (never the query
    string,
    which may hold record data), status and duration; the log formatter adds the correlation id.
    """

    def __init__(self, *, ca_bundle: str | None, timeout: tuple[float, float], system: str = "") -> None:
        super().__init__()
        self.verify = ca_bundle or True
        self.default_timeout = timeout
        self.system = system
        self._environment: dict[tuple[str, str], dict[str, Any]] = {}
        self._merged: dict[tuple[Any, ...], dict[str, Any]] = {}
        self.mount("https://", ConnectorAdapter())
        self.mount("http://", ConnectorAdapter())

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", self.default_timeout)
        started = time.perf_counter()
        status: int | None = None
        try:
            answer = super().request(method, url, *args, **kwargs)
            status = answer.status_code
            return answer
        finally:
            _log_call(self.system, method, url, status, (time.perf_counter() - started) * 1000)

    def prepare(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, str] | None = None,
        data: bytes | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> requests.PreparedRequest:
        """The request as :meth:`request` would send it, signed by the session's auth, not yet sent: a
        caller holding a scarce slot can do this work before taking it (see :meth:`send_prepared`).

        A session with its own auth and no cookies, parameters or hooks (a connector's, as a rule) is
        prepared step by step, without ``prepare_request``'s merging of empty cookie jars, parameters and
        hooks and its cookie header search (about 60 us of a request's CPU, on every request); the
        headers are merged and checked in one pass, and with no cookie in the session the request gets
        an empty jar without asking it for a Cookie header. The result is the same request. Any other
        session goes through ``prepare_request``."""
        if self.auth is None or self.cookies or self.params or any(self.hooks.values()):
            return self.prepare_request(
                requests.Request(
                    method=method.upper(),
                    url=url,
                    params=dict(params or {}),
                    data=data,
                    headers=dict(headers or {}),
                )
            )
        prepared = requests.PreparedRequest()
        prepared.prepare_method(method.upper())
        prepared.prepare_url(url, _encoded_params(params or {}))
        merged = _merged_headers(self.headers, headers or {})
        if all(isinstance(name, str) for name in merged):
            for header in merged.items():
                check_header_validity(header)
            prepared.headers = merged
        else:
            prepared.prepare_headers(merged)
        # The session has no cookie: an empty jar, as prepare_cookies would set, and no header to look for.
        prepared._cookies = RequestsCookieJar()  # type: ignore[attr-defined]
        prepared.prepare_body(data, None, None)
        prepared.prepare_auth(self.auth, url)
        return prepared

    def send_prepared(self, prepared: requests.PreparedRequest) -> requests.Response:
        """Send a :meth:`prepare`-d request with the settings :meth:`request` would use; logged likewise.

        The environment's proxy and CA settings are read once per host: requests reads them on every
        request, a few milliseconds of CPU that a connector sending thousands does not need to repeat."""
        parts = urlsplit(prepared.url or "")
        origin = (parts.scheme, parts.netloc)
        settings = self._environment.get(origin)
        if settings is None:
            settings = self.merge_environment_settings(prepared.url, {}, None, None, None)
            self._environment[origin] = settings
        started = time.perf_counter()
        status: int | None = None
        try:
            answer = self._send_settled(prepared, {"timeout": self.default_timeout, **settings})
            status = answer.status_code
            return answer
        finally:
            _log_call(
                self.system,
                prepared.method or "",
                prepared.url or "",
                status,
                (time.perf_counter() - started) * 1000,
            )

    def _send_settled(
        self, prepared: requests.PreparedRequest, settings: dict[str, Any]
    ) -> requests.Response:
        """``self.send(prepared, allow_redirects=True, **settings)`` with ``settings`` already complete
        (time-out, proxies, stream, verify, cert), minus the work that changes nothing for a request
        without hooks: the hook dispatch, the cookie jar update when the answer sets no cookie, and the
        redirect generator (which parses the URL) when the answer is no redirect. A request with hooks,
        a session whose ``send`` is overridden or patched (tests, benchmarks) or a streamed one goes
        through ``send`` itself; the answer is the same either way."""
        if type(self).send is not _SESSION_SEND or any(prepared.hooks.values()) or settings.get("stream"):
            return self.send(prepared, allow_redirects=True, **settings)
        adapter = self.get_adapter(url=prepared.url or "")
        start = time.perf_counter()
        answer = adapter.send(prepared, **settings)
        answer.elapsed = timedelta(seconds=time.perf_counter() - start)
        if "set-cookie" in answer.headers or "set-cookie2" in answer.headers:
            extract_cookies_to_jar(self.cookies, prepared, answer.raw)
        if answer.is_redirect:
            history = list(self.resolve_redirects(answer, prepared, **settings))
            if history:
                history.insert(0, answer)
                answer = history.pop()
                answer.history = history
        answer.content  # noqa: B018 - read the body now and release the connection, as ``send`` does
        return answer

    def merge_environment_settings(self, url: Any, proxies: Any, stream: Any, verify: Any, cert: Any) -> Any:
        # requests reads the environment's proxy settings (and may look the host up against no_proxy) on
        # every request: milliseconds a connector's calls on the path of a sync need not spend again.
        # Kept per origin and arguments for the session's life; a call naming its own proxies is not kept.
        key = None
        if not proxies:
            parts = urlsplit(url.decode() if isinstance(url, bytes) else str(url))
            key = (parts.scheme, parts.netloc, stream, verify, cert)
            kept = self._merged.get(key)
            if kept is not None:
                return dict(kept)
        settings = super().merge_environment_settings(url, proxies, stream, verify, cert)
        if isinstance(self.verify, str) and verify in (None, True):
            settings["verify"] = self.verify
        if key is not None:
            self._merged[key] = dict(settings)
        return settings


class SessionPool:
    """Idle connector sessions, kept by the process for the next thread that needs one with the same
    settings (a connection's version: its credentials, CA, time-outs).

    A connector gives each thread a session of its own, and a session keeps its connection to the
    service open. The pipeline's threads live for one batch and its side-by-side writes start helper
    threads for one opportunity: a new session for each opened a new TLS connection each, about 2.5 ms of
    CPU for the handshake and the CA file, twice the CPU of a request on an open connection. A thread
    done with a connector gives its session back (:meth:`give`); the next thread of any connector built
    from the same settings takes it (:meth:`take`), open connection and all. A session is only ever used
    by one thread at a time: it is in the pool or with one thread, never both.
    """

    KEPT_PER_KEY = 32  # a connection's requests in flight in one process, and some spare
    KEYS_KEPT = 16  # connection versions; the least recently used one's sessions are closed
    # A session idle longer than this is closed rather than handed on: its connection may have been
    # dropped on the way (a proxy's or NAT's idle time-out) without the socket knowing, and a request sent
    # on it would wait for its read time-out. Between the requests of a busy worker, sessions idle for
    # milliseconds.
    IDLE_SECONDS = 30.0

    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._idle: OrderedDict[Hashable, list[tuple[ConnectorSession, float]]] = OrderedDict()
        self._lock = threading.Lock()
        self._clock = clock

    def take(self, key: Hashable) -> ConnectorSession | None:
        """An idle session kept for ``key``, now the caller's alone; ``None`` when there is none (those
        idle too long are closed)."""
        stale: list[ConnectorSession] = []
        taken = None
        with self._lock:
            idle = self._idle.get(key)
            if idle:
                self._idle.move_to_end(key)
                oldest = self._clock() - self.IDLE_SECONDS
                stale = [session for session, since in idle if since < oldest]
                idle[:] = [(session, since) for session, since in idle if since >= oldest]
                taken = idle.pop()[0] if idle else None
        for session in stale:
            session.close()
        return taken

    def give(self, key: Hashable, session: ConnectorSession) -> None:
        """Keep ``session`` (the caller no longer uses it) for the next :meth:`take` of ``key``; closed
        instead when enough are kept."""
        closing: list[ConnectorSession] = []
        with self._lock:
            idle = self._idle.setdefault(key, [])
            self._idle.move_to_end(key)
            if len(idle) < self.KEPT_PER_KEY:
                idle.append((session, self._clock()))
            else:
                closing.append(session)
            while len(self._idle) > self.KEYS_KEPT:
                _, dropped = self._idle.popitem(last=False)
                closing.extend(session for session, _ in dropped)
        for unused in closing:
            unused.close()

    def idle(self, key: Hashable) -> int:
        """How many sessions are kept for ``key``."""
        with self._lock:
            return len(self._idle.get(key) or ())

    def clear(self) -> None:
        """Close every kept session."""
        with self._lock:
            kept = [session for sessions in self._idle.values() for session, _ in sessions]
            self._idle.clear()
        for session in kept:
            session.close()


def _encoded_params(params: Mapping[str, Any]) -> str:
    """The query string ``PreparedRequest.prepare_url`` makes of a parameter mapping, made directly:
    requests checks the mapping against its runtime protocols (``SupportsRead``, ``SupportsItems``),
    which costs more than the encoding itself."""
    pairs: list[tuple[Any, Any]] = []
    for key, values in params.items():
        if isinstance(values, str | bytes) or not hasattr(values, "__iter__"):
            values = [values]
        for value in values:
            if value is not None:
                pairs.append(
                    (
                        key.encode("utf-8") if isinstance(key, str) else key,
                        value.encode("utf-8") if isinstance(value, str) else value,
                    )
                )
    return urlencode(pairs, doseq=True)


def _merged_headers(session: Mapping[str, Any], request: Mapping[str, Any]) -> CaseInsensitiveDict[Any]:
    """``merge_setting(request, session, dict_class=CaseInsensitiveDict)`` for two header mappings,
    without its runtime protocol checks: the session's headers, the request's over them, ``None`` drops
    one."""
    merged: CaseInsensitiveDict[Any] = CaseInsensitiveDict(session)
    merged.update(request)
    for key in [key for key, value in merged.items() if value is None]:
        del merged[key]
    return merged


def _log_call(system: str, method: str | bytes, url: str | bytes, status: int | None, ms: float) -> None:
    if not http_log.isEnabledFor(logging.INFO):
        return  # (the path's parsing and the record's fields cost a few microseconds on every request)
    method_text = method.decode() if isinstance(method, bytes) else str(method)
    path = urlsplit(url.decode() if isinstance(url, bytes) else str(url)).path
    http_log.info(
        "%s %s %s -> %s in %.1f ms",
        system or "http",
        method_text.upper(),
        path,
        status if status is not None else "no answer",
        ms,
        extra={
            "system": system,
            "method": method_text.upper(),
            "path": path,
            "status": status,
            "duration_ms": round(ms, 1),
        },
    )


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded exponential back-off with full jitter (AWS architecture blog's variant)."""

    max_attempts: int = 4
    base_delay: float = 0.5
    max_delay: float = 20.0

    def delay(self, attempt: int, *, rng: random.Random | None = None) -> float:
        """Seconds to wait before attempt ``attempt + 1`` (``attempt`` counts from 1)."""
        ceiling = min(self.max_delay, self.base_delay * (2 ** (attempt - 1)))
        return (rng or random).uniform(0, ceiling)


def call_with_retry(
    operation: Callable[[], T],
    *,
    policy: RetryPolicy,
    idempotent: bool,
    sleep: Callable[[float], None] = time.sleep,
    on_retry: Callable[[ConnectorError, int], None] | None = None,
) -> T:
    """Run ``operation``, retrying transient failures up to ``policy.max_attempts`` times in all.

    A non-idempotent operation (a plain create) is retried only when the failure proves the request was
    not applied; an ambiguous failure (no answer after sending) is raised for the caller to resolve with
    an idempotent read or upsert.
    """
    attempt = 1
    while True:
        try:
            return operation()
        except ConnectorError as error:
            retryable = error.transient and (idempotent or not error.ambiguous)
            if not retryable or attempt >= policy.max_attempts:
                raise
            if on_retry is not None:
                on_retry(error, attempt)
            sleep(policy.delay(attempt))
            attempt += 1


def transport_error(system: str, operation: str, exc: requests.RequestException) -> ConnectorError:
    """Classify a failure below HTTP (DNS, TLS, connect, read time-out, reset)."""
    if isinstance(exc, requests.exceptions.SSLError):
        return ConnectorError(
            system, False, f"TLS verification failed: {_root(exc)}", code="TLS_ERROR", operation=operation
        )
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return ConnectorError(
            system, True, "connection timed out", code="CONNECT_TIMEOUT", operation=operation
        )
    if isinstance(exc, requests.exceptions.ReadTimeout):
        return ConnectorError(
            system,
            True,
            "no answer before the read time-out",
            code="READ_TIMEOUT",
            operation=operation,
            ambiguous=True,
        )
    if isinstance(exc, requests.exceptions.ConnectionError):
        refused = (
            "refused" in str(exc).lower() or "Max retries" in str(exc) and "NewConnectionError" in str(exc)
        )
        return ConnectorError(
            system,
            True,
            f"connection failed: {_root(exc)}",
            code="CONNECTION_ERROR",
            operation=operation,
            ambiguous=not refused,
        )
    if isinstance(exc, requests.exceptions.InvalidURL | requests.exceptions.MissingSchema):
        return ConnectorError(system, False, f"invalid URL: {exc}", code="INVALID_URL", operation=operation)
    return ConnectorError(system, True, str(exc), code="HTTP_ERROR", operation=operation, ambiguous=True)


def _root(exc: BaseException) -> str:
    while exc.__context__ is not None and exc.__context__ is not exc:
        exc = exc.__context__
    return str(exc)


class ConcurrencySlots:
    """What a connector needs from a concurrency limiter; :mod:`sync.connections.concurrency` has the
    cluster-wide ones.

    ``slot()`` blocks until one of the connection's request slots is free and holds it for one request.
    ``overloaded()`` is called when the service refused a request for concurrency anyway (another client
    shares the account's pool), so the limiter can back off.
    """

    def slot(self) -> AbstractContextManager[None]:
        return nullcontext()

    def overloaded(self) -> None:
        return None


@dataclass
class RequestRecord:
    """One HTTP exchange, for job logs and metrics; bodies are excerpts, credentials never appear."""

    system: str
    operation: str
    method: str
    url: str
    status: int | None
    elapsed_ms: float
    request_excerpt: str = ""
    response_excerpt: str = ""


RequestObserver = Callable[[RequestRecord], None]
EXCERPT_CHARS = 2000


def excerpt(body: bytes | str | None) -> str:
    if not body:
        return ""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    return text if len(text) <= EXCERPT_CHARS else text[:EXCERPT_CHARS] + "…"
