"""Salesforce's error vocabulary: an exception carrying the status, errorCode, message and fields."""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """An error the REST API reports as ``[{"message", "errorCode", "fields"}]`` with ``status``."""

    def __init__(self, status: int, code: str, message: str, fields: list[str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.fields = list(fields or [])

    def body(self) -> list[dict[str, Any]]:
        """The JSON-array body of a single-resource error response."""
        entry: dict[str, Any] = {"message": self.message, "errorCode": self.code}
        if self.fields:
            entry["fields"] = self.fields
        return [entry]

    def record_error(self) -> dict[str, Any]:
        """The per-record form used by sObject Collections (``statusCode``, not ``errorCode``)."""
        return {"statusCode": self.code, "message": self.message, "fields": self.fields}


def not_found() -> ApiError:
    return ApiError(404, "NOT_FOUND", "The requested resource does not exist")


def malformed_query(message: str) -> ApiError:
    return ApiError(400, "MALFORMED_QUERY", message)


def invalid_field(message: str, fields: list[str] | None = None) -> ApiError:
    return ApiError(400, "INVALID_FIELD", message, fields)


def json_parser_error(message: str) -> ApiError:
    return ApiError(400, "JSON_PARSER_ERROR", message)


_REFERENCE = "Please reference your WSDL or the describe call for the appropriate names."
_CUSTOM_FIELD = (
    "If you are attempting to use a custom field, be sure to append the '__c' after the custom field name."
)
_CUSTOM_RELATIONSHIP = (
    "If you are attempting to use a custom relationship, be sure to append the '__r' after the custom "
    "relationship name."
)
_CUSTOM_OBJECT = (
    "If you are attempting to use a custom object, be sure to append the '__c' after the entity name."
)


def no_such_column_text(name: str, entity: str) -> str:
    return f"No such column '{name}' on entity '{entity}'. {_CUSTOM_FIELD} {_REFERENCE}"


def bad_relationship_text(name: str) -> str:
    return f"Didn't understand relationship '{name}' in field path. {_CUSTOM_RELATIONSHIP} {_REFERENCE}"


def bad_child_relationship_text(name: str) -> str:
    where = "in FROM part of query call"
    return f"Didn't understand relationship '{name}' {where}. {_CUSTOM_RELATIONSHIP} {_REFERENCE}"


def unsupported_type_text(name: str) -> str:
    return f"sObject type '{name}' is not supported. {_CUSTOM_OBJECT} {_REFERENCE}"
