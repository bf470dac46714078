"""Governance and fault injection shared by both simulators.

Real services refuse work over their concurrency limit at once, add latency, and fail in ways an
integration must survive. :class:`Governor` wraps every API request with those behaviours, set by
command-line flags and changed at run time through the control endpoints:

- ``GET /_control/governance`` / ``PATCH /_control/governance`` (JSON): the settings below;
- ``GET /_control/stats`` / ``DELETE /_control/stats``: counters, so a benchmark can prove a limit held;
- ``GET /_control/requests`` / ``DELETE /_control/requests``: the last requests served (method, path, the
  start and end of the query or body, status, and when each arrived and was answered, epoch seconds), so
  a benchmark or a test can list what a client asked and which calls ran side by side;
- ``GET|POST|DELETE /_control/faults``: faults aimed at chosen requests rather than drawn at random.
  POST ``{"kind": "timeout_after", "method": "PUT", "path_contains": "/salesOrder/eid:", "times": 1}``
  injects ``kind`` into the next ``times`` requests matching the method and path (both optional); GET
  lists the faults still pending, DELETE clears them. A test can so fail exactly one write.

Fault kinds: ``429``/``500``/``503`` answer in the vendor's words without doing the work; ``timeout``
holds the request ``timeout_seconds`` then drops it, work not done; ``drop`` drops it at once, work not
done; ``drop_after`` does the work, then drops the connection; ``timeout_after`` does the work, then holds
the answer ``timeout_seconds`` and drops it (the caller's read time-out fires: the ambiguous failure of a
write that landed); ``slow`` adds ``slow_ms`` and answers.

Control endpoints answer loopback clients only and are never delayed, limited or faulted.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields
from typing import Any, Protocol

from simulators.core.http import DropConnection, Request, Response

FAULT_KINDS = ("429", "500", "503", "timeout", "drop", "drop_after", "timeout_after", "slow")
CONTROL_PREFIX = "/_control/"
REQUEST_LOG_SIZE = 20_000  # the request log keeps this many of the latest requests
EXCERPT = 300
# A query (SOQL ``q``, a SuiteQL body) is kept up to this long: the ids it searches for are in its middle,
# and a benchmark attributes requests to the records they name (bench/latency.py).
QUERY_EXCERPT = 4_000


@dataclass
class GovernanceSettings:
    latency_ms: float = 0.0
    jitter_ms: float = 0.0
    # 0 means unlimited.
    concurrency_limit: int = 0
    fault_rate: float = 0.0
    fault_kinds: tuple[str, ...] = ("500",)
    # "timeout" holds the request this long without answering; "slow" adds slow_ms then answers.
    timeout_seconds: float = 30.0
    slow_ms: float = 2000.0

    def update(self, changes: dict[str, Any]) -> None:
        """Apply a partial update; raises ``ValueError`` naming the first bad setting."""
        known = {f.name: f for f in fields(self)}
        staged = asdict(self)
        for name, value in changes.items():
            if name not in known:
                raise ValueError(f"unknown setting {name!r}; known: {', '.join(sorted(known))}")
            if name == "fault_kinds":
                kinds = tuple(value.split(",") if isinstance(value, str) else value)
                bad = [kind for kind in kinds if kind not in FAULT_KINDS]
                if bad or not kinds:
                    raise ValueError(f"fault_kinds must be a non-empty subset of {', '.join(FAULT_KINDS)}")
                staged[name] = kinds
            elif name == "concurrency_limit":
                if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                    raise ValueError("concurrency_limit must be a whole number >= 0 (0 = unlimited)")
                staged[name] = value
            else:
                if not isinstance(value, int | float) or isinstance(value, bool) or value < 0:
                    raise ValueError(f"{name} must be a number >= 0")
                if name == "fault_rate" and value > 1:
                    raise ValueError("fault_rate is a probability between 0 and 1")
                staged[name] = float(value)
        for name, value in staged.items():
            setattr(self, name, value)


@dataclass
class FaultRule:
    """A fault for the next ``times`` requests whose method and path match (empty matches any)."""

    kind: str
    method: str = ""
    path_contains: str = ""
    times: int = 1

    @classmethod
    def parse(cls, data: Any) -> FaultRule:
        """A rule from a control request's JSON; raises ``ValueError`` naming what is wrong."""
        if not isinstance(data, dict):
            raise ValueError("send a JSON object: kind, and optionally method, path_contains, times")
        unknown = sorted(set(data) - {f.name for f in fields(cls)})
        if unknown:
            raise ValueError(f"unknown fault rule field(s): {', '.join(unknown)}")
        kind = data.get("kind")
        if kind not in FAULT_KINDS:
            raise ValueError(f"kind must be one of {', '.join(FAULT_KINDS)}")
        times = data.get("times", 1)
        if not isinstance(times, int) or isinstance(times, bool) or times < 1:
            raise ValueError("times must be a whole number >= 1")
        method, path = data.get("method", ""), data.get("path_contains", "")
        if not isinstance(method, str) or not isinstance(path, str):
            raise ValueError("method and path_contains must be text")
        return cls(str(kind), method.upper(), path, times)

    def matches(self, request: Request) -> bool:
        return (not self.method or request.method == self.method) and self.path_contains in request.path


class GovernedApplication(Protocol):
    """What an application adds so the governor can answer in the vendor's own words."""

    def handle(self, request: Request) -> Response: ...

    def refusal_response(self, request: Request) -> Response:
        """The vendor's answer to a request over the concurrency limit."""
        ...

    def fault_response(self, kind: str, request: Request) -> Response:
        """The vendor's answer for an injected fault of ``kind`` ("429", "500" or "503")."""
        ...


class Governor:
    def __init__(
        self,
        application: GovernedApplication,
        settings: GovernanceSettings | None = None,
        *,
        seed: int | None = None,
    ) -> None:
        self.application = application
        self.settings = settings or GovernanceSettings()
        self._lock = threading.Lock()
        self._random = random.Random(seed)
        self._in_flight = 0
        self._stats: Counter[str] = Counter()
        self._peak_in_flight = 0
        self._rules: list[FaultRule] = []
        self._log: deque[dict[str, Any]] = deque(maxlen=REQUEST_LOG_SIZE)

    # The server calls this for every request.
    def __call__(self, request: Request, handle: Callable[[Request], Response]) -> Response:
        if request.path.startswith(CONTROL_PREFIX):
            if request.client[0] not in ("127.0.0.1", "::1", "localhost"):
                return Response.json(403, {"error": "control endpoints answer loopback clients only"})
            if request.path.rstrip("/") == "/_control/governance":
                return self._control_settings(request)
            if request.path.rstrip("/") == "/_control/stats":
                return self._control_stats(request)
            if request.path.rstrip("/") == "/_control/faults":
                return self._control_faults(request)
            if request.path.rstrip("/") == "/_control/requests":
                return self._control_requests(request)
            return handle(request)

        settings = self.settings
        with self._lock:
            self._stats["received"] += 1
            if settings.concurrency_limit and self._in_flight >= settings.concurrency_limit:
                self._stats["refused_concurrency"] += 1
                refuse = True
            else:
                refuse = False
                self._in_flight += 1
                self._peak_in_flight = max(self._peak_in_flight, self._in_flight)
            fault = self._pick_fault(settings)
            if not refuse:
                fault = self._take_rule(request) or fault
            delay = self._delay(settings)
        arrived = time.time()
        status: int | None = None
        if refuse:
            response = self.application.refusal_response(request)
            self._logged(request, arrived, response.status)
            return response
        try:
            if delay:
                time.sleep(delay)
            response = self._serve(request, handle, fault, settings)
            status = response.status
            return response
        finally:
            with self._lock:
                self._in_flight -= 1
            self._logged(request, arrived, status)

    def _logged(self, request: Request, arrived: float, status: int | None) -> None:
        """Keep one request in the log (``status`` None: dropped without an answer)."""
        detail = request.arg("q") or ""
        query = bool(detail) or request.path.rstrip("/").endswith("/suiteql")
        size = QUERY_EXCERPT if query else EXCERPT
        if not detail and request.body:
            detail = request.body[: size * 8].decode("utf-8", "replace")
        if len(detail) > size:  # its start and its end (where a query's WHERE is)
            detail = detail[: size // 2] + " ... " + detail[-size // 2 :]
        entry = {
            "method": request.method,
            "path": request.path,
            "detail": detail,
            "status": status,
            "started": arrived,
            "ended": time.time(),
        }
        with self._lock:
            self._log.append(entry)

    def _serve(
        self,
        request: Request,
        handle: Callable[[Request], Response],
        fault: str | None,
        settings: GovernanceSettings,
    ) -> Response:
        if fault is not None:
            self._count(f"fault_{fault}")
        if fault in ("429", "500", "503"):
            return self.application.fault_response(fault, request)
        if fault == "timeout":
            time.sleep(settings.timeout_seconds)
            raise DropConnection
        if fault == "drop":
            raise DropConnection
        if fault == "slow":
            time.sleep(settings.slow_ms / 1000)
        response = handle(request)
        if fault in ("drop_after", "timeout_after"):
            # The work is done but the caller never hears: the ambiguous failure idempotency must absorb.
            if fault == "timeout_after":
                time.sleep(settings.timeout_seconds)  # past the caller's read time-out, as it would see it
            raise DropConnection
        self._count(f"status_{response.status // 100}xx")
        return response

    def _pick_fault(self, settings: GovernanceSettings) -> str | None:
        if settings.fault_rate and self._random.random() < settings.fault_rate:
            return self._random.choice(settings.fault_kinds)
        return None

    def _take_rule(self, request: Request) -> str | None:
        """The kind of the first pending rule matching ``request``, used up once (call under the lock)."""
        for rule in self._rules:
            if rule.matches(request):
                rule.times -= 1
                if rule.times == 0:
                    self._rules.remove(rule)
                return rule.kind
        return None

    def _delay(self, settings: GovernanceSettings) -> float:
        if not settings.latency_ms and not settings.jitter_ms:
            return 0.0
        return (settings.latency_ms + self._random.uniform(0, settings.jitter_ms)) / 1000

    def _count(self, key: str) -> None:
        with self._lock:
            self._stats[key] += 1

    def stats(self) -> dict[str, Any]:
        with self._lock:
            counters = dict(self._stats)
            return {
                "in_flight": self._in_flight,
                "peak_in_flight": self._peak_in_flight,
                "concurrency_limit": self.settings.concurrency_limit,
                "counters": counters,
            }

    def reset_stats(self) -> None:
        with self._lock:
            self._stats.clear()
            self._peak_in_flight = self._in_flight

    def _control_settings(self, request: Request) -> Response:
        if request.method == "GET":
            return Response.json(200, asdict(self.settings))
        if request.method in ("PATCH", "POST", "PUT"):
            try:
                changes = request.json()
                if not isinstance(changes, dict):
                    raise ValueError("send a JSON object of settings")
                with self._lock:
                    self.settings.update(changes)
            except ValueError as exc:
                return Response.json(400, {"error": str(exc)})
            return Response.json(200, asdict(self.settings))
        return Response.json(405, {"error": "use GET or PATCH"})

    def _control_faults(self, request: Request) -> Response:
        if request.method == "DELETE":
            with self._lock:
                self._rules.clear()
            return Response.empty(204)
        if request.method == "POST":
            try:
                rule = FaultRule.parse(request.json() if request.body else None)
            except ValueError as exc:
                return Response.json(400, {"error": str(exc)})
            with self._lock:
                self._rules.append(rule)
                pending = [asdict(r) for r in self._rules]
            return Response.json(201, {"faults": pending})
        if request.method == "GET":
            with self._lock:
                return Response.json(200, {"faults": [asdict(r) for r in self._rules]})
        return Response.json(405, {"error": "use GET, POST or DELETE"})

    def requests(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._log)

    def _control_requests(self, request: Request) -> Response:
        if request.method == "DELETE":
            with self._lock:
                self._log.clear()
            return Response.empty(204)
        return Response.json(200, {"requests": self.requests()})

    def _control_stats(self, request: Request) -> Response:
        if request.method == "DELETE":
            self.reset_stats()
            return Response.empty(204)
        return Response.json(200, self.stats())
