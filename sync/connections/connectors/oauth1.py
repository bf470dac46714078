"""OAuth 1.0a request signing for NetSuite's token-based authentication, lean enough for every request.

NetSuite signs with HMAC-SHA256 only, in the Authorization header; JSON bodies are not part of the
signature, query parameters are (RFC 5849 section 3.4.1; ../shared/API-FACTS.md). requests-oauthlib
does the same through oauthlib's general machinery (a Request object, every parameter source, escaping
one character at a time), which cost a worker about 1.3 ms of CPU per request, more than the rest of
preparing it. :class:`TokenSigner` computes the same header directly (tests compare the two, byte for
byte, for the same nonce and timestamp). A form-encoded body, whose parameters would be signed too, is
handed to requests-oauthlib unchanged.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import time
from urllib.parse import parse_qsl, quote, urlsplit

import requests
from requests_oauthlib import OAuth1

SIGNATURE_METHOD = "HMAC-SHA256"
_FORM = "application/x-www-form-urlencoded"
_UNRESERVED = re.compile(r"[A-Za-z0-9._~-]*").fullmatch
# Every ASCII character but the unreserved ones, to its percent-encoding: str.translate does in C what
# quote does one byte at a time in Python (the signature base string is a few hundred characters).
_ASCII_ESCAPES = {code: f"%{code:02X}" for code in range(128) if not _UNRESERVED(chr(code))}


def escape(text: str) -> str:
    """RFC 5849 section 3.6: every character but the unreserved ones percent-encoded (UTF-8)."""
    if _UNRESERVED(text):
        return text
    if text.isascii():
        return text.translate(_ASCII_ESCAPES)
    return quote(text, safe="~")


def base_string_uri(url: str) -> str:
    """RFC 5849 section 3.4.1.2: scheme and host in lower case, the default port left out, no query."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    host = parts.hostname or ""
    if ":" in host:  # an IPv6 address
        host = f"[{host}]"
    port = parts.port
    netloc = host if port is None or (scheme, port) in (("http", 80), ("https", 443)) else f"{host}:{port}"
    path = parts.path or "/"
    return f"{scheme}://{netloc}{path}".replace(" ", "%20")


def oauth_timestamp() -> str:
    """Seconds since the epoch, as the signature's ``oauth_timestamp`` (NetSuite refuses one far off)."""
    return str(int(time.time()))


class TokenSigner(requests.auth.AuthBase):
    """Signs each request with the connection's token (an Authorization header, HMAC-SHA256)."""

    def __init__(
        self, consumer_key: str, consumer_secret: str, token_id: str, token_secret: str, realm: str
    ) -> None:
        self.consumer_key = consumer_key
        self.token_id = token_id
        self.realm = realm
        self._key = f"{escape(consumer_secret)}&{escape(token_secret)}".encode()
        self._fallback = OAuth1(
            consumer_key,
            client_secret=consumer_secret,
            resource_owner_key=token_id,
            resource_owner_secret=token_secret,
            realm=realm,
            signature_method=SIGNATURE_METHOD,
        )

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        content_type = request.headers.get("Content-Type", "")
        if isinstance(content_type, bytes):
            content_type = content_type.decode()
        if _FORM in content_type or (not content_type and request.body):
            # A form's parameters are signed too (and a body without a type may be one): oauthlib decides.
            signed: requests.PreparedRequest = self._fallback(request)
            return signed
        request.headers["Authorization"] = self.header(request.method or "GET", request.url or "")
        return request

    def header(self, method: str, url: str, *, nonce: str | None = None, timestamp: str | None = None) -> str:
        """The Authorization header for ``method`` on ``url`` (``nonce`` and ``timestamp`` for tests)."""
        timestamp = timestamp or oauth_timestamp()
        nonce = nonce or f"{secrets.randbits(64)}{timestamp}"
        oauth = [
            ("oauth_nonce", nonce),
            ("oauth_timestamp", timestamp),
            ("oauth_version", "1.0"),
            ("oauth_signature_method", SIGNATURE_METHOD),
            ("oauth_consumer_key", self.consumer_key),
            ("oauth_token", self.token_id),
        ]
        query = urlsplit(url).query
        params = [*parse_qsl(query, keep_blank_values=True), *oauth] if query else list(oauth)
        normalized = "&".join(f"{k}={v}" for k, v in sorted((escape(k), escape(v)) for k, v in params))
        base = f"{escape(method.upper())}&{escape(base_string_uri(url))}&{escape(normalized)}"
        digest = hmac.new(self._key, base.encode(), hashlib.sha256).digest()
        oauth.append(("oauth_signature", base64.b64encode(digest).decode()))
        fields = ", ".join(f'{escape(k)}="{escape(v)}"' for k, v in oauth)
        return f'OAuth realm="{self.realm}", {fields}' if self.realm else f"OAuth {fields}"
