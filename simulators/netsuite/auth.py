"""Token-based authentication (OAuth 1.0a, RFC 5849) verified the way NetSuite does.

The signature base string is built from what the client really sent: the method, the base URI as
the client addressed it (scheme, the ``Host`` header, the raw path), and the sorted, percent-encoded
parameters of the query string, the ``oauth_*`` header parameters (``realm`` and ``oauth_signature``
excluded) and, per RFC 5849 section 3.4.1.3, a form-encoded body. JSON bodies are not signed.
HMAC-SHA256 with key ``consumer_secret&token_secret``, compared in constant time. Every refusal is
401 ``INVALID_LOGIN``: a missing or malformed header, another signature method, a realm that is not
the account id, an unknown consumer or token, a timestamp outside the window, a nonce seen before.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import parse_qsl, quote, unquote

from simulators.core.http import Request
from simulators.netsuite.errors import invalid_login
from simulators.netsuite.store import NetSuiteStore

_PARAM = re.compile(r'\s*([A-Za-z0-9_\-]+)\s*=\s*"([^"]*)"\s*(?:,|$)')
_REQUIRED = (
    "oauth_consumer_key",
    "oauth_token",
    "oauth_signature_method",
    "oauth_timestamp",
    "oauth_nonce",
    "oauth_signature",
)


@dataclass(frozen=True)
class Integration:
    """An integration record's consumer key/secret with one user's access token."""

    consumer_key: str
    consumer_secret: str
    token_id: str
    token_secret: str
    name: str = ""


class TokenRegistry:
    """Access tokens by id, kept in the store so registered integrations survive a restart."""

    def __init__(self, store: NetSuiteStore) -> None:
        self.store = store
        self._tokens: dict[str, Integration] = {}
        for row in store.read().execute(
            "SELECT consumer_key, consumer_secret, token_id, token_secret, name "
            "FROM ns_integration WHERE revoked = 0"
        ):
            self._tokens[row[2]] = Integration(*row)

    def register(self, integration: Integration) -> None:
        for name in ("consumer_key", "consumer_secret", "token_id", "token_secret"):
            if not getattr(integration, name):
                raise ValueError(f"{name} is required")
        with self.store.write() as connection:
            connection.execute(
                "REPLACE INTO ns_integration "
                "(token_id, token_secret, consumer_key, consumer_secret, name, revoked) "
                "VALUES (?, ?, ?, ?, ?, 0)",
                (
                    integration.token_id,
                    integration.token_secret,
                    integration.consumer_key,
                    integration.consumer_secret,
                    integration.name,
                ),
            )
        self._tokens[integration.token_id] = integration

    def revoke(self, token_id: str) -> bool:
        with self.store.write() as connection:
            connection.execute("UPDATE ns_integration SET revoked = 1 WHERE token_id = ?", (token_id,))
        return self._tokens.pop(token_id, None) is not None

    def find(self, consumer_key: str, token_id: str) -> Integration | None:
        integration = self._tokens.get(token_id)
        if integration is None or not hmac.compare_digest(integration.consumer_key, consumer_key):
            return None
        return integration

    def listing(self) -> list[dict[str, str]]:
        return [
            {"name": i.name, "consumer_key": i.consumer_key, "token_id": i.token_id}
            for i in self._tokens.values()
        ]


class NonceCache:
    """Nonces that could still be replayed, per consumer and token, in bounded memory.

    A nonce only needs remembering until its own timestamp leaves the window; entries are 64-bit
    hashes grouped by that expiry second and dropped a second at a time, so 1,500 requests/s cost a few
    tens of MB, not hundreds.
    """

    def __init__(self, window: float, max_entries: int = 2_000_000) -> None:
        self.window = window
        self.max_entries = max_entries
        self._seen: set[int] = set()
        self._expiring: dict[int, list[int]] = {}
        self._purged_at = 0
        self._lock = threading.Lock()

    def first_use(self, key: tuple[str, str, str], timestamp: float, now: float) -> bool:
        digest = hash(key)
        with self._lock:
            if int(now) != self._purged_at:
                self._purge(int(now))
            if digest in self._seen:
                return False
            while len(self._seen) >= self.max_entries and self._expiring:
                self._drop(min(self._expiring))
            self._seen.add(digest)
            self._expiring.setdefault(int(timestamp + self.window) + 1, []).append(digest)
            return True

    def _purge(self, second: int) -> None:
        self._purged_at = second
        for expiry in [expiry for expiry in self._expiring if expiry < second]:
            self._drop(expiry)

    def _drop(self, expiry: int) -> None:
        self._seen.difference_update(self._expiring.pop(expiry))

    def __len__(self) -> int:
        return len(self._seen)


_UNRESERVED = re.compile(r"[A-Za-z0-9._~-]*")
_ESCAPES = {code: f"%{code:02X}" for code in range(128) if not _UNRESERVED.fullmatch(chr(code))}


def encode(text: str) -> str:
    """RFC 5849 section 3.6 percent-encoding (unreserved characters stay)."""
    # urllib's quote loops in Python and costs more than the HMAC itself; ASCII goes through str.translate.
    if _UNRESERVED.fullmatch(text):
        return text
    return text.translate(_ESCAPES) if text.isascii() else quote(text, safe="~")


def parse_header(header: str) -> dict[str, str]:
    if not header[:6].lower() == "oauth ":
        raise invalid_login("the Authorization header is not an OAuth header")
    params: dict[str, str] = {}
    rest = header[6:].strip()
    position = 0
    while position < len(rest):
        match = _PARAM.match(rest, position)
        if match is None:
            raise invalid_login("the OAuth header cannot be parsed")
        name, value = match.group(1), match.group(2)
        if "%" in value:
            value = unquote(value)
        if name in params:
            raise invalid_login(f"the OAuth parameter {name} appears twice")
        params[name] = value
        position = match.end()
    return params


def base_string(request: Request, oauth_params: dict[str, str]) -> str:
    host = request.host.lower()
    if host.endswith(":443"):
        host = host[:-4]
    path, _, query = request.raw_path.partition("?")
    pairs = parse_qsl(query, keep_blank_values=True)
    pairs += [
        (name, value) for name, value in oauth_params.items() if name not in ("realm", "oauth_signature")
    ]
    if request.header("Content-Type").split(";")[0].strip().lower() == "application/x-www-form-urlencoded":
        pairs += parse_qsl(request.body.decode("utf-8", "replace"), keep_blank_values=True)
    normalized = "&".join(
        f"{name}={value}" for name, value in sorted((encode(n), encode(v)) for n, v in pairs)
    )
    return "&".join((request.method.upper(), encode(f"{request.scheme}://{host}{path}"), encode(normalized)))


def sign(base: str, consumer_secret: str, token_secret: str) -> str:
    key = f"{encode(consumer_secret)}&{encode(token_secret)}".encode()
    return base64.b64encode(hmac.new(key, base.encode(), hashlib.sha256).digest()).decode()


class OAuth1Verifier:
    def __init__(
        self, account_id: str, tokens: TokenRegistry, *, window: float, clock: Callable[[], float] = time.time
    ) -> None:
        self.account_id = account_id
        self.tokens = tokens
        self.window = window
        self.clock = clock
        self.nonces = NonceCache(window)

    def verify(self, request: Request, header: str) -> Integration:
        params = parse_header(header)
        missing = [name for name in _REQUIRED if not params.get(name)]
        if missing:
            raise invalid_login(f"the OAuth header lacks {', '.join(missing)}")
        if params.get("realm") != self.account_id:
            raise invalid_login(f"realm must be the account id {self.account_id!r}")
        if params["oauth_signature_method"] != "HMAC-SHA256":
            raise invalid_login("only the HMAC-SHA256 signature method is accepted")
        if params.get("oauth_version", "1.0") != "1.0":
            raise invalid_login("oauth_version must be 1.0")
        try:
            timestamp = int(params["oauth_timestamp"])
        except ValueError:
            raise invalid_login("oauth_timestamp is not a number") from None
        now = self.clock()
        if abs(now - timestamp) > self.window:
            raise invalid_login(
                f"oauth_timestamp is more than {self.window:.0f} seconds from the server's clock"
            )
        integration = self.tokens.find(params["oauth_consumer_key"], params["oauth_token"])
        if integration is None:
            raise invalid_login("unknown consumer key or token")
        expected = sign(base_string(request, params), integration.consumer_secret, integration.token_secret)
        if not hmac.compare_digest(expected, params["oauth_signature"]):
            raise invalid_login("the signature does not match")
        key = (integration.consumer_key, integration.token_id, params["oauth_nonce"])
        if not self.nonces.first_use(key, timestamp, now):
            raise invalid_login("this nonce was already used")
        return integration
