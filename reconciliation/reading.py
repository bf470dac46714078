"""Reading both systems for a check: the connectors, NetSuite's small set-up tables, and paging helpers.

Everything here yields records one at a time (SOQL ``nextRecordsUrl`` pages, SuiteQL keyset pages), so a
check never holds a whole side in memory; :func:`reconciliation.engine.compare` sorts the streams itself.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Protocol

from sync.mappings.engine.defaults import load_default_lookups

# Rows per SuiteQL query before a fresh keyset query starts: below NetSuite's 100,000-row cap per query.
KEYSET_CHUNK_ROWS = 50_000


class SalesforceReader(Protocol):
    def query(self, soql: str, *, include_deleted: bool = False) -> Iterator[dict[str, Any]]: ...


class NetSuiteReader(Protocol):
    def suiteql(self, query: str, *, page_size: int = ...) -> Iterator[dict[str, Any]]: ...

    def suiteql_page(self, query: str, *, limit: int = ..., offset: int = ...) -> Any: ...


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
