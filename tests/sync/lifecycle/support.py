"""A fake NetSuite for the life cycle's tests: records every call, changes records as NetSuite would."""

from __future__ import annotations

from typing import Any


class FakeNetSuite:
    """Sales orders and subscriptions in memory; PATCH and PUT change them as NetSuite would."""

    def __init__(self) -> None:
        self.records: dict[tuple[str, str], dict[str, Any]] = {}
        self.calls: list[tuple[str, str, str, dict[str, Any]]] = []
        self.refuse: Exception | None = None  # raised by the next write, then forgotten

    def get(
        self, record_type: str, record_id: str, *, expand: bool = False, fields: list[str] | None = None
    ) -> dict[str, Any]:
        self.calls.append(("GET", record_type, record_id, {}))
        return dict(self.records[(record_type, record_id)])

    def patch(self, record_type: str, record_id: str, body: dict[str, Any], *, replace: Any = None) -> None:
        if self.refuse is not None:
            refused, self.refuse = self.refuse, None
            raise refused
        self.calls.append(("PATCH", record_type, record_id, {"body": body, "replace": replace}))
        record = self.records[(record_type, record_id)]
        record["item"] = body["item"]
        if all(line.get("isClosed") for line in body["item"]["items"]):
            record["orderStatus"] = {"id": "H", "refName": "Closed"}

    def change_order_upsert(self, external_id: str, body: dict[str, Any]) -> str:
        self.calls.append(("PUT", "subscriptionChangeOrder", external_id, {"body": body}))
        subscription = self.records[("subscription", body["subscription"]["id"])]
        subscription["subscriptionStatus"] = "TERMINATED"
        return "900"

    def writes(self) -> list[tuple[str, str, str, dict[str, Any]]]:
        return [call for call in self.calls if call[0] != "GET"]


ORDER = {
    "id": "12",
    "orderStatus": {"id": "B", "refName": "Pending Fulfillment"},
    "item": {
        "items": [
            {
                "line": 1,
                "item": {"id": "5", "refName": "Widget"},
                "quantity": 2,
                "rate": 10.0,
                "amount": 20.0,
            },
            {"line": 2, "item": {"id": "6", "refName": "Setup"}, "quantity": 1, "rate": 99.0, "amount": 99.0},
        ]
    },
}
