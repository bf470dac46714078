"""The REST resources: describe, sObject rows (by id and by external id), SOQL, updated/deleted, limits."""
# ruff: noqa: S608 - table and column names come from the schema definitions, values are always bound.

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING, Any

from simulators.core.http import Request, Response
from simulators.salesforce import ids
from simulators.salesforce.errors import (
    ApiError,
    invalid_field,
    json_parser_error,
    no_such_column_text,
    not_found,
)
from simulators.salesforce.schema import SObject
from simulators.salesforce.soql.engine import DEFAULT_BATCH, MIN_BATCH
from simulators.salesforce.values import format_datetime, parse_datetime
from simulators.salesforce.writes import MultipleMatches, fetch, record_json

if TYPE_CHECKING:
    from simulators.salesforce.app import SalesforceApp

UPSERT_200_SINCE = 46.0
REPLICATION_DAYS = 30


def allow(method: str, *allowed: str) -> Response | None:
    """None when ``method`` is allowed, else Salesforce's 405 answer."""
    if method in allowed:
        return None
    return Response.json(
        405,
        [
            {
                "errorCode": "METHOD_NOT_ALLOWED",
                "message": f"HTTP Method '{method}' not allowed. Allowed are {','.join(allowed)}",
            }
        ],
    )


def json_body(request: Request) -> Any:
    if not request.body.strip():
        raise json_parser_error("No content to map due to end-of-input")
    try:
        return json.loads(request.body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise json_parser_error(f"Unexpected character: {exc}") from None


class RestApi:
    def __init__(self, app: SalesforceApp) -> None:
        self.app = app
        self.schema = app.schema

    def sobject(self, name: str) -> SObject:
        found = self.schema.get(name)
        if found is None:
            raise not_found()
        return found

    # -- discovery ------------------------------------------------------------------------------

    def resources(self, version: str) -> Response:
        base = f"/services/data/v{version}"
        return Response.json(
            200, {name: f"{base}/{name}" for name in ("sobjects", "query", "queryAll", "composite", "limits")}
        )

    def describe_global(self, version: str) -> Response:
        return Response.json(
            200,
            {
                "encoding": "UTF-8",
                "maxBatchSize": 200,
                "sobjects": [sobject.describe_basic(version) for sobject in self.schema.sobjects.values()],
            },
        )

    def limits(self) -> Response:
        usage = self.app.usage

        def pair(maximum: int, used: int = 0) -> dict[str, int]:
            return {"Max": maximum, "Remaining": max(0, maximum - used)}

        return Response.json(
            200,
            {
                "ConcurrentAsyncGetReportInstances": pair(200),
                "ConcurrentSyncReportRuns": pair(20),
                "DailyApiRequests": pair(usage.max, usage.used),
                "DailyAsyncApexExecutions": pair(250000),
                "DailyBulkApiBatches": pair(15000),
                "DailyBulkV2QueryJobs": pair(10000),
                "DailyWorkflowEmails": pair(2000000),
                "DataStorageMB": pair(1024),
                "FileStorageMB": pair(1024),
                "HourlyODataCallout": pair(10000),
                "HourlyTimeBasedWorkflow": pair(1000),
                "SingleEmail": pair(5000),
            },
        )

    # -- sobjects/<Type>/... --------------------------------------------------------------------

    def sobjects(self, request: Request, version: str, parts: list[str]) -> Response:
        sobject = self.sobject(parts[0])
        method = request.method
        if len(parts) == 1:
            if method == "POST":
                return self.create(request, sobject)
            return allow(method, "GET", "POST") or Response.json(
                200, {"objectDescribe": sobject.describe_basic(version), "recentItems": []}
            )
        if len(parts) == 2:
            action = parts[1]
            if action == "describe":
                return allow(method, "GET") or Response.json(200, sobject.describe(version))
            if action in ("updated", "deleted"):
                return allow(method, "GET") or self.replication(request, sobject, action == "deleted")
            if method == "GET":
                return self.get(request, sobject, action, version)
            if method == "PATCH":
                with self.app.write() as connection:
                    self.app.writer.update(connection, sobject, action, self._object_body(request))
                return Response.empty(204)
            if method == "DELETE":
                with self.app.write() as connection:
                    self.app.writer.delete(connection, sobject, action)
                return Response.empty(204)
            return allow(method, "GET", "PATCH", "DELETE") or Response.empty(204)
        if len(parts) == 3:
            return self.by_external_id(request, sobject, parts[1], parts[2], version)
        raise not_found()

    def _object_body(self, request: Request) -> dict[str, Any]:
        body = json_body(request)
        if not isinstance(body, dict):
            raise json_parser_error("Cannot deserialize instance of sObject from START_ARRAY value")
        return body

    def create(self, request: Request, sobject: SObject) -> Response:
        body = self._object_body(request)
        with self.app.write() as connection:
            record_id = self.app.writer.create(connection, sobject, body)
        return Response.json(201, {"id": record_id, "success": True, "errors": []})

    def get(self, request: Request, sobject: SObject, record_id: str, version: str) -> Response:
        normalized = ids.normalize(record_id)
        row = fetch(self.app.store.read(), sobject, normalized) if normalized else None
        if row is None or row["IsDeleted"]:
            if normalized is None:
                raise ApiError(
                    404,
                    "NOT_FOUND",
                    f"Provided external ID field does not exist or is not accessible: {record_id}",
                )
            raise not_found()
        return Response.json(200, record_json(sobject, row, version, self._fields(request, sobject)))

    def _fields(self, request: Request, sobject: SObject) -> list[Any] | None:
        names = request.arg("fields")
        if not names:
            return None
        chosen = []
        for name in (part.strip() for part in names.split(",")):
            f = sobject.field(name)
            if f is None:
                raise invalid_field(no_such_column_text(name, sobject.name))
            chosen.append(f)
        return chosen

    def by_external_id(
        self, request: Request, sobject: SObject, field_name: str, value: str, version: str
    ) -> Response:
        method = request.method
        if method == "PATCH":
            update_only = (request.arg("updateOnly") or "").lower() == "true"
            body = self._object_body(request)
            with self.app.write() as connection:
                record_id, created = self.app.writer.upsert(
                    connection, sobject, field_name, value, body, update_only=update_only
                )
            if created:
                return Response.json(201, {"id": record_id, "success": True, "errors": [], "created": True})
            if float(version) < UPSERT_200_SINCE:
                return Response.empty(204)
            return Response.json(200, {"id": record_id, "success": True, "errors": [], "created": False})
        if method not in ("GET", "DELETE"):
            return allow(method, "GET", "PATCH", "DELETE") or Response.empty(204)
        key = sobject.field(field_name)
        if key is None or not key.id_lookup:
            raise ApiError(
                404,
                "NOT_FOUND",
                f"Provided external ID field does not exist or is not accessible: {field_name}",
            )
        connection = self.app.store.read()
        matches = self.app.writer.find_by(connection, sobject, key, value)
        if len(matches) > 1:
            raise MultipleMatches(sobject.name, matches)
        if not matches:
            raise not_found()
        if method == "DELETE":
            with self.app.write() as writing:
                self.app.writer.delete(writing, sobject, matches[0])
            return Response.empty(204)
        row = fetch(connection, sobject, matches[0])
        if row is None:
            raise not_found()
        return Response.json(200, record_json(sobject, row, version, self._fields(request, sobject)))

    # -- changes --------------------------------------------------------------------------------

    def replication(self, request: Request, sobject: SObject, deleted: bool) -> Response:
        """``updated/`` and ``deleted/``: ids changed in [start, end], at most 30 days back."""
        now = dt.datetime.now(dt.UTC)
        start = parse_datetime((request.arg("start") or "").replace(" ", "+"))
        end = parse_datetime((request.arg("end") or "").replace(" ", "+"))
        if start is None or end is None:
            raise ApiError(400, "INVALID_REPLICATION_DATE", "start and end must be ISO 8601 date-times")
        if start < now - dt.timedelta(days=REPLICATION_DAYS):
            raise ApiError(
                400, "INVALID_REPLICATION_DATE", f"startDate cannot be more than {REPLICATION_DAYS} days ago"
            )
        if end <= start:
            raise ApiError(
                400, "INVALID_REPLICATION_DATE", "EndDate must chronologically follow the StartDate"
            )
        # Seconds are ignored, as in Salesforce; an end in the future is covered up to now, so a poller can
        # start its next window at latestDateCovered without missing a change.
        # A window reaching now covers every change stamped up to now, its own millisecond included (a
        # change made a moment before the call, within the same millisecond, is not left out).
        start = start.replace(second=0, microsecond=0)
        covered = now if end > now else end.replace(second=0, microsecond=0)
        before = "<=" if end > now else "<"
        rows = (
            self.app.store.read()
            .execute(
                f'SELECT "Id", "SystemModstamp" FROM "{sobject.table}" WHERE "SystemModstamp" >= ? '
                f'AND "SystemModstamp" {before} ? AND "IsDeleted" = ? ORDER BY "SystemModstamp", _rid',
                (format_datetime(start), format_datetime(covered), int(deleted)),
            )
            .fetchall()
        )
        if deleted:
            return Response.json(
                200,
                {
                    "deletedRecords": [{"id": row[0], "deletedDate": row[1]} for row in rows],
                    "earliestDateAvailable": format_datetime(now - dt.timedelta(days=REPLICATION_DAYS)),
                    "latestDateCovered": format_datetime(covered),
                },
            )
        return Response.json(
            200, {"ids": [row[0] for row in rows], "latestDateCovered": format_datetime(covered)}
        )

    # -- SOQL -----------------------------------------------------------------------------------

    def query(self, request: Request, version: str, include_deleted: bool) -> Response:
        soql = request.arg("q")
        if soql is None:
            raise ApiError(400, "MALFORMED_QUERY", "A query string has to be specified")
        batch = DEFAULT_BATCH
        options = request.header("Sforce-Query-Options")
        if "batchsize=" in options.lower():
            try:
                batch = int(options.lower().split("batchsize=")[1].split(";")[0].split(",")[0])
            except ValueError:
                batch = DEFAULT_BATCH
            batch = max(MIN_BATCH, min(DEFAULT_BATCH, batch))
        return Response.json(
            200, self.app.engine.run(soql, include_deleted=include_deleted, version=version, batch=batch)
        )
