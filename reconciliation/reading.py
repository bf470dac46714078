"""Reading both systems for a check: the connectors, NetSuite's small set-up tables, and paging helpers.

Everything here yields records one at a time (SOQL ``nextRecordsUrl`` pages, SuiteQL keyset pages), so a
check never holds a whole side in memory; :func:`reconciliation.engine.compare` sorts the streams itself.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Protocol, runtime_checkable

from sync.connections.connectors.netsuite import ExchangeRate
from sync.integrations.namespacing import eid_namespaced, eid_raw, suiteql_owned
from sync.mappings.engine.defaults import load_default_lookups

# Rows per SuiteQL query before a fresh keyset query starts: below NetSuite's 100,000-row cap per query.
KEYSET_CHUNK_ROWS = 50_000


class SalesforceReader(Protocol):
    def query(self, soql: str, *, include_deleted: bool = False) -> Iterator[dict[str, Any]]: ...


class NetSuiteReader(Protocol):
    def suiteql(self, query: str, *, page_size: int = ...) -> Iterator[dict[str, Any]]: ...

    def suiteql_page(self, query: str, *, limit: int = ..., offset: int = ...) -> Any: ...


@runtime_checkable
class ExchangeRateReader(Protocol):
    """A NetSuite reader that also reads the account's exchange rates (the connector does)."""

    def exchange_rates(self) -> list[ExchangeRate]: ...


@dataclass
class Sources:
    """The two connectors a run reads through, plus the translation tables read once per run."""

    salesforce: SalesforceReader
    netsuite: NetSuiteReader
    lookups: dict[str, dict[str, Any]] = field(default_factory=load_default_lookups)
    # The NetSuite connection read (its mismatches' exceptions are scoped by its subsidiaries).
    netsuite_connection_id: int | None = None
    # What each system lists, lower-cased, per the connection's metadata cache (describeGlobal, NetSuite's
    # catalog); None when not known (never read): a check then just reads and fails if the object is absent.
    salesforce_objects: frozenset[str] | None = None
    netsuite_record_types: frozenset[str] | None = None
    # Whether the org has multiple currencies (records carry CurrencyIsoCode) per its metadata; assumed when
    # never read. A single-currency org's records are all in its corporate currency.
    salesforce_multi_currency: bool = True
    # The integration read: its namespace ("" for the primary one) prefixes the external ids it writes, so
    # NetSuite records carrying it are its own; records carrying one of ``other_namespaces`` are another
    # integration's, left out.
    namespace: str = ""
    other_namespaces: frozenset[str] = frozenset()
    integration_id: int | None = None  # the exceptions a run opens name its integration
    # Filled by the readers while they go, for the run: mismatch details by key (a converted total's
    # exchange rates) and money per currency (the dashboard's figures).
    details: dict[str, dict[str, Any]] = field(default_factory=dict)
    totals: dict[str, dict[str, float]] = field(default_factory=dict)
    # What a check read once for both of its readers (the period totals' amounts).
    cache: dict[str, Any] = field(default_factory=dict)
    # NetSuite customers the integration shares with another (carrying the other's external id):
    # internal id -> this org's account id, from the integration's shared cross-references.
    shared_customers: dict[str, str] = field(default_factory=dict)

    def owned(self, column: str = "externalid", *, also: str = "") -> str:
        """A SuiteQL condition: ``column`` holds an external id of this integration. For the primary
        integration a record without one (linked by ``also``, e.g. a custom id field) counts too."""
        condition = suiteql_owned(self.namespace, self.other_namespaces, column=column)
        if self.namespace:
            return condition
        owned = f"{column} IS NOT NULL AND {condition}"
        return f"({column} IS NULL AND {also} IS NOT NULL) OR ({owned})" if also else owned

    def external_id(self, key: str) -> str:
        """The external id this integration gives NetSuite for ``key`` (a Salesforce id, ``SUB-...``)."""
        return eid_namespaced(self.namespace, key)

    def key_of(self, external_id: Any) -> str:
        """An external id of this integration without its namespace: the Salesforce side's key."""
        text = str(external_id or "")
        return eid_raw(self.namespace, text, others=self.other_namespaces) or text

    @cached_property
    def org_currency(self) -> str | None:
        """A single-currency org's corporate currency (``Organization.DefaultCurrencyIsoCode``)."""
        rows = self.salesforce.query("SELECT DefaultCurrencyIsoCode FROM Organization")
        return next((str(row.get("DefaultCurrencyIsoCode") or "") or None for row in rows), None)

    def currency_soql(self) -> str:
        """``CurrencyIsoCode, `` for a SOQL select list, or nothing in a single-currency org (where the
        field does not exist and naming it fails)."""
        return "CurrencyIsoCode, " if self.salesforce_multi_currency else ""

    def record_currency(self, record: dict[str, Any]) -> Any:
        """A Salesforce record's currency: its own, or the org's in a single-currency org."""
        return record.get("CurrencyIsoCode") if self.salesforce_multi_currency else self.org_currency

    @cached_property
    def currency_codes(self) -> dict[str, str]:
        """NetSuite currency id -> ISO code (``symbol``), read from the account, not assumed."""
        return {str(row["id"]): str(row.get("symbol") or "") for row in self.netsuite.suiteql(CURRENCIES)}

    @cached_property
    def subsidiary_names(self) -> dict[str, str]:
        """NetSuite subsidiary id -> name, the comparable value for both sides."""
        return {str(row["id"]): str(row.get("name") or "") for row in self.netsuite.suiteql(SUBSIDIARIES)}

    @property
    def one_world(self) -> bool:
        """Whether the NetSuite account has subsidiaries (OneWorld); assumed when its catalog was never read.
        Without OneWorld no record has a ``subsidiary`` field, and a query naming it fails."""
        return self.netsuite_record_types is None or "subsidiary" in self.netsuite_record_types

    def subsidiary_column(self, prefix: str = "") -> str:
        """``subsidiary`` for a SuiteQL select list (``prefix``: a table alias and dot), or
        ``NULL AS subsidiary`` in an account without OneWorld."""
        return f"{prefix}subsidiary" if self.one_world else "NULL AS subsidiary"

    def currency_code(self, netsuite_id: Any) -> str | None:
        if netsuite_id in (None, ""):
            return None
        return self.currency_codes.get(str(netsuite_id), f"currency #{netsuite_id}")

    def subsidiary_name(self, netsuite_id: Any) -> str | None:
        if netsuite_id in (None, ""):
            return None
        return self.subsidiary_names.get(str(netsuite_id), f"subsidiary #{netsuite_id}")

    def expected_subsidiary(self, billing_country: Any) -> str | None:
        """The subsidiary the mapping would give an account in this country (its lookup table); none in an
        account without OneWorld."""
        if not self.one_world:
            return None
        subsidiary_id = self.lookups.get("country_to_subsidiary", {}).get(str(billing_country or ""))
        if subsidiary_id is None:
            return None
        return self.subsidiary_name(subsidiary_id)

    @cached_property
    def exchange_rates(self) -> list[ExchangeRate]:
        """The account's Currency Exchange Rates, read once per run (none from a reader without them)."""
        return self.netsuite.exchange_rates() if isinstance(self.netsuite, ExchangeRateReader) else []

    @cached_property
    def base_currency(self) -> str | None:
        """The currency totals spanning currencies are converted to: the one the account's exchange rates
        are kept against (the root subsidiary's), else the account's base currency."""
        bases = [rate.base for rate in self.exchange_rates if rate.base]
        if bases:
            return max(set(bases), key=bases.count)
        rows = self.netsuite.suiteql("SELECT symbol FROM currency WHERE isbasecurrency = 'T'")
        return next((str(row.get("symbol") or "") or None for row in rows), None)

    def rate_on(self, currency: str, base: str, on: dt.date) -> Conversion | None:
        """NetSuite's rate from ``currency`` to ``base`` in effect on ``on``: the latest rate effective on
        or before that day (read directly, or as the inverse of ``base``'s rate against ``currency``).
        None when the account holds none."""
        if currency == base:
            return Conversion(currency, base, 1.0, "")
        day = on.isoformat()
        found: Conversion | None = None
        for rate in self.exchange_rates:  # oldest first: the last one that applies wins
            if rate.effective > day or not rate.rate:
                continue
            if rate.base == base and rate.currency == currency:
                found = Conversion(currency, base, rate.rate, rate.effective)
            elif rate.base == currency and rate.currency == base:
                found = Conversion(currency, base, 1 / rate.rate, rate.effective, inverse=True)
        return found


@dataclass(frozen=True)
class Conversion:
    """One currency to another at NetSuite's rate (``rate`` units of ``to`` per unit of ``currency``)."""

    currency: str
    to: str
    rate: float
    effective: str  # NetSuite's effective date of the rate; "" for a currency into itself
    inverse: bool = False  # read as 1 / the rate NetSuite keeps the other way round

    def as_dict(self) -> dict[str, Any]:
        return {
            "currency": self.currency,
            "to": self.to,
            "rate": round(self.rate, 10),
            "effective_date": self.effective,
            **({"inverse_of_netsuite_rate": True} if self.inverse else {}),
        }


CURRENCIES = "SELECT id, symbol FROM currency"
SUBSIDIARIES = "SELECT id, name FROM subsidiary"


def suiteql_keyset(
    netsuite: NetSuiteReader,
    *,
    select: str,
    key: str,
    where: str = "",
    group_by: str = "",
    chunk_rows: int = KEYSET_CHUNK_ROWS,
) -> Iterator[dict[str, Any]]:
    """Every row of ``select`` (``SELECT ... FROM ... [JOIN ...]``) in pages, by keyset on numeric ``key``.

    Like the connector's ``suiteql_by_key`` but with an optional GROUP BY (which SQL wants after the
    WHERE the keyset condition goes into): each query starts after the last key seen and reads at most
    ``chunk_rows`` rows, so no single query passes NetSuite's 100,000-row cap.
    """
    column = key.split(".")[-1]
    last = -1
    while True:
        condition = f"{key} > {last}" + (f" AND ({where})" if where else "")
        grouping = f" GROUP BY {group_by}" if group_by else ""
        query = f"{select} WHERE {condition}{grouping} ORDER BY {key}"
        rows = offset = 0
        while rows < chunk_rows:
            page = netsuite.suiteql_page(query, offset=offset)
            for row in page.items:
                yield row
                last = int(row[column])
            rows += len(page.items)
            offset += len(page.items)
            if not page.has_more or not page.items:
                return


def grouped(
    rows: Iterable[dict[str, Any]], key: Callable[[dict[str, Any]], str]
) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """Consecutive rows sharing ``key``, as ``(key, rows)``: the input must arrive ordered by that key."""
    current: str | None = None
    bucket: list[dict[str, Any]] = []
    for row in rows:
        value = key(row)
        if bucket and value != current:
            yield str(current), bucket
            bucket = []
        current = value
        bucket.append(row)
    if bucket:
        yield str(current), bucket


def number(value: Any) -> float | None:
    """SuiteQL answers numbers as strings and leaves NULL columns out; Salesforce sends floats."""
    if value in (None, ""):
        return None
    return float(value)
