"""sObject Collections: create, update, upsert, retrieve and delete up to 200 records per request.

Each record runs in its own savepoint and gets its own result, in request order, with per-record errors
under ``statusCode``. With ``allOrNone`` one failure rolls the whole request back and the records that
would have succeeded report ``ALL_OR_NONE_OPERATION_ROLLED_BACK``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from simulators.core.http import Request, Response
from simulators.salesforce import ids
from simulators.salesforce.errors import ApiError, invalid_field, no_such_column_text, not_found
from simulators.salesforce.rest import allow, json_body
from simulators.salesforce.schema import SObject
from simulators.salesforce.writes import MultipleMatches, fetch, record_json

if TYPE_CHECKING:
    from simulators.salesforce.app import SalesforceApp

MAX_RECORDS = 200
MAX_RETRIEVE_IDS = 2000
_ROLLED_BACK = {
    "statusCode": "ALL_OR_NONE_OPERATION_ROLLED_BACK",
    "message": "Record rolled back because not all records were valid and the request was using "
    "AllOrNone header",
    "fields": [],
}

Operation = Callable[[sqlite3.Connection, dict[str, Any]], dict[str, Any]]


def _too_many(count: int, limit: int = MAX_RECORDS) -> ApiError:
    return ApiError(
        400,
        "EXCEEDED_ID_LIMIT",
        f"The number of records in the request ({count}) exceeds the limit of {limit}",
    )


class CollectionsApi:
    def __init__(self, app: SalesforceApp) -> None:
        self.app = app
        self.schema = app.schema
        self.writer = app.writer

    def handle(self, request: Request, version: str, parts: list[str]) -> Response:
        method = request.method
        if not parts:
            if method == "POST":
                return self._batch(request, self._create, creates=True)
            if method == "PATCH":
                return self._batch(request, self._update)
            if method == "DELETE":
                return self._delete(request)
            return allow(method, "POST", "PATCH", "DELETE") or Response.empty(204)
        sobject = self.schema.get(parts[0])
        if sobject is None:
            raise not_found()
        if len(parts) == 1:
            return allow(method, "GET", "POST") or self._retrieve(request, sobject, version)
        if len(parts) == 2:
            key = sobject.field(parts[1])
            if key is None or not key.id_lookup:
                raise invalid_field(
                    f"Field name provided, {parts[1]} does not match an External ID, Salesforce Id, "
                    f"or indexed field for {sobject.name}"
                )
            return allow(method, "PATCH") or self._batch(request, self._upserter(sobject, key.name))
        raise not_found()

    # -- shared batch machinery -----------------------------------------------------------------

    def _batch(self, request: Request, operation: Operation, creates: bool = False) -> Response:
        body = json_body(request)
        records = body.get("records") if isinstance(body, dict) else None
        if not isinstance(records, list):
            raise ApiError(
                400, "JSON_PARSER_ERROR", "The request body must be an object with a 'records' array"
            )
        if len(records) > MAX_RECORDS:
            raise _too_many(len(records))
        all_or_none = bool(body.get("allOrNone", False))
        return Response.json(200, self._run(records, operation, all_or_none, creates))

    @staticmethod
    def _rolled_back(result: dict[str, Any], creates: bool) -> dict[str, Any]:
        # A record created and rolled back has no id any more; an existing record keeps its id.
        kept = {} if creates or result.get("created") else {"id": result["id"]}
        return {**kept, "success": False, "errors": [dict(_ROLLED_BACK)]}

    def _run(
        self, items: list[Any], operation: Operation, all_or_none: bool, creates: bool = False
    ) -> list[dict[str, Any]]:
        results: list[dict[str, Any]] = []
        failed = False
        with self.app.write() as connection:
            connection.execute("SAVEPOINT collection")
            for item in items:
                connection.execute("SAVEPOINT item")
                try:
                    if not isinstance(item, dict):
                        raise ApiError(400, "JSON_PARSER_ERROR", "Each record must be a JSON object")
                    result = operation(connection, item)
                    connection.execute("RELEASE item")
                except MultipleMatches as multiple:
                    connection.execute("ROLLBACK TO item")
                    connection.execute("RELEASE item")
                    failed = True
                    result = {
                        "success": False,
                        "errors": [
                            {
                                "statusCode": "DUPLICATE_EXTERNAL_ID",
                                "message": "more than one record found for external id field: "
                                f"{multiple.record_ids}",
                                "fields": [],
                            }
                        ],
                    }
                except ApiError as error:
                    connection.execute("ROLLBACK TO item")
                    connection.execute("RELEASE item")
                    failed = True
                    result = {"success": False, "errors": [self._record_error(error)]}
                    given = (
                        next((item[key] for key in item if key.lower() == "id"), None)
                        if isinstance(item, dict) and not creates
                        else None
                    )
                    if given and ids.normalize(given):
                        result = {"id": ids.normalize(given), **result}
                results.append(result)
            if all_or_none and failed:
                connection.execute("ROLLBACK TO collection")
                results = [
                    result if not result["success"] else self._rolled_back(result, creates)
                    for result in results
                ]
            connection.execute("RELEASE collection")
        return results

    @staticmethod
    def _record_error(error: ApiError) -> dict[str, Any]:
        if error.code == "NOT_FOUND":
            return {
                "statusCode": "INVALID_CROSS_REFERENCE_KEY",
                "message": "invalid cross reference id",
                "fields": [],
            }
        return error.record_error()

    def _typed(self, item: dict[str, Any]) -> SObject:
        attributes = item.get("attributes")
        name = attributes.get("type") if isinstance(attributes, dict) else None
        if not name:
            raise ApiError(400, "INVALID_FIELD", "No type specified in the record's attributes")
        sobject = self.schema.get(str(name))
        if sobject is None:
            raise ApiError(400, "INVALID_TYPE", f"sObject type '{name}' is not supported.")
        return sobject

    # -- operations -----------------------------------------------------------------------------

    def _create(self, connection: sqlite3.Connection, item: dict[str, Any]) -> dict[str, Any]:
        record_id = self.writer.create(connection, self._typed(item), item)
        return {"id": record_id, "success": True, "errors": []}

    def _update(self, connection: sqlite3.Connection, item: dict[str, Any]) -> dict[str, Any]:
        sobject = self._typed(item)
        record_id = next((item[key] for key in item if key.lower() == "id"), None)
        if not record_id:
            raise ApiError(400, "MISSING_ARGUMENT", "Id not specified in an update call", ["Id"])
        body = {key: value for key, value in item.items() if key.lower() != "id"}
        existing = self.writer.existing(connection, sobject, str(record_id))
        self.writer.update(connection, sobject, existing["Id"], body)
        return {"id": existing["Id"], "success": True, "errors": []}

    def _upserter(self, sobject: SObject, key: str) -> Operation:
        def upsert(connection: sqlite3.Connection, item: dict[str, Any]) -> dict[str, Any]:
            typed = self._typed(item)
            if typed.name != sobject.name:
                raise ApiError(
                    400, "INVALID_TYPE", f"The record type {typed.name} does not match {sobject.name}"
                )
            value = next((item[name] for name in item if name.lower() == key.lower()), None)
            if value is None or value == "":
                raise invalid_field(f"Missing value for the external ID field {key}", [key])
            body = {name: v for name, v in item.items() if name.lower() != key.lower()}
            record_id, created = self.writer.upsert(connection, sobject, key, str(value), body)
            return {"id": record_id, "success": True, "errors": [], "created": created}

        return upsert

    def _retrieve(self, request: Request, sobject: SObject, version: str) -> Response:
        if request.method == "POST":
            body = json_body(request)
            wanted = body.get("ids") if isinstance(body, dict) else None
            names = body.get("fields") if isinstance(body, dict) else None
        else:
            wanted = [part for part in (request.arg("ids") or "").split(",") if part]
            names = [part for part in (request.arg("fields") or "").split(",") if part]
        if not isinstance(wanted, list) or not wanted:
            raise ApiError(400, "MISSING_ARGUMENT", "ids is required")
        if not isinstance(names, list) or not names:
            raise ApiError(400, "MISSING_ARGUMENT", "fields is required")
        if len(wanted) > MAX_RETRIEVE_IDS:
            raise _too_many(len(wanted), MAX_RETRIEVE_IDS)
        fields = []
        for name in names:
            f = sobject.field(str(name))
            if f is None:
                raise invalid_field(no_such_column_text(str(name), sobject.name))
            fields.append(f)
        connection = self.app.store.read()
        answer: list[dict[str, Any] | None] = []
        for raw in wanted:
            normalized = ids.normalize(raw)
            row = fetch(connection, sobject, normalized) if normalized else None
            answer.append(
                None if row is None or row["IsDeleted"] else record_json(sobject, row, version, fields)
            )
        return Response.json(200, answer)

    def _delete(self, request: Request) -> Response:
        wanted = [part for part in (request.arg("ids") or "").split(",") if part]
        if not wanted:
            raise ApiError(400, "MISSING_ARGUMENT", "ids is required")
        if len(wanted) > MAX_RECORDS:
            raise _too_many(len(wanted))
        all_or_none = (request.arg("allOrNone") or "").lower() == "true"

        def delete(connection: sqlite3.Connection, item: dict[str, Any]) -> dict[str, Any]:
            record_id = item["Id"]
            normalized = ids.normalize(record_id)
            sobject = self.schema.by_prefix.get(normalized[:3]) if normalized else None
            if sobject is None or normalized is None:
                raise ApiError(400, "MALFORMED_ID", f"malformed id {record_id}")
            self.writer.delete(connection, sobject, normalized)
            return {"id": normalized, "success": True, "errors": []}

        return Response.json(200, self._run([{"Id": value} for value in wanted], delete, all_or_none))
