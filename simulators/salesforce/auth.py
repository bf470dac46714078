"""OAuth 2.0 for the simulated org: ``POST /services/oauth2/token`` and bearer-token checks.

Grants: ``password`` (password and security token concatenated, with the connected app's client id and
secret), ``client_credentials`` (client id and secret in the body or HTTP Basic) and
``urn:ietf:params:oauth:grant-type:jwt-bearer`` (an RS256 JWT signed with the connected app's private
key, verified against its registered certificate). Failures answer 400 with Salesforce's
``{"error", "error_description"}`` pairs. Sessions are stored (hashed) in SQLite with their expiry, so
a restart keeps them valid; the hot path checks an in-memory cache first.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from simulators.core.http import Request, Response
from simulators.core.store import SqliteStore
from simulators.salesforce.store import get_meta, set_meta

JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
LOGIN_AUDIENCES = ("https://login.salesforce.com", "https://test.salesforce.com")
_CERTIFICATE_KEY = "jwt_certificate_pem"


@dataclass(frozen=True)
class Credentials:
    """The org's one integration user and its connected app."""

    org_id: str
    user_id: str
    username: str
    password: str
    security_token: str
    client_id: str
    client_secret: str
    session_seconds: float


class OAuthFailure(Exception):
    def __init__(self, error: str, description: str) -> None:
        super().__init__(description)
        self.error = error
        self.description = description


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _b64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Sessions:
    """Issues access tokens and answers "is this bearer token a live session?"."""

    def __init__(self, store: SqliteStore, credentials: Credentials) -> None:
        self.store = store
        self.credentials = credentials
        self._cache: dict[str, float] = {}
        self._lock = threading.Lock()

    # -- the hot path ---------------------------------------------------------------------------

    def is_valid(self, authorization: str) -> bool:
        scheme, _, token = authorization.partition(" ")
        if not token or scheme.lower() not in ("bearer", "oauth"):
            return False
        token = token.strip()
        expires = self._cache.get(token)
        if expires is None:
            row = (
                self.store.read()
                .execute("SELECT expires_at FROM _token WHERE digest = ?", (_digest(token),))
                .fetchone()
            )
            if row is None:
                return False
            expires = float(row[0])
            with self._lock:
                self._cache[token] = expires
        return expires > time.time()

    # -- issuing --------------------------------------------------------------------------------

    def issue(self) -> str:
        """A new session for the integration user (also used for outbound messages' SessionId)."""
        token = f"{self.credentials.org_id[:15]}!{secrets.token_urlsafe(72)}"
        now = time.time()
        expires = now + self.credentials.session_seconds
        with self.store.write() as connection:
            connection.execute("DELETE FROM _token WHERE expires_at < ?", (now - 86400,))
            connection.execute(
                "INSERT INTO _token (digest, user_id, issued_at, expires_at) VALUES (?, ?, ?, ?)",
                (_digest(token), self.credentials.user_id, now, expires),
            )
        with self._lock:
            self._cache[token] = expires
        return token

    def expire_all(self) -> int:
        with self.store.write() as connection:
            count = connection.execute("UPDATE _token SET expires_at = 0 WHERE expires_at > 0").rowcount
        with self._lock:
            self._cache.clear()
        return int(count)

    def token_response(self, request: Request, instance_url: str) -> Response:
        """``POST /services/oauth2/token``."""
        if request.method != "POST":
            return Response.json(400, {"error": "invalid_request", "error_description": "must use HTTP POST"})
        form = {key: values[0] for key, values in request.query.items()}
        try:
            form.update({key: values[0] for key, values in parse_qs(request.body.decode()).items()})
        except UnicodeDecodeError:
            pass
        try:
            grant = form.get("grant_type", "")
            if grant == "password":
                self._password(form)
            elif grant == "client_credentials":
                self._client_credentials(form, request.header("Authorization"))
            elif grant == JWT_GRANT:
                self._jwt(form.get("assertion", ""), instance_url)
            else:
                raise OAuthFailure("unsupported_grant_type", "grant type not supported")
        except OAuthFailure as failure:
            return Response.json(400, {"error": failure.error, "error_description": failure.description})
        token = self.issue()
        issued_at = str(int(time.time() * 1000))
        identity = f"{instance_url}/id/{self.credentials.org_id}/{self.credentials.user_id}"
        signature = base64.b64encode(
            hmac.new(
                self.credentials.client_secret.encode(), (identity + issued_at).encode(), hashlib.sha256
            ).digest()
        ).decode()
        return Response.json(
            200,
            {
                "access_token": token,
                "instance_url": instance_url,
                "id": identity,
                "token_type": "Bearer",
                "issued_at": issued_at,
                "signature": signature,
                "scope": "api",
            },
        )

    # -- grants ---------------------------------------------------------------------------------

    def _check_client(self, client_id: str, client_secret: str | None) -> None:
        if not hmac.compare_digest(client_id, self.credentials.client_id):
            raise OAuthFailure("invalid_client_id", "client identifier invalid")
        if client_secret is not None and not hmac.compare_digest(
            client_secret, self.credentials.client_secret
        ):
            raise OAuthFailure("invalid_client", "invalid client credentials")

    def _password(self, form: dict[str, str]) -> None:
        self._check_client(form.get("client_id", ""), form.get("client_secret", ""))
        expected = self.credentials.password + self.credentials.security_token
        if form.get("username", "").lower() != self.credentials.username.lower() or not hmac.compare_digest(
            form.get("password", ""), expected
        ):
            raise OAuthFailure("invalid_grant", "authentication failure")

    def _client_credentials(self, form: dict[str, str], authorization: str) -> None:
        client_id, client_secret = form.get("client_id", ""), form.get("client_secret", "")
        if authorization.lower().startswith("basic "):
            try:
                decoded = base64.b64decode(authorization[6:].strip()).decode()
            except (binascii.Error, UnicodeDecodeError):
                raise OAuthFailure("invalid_client", "invalid client credentials") from None
            client_id, _, client_secret = decoded.partition(":")
        if not client_id:
            raise OAuthFailure("invalid_client", "invalid client credentials")
        try:
            self._check_client(client_id, client_secret)
        except OAuthFailure:
            raise OAuthFailure("invalid_client", "invalid client credentials") from None

    def _jwt(self, assertion: str, instance_url: str) -> None:
        claims = self._verified_claims(assertion)
        if str(claims.get("iss", "")) != self.credentials.client_id:
            raise OAuthFailure("invalid_client_id", "client identifier invalid")
        audiences = claims.get("aud")
        audience_list = audiences if isinstance(audiences, list) else [audiences]
        accepted = {url.rstrip("/") for url in (*LOGIN_AUDIENCES, instance_url)}
        if not any(isinstance(aud, str) and aud.rstrip("/") in accepted for aud in audience_list):
            raise OAuthFailure("invalid_grant", "audience is invalid")
        try:
            expires = float(claims.get("exp", 0))
        except (TypeError, ValueError):
            raise OAuthFailure("invalid_grant", "invalid assertion") from None
        if expires < time.time():
            raise OAuthFailure("invalid_grant", "expired authorization code")
        if str(claims.get("sub", "")).lower() != self.credentials.username.lower():
            raise OAuthFailure("invalid_grant", "invalid assertion")

    def _verified_claims(self, assertion: str) -> dict[str, Any]:
        key = self.public_key()
        try:
            header_part, claims_part, signature_part = assertion.split(".")
            header = json.loads(_b64url(header_part))
            claims = json.loads(_b64url(claims_part))
            signature = _b64url(signature_part)
        except (ValueError, binascii.Error, UnicodeDecodeError):
            raise OAuthFailure("invalid_grant", "invalid assertion") from None
        if not isinstance(header, dict) or header.get("alg") != "RS256" or not isinstance(claims, dict):
            raise OAuthFailure("invalid_grant", "invalid assertion")
        if key is None:
            raise OAuthFailure("invalid_grant", "invalid assertion")
        try:
            key.verify(
                signature, f"{header_part}.{claims_part}".encode(), padding.PKCS1v15(), hashes.SHA256()
            )
        except InvalidSignature:
            raise OAuthFailure("invalid_grant", "invalid assertion") from None
        return claims

    # -- the connected app's certificate ---------------------------------------------------------

    def register_certificate(self, pem: str) -> None:
        """Store the connected app's certificate (or public key) PEM; raises ValueError if unusable."""
        _load_public_key(pem)
        with self.store.write() as connection:
            set_meta(connection, _CERTIFICATE_KEY, pem)

    def public_key(self) -> rsa.RSAPublicKey | None:
        pem = get_meta(self.store.read(), _CERTIFICATE_KEY)
        return None if pem is None else _load_public_key(pem)

    def has_certificate(self) -> bool:
        return get_meta(self.store.read(), _CERTIFICATE_KEY) is not None


def _load_public_key(pem: str) -> rsa.RSAPublicKey:
    data = pem.encode() if isinstance(pem, str) else pem
    key: object
    try:
        if b"BEGIN CERTIFICATE" in data:
            key = x509.load_pem_x509_certificate(data).public_key()
        else:
            key = serialization.load_pem_public_key(data)
    except ValueError as exc:
        raise ValueError(f"not a PEM certificate or public key: {exc}") from None
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValueError("the connected app's certificate must hold an RSA key (JWT bearer uses RS256)")
    return key
