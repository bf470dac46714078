"""A requests transport adapter answering from a table, for connector tests that never leave the process."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import BaseAdapter

Answer = tuple[int, Any] | tuple[int, Any, dict[str, str]]


class StubAdapter(BaseAdapter):
    """Answers ``(method, path)`` from ``routes`` (a value or a callable of the request); 404 otherwise.
    Every request is kept in ``sent``."""

    def __init__(self, routes: dict[tuple[str, str], Answer | Callable[[requests.PreparedRequest], Answer]]):
        super().__init__()
        self.routes = routes
        self.sent: list[requests.PreparedRequest] = []

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        self.sent.append(request)
        key = (str(request.method), urlsplit(str(request.url)).path)
        route = self.routes.get(key)
        answer: Answer = route(request) if callable(route) else route or (404, {"error": "no route"})
        status, body = answer[0], answer[1]
        headers = answer[2] if len(answer) > 2 else {}
        response = requests.Response()
        response.status_code = status
        response.request = request
        response.url = str(request.url)
        response._content = body if isinstance(body, bytes) else json.dumps(body).encode()
        response.headers.update({"Content-Type": "application/json", **headers})
        return response

    def close(self) -> None:
        pass
