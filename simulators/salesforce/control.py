"""Control endpoints under ``/_control/salesforce/`` (loopback only, never limited or faulted).

- ``GET  /_control/salesforce``                  org, credentials' public parts, record counts, stats
- ``GET  /_control/salesforce/stats``            requests served / refused / failed, API usage
- ``GET|PATCH /_control/salesforce/api-usage``   ``{"used": n, "max": n}`` (daily request limit)
- ``POST /_control/salesforce/expire-sessions``  every issued access token becomes invalid
- ``GET|POST /_control/salesforce/connected-app`` register the JWT bearer certificate ``{"certificate_pem"}``
- ``GET|POST /_control/salesforce/outbound-rules``, ``DELETE .../outbound-rules/<id>``
- ``GET  /_control/salesforce/outbound``         pending / delivered / dropped notifications and attempts
- ``POST /_control/salesforce/outbound/retry-now`` make every pending notification due at once
- ``GET|PATCH /_control/salesforce/organization`` ``{"IsSandbox": bool}``: what the org answers as (a
  sandbox refresh gone wrong, a production org behind a sandbox's settings)
- ``GET|POST /_control/salesforce/custom-fields`` add a custom field while the org runs
  ``{"object", "name" (ends in __c), "label"?, "type", "length"?, "precision"?, "scale"?, "values"?,
  "restricted"?, "default"?, "externalId"?, "unique"?}`` (see :mod:`simulators.salesforce.customfields`);
  201 with the field as describe shows it, 400 with the reason for a bad definition
"""
# ruff: noqa: S608 - table and column names come from the schema definitions, values are always bound.

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from simulators.core.http import Request, Response
from simulators.salesforce import customfields
from simulators.salesforce.org import organization_set_sandbox

if TYPE_CHECKING:
    from simulators.salesforce.app import SalesforceApp

PREFIX = "/_control/salesforce"


def _error(status: int, message: str) -> Response:
    return Response.json(status, {"error": message})


class ControlApi:
    def __init__(self, app: SalesforceApp) -> None:
        self.app = app

    def handle(self, request: Request) -> Response:
        path = request.path[len(PREFIX) :].strip("/")
        method = request.method
        routes = {
            "": self.summary,
            "stats": self.stats,
            "api-usage": self.api_usage,
            "expire-sessions": self.expire_sessions,
            "connected-app": self.connected_app,
            "outbound-rules": self.outbound_rules,
            "outbound": self.outbound,
            "outbound/retry-now": self.retry_now,
            "organization": self.organization,
            "custom-fields": self.custom_fields,
        }
        if path in routes:
            return routes[path](request)
        if path.startswith("outbound-rules/") and method == "DELETE":
            deleted = self.app.outbound.delete_rule(path.split("/", 1)[1])
            return Response.empty(204) if deleted else _error(404, "no such rule")
        return _error(404, f"unknown control endpoint {request.path}")

    def _json(self, request: Request) -> dict[str, Any]:
        try:
            body = request.json()
        except ValueError:
            raise ValueError("send a JSON object") from None
        if not isinstance(body, dict):
            raise ValueError("send a JSON object")
        return body

    def summary(self, request: Request) -> Response:
        credentials = self.app.credentials
        connection = self.app.store.read()
        counts = {
            name: connection.execute(
                f'SELECT COUNT(*) FROM "{sobject.table}" WHERE "IsDeleted" = 0'
            ).fetchone()[0]
            for name, sobject in self.app.schema.sobjects.items()
        }
        return Response.json(
            200,
            {
                "org_id": credentials.org_id,
                "user_id": credentials.user_id,
                "username": credentials.username,
                "client_id": credentials.client_id,
                "instance_url": self.app.base_url,
                "api_versions": [min(self.app.versions), max(self.app.versions)],
                "records": counts,
                **self.app.stats(),
            },
        )

    def stats(self, request: Request) -> Response:
        return Response.json(200, self.app.stats())

    def api_usage(self, request: Request) -> Response:
        usage = self.app.usage
        if method_is_write(request):
            try:
                body = self._json(request)
                used, limit = body.get("used"), body.get("max")
                for value in (used, limit):
                    if value is not None and (
                        not isinstance(value, int) or isinstance(value, bool) or value < 0
                    ):
                        raise ValueError("used and max must be whole numbers >= 0")
            except ValueError as exc:
                return _error(400, str(exc))
            usage.set(used=used, limit=limit)
        return Response.json(200, {"used": usage.used, "max": usage.max})

    def organization(self, request: Request) -> Response:
        if method_is_write(request):
            try:
                value = self._json(request).get("IsSandbox")
                if not isinstance(value, bool):
                    raise ValueError("IsSandbox must be true or false")
            except ValueError as exc:
                return _error(400, str(exc))
            with self.app.store.write() as connection:
                organization_set_sandbox(connection, is_sandbox=value)
        row = self.app.store.read().execute('SELECT "Id", "IsSandbox" FROM "Organization" LIMIT 1').fetchone()
        return Response.json(200, {"Id": row[0], "IsSandbox": bool(row[1])})

    def custom_fields(self, request: Request) -> Response:
        if request.method == "POST":
            try:
                added = self.app.add_custom_field(self._json(request))
            except ValueError as exc:  # CustomFieldError included
                return _error(400, str(exc))
            return Response.json(201, added)
        if request.method != "GET":
            return _error(405, "use GET or POST")
        return Response.json(200, customfields.listing(self.app.store.read()))

    def expire_sessions(self, request: Request) -> Response:
        if request.method != "POST":
            return _error(405, "use POST")
        return Response.json(200, {"expired": self.app.sessions.expire_all()})

    def connected_app(self, request: Request) -> Response:
        sessions = self.app.sessions
        if method_is_write(request):
            try:
                pem = self._json(request).get("certificate_pem")
                if not isinstance(pem, str):
                    raise ValueError("certificate_pem is required")
                sessions.register_certificate(pem)
            except ValueError as exc:
                return _error(400, str(exc))
        return Response.json(
            200, {"client_id": self.app.credentials.client_id, "jwt_certificate": sessions.has_certificate()}
        )

    def outbound_rules(self, request: Request) -> Response:
        outbound = self.app.outbound
        if request.method == "POST":
            try:
                rule = outbound.create_rule(self._json(request))
            except ValueError as exc:
                return _error(400, str(exc))
            return Response.json(201, rule.public())
        return Response.json(200, [rule.public() for rule in outbound.rules()])

    def outbound(self, request: Request) -> Response:
        limit = request.arg("limit") or "100"
        return Response.json(200, self.app.outbound.status(int(limit) if limit.isdigit() else 100))

    def retry_now(self, request: Request) -> Response:
        if request.method != "POST":
            return _error(405, "use POST")
        return Response.json(200, {"due": self.app.outbound.retry_now()})


def method_is_write(request: Request) -> bool:
    return request.method in ("POST", "PATCH", "PUT")
