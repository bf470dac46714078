"""A small threaded HTTPS/1.1 server with keep-alive, built on the standard library.

Each simulator is an :class:`Application`: it turns a :class:`Request` into a :class:`Response`.
The server owns sockets, TLS, keep-alive and the governance hooks (latency, concurrency limit,
faults), so the vendors' code stays about the vendors' protocols.
"""

from __future__ import annotations

import json
import socket
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import Message
from email.utils import formatdate
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol
from urllib.parse import parse_qs, unquote, urlsplit

from simulators.core.tls import CertificatePaths

MAX_BODY_BYTES = 64 * 1024 * 1024


@dataclass
class Request:
    method: str
    raw_path: str
    path: str
    query: dict[str, list[str]]
    headers: Message
    body: bytes
    client: tuple[str, int]
    scheme: str = "https"
    host: str = ""

    def header(self, name: str, default: str = "") -> str:
        value = self.headers.get(name)
        return default if value is None else str(value)

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default

    def json(self) -> Any:
        """The body as JSON; raises ``ValueError`` on a body that is not JSON."""
        if not self.body:
            raise ValueError("empty body")
        return json.loads(self.body)

    @property
    def base_url(self) -> str:
        return f"{self.scheme}://{self.host}"


@dataclass
class Response:
    status: int
    body: bytes = b""
    headers: list[tuple[str, str]] = field(default_factory=list)
    # Set by fault injection: close the connection after (or instead of) answering.
    drop_connection: bool = False

    @classmethod
    def json(cls, status: int, payload: Any, headers: list[tuple[str, str]] | None = None) -> Response:
        body = json.dumps(payload, separators=(",", ":"), default=str).encode()
        return cls(status, body, [("Content-Type", "application/json;charset=UTF-8"), *(headers or [])])

    @classmethod
    def empty(cls, status: int, headers: list[tuple[str, str]] | None = None) -> Response:
        return cls(status, b"", list(headers or []))

    @classmethod
    def text(cls, status: int, text: str, content_type: str = "text/plain; charset=utf-8") -> Response:
        return cls(status, text.encode(), [("Content-Type", content_type)])

    def header(self, name: str) -> str | None:
        lowered = name.lower()
        for key, value in self.headers:
            if key.lower() == lowered:
                return value
        return None


class DropConnection(Exception):
    """Raised by an application or fault to close the socket without sending a response."""


class Application(Protocol):
    def handle(self, request: Request) -> Response: ...


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: SimulatorServer

    # Keep idle keep-alive connections from pinning threads forever.
    timeout = 120

    def setup(self) -> None:
        super().setup()
        try:
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        if self.server.access_log:
            super().log_message(format, *args)

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            total = 0
            while True:
                size_line = self.rfile.readline(1024)
                size = int(size_line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                        pass
                    break
                total += size
                if total > MAX_BODY_BYTES:
                    raise ValueError("body too large")
                chunks.append(self.rfile.read(size))
                self.rfile.readline(8)
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY_BYTES:
            raise ValueError("body too large")
        return self.rfile.read(length) if length else b""

    def _dispatch(self) -> None:
        try:
            body = self._read_body()
        except ValueError:
            self._send(Response.text(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "request body too large"))
            self.close_connection = True
            return
        split = urlsplit(self.path)
        request = Request(
            method=self.command,
            raw_path=self.path,
            path=unquote(split.path),
            query=parse_qs(split.query, keep_blank_values=True),
            headers=self.headers,
            body=body,
            client=self.client_address[:2],
            host=self.headers.get("Host") or f"{self.server.server_address[0]!s}:{self.server.server_port}",
        )
        try:
            response = self.server.gate(request, self.server.application.handle)
        except DropConnection:
            self.close_connection = True
            self._abort()
            return
        self._send(response)
        if response.drop_connection:
            self.close_connection = True
            self._abort()

    def _abort(self) -> None:
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def _send(self, response: Response) -> None:
        # One write per response: separate header and body writes interact badly with delayed ACKs.
        reason = (
            HTTPStatus(response.status).phrase if response.status in HTTPStatus._value2member_map_ else ""
        )
        lines = [f"HTTP/1.1 {response.status} {reason}"]
        has_length = False
        if not any(key.lower() == "date" for key, _ in response.headers):
            # Like every origin server with a clock (RFC 9110 6.6.1); clients use it to spot clock skew.
            lines.append(f"Date: {formatdate(usegmt=True)}")
        for key, value in response.headers:
            has_length = has_length or key.lower() == "content-length"
            lines.append(f"{key}: {value}")
        if not has_length:
            lines.append(f"Content-Length: {len(response.body)}")
        if self.close_connection or response.drop_connection:
            lines.append("Connection: close")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        try:
            self.wfile.write(head + response.body)
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
            self.close_connection = True

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _dispatch


Gate = Callable[[Request, Callable[[Request], Response]], Response]


class SimulatorServer(ThreadingHTTPServer):
    """Thread per connection; TLS handshakes happen in the connection's thread, not the accept loop."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 512

    def __init__(
        self,
        address: tuple[str, int],
        application: Application,
        *,
        certificates: CertificatePaths | None,
        gate: Gate | None = None,
        access_log: bool = False,
    ) -> None:
        self.application = application
        self.gate: Gate = gate or (lambda request, handle: handle(request))
        self.access_log = access_log
        self.ssl_context: ssl.SSLContext | None = None
        if certificates is not None:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.minimum_version = ssl.TLSVersion.TLSv1_2
            context.load_cert_chain(certificates.cert, certificates.key)
            self.ssl_context = context
        super().__init__(address, _Handler)

    def finish_request(self, request: Any, client_address: Any) -> None:
        if self.ssl_context is not None:
            try:
                request.settimeout(30)
                request = self.ssl_context.wrap_socket(request, server_side=True)
                request.settimeout(None)
            except (ssl.SSLError, OSError):
                return
        super().finish_request(request, client_address)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients that hang up mid-request are routine under fault injection; stay quiet.
        pass

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        host = host.decode() if isinstance(host, bytes) else host
        scheme = "https" if self.ssl_context else "http"
        return f"{scheme}://{host}:{port}"

    def start_in_thread(self) -> threading.Thread:
        # A short poll interval makes shutdown() (every test's teardown) take ~50 ms instead of ~500 ms.
        thread = threading.Thread(
            target=self.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"simulator-{self.server_port}",
            daemon=True,
        )
        thread.start()
        return thread
