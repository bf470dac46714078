"""Every connector failure is a :class:`ConnectorError`, classified so callers know what to do next.

Transient: the same request may succeed later (HTTP 429, 5xx, time-outs, dropped connections, an
expired session we could not renew on the spot, NetSuite's concurrency refusal). Permanent: retrying
the same payload cannot help (validation, bad reference, permission, unknown record); the record
belongs in the exception queue with the vendor's code, message and failing field.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class ConnectorError(Exception):
    system: str
    transient: bool
    message: str
    code: str = ""
    status: int | None = None
    # NetSuite's o:errorPath or Salesforce's "fields": which part of the payload was at fault.
    path: str = ""
    operation: str = ""
    # Set when the vendor asked us to slow down (429 / REQUEST_LIMIT_EXCEEDED).
    rate_limited: bool = False
    # The request may have been applied although we saw no answer (time-out after sending, dropped reply).
    ambiguous: bool = False
    details: list[dict[str, Any]] = field(default_factory=list)
    # On a refused login: server clock minus the time we signed with (seconds), when both were visible.
    # OAuth 1.0a signatures carry a timestamp the server rejects when the clocks differ too much.
    clock_skew: float | None = None

    def __post_init__(self) -> None:
        super().__init__(str(self))

    def __str__(self) -> str:
        kind = "transient" if self.transient else "permanent"
        where = f" at {self.path}" if self.path else ""
        status = f" HTTP {self.status}" if self.status else ""
        code = f" {self.code}" if self.code else ""
        operation = self.operation or "request"
        return f"{self.system} {operation} failed ({kind}{status}{code}){where}: {self.message}"

    @property
    def classification(self) -> str:
        return "transient" if self.transient else "permanent"

    def as_dict(self) -> dict[str, Any]:
        """A JSON-safe summary for jobs, exceptions and logs (never holds credentials)."""
        return {
            "system": self.system,
            "classification": self.classification,
            "status": self.status,
            "code": self.code,
            "message": self.message,
            "path": self.path,
            "operation": self.operation,
            "rate_limited": self.rate_limited,
            "ambiguous": self.ambiguous,
        }


class ConfigurationError(ValueError):
    """A connection is set up wrongly (missing credential, malformed URL); raised before any request."""
