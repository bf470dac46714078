"""The Salesforce connector: simple-salesforce behind a small typed interface.

This is the only module that imports simple-salesforce. It fetches OAuth tokens itself (password,
client credentials or JWT bearer against the connection's login URL), because simple-salesforce's own
login helpers only know ``*.salesforce.com``; and it renews an expired session once, transparently.
Reads are SOQL with paging; writes are upserts by external id and sObject Collections in batches of 200.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any, TypeVar
from urllib.parse import quote

import jwt
import requests
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceError

from sync.connections.connectors.errors import ConfigurationError, ConnectorError
from sync.connections.connectors.transport import (
    ConnectorSession,
    RequestObserver,
    RequestRecord,
    RetryPolicy,
    call_with_retry,
    excerpt,
    transport_error,
)

SYSTEM = "salesforce"
BATCH = 200  # sObject Collections and IN-list chunk size
# Error codes that say "try again later": a limit (concurrency included), an outage, a locked row.
TRANSIENT_CODES = frozenset({"REQUEST_LIMIT_EXCEEDED", "SERVER_UNAVAILABLE", "UNABLE_TO_LOCK_ROW"})
T = TypeVar("T")


@dataclass(frozen=True)
class PasswordAuth:
    username: str
    password: str
    security_token: str
    client_id: str
    client_secret: str


@dataclass(frozen=True)
class ClientCredentialsAuth:
    client_id: str
    client_secret: str


@dataclass(frozen=True)
class JwtBearerAuth:
    client_id: str
    username: str
    private_key_pem: str
    # The audience Salesforce expects: https://login.salesforce.com (or test.) for real orgs.
    audience: str = ""


@dataclass(frozen=True)
class SalesforceConfig:
    login_url: str
    auth: PasswordAuth | ClientCredentialsAuth | JwtBearerAuth
    api_version: str = "60.0"
    ca_bundle: str | None = None
    connect_timeout: float = 10.0
    read_timeout: float = 120.0
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    # True: the connection is for a sandbox; False: for production; None: not checked. Every sign-in asks
    # the org (``Organization.IsSandbox``) and refuses the wrong kind before any other call is made.
    expected_sandbox: bool | None = None
    # The connection and its version (e.g. ``"12@<updated_at>"``): connectors of one process built from the
    # same version share its sign-in (see :class:`SessionCache`); "" signs in per connector.
    session_key: str = ""


class SessionCache:
    """Sign-ins (instance URL and access token) shared by the connectors of one process, per connection.

    Kept by version, not by time: an entry serves only connectors built from the same ``session_key``
    (a connection's id and version, which changes with any edit of its settings or secrets), so a changed
    connection signs in afresh, and a stored entry of an older version is replaced. A token Salesforce no
    longer accepts (expired, revoked) is renewed once, transparently, on its first refusal
    (``INVALID_SESSION_ID``), and the cache then holds the new one. Only sign-ins that passed the
    environment check are kept, so a cached session skips it too.
    """

    def __init__(self) -> None:
        self._entries: dict[str, tuple[str, str, str]] = {}  # identity -> (version, instance, token)
        self._lock = threading.Lock()

    @staticmethod
    def _split(key: str) -> tuple[str, str]:
        identity, _, version = key.partition("@")
        return identity, version

    def get(self, key: str) -> tuple[str, str] | None:
        if not key:
            return None
        identity, version = self._split(key)
        with self._lock:
            entry = self._entries.get(identity)
        if entry is None or entry[0] != version:
            return None
        return entry[1], entry[2]

    def put(self, key: str, instance_url: str, token: str) -> None:
        if key:
            identity, version = self._split(key)
            with self._lock:
                self._entries[identity] = (version, instance_url, token)

    def drop(self, key: str, token: str) -> None:
        """Forget ``key``'s session if it still is ``token`` (a refused one)."""
        identity, _ = self._split(key)
        with self._lock:
            entry = self._entries.get(identity)
            if entry is not None and entry[2] == token:
                del self._entries[identity]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


SESSIONS = SessionCache()


@dataclass(frozen=True)
class UpsertResult:
    id: str
    created: bool


@dataclass(frozen=True)
class RecordResult:
    """One record's outcome in an sObject Collections call, in request order."""

    id: str | None
    success: bool
    created: bool | None = None
    errors: tuple[dict[str, Any], ...] = ()

    def error(self, operation: str) -> ConnectorError:
        first = self.errors[0] if self.errors else {}
        fields = first.get("fields") or []
        return ConnectorError(
            SYSTEM,
            False,
            str(first.get("message") or "record failed"),
            code=str(first.get("statusCode") or ""),
            path=",".join(fields),
            operation=operation,
            details=list(self.errors),
        )


@dataclass(frozen=True)
class GraphQuery:
    """The fields read for an opportunity graph. The defaults are the graph's structure only (the ids that
    hold it together and the quote lines' grouping and order): what else is read is derived from the
    mapping, the rules and the write-back (sync.pipeline.reads), so no field an org may lack is named here
    (``CurrencyIsoCode`` exists only in multi-currency orgs)."""

    opportunity: tuple[str, ...] = ("Id", "AccountId")
    account: tuple[str, ...] = ("Id",)
    contact_roles: tuple[str, ...] = ("ContactId",)
    quote: tuple[str, ...] = ("Id",)
    quote_line: tuple[str, ...] = ("Id", "SBQQ__Quote__c", "SBQQ__Number__c")
    # Values the org does not hold but whose value is known, set on every record of their section after
    # the read instead of being queried: (section, path there, value). A single-currency org's
    # ``CurrencyIsoCode`` (its one currency), e.g. ("account", "CurrencyIsoCode", "EUR").
    supplied: tuple[tuple[str, str, str], ...] = ()


def graph_supply(graph: dict[str, Any], supplied: Iterable[tuple[str, str, str]]) -> None:
    """Set each supplied (section, path, value) on every record of its section in one opportunity graph
    (a related record the graph lacks, such as an opportunity without a quote, stays absent)."""
    for section, path, value in supplied:
        for record in _section_records(graph, section):
            *parents, name = path.split(".")
            for parent in parents:
                record = record.get(parent) if isinstance(record, dict) else None
            if isinstance(record, dict):
                record[name] = value


def _section_records(graph: dict[str, Any], section: str) -> list[Any]:
    quote = graph.get("primary_quote") or {}
    if section == "opportunity":
        return [graph]
    if section == "account":
        return [graph.get("Account")]
    if section == "contact_roles":
        return list((graph.get("OpportunityContactRoles") or {}).get("records") or [])
    if section == "quote":
        return [graph.get("primary_quote")]
    if section == "quote_line":
        return list(quote.get("lines") or [])
    return []


def soql_literal(value: str) -> str:
    """A SOQL string literal with quotes and backslashes escaped."""
    escaped = value.replace("\\", "\\\\").replace("'", "\\'").replace("\n", "\\n").replace("\r", "\\r")
    return f"'{escaped}'"


def chunked(values: Sequence[T], size: int = BATCH) -> Iterator[Sequence[T]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


class SalesforceConnector:
    """A small typed interface to one Salesforce org. One instance per thread (simple-salesforce holds
    per-instance state); :meth:`api_usage` reports the ``Sforce-Limit-Info`` figures last seen."""

    def __init__(
        self,
        config: SalesforceConfig,
        *,
        observer: RequestObserver | None = None,
        usage_observer: Callable[[int, int], object] | None = None,
    ) -> None:
        if not config.login_url.startswith("https://"):
            raise ConfigurationError("the Salesforce login URL must start with https://")
        self.config = config
        self.observer = observer
        self._session = ConnectorSession(
            ca_bundle=config.ca_bundle,
            timeout=(config.connect_timeout, config.read_timeout),
            system=SYSTEM,
        )
        if observer is not None:
            self._session.hooks["response"].append(self._observe)
        self.usage_observer = usage_observer
        self._last_usage: tuple[int, int] | None = None
        self._session.hooks["response"].append(self._observe_usage)
        self._client: Salesforce | None = None
        self._lock = threading.Lock()
        self.api_calls = 0

    # -- authentication --------------------------------------------------------------------------

    def authenticate(self) -> Salesforce:
        """Fetch a fresh access token and build the client (also how "test connection" starts)."""
        token_url = self.config.login_url.rstrip("/") + "/services/oauth2/token"
        auth = self.config.auth
        if isinstance(auth, PasswordAuth):
            form = {
                "grant_type": "password",
                "client_id": auth.client_id,
                "client_secret": auth.client_secret,
                "username": auth.username,
                "password": auth.password + auth.security_token,
            }
        elif isinstance(auth, ClientCredentialsAuth):
            form = {
                "grant_type": "client_credentials",
                "client_id": auth.client_id,
                "client_secret": auth.client_secret,
            }
        else:
            now = int(time.time())
            assertion = jwt.encode(
                {
                    "iss": auth.client_id,
                    "sub": auth.username,
                    "aud": auth.audience or self.config.login_url,
                    "exp": now + 180,
                },
                auth.private_key_pem,
                algorithm="RS256",
            )
            form = {"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "assertion": assertion}
        try:
            answer = self._session.post(token_url, data=form)
        except requests.RequestException as exc:
            raise transport_error(SYSTEM, "authenticate", exc) from exc
        self.api_calls += 1
        if answer.status_code != 200:
            try:
                body = answer.json()
            except ValueError:
                body = None
            if isinstance(body, dict) and body.get("error"):
                message = f"{body.get('error')}: {body.get('error_description')}"
                code = str(body["error"]).upper()
            elif isinstance(body, list) and body and isinstance(body[0], dict) and body[0].get("errorCode"):
                # Salesforce's API error shape: a limit or an outage in front of the token endpoint.
                message, code = str(body[0].get("message") or ""), str(body[0]["errorCode"])
            else:  # not the token endpoint (a wrong login URL answers with a page or an API error)
                message, code = answer.text[:200] or answer.reason, f"HTTP_{answer.status_code}"
            rate_limited = code == "REQUEST_LIMIT_EXCEEDED" or answer.status_code == 429
            raise ConnectorError(
                SYSTEM,
                rate_limited or answer.status_code >= 500 or code in TRANSIENT_CODES,
                message,
                code=code,
                status=answer.status_code,
                operation="authenticate",
                rate_limited=rate_limited,
            )
        data = answer.json()
        client = self._client_for(data["instance_url"], data["access_token"])
        if self.config.expected_sandbox is not None:
            self._environment_check(client, expected=self.config.expected_sandbox)
        self._client = client
        SESSIONS.put(self.config.session_key, data["instance_url"], data["access_token"])
        return client

    def _client_for(self, instance_url: str, token: str) -> Salesforce:
        return Salesforce(
            instance_url=instance_url,
            session_id=token,
            session=self._session,
            version=self.config.api_version,
        )

    def _environment_check(self, client: Salesforce, *, expected: bool) -> None:
        """Refuse an org of the wrong kind: a sandbox refresh copies production's settings (login URLs,
        named credentials, connected apps), so a sandbox connection can end up signed in to production,
        and the reverse. Runs once per sign-in; a refused client is never kept, so nothing is written."""
        operation = "environment check"
        try:
            self.api_calls += 1
            answer = client.query("SELECT Id, IsSandbox FROM Organization LIMIT 1")
        except SalesforceError as exc:
            raise error_from_exception(exc, operation) from exc
        except requests.RequestException as exc:
            raise transport_error(SYSTEM, operation, exc) from exc
        records = answer.get("records") or []
        actual = records[0].get("IsSandbox") if records else None
        if not isinstance(actual, bool):
            raise ConnectorError(
                SYSTEM,
                False,
                "the org did not say whether it is a sandbox (Organization.IsSandbox unreadable)",
                code="WRONG_ENVIRONMENT",
                operation=operation,
            )
        if actual != expected:
            raise ConnectorError(
                SYSTEM,
                False,
                f"the org answered IsSandbox = {str(actual).lower()}, but this connection is for a "
                f"{'sandbox' if expected else 'production org'}",
                code="WRONG_ENVIRONMENT",
                operation=operation,
                details=[{"is_sandbox": actual, "organization_id": str(records[0].get("Id") or "")}],
            )

    def _sf(self) -> Salesforce:
        with self._lock:
            if self._client is None:
                # Another connector of this process signed in to this version of the connection already.
                shared = SESSIONS.get(self.config.session_key)
                if shared is not None:
                    self._client = self._client_for(*shared)
            return self._client or self.authenticate()

    # -- reads -----------------------------------------------------------------------------------

    def query(self, soql: str, *, include_deleted: bool = False) -> Iterator[dict[str, Any]]:
        """Every record of a SOQL query, following ``nextRecordsUrl`` page by page."""
        page = self._run("query", lambda sf: sf.query(soql, include_deleted=include_deleted))
        while True:
            yield from page.get("records") or []
            next_url = page.get("nextRecordsUrl")
            if page.get("done", True) or not next_url:
                return
            page = self._run("query", partial(_query_more, url=next_url))

    def count(self, soql: str) -> int:
        """The ``totalSize`` of a query, e.g. ``SELECT COUNT() FROM Account``."""
        return int(self._run("query", lambda sf: sf.query(soql)).get("totalSize") or 0)

    def query_in(self, soql_template: str, ids: Iterable[str]) -> Iterator[dict[str, Any]]:
        """Run ``soql_template`` (with an ``{ids}`` placeholder) for the ids in IN-lists of 200."""
        unique = list(dict.fromkeys(ids))
        for chunk in chunked(unique):
            yield from self.query(soql_template.format(ids=", ".join(soql_literal(i) for i in chunk)))

    def get_records(
        self, sobject: str, ids: Iterable[str], fields: Sequence[str]
    ) -> dict[str, dict[str, Any]]:
        """Records by id, read in IN-list batches of 200; missing ids are simply absent."""
        columns = ", ".join(dict.fromkeys(["Id", *fields]))
        template = f"SELECT {columns} FROM {_name(sobject)} WHERE Id IN ({{ids}})"
        return {record["Id"]: record for record in self.query_in(template, ids)}

    def fetch_opportunity_graphs(
        self,
        ids: Iterable[str],
        shape: GraphQuery | None = None,
    ) -> dict[str, dict[str, Any]]:
        """Opportunities with account, contact roles, primary quote and its lines.

        Two SOQL queries per 200 opportunities: the opportunity with parent fields and child subqueries,
        then the primary quotes' lines by quote id. Each graph gets ``primary_quote`` and its ``lines``.
        """
        shape = shape or GraphQuery()
        select = ", ".join(
            [
                *shape.opportunity,
                *(f"Account.{name}" for name in shape.account),
                f"(SELECT {', '.join(shape.contact_roles)} FROM OpportunityContactRoles)",
                f"(SELECT {', '.join(shape.quote)} FROM SBQQ__Quotes2__r WHERE SBQQ__Primary__c = true)",
            ]
        )
        graphs: dict[str, dict[str, Any]] = {}
        for record in self.query_in(f"SELECT {select} FROM Opportunity WHERE Id IN ({{ids}})", ids):
            quotes = (record.get("SBQQ__Quotes2__r") or {}).get("records") or []
            record["primary_quote"] = dict(quotes[0]) if quotes else None
            graphs[record["Id"]] = record
        quote_ids = {g["primary_quote"]["Id"]: g for g in graphs.values() if g["primary_quote"]}
        for graph in quote_ids.values():
            graph["primary_quote"]["lines"] = []
        if quote_ids:
            fields = ", ".join(shape.quote_line)
            lines = f"SELECT {fields} FROM SBQQ__QuoteLine__c WHERE SBQQ__Quote__c IN ({{ids}})"
            for line in self.query_in(lines + " ORDER BY SBQQ__Number__c", list(quote_ids)):
                quote_ids[line["SBQQ__Quote__c"]]["primary_quote"]["lines"].append(line)
        for graph in graphs.values():
            graph_supply(graph, shape.supplied)
        return graphs

    def corporate_currency(self, *, multi_currency: bool) -> str:
        """The org's corporate currency: in a multi-currency org the ``CurrencyType`` marked ``IsCorporate``
        (an object single-currency orgs do not have), else ``Organization.DefaultCurrencyIsoCode`` (the
        one currency of a single-currency org; also read as a fallback). Empty when neither says."""
        if multi_currency:
            for row in self.query("SELECT IsoCode FROM CurrencyType WHERE IsCorporate = true LIMIT 1"):
                if row.get("IsoCode"):
                    return str(row["IsoCode"])
        for row in self.query("SELECT DefaultCurrencyIsoCode FROM Organization LIMIT 1"):
            return str(row.get("DefaultCurrencyIsoCode") or "")
        return ""

    def describe_global(self) -> dict[str, Any]:
        """``GET sobjects/``: every object the signed-in user can see (``sobjects[]`` with ``name``,
        ``label``, ``custom``, ``queryable``...); managed-package and custom objects only where installed."""
        return dict(self._run("describe global", lambda sf: sf.restful("sobjects/")))

    def describe(self, sobject: str) -> dict[str, Any]:
        """``GET sobjects/<Object>/describe/``: the object's fields, picklist values and relationships."""
        return dict(self._run("describe", lambda sf: sf.restful(f"sobjects/{_name(sobject)}/describe/")))

    def limits(self) -> dict[str, Any]:
        return dict(self._run("limits", lambda sf: sf.limits()))

    def api_usage(self) -> tuple[int, int] | None:
        """(used, max) from the last ``Sforce-Limit-Info`` header, if any response carried one."""
        return self._last_usage

    # -- writes ----------------------------------------------------------------------------------

    def create(self, sobject: str, record: dict[str, Any]) -> str:
        result = self._run("create", lambda sf: getattr(sf, _name(sobject)).create(record), idempotent=False)
        return str(result["id"])

    def update(self, sobject: str, record_id: str, record: dict[str, Any]) -> None:
        self._run("update", lambda sf: getattr(sf, _name(sobject)).update(record_id, record))

    def upsert(self, sobject: str, external_field: str, value: str, record: dict[str, Any]) -> UpsertResult:
        """Create or update by external id; idempotent, so it is retried on transient faults."""
        path = f"sobjects/{_name(sobject)}/{_name(external_field)}/{quote(value, safe='')}"

        def send(sf: Salesforce) -> requests.Response:
            return sf._call_salesforce("PATCH", sf.base_url + path, name="upsert", json=record)

        answer = self._run("upsert", send)
        if answer.status_code == 204:  # API versions before 46.0 answer an update with no body
            return UpsertResult(self._id_by_external(sobject, external_field, value), False)
        body = answer.json()
        return UpsertResult(str(body["id"]), bool(body.get("created")))

    def collections_update(
        self, sobject: str, records: Sequence[dict[str, Any]], *, all_or_none: bool = False
    ) -> list[RecordResult]:
        """Update records (each with ``Id``) in batches of 200; one result per record, in order."""
        return self._collections("PATCH", "composite/sobjects", sobject, records, all_or_none)

    def collections_update_mixed(
        self, records: Sequence[tuple[str, dict[str, Any]]], *, all_or_none: bool = False
    ) -> list[RecordResult]:
        """Update records of several objects (``(sobject, record with Id)``) in one sObject Collections
        request per 200: a collection may mix types. Keep each type's records together (Salesforce works
        through a mixed list in chunks of one type). One result per record, in order."""
        results: list[RecordResult] = []
        for chunk in chunked(records):
            body = {
                "allOrNone": all_or_none,
                "records": [{"attributes": {"type": _name(sobject)}, **record} for sobject, record in chunk],
            }
            answer = self._run(
                "collections", partial(_restful, path="composite/sobjects", method="PATCH", body=body)
            )
            results.extend(_record_results(answer))
        return results

    def collections_upsert(
        self,
        sobject: str,
        external_field: str,
        records: Sequence[dict[str, Any]],
        *,
        all_or_none: bool = False,
    ) -> list[RecordResult]:
        """Upsert records by an external id field in batches of 200; one result per record, in order."""
        path = f"composite/sobjects/{_name(sobject)}/{_name(external_field)}"
        return self._collections("PATCH", path, sobject, records, all_or_none)

    def collections_create(
        self, sobject: str, records: Sequence[dict[str, Any]], *, all_or_none: bool = False
    ) -> list[RecordResult]:
        """Create records (no ``Id``) in batches of 200; one result per record, in order. Not retried
        after an ambiguous failure (a create may have happened): callers read before they write again."""
        return self._collections(
            "POST", "composite/sobjects", sobject, records, all_or_none, idempotent=False
        )

    def delete(self, sobject: str, record_id: str) -> None:
        self._run("delete", lambda sf: getattr(sf, _name(sobject)).delete(record_id))

    # -- plumbing --------------------------------------------------------------------------------

    def _collections(
        self,
        method: str,
        path: str,
        sobject: str,
        records: Sequence[dict[str, Any]],
        all_or_none: bool,
        *,
        idempotent: bool = True,
    ) -> list[RecordResult]:
        results: list[RecordResult] = []
        for chunk in chunked(records):
            body = {
                "allOrNone": all_or_none,
                "records": [{"attributes": {"type": sobject}, **record} for record in chunk],
            }
            answer = self._run(
                "collections", partial(_restful, path=path, method=method, body=body), idempotent=idempotent
            )
            results.extend(_record_results(answer))
        return results

    def _id_by_external(self, sobject: str, external_field: str, value: str) -> str:
        soql = (
            f"SELECT Id FROM {_name(sobject)} WHERE {_name(external_field)} = {soql_literal(value)} LIMIT 1"
        )
        records = list(self.query(soql))
        return str(records[0]["Id"]) if records else ""

    def _run(self, operation: str, call: Callable[[Salesforce], Any], *, idempotent: bool = True) -> Any:
        return call_with_retry(
            lambda: self._once(operation, call), policy=self.config.retry, idempotent=idempotent
        )

    def _once(self, operation: str, call: Callable[[Salesforce], Any]) -> Any:
        renewed = False
        while True:
            client = self._sf()
            try:
                self.api_calls += 1
                return call(client)
            except SalesforceError as exc:
                error = error_from_exception(exc, operation)
                if error.code == "INVALID_SESSION_ID" and not renewed:
                    renewed = True
                    with self._lock:
                        if self._client is client:
                            SESSIONS.drop(self.config.session_key, str(client.session_id))
                            self.authenticate()
                    continue
                raise error from exc
            except requests.RequestException as exc:
                raise transport_error(SYSTEM, operation, exc) from exc

    def _observe_usage(self, answer: requests.Response, *args: Any, **kwargs: Any) -> None:
        usage = limit_info_usage(answer.headers.get(LIMIT_INFO_HEADER, ""))
        if usage is None:
            return
        self._last_usage = usage
        if self.usage_observer is not None:
            self.usage_observer(*usage)

    def _observe(self, answer: requests.Response, *args: Any, **kwargs: Any) -> None:
        if self.observer is None:
            return
        request = answer.request
        body = request.body if isinstance(request.body, bytes | str) else None
        url = str(request.url or "").split("?")[0]
        self.observer(
            RequestRecord(
                system=SYSTEM,
                operation=str(request.method),
                method=str(request.method),
                url=url,
                status=answer.status_code,
                elapsed_ms=answer.elapsed.total_seconds() * 1000,
                request_excerpt="" if url.endswith("/oauth2/token") else excerpt(body),
                response_excerpt="" if url.endswith("/oauth2/token") else excerpt(answer.content),
            )
        )


LIMIT_INFO_HEADER = "Sforce-Limit-Info"
# Not per-app-api-usage=..., which Salesforce may send in the same header.
_API_USAGE = re.compile(r"(?<![\w-])api-usage=(\d+)/(\d+)")


def limit_info_usage(value: str) -> tuple[int, int] | None:
    """``(used, max)`` from a ``Sforce-Limit-Info`` header (``api-usage=25/15000``), if it holds one."""
    match = _API_USAGE.search(value or "")
    return (int(match.group(1)), int(match.group(2))) if match else None


def error_from_exception(exc: SalesforceError, operation: str) -> ConnectorError:
    """Classify a simple-salesforce exception; the body is Salesforce's JSON array of errors."""
    status = int(getattr(exc, "status", 0) or 0)
    content = getattr(exc, "content", None)
    first: dict[str, Any] = {}
    if isinstance(content, list) and content and isinstance(content[0], dict):
        first = content[0]
    elif isinstance(content, dict):
        first = content
    code = str(first.get("errorCode") or first.get("statusCode") or f"HTTP_{status}")
    message = str(first.get("message") or content or exc)
    rate_limited = code == "REQUEST_LIMIT_EXCEEDED"
    transient = rate_limited or status >= 500 or code in TRANSIENT_CODES
    if status == 300:
        code, message = "MULTIPLE_RECORDS", f"several records match: {content}"
    return ConnectorError(
        SYSTEM,
        transient,
        message,
        code=code,
        status=status,
        path=",".join(first.get("fields") or []),
        operation=operation,
        rate_limited=rate_limited,
        ambiguous=status >= 500,
        details=content if isinstance(content, list) else [],
    )


def _name(api_name: str) -> str:
    """Guard API names put into URLs and SOQL (they come from mappings a person edits)."""
    if not api_name or not all(ch.isalnum() or ch == "_" for ch in api_name) or not api_name[0].isalpha():
        raise ConfigurationError(f"not a Salesforce API name: {api_name!r}")
    return api_name


def _record_results(answer: Any) -> list[RecordResult]:
    return [
        RecordResult(
            id=item.get("id"),
            success=bool(item.get("success")),
            created=item.get("created"),
            errors=tuple(item.get("errors") or ()),
        )
        for item in answer or []
    ]


def _query_more(sf: Salesforce, *, url: str) -> Any:
    return sf.query_more(url, identifier_is_url=True)


def _restful(sf: Salesforce, *, path: str, method: str, body: Any) -> Any:
    return sf.restful(path, method=method, json=body)
