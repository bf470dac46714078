"""NetSuite's error answers: ``{"type", "title", "status", "o:errorDetails": [...]}``.

Everything the REST layer refuses is raised as :class:`NetSuiteError` and turned into that shape in one
place, so every path (records, SuiteQL, auth, governance) answers in the same words.
"""

from __future__ import annotations

from simulators.core.http import Response

_RFC9110 = "https://www.rfc-editor.org/rfc/rfc9110.html#section-"
_STATUS: dict[int, tuple[str, str]] = {
    400: ("Bad Request", _RFC9110 + "15.5.1"),
    401: ("Unauthorized", _RFC9110 + "15.5.2"),
    403: ("Forbidden", _RFC9110 + "15.5.4"),
    404: ("Not Found", _RFC9110 + "15.5.5"),
    405: ("Method Not Allowed", _RFC9110 + "15.5.6"),
    409: ("Conflict", _RFC9110 + "15.5.10"),
    415: ("Unsupported Media Type", _RFC9110 + "15.5.16"),
    429: ("Too Many Requests", "https://www.rfc-editor.org/rfc/rfc6585.html#section-4"),
    500: ("Internal Server Error", _RFC9110 + "15.6.1"),
    503: ("Service Unavailable", _RFC9110 + "15.6.4"),
}

INVALID_LOGIN_DETAIL = (
    "Invalid login attempt. For more details, see the Login Audit Trail in the NetSuite UI at "
    "Setup > Users/Roles > User Management > View Login Audit Trail."
)
CONCURRENCY_DETAIL = "Concurrent request limit exceeded. Request blocked."


class NetSuiteError(Exception):
    """A refusal NetSuite would send: HTTP status, ``o:errorCode``, detail and optional ``o:errorPath``."""

    def __init__(self, status: int, code: str, detail: str, path: str | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail
        self.path = path

    def response(self) -> Response:
        return error_response(self.status, self.code, self.detail, self.path)


def error_body(status: int, code: str, detail: str, path: str | None = None) -> dict[str, object]:
    title, kind = _STATUS.get(status, ("Error", _RFC9110 + "15"))
    item: dict[str, str] = {"detail": detail, "o:errorCode": code}
    if path:
        item["o:errorPath"] = path
    return {"type": kind, "title": title, "status": status, "o:errorDetails": [item]}


def error_response(status: int, code: str, detail: str, path: str | None = None) -> Response:
    return Response.json(status, error_body(status, code, detail, path))


def user_error(detail: str, path: str | None = None) -> NetSuiteError:
    return NetSuiteError(400, "USER_ERROR", detail, path)


def invalid_ref(path: str) -> NetSuiteError:
    return NetSuiteError(
        400,
        "INVALID_KEY_OR_REF",
        f"Invalid value for the resource or sub-resource field '{path}'. Provide a valid value.",
        path,
    )


def invalid_parameter(detail: str, path: str | None = None) -> NetSuiteError:
    return NetSuiteError(400, "INVALID_PARAMETER", detail, path)


def invalid_content(detail: str, path: str | None = None) -> NetSuiteError:
    return NetSuiteError(400, "INVALID_CONTENT", detail, path)


def nonexistent_field(record_type: str, path: str) -> NetSuiteError:
    name = path.rsplit(".", 1)[-1]
    return NetSuiteError(
        400,
        "NONEXISTENT_FIELD",
        f"Invalid field name '{name}' for record type '{record_type}'. "
        "Check the record's metadata for the valid field names.",
        path,
    )


def not_found_record(record_type: str, record_id: str) -> NetSuiteError:
    return NetSuiteError(
        404,
        "NONEXISTENT_ID",
        f"The record instance does not exist. Provide a valid record instance ID "
        f"({record_type} {record_id}).",
    )


def invalid_login(reason: str) -> NetSuiteError:
    # NetSuite itself never says why; the simulator appends the reason so a developer can fix the client.
    return NetSuiteError(401, "INVALID_LOGIN", f"{INVALID_LOGIN_DETAIL} (simulator: {reason})")
