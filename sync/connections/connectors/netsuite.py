"""The NetSuite connector: REST Web Services records and SuiteQL over requests + requests-oauthlib.

This is the only module that builds NetSuite URLs. Every request holds one of the connection's
concurrency slots for exactly its own duration, so all workers together stay within the account's
limit. Writes Concord relies on are ``eid:`` upserts, which are idempotent and safe to retry.

Sublists are always replaced, never appended: an update (PATCH, or PUT by ``eid:``) that carries sublist
lines *adds* them to the stored ones unless the sublist is named in ``?replace=``, so re-sending a changed
order, or retrying a write whose answer was lost, would double its lines. Every write therefore names each
sublist its body carries (see :func:`sublists_in`), whatever the caller passed.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import quote, urlsplit

import jwt
import requests

from sync.connections.connectors.errors import ConfigurationError, ConnectorError
from sync.connections.connectors.oauth1 import TokenSigner
from sync.connections.connectors.transport import (
    ConcurrencySlots,
    ConnectorSession,
    RequestObserver,
    RequestRecord,
    RetryPolicy,
    SessionPool,
    call_with_retry,
    excerpt,
    transport_error,
)

SYSTEM = "netsuite"

# At DEBUG these two log every signed request: the Authorization header (the token id in clear), the
# signature base string and the client's repr. Someone turning on DEBUG to chase a sync problem must not
# put credentials into the logs, so they never log below INFO.
for _noisy in ("oauthlib", "requests_oauthlib"):
    logging.getLogger(_noisy).setLevel(logging.INFO)
PAGE_LIMIT = 1000
# A request signed (OAuth 1.0a timestamp and nonce) before waiting for a concurrency slot is signed again
# when the wait took longer than this: NetSuite refuses timestamps far from its clock.
RESIGN_AFTER_SECONDS = 30.0
SUITEQL_ROW_CAP = 100_000


@dataclass(frozen=True)
class TokenAuth:
    """Token-based authentication (OAuth 1.0a, HMAC-SHA256)."""

    consumer_key: str
    consumer_secret: str
    token_id: str
    token_secret: str


@dataclass(frozen=True)
class MachineToMachineAuth:
    """OAuth 2.0 client credentials with a JWT assertion signed by the integration's certificate key."""

    client_id: str
    certificate_id: str
    private_key_pem: str
    algorithm: str = "PS256"
    scope: str = "rest_webservices"


@dataclass(frozen=True)
class NetSuiteConfig:
    account_id: str
    auth: TokenAuth | MachineToMachineAuth
    # Only for a non-standard host (a proxy or the simulator); the account id gives the real one.
    base_url: str = ""
    ca_bundle: str | None = None
    connect_timeout: float = 10.0
    read_timeout: float = 60.0
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    # True: the connection is for a sandbox; False: for production; None: not checked. The first request of
    # a connector asks which account answers and refuses the wrong kind before anything else is sent.
    expected_sandbox: bool | None = None
    # The connection and its version (e.g. ``"12@<updated_at>"``): connectors of one process built from the
    # same version share what they learnt about the account (:class:`AccountCache`); "" shares nothing.
    cache_key: str = ""

    @property
    def rest_url(self) -> str:
        if self.base_url:
            url = self.base_url.rstrip("/")
            return url if url.endswith("/services/rest") else url + "/services/rest"
        return f"https://{account_slug(self.account_id)}.suitetalk.api.netsuite.com/services/rest"


def account_slug(account_id: str) -> str:
    """``1234567_SB1`` -> ``1234567-sb1``, the host name NetSuite gives an account."""
    if not account_id or not all(ch.isalnum() or ch == "_" for ch in account_id):
        raise ConfigurationError(
            f"NetSuite account id {account_id!r} should look like 1234567 or 1234567_SB1"
        )
    return account_id.lower().replace("_", "-")


# NetSuite's account ids say the account's kind: 1234567 (production), 1234567_SB1 (sandbox), 1234567_RP
# (Release Preview); the account-specific host carries the same id (1234567-sb1.suitetalk.api.netsuite.com).
_NON_PRODUCTION = re.compile(r"[-_](sb\d*|rp)$", re.IGNORECASE)
_ACCOUNT_HOST = re.compile(r"^([a-z0-9-]+)\.suitetalk\.api\.netsuite\.com$", re.IGNORECASE)


def account_is_sandbox(account: str) -> bool:
    """True for a sandbox (or Release Preview) account id or host slug, False for production."""
    return bool(_NON_PRODUCTION.search(account.strip()))


def answering_account(body: Any) -> str:
    """The account a REST answer came from, read from its ``links`` (NetSuite writes its own
    account-specific host there); blank when the host is not NetSuite's (a proxy, the simulator)."""
    links = body.get("links") if isinstance(body, dict) else None
    for link in links if isinstance(links, list) else []:
        href = str(link.get("href") or "") if isinstance(link, dict) else ""
        match = _ACCOUNT_HOST.match(urlsplit(href).hostname or "")
        if match:
            return match.group(1)
    return ""


@dataclass
class Page:
    items: list[dict[str, Any]]
    has_more: bool
    total: int | None
    offset: int


@dataclass(frozen=True)
class ExchangeRate:
    """One row of NetSuite's Currency Exchange Rates (record ``currencyRate``, SuiteQL ``currencyrate``):
    ``rate`` units of ``base`` buy one unit of ``currency`` from ``effective`` (an ISO date) on."""

    base: str  # ISO code (the currency's symbol) of the base currency
    currency: str  # ISO code of the foreign (transaction) currency
    rate: float
    effective: str
    netsuite_id: str = ""


class AccountCache:
    """What the connectors of one process learnt about an account, per connection version: that the
    account passed the environment check, and the OAuth 2.0 bearer token (until it expires).

    Kept by version, not by time: an entry serves only connectors built from the same ``cache_key`` (a
    connection's id and version, which changes with any edit of its settings or secrets: another account
    id, base URL or environment is checked afresh before its first request)."""

    def __init__(self) -> None:
        self._verified: dict[str, str] = {}  # identity -> version checked
        self._bearers: dict[str, tuple[str, str, float]] = {}  # identity -> (version, token, expires)
        self._lock = threading.Lock()

    @staticmethod
    def _split(key: str) -> tuple[str, str]:
        identity, _, version = key.partition("@")
        return identity, version

    def verified(self, key: str) -> bool:
        identity, version = self._split(key)
        with self._lock:
            return bool(key) and self._verified.get(identity) == version

    def verified_mark(self, key: str) -> None:
        if key:
            identity, version = self._split(key)
            with self._lock:
                self._verified[identity] = version

    def bearer(self, key: str) -> tuple[str, float] | None:
        identity, version = self._split(key)
        with self._lock:
            entry = self._bearers.get(identity) if key else None
        return (entry[1], entry[2]) if entry is not None and entry[0] == version else None

    def bearer_put(self, key: str, token: str, expires: float) -> None:
        if key:
            identity, version = self._split(key)
            with self._lock:
                self._bearers[identity] = (version, token, expires)

    def clear(self) -> None:
        with self._lock:
            self._verified.clear()
            self._bearers.clear()


ACCOUNTS = AccountCache()
# Sessions a thread is done with, for the next thread of a connector of the same connection version
# (see NetSuiteConnector.session_release).
HTTP_SESSIONS = SessionPool()


class NetSuiteConnector:
    """A small typed interface to one NetSuite account, safe to share between threads."""

    def __init__(
        self,
        config: NetSuiteConfig,
        *,
        slots: ConcurrencySlots | None = None,
        observer: RequestObserver | None = None,
    ) -> None:
        self.config = config
        self.slots = slots or ConcurrencySlots()
        self.observer = observer
        self._local = threading.local()
        self._bearer: tuple[str, float] | None = ACCOUNTS.bearer(config.cache_key)
        self._bearer_lock = threading.Lock()
        # A connector of this process checked this version of the connection already.
        self._environment_ok = config.expected_sandbox is None or ACCOUNTS.verified(config.cache_key)
        self._environment_lock = threading.Lock()
        # Sessions are handed on between threads of connectors built from the same connection version;
        # a connector with no version (cache_key "") keeps its own.
        account = (config.account_id, config.auth, config.base_url, config.ca_bundle)
        timeouts = (config.connect_timeout, config.read_timeout)
        self._pool_key = (config.cache_key, *account, *timeouts) if config.cache_key else None

    # -- records ---------------------------------------------------------------------------------

    def get(
        self, record_type: str, record_id: str, *, expand: bool = False, fields: list[str] | None = None
    ) -> dict[str, Any]:
        params: dict[str, str] = {}
        if expand:
            params["expandSubResources"] = "true"
        if fields:
            params["fields"] = ",".join(fields)
        answer = self._call(
            "GET",
            f"record/v1/{_type(record_type)}/{quote(record_id, safe=':')}",
            params=params,
            operation=f"get {record_type}",
            idempotent=True,
        )
        return dict(answer.json())

    def get_by_external_id(
        self, record_type: str, external_id: str, *, expand: bool = False
    ) -> dict[str, Any] | None:
        """The record with this externalId, or ``None`` when NetSuite has none."""
        try:
            return self.get(record_type, "eid:" + external_id, expand=expand)
        except ConnectorError as error:
            if error.status == 404:
                return None
            raise

    def create(self, record_type: str, body: dict[str, Any]) -> str:
        """Create a record and return its internal id. Not idempotent: prefer :meth:`upsert`.

        The body's sublists are named in ``replace``: its lines, not NetSuite's default lines as well.
        """
        answer = self._call(
            "POST",
            f"record/v1/{_type(record_type)}",
            json_body=body,
            params=_replace_params(body, None),
            operation=f"create {record_type}",
            idempotent=False,
        )
        return _id_from_location(answer)

    def upsert(
        self,
        record_type: str,
        external_id: str,
        body: dict[str, Any],
        *,
        replace: list[str] | str | None = None,
    ) -> str:
        """Create or update by externalId (``PUT .../eid:<id>``); returns the internal id. Idempotent.

        ``replace`` names sublists (e.g. ``"item"``) whose lines the body replaces: without it NetSuite
        adds the sent lines to the stored ones, so a retried order upsert would double its lines. Every
        sublist the body carries is named anyway (:func:`sublists_in`); ``replace`` may add others.
        """
        if not external_id:
            raise ConfigurationError("an upsert needs a non-empty external id")
        path = f"record/v1/{_type(record_type)}/eid:{quote(external_id, safe='')}"
        answer = self._call(
            "PUT",
            path,
            json_body=body,
            params=_replace_params(body, replace),
            operation=f"upsert {record_type}",
            idempotent=True,
        )
        return _id_from_location(answer)

    def patch(
        self,
        record_type: str,
        record_id: str,
        body: dict[str, Any],
        *,
        replace: list[str] | str | None = None,
    ) -> None:
        """Update fields (``None`` clears a field). Every sublist the body carries is replaced, not
        merged (:func:`sublists_in`); ``replace`` may name others (with ``{"items": []}`` to empty one)."""
        self._call(
            "PATCH",
            f"record/v1/{_type(record_type)}/{quote(record_id, safe=':')}",
            json_body=body,
            params=_replace_params(body, replace),
            operation=f"update {record_type}",
            idempotent=True,
        )

    def delete(self, record_type: str, record_id: str) -> None:
        self._call(
            "DELETE",
            f"record/v1/{_type(record_type)}/{quote(record_id, safe=':')}",
            operation=f"delete {record_type}",
            idempotent=True,
        )

    def transform(
        self, from_type: str, record_id: str, to_type: str, body: dict[str, Any] | None = None
    ) -> str:
        """Record transformation (e.g. sales order -> invoice); returns the new record's id."""
        path = f"record/v1/{_type(from_type)}/{quote(record_id, safe='')}/!transform/{_type(to_type)}"
        answer = self._call(
            "POST", path, json_body=body or {}, operation=f"transform {from_type}", idempotent=False
        )
        return _id_from_location(answer)

    def list_ids(
        self, record_type: str, *, q: str | None = None, page_size: int = PAGE_LIMIT
    ) -> Iterator[str]:
        """Every matching record id, page by page."""
        offset = 0
        while True:
            params = {"limit": str(min(page_size, PAGE_LIMIT)), "offset": str(offset)}
            if q:
                params["q"] = q
            data = self._call(
                "GET",
                f"record/v1/{_type(record_type)}",
                params=params,
                operation=f"list {record_type}",
                idempotent=True,
            ).json()
            items = data.get("items") or []
            for item in items:
                yield str(item["id"])
            if not data.get("hasMore") or not items:
                return
            offset += len(items)

    # -- metadata --------------------------------------------------------------------------------

    def metadata_catalog(self) -> list[str]:
        """The record types the metadata catalog lists for this user and account (``customer``,
        ``salesOrder``...; custom record types included, what the role cannot see left out)."""
        data = self._call(
            "GET", "record/v1/metadata-catalog", operation="metadata catalog", idempotent=True
        ).json()
        items = data.get("items") if isinstance(data, dict) else None
        return [str(item["name"]) for item in items or [] if isinstance(item, dict) and item.get("name")]

    def record_schema(self, record_type: str) -> dict[str, Any]:
        """The JSON Schema of one record type (``Accept: application/schema+json``): its fields with
        ``title``, ``type``, ``format``, ``nullable``, ``x-ns-custom-field``, enum values and sublists."""
        answer = self._call(
            "GET",
            f"record/v1/metadata-catalog/{_type(record_type)}",
            headers={"Accept": "application/schema+json"},
            operation=f"metadata {record_type}",
            idempotent=True,
        )
        try:
            body = answer.json()
        except ValueError as exc:
            raise ConnectorError(
                SYSTEM,
                False,
                f"the metadata of {record_type} is not JSON ({answer.headers.get('Content-Type', '')})",
                code="BAD_METADATA",
                status=answer.status_code,
                operation=f"metadata {record_type}",
            ) from exc
        if not isinstance(body, dict):
            raise ConnectorError(
                SYSTEM,
                False,
                f"the metadata of {record_type} is not a JSON Schema object",
                code="BAD_METADATA",
                status=answer.status_code,
                operation=f"metadata {record_type}",
            )
        return body

    # -- SuiteQL ---------------------------------------------------------------------------------

    def suiteql_page(self, query: str, *, limit: int = PAGE_LIMIT, offset: int = 0) -> Page:
        params = {"limit": str(min(limit, PAGE_LIMIT)), "offset": str(offset)}
        data = self._call(
            "POST",
            "query/v1/suiteql",
            params=params,
            json_body={"q": query},
            headers={"Prefer": "transient"},
            operation="suiteql",
            idempotent=True,
        ).json()
        items = [{k: v for k, v in row.items() if k != "links"} for row in data.get("items") or []]
        return Page(items, bool(data.get("hasMore")), data.get("totalResults"), int(data.get("offset") or 0))

    def suiteql(self, query: str, *, page_size: int = PAGE_LIMIT) -> Iterator[dict[str, Any]]:
        """Every row of a query, page by page. NetSuite caps one query at 100,000 rows; past that, page
        by key (``WHERE id > :last ORDER BY id``) with :meth:`suiteql_by_key`."""
        offset = 0
        while True:
            page = self.suiteql_page(query, limit=page_size, offset=offset)
            yield from page.items
            offset += len(page.items)
            if not page.has_more or not page.items:
                return
            if offset >= SUITEQL_ROW_CAP:
                raise ConnectorError(
                    SYSTEM,
                    False,
                    "query returns more than 100,000 rows; page it by key",
                    code="ROW_CAP",
                    operation="suiteql",
                )

    def suiteql_by_key(
        self, select: str, *, key: str = "id", where: str = "", chunk_rows: int = 50_000
    ) -> Iterator[dict[str, Any]]:
        """Keyset paging over any number of rows: ``select`` is ``SELECT ... FROM table`` whose rows carry
        the numeric column ``key``; each chunk asks for ``key > last`` in key order."""
        last = -1
        while True:
            condition = f"{key} > {last}" + (f" AND ({where})" if where else "")
            query = f"{select} WHERE {condition} ORDER BY {key}"
            rows = 0
            offset = 0
            while rows < chunk_rows:
                page = self.suiteql_page(query, offset=offset)
                for row in page.items:
                    yield row
                    last = int(row[key.split(".")[-1]])
                rows += len(page.items)
                offset += len(page.items)
                if not page.has_more or not page.items:
                    return
            # chunk exhausted with more to come: start a fresh query after the last key seen

    # -- SuiteBilling (issue 22: sync.lifecycle) --------------------------------------------------

    def subscription_lines(self, subscription_id: str) -> list[dict[str, Any]]:
        """The lines of a subscription (SuiteQL ``subscriptionline``: linenumber, item, quantity,
        isincluded, status, startdate, enddate), in line order."""
        query = (
            "SELECT id, linenumber, item, quantity, isincluded, status, startdate, enddate "  # noqa: S608
            f"FROM subscriptionline WHERE subscription = {_numeric(subscription_id)} ORDER BY linenumber"
        )
        return list(self.suiteql(query))

    def change_orders_by_external_id(self, external_ids: Sequence[str]) -> dict[str, str]:
        """{external id: internal id} of the subscription change orders NetSuite holds of ``external_ids``."""
        found: dict[str, str] = {}
        wanted = sorted(set(external_ids))
        for start in range(0, len(wanted), 500):
            chunk = ", ".join("'" + eid.replace("'", "''") + "'" for eid in wanted[start : start + 500])
            query = f"SELECT id, externalid FROM subscriptionchangeorder WHERE externalid IN ({chunk})"  # noqa: S608
            for row in self.suiteql(query):
                found[str(row.get("externalid"))] = str(row.get("id"))
        return found

    def change_order_upsert(self, external_id: str, body: dict[str, Any]) -> str:
        """Save a subscription change order by external id (``PUT .../eid:``): NetSuite keeps a saved change
        order as it is, so the same body again is a no-op and a retry after a lost answer writes nothing
        twice. Returns the internal id."""
        return self.upsert("subscriptionChangeOrder", external_id, body)

    # -- currencies ------------------------------------------------------------------------------------

    def exchange_rates(self) -> list[ExchangeRate]:
        """Every exchange rate of the account's Currency Exchange Rates table, oldest first (SuiteQL
        ``currencyrate``: basecurrency, transactioncurrency, exchangerate, effectivedate). Empty on an
        account without the Multiple Currencies feature, which has no such table."""
        select = (
            "SELECT r.id, b.symbol AS basecurrency, c.symbol AS transactioncurrency, r.exchangerate, "
            "TO_CHAR(r.effectivedate, 'YYYY-MM-DD') AS effectivedate FROM currencyrate r "
            "JOIN currency b ON b.id = r.basecurrency JOIN currency c ON c.id = r.transactioncurrency"
        )
        try:
            rows = list(self.suiteql_by_key(select, key="r.id"))
        except ConnectorError as error:
            if table_missing(error, "currencyrate"):
                return []
            raise
        rates = [
            ExchangeRate(
                base=str(row.get("basecurrency") or ""),
                currency=str(row.get("transactioncurrency") or ""),
                rate=float(row["exchangerate"]),
                effective=str(row.get("effectivedate") or ""),
                netsuite_id=str(row.get("id") or ""),
            )
            for row in rows
            if row.get("exchangerate") not in (None, "")
        ]
        return sorted(rates, key=lambda rate: (rate.effective, int(rate.netsuite_id or 0)))

    def ping(self) -> dict[str, Any]:
        """A small authenticated read for "test connection": the first subsidiary (the first currency on
        an account without OneWorld, which has no subsidiary table)."""
        try:
            page = self.suiteql_page("SELECT id, name FROM subsidiary ORDER BY id", limit=1)
        except ConnectorError as error:
            if not table_missing(error, "subsidiary"):
                raise
            page = self.suiteql_page("SELECT id, name FROM currency ORDER BY id", limit=1)
        return page.items[0] if page.items else {}

    # -- the lists people grant and route by --------------------------------------------------------

    def subsidiaries(self) -> list[dict[str, Any]] | None:
        """Every subsidiary, active or not: ``id``, ``name``, ``parent``, ``isinactive`` (``T``/``F``),
        ``country`` (ISO code) and ``currency`` (its name). ``None`` on an account without OneWorld,
        which has no subsidiary table (SuiteQL refuses the query)."""
        try:
            return list(
                self.suiteql_by_key(
                    "SELECT id, name, parent, isinactive, country, BUILTIN.DF(currency) AS currency "
                    "FROM subsidiary"
                )
            )
        except ConnectorError as error:
            if table_missing(error, "subsidiary"):
                return None
            raise

    def list_values(self, table: str) -> list[dict[str, Any]] | None:
        """Every row of a classification list (``department``, ``classification``, ``location``):
        ``id``, ``name``, ``parent``, ``isinactive``. ``None`` when the account has the feature off."""
        if table not in LIST_TABLES:
            raise ValueError(f"not a NetSuite list Concord reads: {table!r}")
        try:
            # table is one of LIST_TABLES (checked above), never caller text.
            return list(self.suiteql_by_key(f"SELECT id, name, parent, isinactive FROM {table}"))  # noqa: S608
        except ConnectorError as error:
            if table_missing(error, table):
                return None
            raise

    def environment_verify(self) -> None:
        """Refuse an account of the wrong kind before the first request of this connector: a sandbox
        connection whose settings came from production (a sandbox refresh copies them) must never write to
        production, nor the reverse. The signed request proves the account id (NetSuite checks the realm);
        NetSuite's own host in the answer's links, when present, is what the account answers as."""
        expected = self.config.expected_sandbox
        with self._environment_lock:
            if self._environment_ok or expected is None:
                return
            answer = call_with_retry(
                lambda: self._send(
                    "POST",
                    "query/v1/suiteql",
                    params={"limit": "1", "offset": "0"},
                    # Customers exist in every account (subsidiaries only in OneWorld ones), and the
                    # integration role reads them anyway.
                    json_body={"q": "SELECT id FROM customer"},
                    headers={"Prefer": "transient"},
                    operation="environment check",
                ),
                policy=self.config.retry,
                idempotent=True,
            )
            try:
                body = answer.json()
            except ValueError:
                body = None
            account = answering_account(body) or self.config.account_id
            if account_is_sandbox(account) != expected:
                kind = "a sandbox" if account_is_sandbox(account) else "a production account"
                raise ConnectorError(
                    SYSTEM,
                    False,
                    f"account {account} answered, which is {kind}, but this connection is for "
                    f"{'a sandbox' if expected else 'production'}",
                    code="WRONG_ENVIRONMENT",
                    operation="environment check",
                    details=[{"account": account, "is_sandbox": account_is_sandbox(account)}],
                )
            self._environment_ok = True
            ACCOUNTS.verified_mark(self.config.cache_key)

    # -- plumbing --------------------------------------------------------------------------------

    def session_release(self) -> None:
        """The calling thread is done with this connector for now: its session, and the connection the
        session keeps open, go to the process's pool for the next thread (of this connector or another of
        the same connection version) instead of being closed with the thread (:class:`SessionPool`). The
        thread may call again: it then takes a session from the pool, or a new one."""
        session = getattr(self._local, "session", None)
        if session is None:
            return
        self._local.session = None
        if self._pool_key is None:
            session.close()
        else:
            HTTP_SESSIONS.give(self._pool_key, session)

    def _session(self) -> ConnectorSession:
        session = getattr(self._local, "session", None)
        if session is None and self._pool_key is not None:
            session = HTTP_SESSIONS.take(self._pool_key)
            self._local.session = session
        if session is None:
            session = ConnectorSession(
                ca_bundle=self.config.ca_bundle,
                timeout=(self.config.connect_timeout, self.config.read_timeout),
                system=SYSTEM,
            )
            if isinstance(self.config.auth, TokenAuth):
                auth = self.config.auth
                session.auth = TokenSigner(
                    auth.consumer_key,
                    auth.consumer_secret,
                    auth.token_id,
                    auth.token_secret,
                    realm=self.config.account_id,
                )
            self._local.session = session
        return session

    def _call(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, str] | None = None,
        json_body: Any = None,
        headers: dict[str, str] | None = None,
        operation: str,
        idempotent: bool,
    ) -> requests.Response:
        if not self._environment_ok:
            self.environment_verify()
        return call_with_retry(
            lambda: self._send(
                method, path, params=params, json_body=json_body, headers=headers, operation=operation
            ),
            policy=self.config.retry,
            idempotent=idempotent,
        )

    def _send(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, str] | None,
        json_body: Any,
        headers: dict[str, str] | None,
        operation: str,
    ) -> requests.Response:
        url = f"{self.config.rest_url}/{path}"
        request_headers = {"Accept": "application/json", **(headers or {})}
        data = None
        if json_body is not None:
            data = json.dumps(json_body, default=str).encode()
            request_headers["Content-Type"] = "application/json"
        if isinstance(self.config.auth, MachineToMachineAuth):
            request_headers["Authorization"] = "Bearer " + self._bearer_token()
        started = time.perf_counter()
        answer: requests.Response | None = None
        session = self._session()
        try:
            # Signed before a slot is taken, so the slot is held for the exchange alone; signed again
            # if the wait was long enough for NetSuite to find the timestamp stale.
            prepared = session.prepare(method, url, params=params, data=data, headers=request_headers)
            with self.slots.slot():
                if time.perf_counter() - started > RESIGN_AFTER_SECONDS:
                    prepared = session.prepare(method, url, params=params, data=data, headers=request_headers)
                answer = session.send_prepared(prepared)
        except requests.RequestException as exc:
            raise transport_error(SYSTEM, operation, exc) from exc
        finally:
            self._observe(operation, method, url, answer, started, data)
        if answer.status_code == 429:
            self.slots.overloaded()
        if answer.status_code >= 400:
            raise error_from_response(answer, operation)
        return answer

    def _observe(
        self,
        operation: str,
        method: str,
        url: str,
        answer: requests.Response | None,
        started: float,
        body: bytes | None,
    ) -> None:
        if self.observer is None:
            return
        self.observer(
            RequestRecord(
                system=SYSTEM,
                operation=operation,
                method=method,
                url=url.split("?")[0],
                status=answer.status_code if answer is not None else None,
                elapsed_ms=(time.perf_counter() - started) * 1000,
                request_excerpt=excerpt(body),
                response_excerpt=excerpt(answer.content) if answer is not None else "",
            )
        )

    def _bearer_token(self) -> str:
        auth = self.config.auth
        if not isinstance(auth, MachineToMachineAuth):
            raise TypeError("a bearer token needs OAuth 2.0 machine-to-machine auth")
        with self._bearer_lock:
            if self._bearer and self._bearer[1] > time.time() + 60:
                return self._bearer[0]
            token_url = f"{self.config.rest_url}/auth/oauth2/v1/token"
            now = int(time.time())
            assertion = jwt.encode(
                {
                    "iss": auth.client_id,
                    "scope": auth.scope.split(","),
                    "aud": token_url,
                    "iat": now,
                    "exp": now + 3600,
                },
                auth.private_key_pem,
                algorithm=auth.algorithm,
                headers={"kid": auth.certificate_id, "typ": "JWT"},
            )
            try:
                answer = self._session().post(
                    token_url,
                    data={
                        "grant_type": "client_credentials",
                        "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                        "client_assertion": assertion,
                    },
                )
            except requests.RequestException as exc:
                raise transport_error(SYSTEM, "token", exc) from exc
            if answer.status_code != 200:
                raise error_from_response(answer, "token")
            data = answer.json()
            self._bearer = (data["access_token"], time.time() + float(data.get("expires_in", 3600)))
            ACCOUNTS.bearer_put(self.config.cache_key, *self._bearer)
            return self._bearer[0]


# Departments, classes and locations: the SuiteQL tables of the classification lists.
LIST_TABLES = ("department", "classification", "location")


def table_missing(error: ConnectorError, table: str) -> bool:
    """SuiteQL refused a query because ``table`` does not exist in this account (a feature that is off:
    OneWorld for ``subsidiary``; Departments, Classes, Locations). NetSuite answers 400 and names the
    record: "Record 'subsidiary' was not found." (or, in older answers, an unknown identifier)."""
    if error.status != 400:
        return False
    text = error.message.lower()
    return table in text and ("not found" in text or "unknown identifier" in text or "invalid search" in text)


def error_from_response(answer: requests.Response, operation: str) -> ConnectorError:
    """Classify a NetSuite error answer, keeping its code, detail and o:errorPath."""
    status = answer.status_code
    details: list[dict[str, Any]] = []
    try:
        body = answer.json()
        if isinstance(body, dict):
            details = [d for d in body.get("o:errorDetails") or [] if isinstance(d, dict)]
            if not details and "error" in body:  # OAuth 2.0 token endpoint shape
                details = [
                    {
                        "detail": body.get("error_description") or body["error"],
                        "o:errorCode": str(body["error"]).upper(),
                    }
                ]
    except ValueError:
        pass
    first = details[0] if details else {}
    code = str(first.get("o:errorCode") or "")
    message = str(first.get("detail") or answer.reason or f"HTTP {status}")
    rate_limited = status == 429 or code in ("CONCURRENCY_LIMIT_EXCEEDED", "REQUEST_LIMIT_EXCEEDED")
    transient = rate_limited or status >= 500 or status in (408,)
    return ConnectorError(
        SYSTEM,
        transient,
        message,
        code=code or f"HTTP_{status}",
        status=status,
        path=str(first.get("o:errorPath") or ""),
        operation=operation,
        rate_limited=rate_limited,
        # A 5xx may come after the work was done; refusals (429) come before any work.
        ambiguous=status >= 500,
        details=details,
        clock_skew=_clock_skew(answer) if status == 401 else None,
    )


_OAUTH_TIMESTAMP = re.compile(r'oauth_timestamp="(\d+)"')


def _clock_skew(answer: requests.Response) -> float | None:
    """Server ``Date`` minus the ``oauth_timestamp`` we signed with (NetSuite never says why it refused)."""
    request = getattr(answer, "request", None)
    header = request.headers.get("Authorization", "") if request is not None else ""
    signed = _OAUTH_TIMESTAMP.search(header if isinstance(header, str) else header.decode("latin-1"))
    server_date = answer.headers.get("Date")
    if not signed or not server_date:
        return None
    try:
        server_time = parsedate_to_datetime(server_date).timestamp()
    except (TypeError, ValueError):
        return None
    return server_time - int(signed.group(1))


def sublists_in(body: dict[str, Any]) -> list[str]:
    """The sublists a write body carries: its top-level members in NetSuite's sublist form,
    ``{"items": [...]}`` (or ``{"items": null}``), in body order.

    A multi-select field has the same form; Concord's mappings write none, and naming one in ``replace``
    is unverified against NetSuite (its whole selection is sent either way).
    """
    return [name for name, value in body.items() if isinstance(value, dict) and "items" in value]


def _replace_params(body: Any, replace: list[str] | str | None) -> dict[str, str] | None:
    """``{"replace": "item,member"}``: the sublists named by the caller and every one the body carries."""
    named = [replace] if isinstance(replace, str) else list(replace or [])
    carried = sublists_in(body) if isinstance(body, dict) else []
    names = list(dict.fromkeys(name for name in [*named, *carried] if name))
    return {"replace": ",".join(names)} if names else None


def _numeric(value: str) -> int:
    """An internal id for a SuiteQL literal (it has no bind parameters): digits only."""
    if not str(value).isdigit():
        raise ConfigurationError(f"not a NetSuite internal id: {value!r}")
    return int(value)


def _type(record_type: str) -> str:
    if not record_type or not record_type.replace("_", "").isalnum():
        raise ConfigurationError(f"not a NetSuite record type: {record_type!r}")
    return record_type


def _id_from_location(answer: requests.Response) -> str:
    location = answer.headers.get("Location", "")
    record_id = urlsplit(location).path.rstrip("/").rsplit("/", 1)[-1]
    if not record_id:
        raise ConnectorError(
            SYSTEM,
            False,
            "NetSuite answered without a Location header",
            code="NO_LOCATION",
            status=answer.status_code,
        )
    return record_id
