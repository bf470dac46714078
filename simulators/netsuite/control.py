"""Control endpoints under ``/_control/netsuite/`` (loopback only; never limited, delayed or faulted).

- ``GET  /_control/netsuite``                 account id, record counts, registered tokens (no secrets)
- ``GET|POST /_control/netsuite/tokens``      register an integration + token
  ``{"consumer_key", "consumer_secret", "token_id", "token_secret", "name"?}``;
  ``DELETE /_control/netsuite/tokens/<token_id>`` revokes it
- ``POST /_control/netsuite/certificates``    ``{"certificate_id", "client_id", "public_key_pem"}`` (M2M)
- ``POST /_control/netsuite/custom-fields``   ``{"recordType", "id", "type", "label"?, "sublist"?}`` (400 with
  the reason for a bad or duplicate declaration; kept in the store across restarts)
- ``POST /_control/netsuite/invoice-orders``  ``{"salesOrders": [ids]}`` or ``{"all_open": true, "limit"?}``
- ``POST /_control/netsuite/pay-invoices``    ``{"invoices": [ids]}`` or ``{"all_open": true}``, and
  ``"fraction"`` (of what each invoice still owes)

Governance settings and counters are the core's ``/_control/governance`` and ``/_control/stats``.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from simulators.core.http import Request, Response
from simulators.netsuite.auth import Integration
from simulators.netsuite.errors import NetSuiteError

if TYPE_CHECKING:
    from simulators.netsuite.app import NetSuiteApp

PREFIX = "/_control/netsuite"


def _error(status: int, message: str) -> Response:
    return Response.json(status, {"error": message})


def _body(request: Request) -> dict[str, Any]:
    try:
        body = request.json() if request.body else {}
    except ValueError:
        raise ValueError("send a JSON object") from None
    if not isinstance(body, dict):
        raise ValueError("send a JSON object")
    return body


def _ids(values: Any, name: str) -> list[int]:
    if not isinstance(values, list) or not all(str(value).isdigit() for value in values):
        raise ValueError(f"{name} must be a list of internal ids")
    return [int(value) for value in values]


class ControlApi:
    def __init__(self, app: NetSuiteApp) -> None:
        self.app = app

    def handle(self, request: Request) -> Response:
        path = request.path[len(PREFIX) :].strip("/")
        try:
            if path == "":
                return self.summary()
            if path == "tokens":
                return self.tokens(request)
            if path.startswith("tokens/") and request.method == "DELETE":
                revoked = self.app.tokens.revoke(path.split("/", 1)[1])
                return Response.empty(204) if revoked else _error(404, "no such token")
            if path == "certificates" and request.method == "POST":
                body = _body(request)
                self.app.certificates.register(
                    str(body.get("certificate_id", "")),
                    str(body.get("client_id", "")),
                    str(body.get("public_key_pem", "")),
                )
                return Response.json(201, {"certificate_id": body["certificate_id"]})
            if path == "custom-fields" and request.method == "POST":
                body = _body(request)
                self.app.add_custom_field(
                    str(body.get("recordType", "")),
                    str(body.get("id", "")),
                    str(body.get("type", "text")),
                    label=str(body.get("label", "")),
                    sublist=str(body.get("sublist", "")),
                )
                return Response.json(201, {"id": body.get("id")})
            if path == "invoice-orders" and request.method == "POST":
                body = _body(request)
                ids = None if body.get("all_open") else _ids(body.get("salesOrders"), "salesOrders")
                results = self.app.transformer.invoice_orders(ids, limit=int(body.get("limit", 1000)))
                return Response.json(200, {"results": results})
            if path == "pay-invoices" and request.method == "POST":
                body = _body(request)
                ids = None if body.get("all_open") else _ids(body.get("invoices"), "invoices")
                results = self.app.transformer.pay_invoices(
                    ids, fraction=float(body.get("fraction", 1.0)), limit=int(body.get("limit", 1000))
                )
                return Response.json(200, {"results": results})
        except NetSuiteError as error:
            return _error(error.status, error.detail)
        except (ValueError, TypeError, KeyError) as error:
            return _error(400, str(error))
        return _error(404, f"unknown control endpoint {request.method} {request.path}")

    def summary(self) -> Response:
        app = self.app
        return Response.json(
            200,
            {
                "account_id": app.account_id,
                # What the account answers as: NetSuite's account ids carry it (1234567_SB1 is a sandbox,
                # 1234567 production), so ``--account-id`` chooses it.
                "environment": "sandbox"
                if re.search(r"_(SB\d*|RP)$", app.account_id, re.I)
                else "production",
                "counts": app.store.counts(),
                "tokens": app.tokens.listing(),
            },
        )

    def tokens(self, request: Request) -> Response:
        if request.method == "GET":
            return Response.json(200, {"tokens": self.app.tokens.listing()})
        if request.method != "POST":
            return _error(405, "use GET or POST")
        body = _body(request)
        integration = Integration(
            str(body.get("consumer_key", "")),
            str(body.get("consumer_secret", "")),
            str(body.get("token_id", "")),
            str(body.get("token_secret", "")),
            str(body.get("name", "")),
        )
        self.app.tokens.register(integration)
        return Response.json(201, {"token_id": integration.token_id})
