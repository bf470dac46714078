"""The NetSuite simulator application: routing under ``/services/rest/``, authentication, governance words.

Routes (all need OAuth 1.0a TBA or an OAuth 2.0 bearer token, except the token endpoint):

- ``record/v1/<type>``: GET list (``limit``, ``offset``, ``q``), POST create (204 + ``Location``)
- ``record/v1/<type>/<id>`` or ``.../eid:<externalId>``: GET (``expandSubResources``, ``fields``),
  PATCH (``replace``), PUT (upsert, ``eid:`` only), DELETE
- ``record/v1/<type>/<id>/<sublist>``: GET the lines
- ``record/v1/<type>/<id>/!transform/<type>``: POST (salesOrder -> invoice -> customerPayment)
- ``query/v1/suiteql``: POST with ``Prefer: transient``, ``{"q": "SELECT ..."}``, ``limit``/``offset``
- ``async/v1/job/...``: jobs of ``Prefer: respond-async`` writes
- ``auth/oauth2/v1/token``: OAuth 2.0 client credentials with a JWT assertion
"""

from __future__ import annotations

import json
import secrets
from typing import Any
from urllib.parse import unquote

from simulators.core.http import Request, Response
from simulators.netsuite import control, metadata
from simulators.netsuite.auth import OAuth1Verifier, TokenRegistry
from simulators.netsuite.catalog import Catalog
from simulators.netsuite.errors import (
    CONCURRENCY_DETAIL,
    NetSuiteError,
    error_response,
    invalid_content,
    invalid_login,
    invalid_parameter,
)
from simulators.netsuite.jobs import AsyncJobs
from simulators.netsuite.oauth2 import CertificateRegistry, TokenService
from simulators.netsuite.reads import RecordReader
from simulators.netsuite.schema import RecordType
from simulators.netsuite.store import NetSuiteStore
from simulators.netsuite.suiteql.engine import MAX_PAGE, ROW_CAP, SuiteQLEngine
from simulators.netsuite.suiteql.lexer import SuiteQLError
from simulators.netsuite.suiteql.tables import TableRegistry
from simulators.netsuite.transforms import Transformer
from simulators.netsuite.writes import RecordWriter

REST_PREFIX = "/services/rest/"
TOKEN_PATH = "/services/rest/auth/oauth2/v1/token"
SUITEQL_PATH = "/services/rest/query/v1/suiteql"


def _int_arg(request: Request, name: str, default: int) -> int:
    raw = request.arg(name)
    if raw is None or raw == "":
        return default
    if not raw.isdigit():
        raise invalid_parameter(
            f"Invalid value for the parameter '{name}': {raw!r} is not a whole number.", name
        )
    return int(raw)


def _json_body(request: Request, *, allow_empty: bool = False) -> Any:
    if not request.body and allow_empty:
        return {}
    try:
        return request.json()
    except ValueError:
        raise invalid_content("The request body is not valid JSON.") from None


def _typed_json(body: Any, media_type: str) -> Response:
    return Response.text(200, json.dumps(body, separators=(",", ":")), f"{media_type};charset=UTF-8")


class NetSuiteApp:
    """Implements :class:`simulators.core.governance.GovernedApplication` for NetSuite."""

    def __init__(
        self, *, store: NetSuiteStore, account_id: str, timestamp_window: float, one_world: bool = True
    ) -> None:
        self.store = store
        self.account_id = account_id
        self.catalog: Catalog = store.catalog
        self._load_custom_fields()
        self.one_world = one_world
        self.tables = TableRegistry(self.catalog, one_world=one_world)
        self.reader = RecordReader(store, self.tables)
        self.writer = RecordWriter(store)
        self.transformer = Transformer(store, self.writer)
        self.suiteql = SuiteQLEngine(store, self.tables)
        self.tokens = TokenRegistry(store)
        self.verifier = OAuth1Verifier(account_id, self.tokens, window=timestamp_window)
        self.certificates = CertificateRegistry(store)
        self.oauth2 = TokenService(self.certificates)
        self.jobs = AsyncJobs(store)
        self.control = control.ControlApi(self)
        self.metadata = metadata.MetadataCatalog(self.catalog)

    # -- governance words ------------------------------------------------------------------------

    def refusal_response(self, request: Request) -> Response:
        return error_response(429, "CONCURRENCY_LIMIT_EXCEEDED", CONCURRENCY_DETAIL)

    def fault_response(self, kind: str, request: Request) -> Response:
        if kind == "429":
            return self.refusal_response(request)
        if kind == "503":
            return error_response(
                503,
                "SERVICE_UNAVAILABLE",
                "The NetSuite service is temporarily unavailable. Try again later.",
            )
        return error_response(
            500, "UNEXPECTED_ERROR", f"An unexpected error occurred. Error ID: {secrets.token_hex(8)}"
        )

    def close(self) -> None:
        self.store.close()

    # -- dispatch --------------------------------------------------------------------------------

    def handle(self, request: Request) -> Response:
        path = request.path
        if path.startswith(control.PREFIX):
            return self.control.handle(request)
        try:
            if not path.startswith(REST_PREFIX):
                raise NetSuiteError(404, "NONEXISTENT_ID", f"The requested resource {path} does not exist.")
            base = f"{request.scheme}://{request.host}"
            if path == TOKEN_PATH:
                return self.oauth2.token_endpoint(request, base + TOKEN_PATH)
            self._authenticate(request)
            raw = request.raw_path.split("?", 1)[0][len(REST_PREFIX) :]
            parts = [unquote(part) for part in raw.split("/")]
            if parts[:2] == ["record", "v1"] and len(parts) > 2:
                return self._maybe_async(request, parts[2:], base)
            if path == SUITEQL_PATH:
                return self._suiteql(request, base)
            if parts[:3] == ["async", "v1", "job"] and len(parts) > 3 and request.method == "GET":
                return self.jobs.get(parts[3:], base)
            raise NetSuiteError(404, "NONEXISTENT_ID", f"The requested resource {path} does not exist.")
        except NetSuiteError as error:
            return error.response()

    def _authenticate(self, request: Request) -> None:
        header = request.header("Authorization")
        if not header:
            raise invalid_login("no Authorization header")
        if header[:7].lower() == "bearer ":
            if not self.oauth2.valid(header[7:].strip()):
                raise invalid_login("the access token is invalid or expired")
            return
        self.verifier.verify(request, header)

    def _maybe_async(self, request: Request, parts: list[str], base: str) -> Response:
        prefer = request.header("Prefer").lower()
        key = request.header("X-NetSuite-Idempotency-Key") or None
        if request.method in ("POST", "PATCH", "PUT", "DELETE") and "respond-async" in prefer:
            return self.jobs.run(key, lambda: self._guarded(request, parts, base), base)
        if key is not None:
            raise invalid_parameter(
                "X-NetSuite-Idempotency-Key is accepted only with 'Prefer: respond-async'.",
                "X-NetSuite-Idempotency-Key",
            )
        return self._records(request, parts, base)

    def _guarded(self, request: Request, parts: list[str], base: str) -> Response:
        try:
            return self._records(request, parts, base)
        except NetSuiteError as error:
            return error.response()

    def _record_type(self, name: str) -> RecordType:
        record_type = self.catalog.get(name)
        if record_type is None:
            raise invalid_parameter(f"Record type '{name}' does not exist.")
        return record_type

    def _records(self, request: Request, parts: list[str], base: str) -> Response:
        method = request.method
        if parts[0] == "metadata-catalog" and method == "GET":
            return self._metadata(request, [part for part in parts[1:] if part], base)
        record_type = self._record_type(parts[0])
        replace = [name for name in (request.arg("replace") or "").split(",") if name]
        if len(parts) == 1:
            if method == "GET":
                page = self.reader.list(
                    record_type,
                    base,
                    limit=_int_arg(request, "limit", 1000),
                    offset=_int_arg(request, "offset", 0),
                    q=request.arg("q"),
                )
                return Response.json(200, page)
            if method == "POST":
                record_id = self.writer.create(record_type, _json_body(request), replace=replace)
                return self._created(base, record_type, record_id)
        elif len(parts) == 2:
            key = parts[1]
            if method == "GET":
                fields = request.arg("fields")
                row = self.reader.find(record_type, key)
                body = self.reader.render(
                    record_type,
                    row,
                    base,
                    expand=(request.arg("expandSubResources") or "").lower() == "true",
                    fields={name.strip().lower() for name in fields.split(",")} if fields else None,
                )
                return Response.json(200, body)
            if method == "PUT":
                if not key.startswith("eid:") or len(key) == 4:
                    raise NetSuiteError(
                        405,
                        "INVALID_PARAMETER",
                        "PUT is only allowed on external ids "
                        "(record/v1/<type>/eid:<externalId>); use PATCH to update by internal id.",
                    )
                record_id, _ = self.writer.upsert(record_type, key[4:], _json_body(request), replace=replace)
                return self._created(base, record_type, record_id)
            if method == "PATCH":
                row = self.reader.find(record_type, key)
                self.writer.update(record_type, row.id, _json_body(request), replace=replace)
                return Response.empty(204)
            if method == "DELETE":
                self.writer.delete(record_type, self.reader.find(record_type, key).id)
                return Response.empty(204)
        elif len(parts) == 3 and method == "GET":
            return Response.json(200, self.reader.sublist(record_type, parts[1], parts[2], base))
        elif len(parts) == 4 and parts[2] == "!transform":
            if method != "POST":
                raise NetSuiteError(405, "INVALID_PARAMETER", "Use POST to transform a record.")
            row = self.reader.find(record_type, parts[1])
            body = _json_body(request, allow_empty=True)
            if not isinstance(body, dict):
                raise invalid_content("The request body must be a JSON object.")
            new_id = self.transformer.transform(record_type, row.id, parts[3], body)
            return self._created(base, self._record_type(parts[3]), new_id)
        raise NetSuiteError(405, "INVALID_PARAMETER", f"{method} is not supported on this resource.")

    def _created(self, base: str, record_type: RecordType, record_id: int) -> Response:
        return Response.empty(
            204, [("Location", f"{base}/services/rest/record/v1/{record_type.name}/{record_id}")]
        )

    def _metadata(self, request: Request, names: list[str], base: str) -> Response:
        """The metadata catalog: the type list, or one type's (or ``?select=``) JSON Schema / OpenAPI."""
        if len(names) > 1:
            raise NetSuiteError(
                404, "NONEXISTENT_ID", f"The requested resource {request.path} does not exist."
            )
        accept = request.header("Accept").lower()
        selected = names or [name for name in (request.arg("select") or "").split(",") if name.strip()]
        if metadata.SWAGGER_JSON in accept:
            record_types = self.metadata.resolve(selected) if selected else self.catalog.types()
            return _typed_json(self.metadata.openapi(record_types, base), metadata.SWAGGER_JSON)
        if not names:
            return Response.json(200, self.metadata.listing(base))
        (record_type,) = self.metadata.resolve(names)
        if metadata.SCHEMA_JSON in accept:
            return _typed_json(self.metadata.json_schema(record_type, base), metadata.SCHEMA_JSON)
        listing = self.metadata.listing(base)["items"]
        return Response.json(200, next(item for item in listing if item["name"] == record_type.name))

    def _suiteql(self, request: Request, base: str) -> Response:
        if request.method != "POST":
            raise NetSuiteError(405, "INVALID_PARAMETER", "Use POST to run a SuiteQL query.")
        if "transient" not in request.header("Prefer").lower():
            raise invalid_parameter(
                "The header 'Prefer: transient' is required for SuiteQL queries.", "Prefer"
            )
        limit = _int_arg(request, "limit", MAX_PAGE)
        offset = _int_arg(request, "offset", 0)
        if not 1 <= limit <= MAX_PAGE:
            raise invalid_parameter(
                f"Invalid value for the parameter 'limit': it must be between 1 and {MAX_PAGE}.", "limit"
            )
        if offset + limit > ROW_CAP:
            raise invalid_parameter(
                f"Invalid value for the parameter 'offset': a query returns at most {ROW_CAP} "
                "rows; page through larger results by key (WHERE id > :last ORDER BY id).",
                "offset",
            )
        body = _json_body(request)
        if not isinstance(body, dict) or not isinstance(body.get("q"), str):
            raise invalid_content('The request body must be {"q": "<SuiteQL query>"}.')
        try:
            items, total = self.suiteql.run(body["q"], limit=limit, offset=offset)
        except SuiteQLError as error:
            raise invalid_parameter(
                "Invalid search query. Detailed unprocessed description follows. "
                f"Search error occurred: {error}",
                "q",
            ) from None
        href = f"{base}{SUITEQL_PATH}"
        visible = min(total, ROW_CAP)
        has_more = offset + len(items) < visible
        links = [{"rel": "self", "href": f"{href}?limit={limit}&offset={offset}"}]
        if has_more:
            links.append({"rel": "next", "href": f"{href}?limit={limit}&offset={offset + limit}"})
        if offset > 0:
            links.append({"rel": "previous", "href": f"{href}?limit={limit}&offset={max(0, offset - limit)}"})
        links.append({"rel": "first", "href": f"{href}?limit={limit}&offset=0"})
        last = max(0, (visible - 1) // limit * limit)
        links.append({"rel": "last", "href": f"{href}?limit={limit}&offset={last}"})
        return Response.json(
            200,
            {
                "links": links,
                "count": len(items),
                "hasMore": has_more,
                "items": items,
                "offset": offset,
                "totalResults": total,
            },
        )

    # -- customisation ---------------------------------------------------------------------------

    def _load_custom_fields(self) -> None:
        for record_type, field_id, kind, label, sublist in self.store.read().execute(
            "SELECT record_type, field_id, kind, label, sublist FROM ns_custom_field"
        ):
            try:
                self.catalog.add_custom_field(record_type, field_id, kind, label=label, sublist=sublist)
            except ValueError:
                # Declared on a record the account's shape does not have (subsidiary, without OneWorld).
                continue

    def add_custom_field(
        self, record_type: str, field_id: str, kind: str, *, label: str = "", sublist: str = ""
    ) -> None:
        field = self.catalog.add_custom_field(record_type, field_id, kind, label=label, sublist=sublist)
        resolved = self.catalog.get(record_type)
        assert resolved is not None
        with self.store.write() as connection:
            connection.execute(
                "REPLACE INTO ns_custom_field (record_type, field_id, kind, label, sublist) "
                "VALUES (?, ?, ?, ?, ?)",
                (resolved.name, field.name, field.kind, field.label, sublist),
            )
