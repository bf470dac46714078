"""Apex REST (``/services/apexrest/...``): CPQ's ServiceRouter with its contract loaders.

``PATCH /services/apexrest/SBQQ/ServiceRouter?loader=SBQQ.ContractManipulationAPI.ContractAmender&uid=<id>``
amends a contract; ``...loader=SBQQ.ContractManipulationAPI.ContractRenewer`` with the body
``{"context": "<RenewalContext as a JSON string>"}`` (``{"masterContractId": null, "renewedContracts":
[{"attributes": {"type": "Contract"}, "Id": "800..."}], "returnOnlyQuoteId": false}``) renews contracts.
The ServiceRouter's methods return a String, so Apex REST answers a JSON *string* holding the model's
JSON (a client parses twice): the QuoteModel of the amendment quote, or a list of QuoteModels of the
renewal quotes (with ``returnOnlyQuoteId``: the quote id, or the list of ids). An exception inside CPQ is
Apex REST's 500 ``APEX_ERROR``. Other Apex REST URLs are 404 ``NOT_FOUND``; without CPQ the package's
ServiceRouter does not exist either.
"""
# ruff: noqa: S608 - table and column names are fixed here, values are always bound.

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from simulators.core.http import Request, Response
from simulators.salesforce import contracts, ids
from simulators.salesforce.errors import ApiError
from simulators.salesforce.writes import fetch, record_json

if TYPE_CHECKING:
    from simulators.salesforce.app import SalesforceApp

AMENDER = "SBQQ.ContractManipulationAPI.ContractAmender"
RENEWER = "SBQQ.ContractManipulationAPI.ContractRenewer"


def _no_route() -> ApiError:
    return ApiError(404, "NOT_FOUND", "Could not find a match for URL")


def _context(request: Request, *, required: bool) -> dict[str, Any]:
    """The loader's context: ``{"context": "<json>"}`` (a string, as CPQ documents) or an object."""
    if not request.body.strip():
        if required:
            raise contracts.apex_error("A context is required")
        return {}
    try:
        body = json.loads(request.body)
        context = body.get("context") if isinstance(body, dict) else None
        if isinstance(context, str):
            context = json.loads(context)
    except ValueError as exc:
        raise ApiError(400, "JSON_PARSER_ERROR", f"Unexpected character: {exc}") from None
    if context is None and not required:
        return {}
    if not isinstance(context, dict):
        raise contracts.apex_error("The context must be a JSON object")
    return context


class ApexRest:
    def __init__(self, app: SalesforceApp) -> None:
        self.app = app

    def handle(self, request: Request, parts: list[str]) -> Response:
        if [part.lower() for part in parts] != ["sbqq", "servicerouter"]:
            raise _no_route()
        if contracts.SUBSCRIPTION not in self.app.schema.sobjects:
            raise _no_route()  # CPQ is not installed
        loader = request.arg("loader")
        if request.method != "PATCH" or loader not in (AMENDER, RENEWER):
            raise contracts.apex_error(
                f"The simulator's ServiceRouter loads only with PATCH and {AMENDER} or {RENEWER}"
            )
        if loader == AMENDER:
            answer = self._amend(request)
        else:
            answer = self._renew(request)
        return Response.json(200, json.dumps(answer, separators=(",", ":"), default=str))

    def _contract_id(self, value: Any) -> str:
        normalized = ids.normalize(value)
        if normalized is None or not normalized.startswith("800"):
            raise contracts.apex_error(f"Invalid contract id: {value}")
        return normalized

    def _amend(self, request: Request) -> Any:
        contract_id = self._contract_id(request.arg("uid"))
        context = _context(request, required=False)
        with self.app.write() as connection:
            quote_id = contracts.amend(self.app.writer, connection, contract_id)
        return quote_id if context.get("returnOnlyQuoteId") else self.quote_model(quote_id)

    def _renew(self, request: Request) -> Any:
        context = _context(request, required=True)
        renewed = context.get("renewedContracts")
        if not isinstance(renewed, list) or not renewed:
            raise contracts.apex_error("renewedContracts must list the contracts to renew")
        contract_ids = [
            self._contract_id(item.get("Id") if isinstance(item, dict) else item) for item in renewed
        ]
        with self.app.write() as connection:
            quote_ids = [contracts.renew(self.app.writer, connection, cid) for cid in contract_ids]
        if context.get("returnOnlyQuoteId"):
            return quote_ids
        return [self.quote_model(quote_id) for quote_id in quote_ids]

    def quote_model(self, quote_id: str) -> dict[str, Any]:
        """CPQ's QuoteModel of a quote: its record and one QuoteLineModel per line (keys from 1)."""
        schema, version = self.app.schema, f"{self.app.api_version_max}.0"
        connection = self.app.store.read()
        quote_type, line_type = schema.sobjects[contracts.QUOTE], schema.sobjects[contracts.LINE]
        quote = fetch(connection, quote_type, quote_id) or {}
        lines = [
            dict(row)
            for row in connection.execute(
                f'SELECT * FROM "{contracts.LINE}" WHERE "SBQQ__Quote__c" = ? AND "IsDeleted" = 0 '
                'ORDER BY "SBQQ__Number__c", _rid',
                (quote_id,),
            ).fetchall()
        ]
        keys = {line["Id"]: key for key, line in enumerate(lines, start=1)}
        total = sum(float(line["SBQQ__NetTotal__c"] or 0) for line in lines)
        return {
            "record": record_json(quote_type, quote, version),
            "nextKey": len(lines) + 1,
            "netTotal": total,
            "netNonSegmentTotal": total,
            "customerTotal": total,
            "calculationRequired": False,
            "applyAdditionalDiscountLast": False,
            "applyPartnerDiscountFirst": False,
            "channelDiscountsOffList": False,
            "lineItemGroups": [],
            "lineItems": [
                {
                    "record": record_json(line_type, line, version),
                    "key": keys[line["Id"]],
                    "parentItemKey": keys.get(line["SBQQ__RequiredBy__c"] or ""),
                    "parentGroupKey": None,
                    "productQuantityEditable": True,
                    "reconfigurationDisabled": False,
                    "upliftable": False,
                }
                for line in lines
            ],
        }
