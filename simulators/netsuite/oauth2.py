"""OAuth 2.0 machine-to-machine (client credentials with a signed JWT assertion) and bearer tokens.

``POST /services/rest/auth/oauth2/v1/token`` with ``grant_type=client_credentials``,
``client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer`` and
``client_assertion`` = a JWT signed PS256/384/512 or ES256/384/512 whose header ``kid`` is a
registered certificate id. Claims: ``iss`` = the integration's client id, ``aud`` = this token URL,
``scope`` containing ``rest_webservices`` (string or list), ``iat`` and ``exp`` at most an hour apart.
Answers ``{"access_token", "token_type": "bearer", "expires_in": 3600}``. Certificates are registered
through ``POST /_control/netsuite/certificates``. Access tokens live in memory: a restart invalidates
them, and a client simply asks for a new one.
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
import threading
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from simulators.core.http import Request, Response
from simulators.netsuite.store import NetSuiteStore

TOKEN_SECONDS = 3600
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
_HASHES: dict[str, Callable[[], hashes.HashAlgorithm]] = {
    "256": hashes.SHA256,
    "384": hashes.SHA384,
    "512": hashes.SHA512,
}
_CURVE_BYTES = {"256": 32, "384": 48, "512": 66}


class TokenError(Exception):
    def __init__(self, error: str, description: str) -> None:
        super().__init__(description)
        self.error = error
        self.description = description


def load_public_key(pem: str) -> Any:
    """A public key from a PEM public key or certificate; raises ``ValueError``."""
    data = pem.encode()
    if b"CERTIFICATE" in data:
        return x509.load_pem_x509_certificate(data).public_key()
    return serialization.load_pem_public_key(data)


def _b64(segment: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    except (binascii.Error, ValueError):
        raise TokenError("invalid_request", "the client assertion is not a JWT") from None


class CertificateRegistry:
    """Certificates (public keys) uploaded for M2M integrations, by certificate id."""

    def __init__(self, store: NetSuiteStore) -> None:
        self.store = store
        self._keys: dict[str, tuple[str, Any]] = {}
        for certificate_id, client_id, pem in store.read().execute(
            "SELECT certificate_id, client_id, public_key_pem FROM ns_certificate"
        ):
            self._keys[certificate_id] = (client_id, load_public_key(pem))

    def register(self, certificate_id: str, client_id: str, pem: str) -> None:
        if not certificate_id or not client_id:
            raise ValueError("certificate_id and client_id are required")
        try:
            key = load_public_key(pem)
        except (ValueError, TypeError) as exc:
            raise ValueError(f"public_key_pem is not a PEM public key or certificate: {exc}") from None
        if not isinstance(key, rsa.RSAPublicKey | ec.EllipticCurvePublicKey):
            raise ValueError("only RSA (PS256/384/512) and EC (ES256/384/512) keys are supported")
        with self.store.write() as connection:
            connection.execute(
                "REPLACE INTO ns_certificate (certificate_id, client_id, public_key_pem) VALUES (?, ?, ?)",
                (certificate_id, client_id, pem),
            )
        self._keys[certificate_id] = (client_id, key)

    def find(self, certificate_id: str) -> tuple[str, Any] | None:
        return self._keys.get(certificate_id)


class TokenService:
    def __init__(self, certificates: CertificateRegistry, *, clock: Callable[[], float] = time.time) -> None:
        self.certificates = certificates
        self.clock = clock
        self._tokens: dict[str, float] = {}
        self._lock = threading.Lock()

    def token_endpoint(self, request: Request, token_url: str) -> Response:
        if request.method != "POST":
            return Response.json(405, {"error": "invalid_request", "error_description": "use POST"})
        try:
            form = {
                key: values[0]
                for key, values in parse_qs(
                    request.body.decode("utf-8", "replace"), keep_blank_values=True
                ).items()
            }
            if form.get("grant_type") != "client_credentials":
                raise TokenError("unsupported_grant_type", "grant_type must be client_credentials")
            if form.get("client_assertion_type") != ASSERTION_TYPE:
                raise TokenError("invalid_request", f"client_assertion_type must be {ASSERTION_TYPE}")
            self.verify_assertion(form.get("client_assertion", ""), token_url)
        except TokenError as error:
            status = 401 if error.error == "invalid_client" else 400
            return Response.json(status, {"error": error.error, "error_description": error.description})
        token = secrets.token_urlsafe(48)
        with self._lock:
            now = self.clock()
            if len(self._tokens) > 10_000:
                self._tokens = {key: expiry for key, expiry in self._tokens.items() if expiry > now}
            self._tokens[token] = now + TOKEN_SECONDS
        return Response.json(
            200, {"access_token": token, "token_type": "bearer", "expires_in": TOKEN_SECONDS}
        )

    def verify_assertion(self, assertion: str, token_url: str) -> None:
        parts = assertion.split(".")
        if len(parts) != 3:
            raise TokenError("invalid_request", "the client assertion is not a JWT")
        try:
            header, claims = json.loads(_b64(parts[0])), json.loads(_b64(parts[1]))
        except ValueError:
            raise TokenError("invalid_request", "the client assertion is not a JWT") from None
        if not isinstance(header, dict) or not isinstance(claims, dict):
            raise TokenError("invalid_request", "the client assertion is not a JWT")
        algorithm = str(header.get("alg", ""))
        if algorithm[:2] not in ("PS", "ES") or algorithm[2:] not in _HASHES:
            raise TokenError(
                "invalid_request", "the assertion must be signed with PS256/384/512 or ES256/384/512"
            )
        found = self.certificates.find(str(header.get("kid", "")))
        if found is None:
            raise TokenError("invalid_client", "the kid of the assertion is not a registered certificate id")
        client_id, key = found
        _verify_signature(key, algorithm, f"{parts[0]}.{parts[1]}".encode(), _b64(parts[2]))
        if claims.get("iss") != client_id:
            raise TokenError("invalid_client", "iss must be the client id of the integration")
        audience = claims.get("aud")
        if token_url not in (audience if isinstance(audience, list) else [audience]):
            raise TokenError("invalid_request", f"aud must be {token_url}")
        now = self.clock()
        issued, expires = claims.get("iat"), claims.get("exp")
        if not isinstance(issued, int | float) or not isinstance(expires, int | float):
            raise TokenError("invalid_request", "iat and exp are required")
        if issued > now + 300 or expires <= now or expires - issued > TOKEN_SECONDS:
            raise TokenError(
                "invalid_grant", "the assertion is expired, not yet valid, or lives over an hour"
            )
        scope = claims.get("scope")
        scopes = scope if isinstance(scope, list) else str(scope or "").replace(",", " ").split()
        if "rest_webservices" not in scopes:
            raise TokenError("invalid_scope", "scope must include rest_webservices")

    def valid(self, token: str) -> bool:
        expiry = self._tokens.get(token)
        return expiry is not None and expiry > self.clock()


def _verify_signature(key: Any, algorithm: str, signed: bytes, signature: bytes) -> None:
    digest = _HASHES[algorithm[2:]]()
    try:
        if algorithm.startswith("PS"):
            if not isinstance(key, rsa.RSAPublicKey):
                raise TokenError("invalid_client", "a PS* assertion needs an RSA certificate")
            key.verify(
                signature,
                signed,
                padding.PSS(mgf=padding.MGF1(digest), salt_length=digest.digest_size),
                digest,
            )
        else:
            if not isinstance(key, ec.EllipticCurvePublicKey):
                raise TokenError("invalid_client", "an ES* assertion needs an EC certificate")
            size = _CURVE_BYTES[algorithm[2:]]
            if len(signature) != 2 * size:
                raise TokenError("invalid_grant", "the assertion's signature does not verify")
            r, s = int.from_bytes(signature[:size], "big"), int.from_bytes(signature[size:], "big")
            key.verify(encode_dss_signature(r, s), signed, ec.ECDSA(digest))
    except InvalidSignature:
        raise TokenError("invalid_grant", "the assertion's signature does not verify") from None
