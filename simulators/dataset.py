"""The deterministic demo and test data set both simulators are seeded from.

One description of the business (subsidiaries, currencies, products and CPQ packages, accounts with
contacts, opportunities with primary quotes) so that Salesforce and NetSuite agree on SKUs, currencies
and subsidiaries the way a real, already-integrated company does. Records are generated lazily per
index, so the data set for 1,000,000 accounts streams in constant memory, and record ``n`` is the
same for a given seed whatever the size asked for.

Deliberate imperfections (for the rules engine and the exception queue to find) are part of the data:
every 23rd opportunity's Amount differs from its quote's net amount, every 17th quote has a discount
above the approval threshold without the approval flag, every 41st account has no billing country.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

DISCOUNT_APPROVAL_THRESHOLD = Decimal("20")


@dataclass(frozen=True)
class Currency:
    code: str
    name: str
    symbol: str
    precision: int


@dataclass(frozen=True)
class Subsidiary:
    key: str
    name: str
    country: str
    currency: str
    allowed_currencies: tuple[str, ...]


@dataclass(frozen=True)
class Product:
    sku: str
    name: str
    family: str
    # "subscription" items bill on a plan; "service" and "hardware" are one-off lines.
    kind: str
    list_price: Decimal
    taxable: bool
    revenue_treatment: str
    tax_code: str


@dataclass(frozen=True)
class Package:
    """A CPQ bundle: a parent product whose lines require it (SBQQ__RequiredBy__c)."""

    sku: str
    name: str
    members: tuple[str, ...]
    term_months: int


@dataclass(frozen=True)
class Contact:
    index: int
    first_name: str
    last_name: str
    email: str
    phone: str
    title: str
    role: str
    is_primary: bool


@dataclass(frozen=True)
class QuoteLine:
    number: int
    sku: str
    quantity: Decimal
    list_price: Decimal
    discount_percent: Decimal
    net_price: Decimal
    net_total: Decimal
    # Index (in the quote's lines) of the bundle parent this line belongs to, if any.
    required_by: int | None


@dataclass(frozen=True)
class Quote:
    start_date: dt.date
    end_date: dt.date
    term_months: int
    net_amount: Decimal
    discount_approved: bool
    lines: tuple[QuoteLine, ...]


@dataclass(frozen=True)
class Opportunity:
    index: int
    name: str
    stage: str
    close_date: dt.date
    amount: Decimal
    currency: str
    quote: Quote


@dataclass(frozen=True)
class Account:
    index: int
    name: str
    industry: str
    country: str
    city: str
    street: str
    postal_code: str
    currency: str
    subsidiary: str
    phone: str
    website: str
    contacts: tuple[Contact, ...]
    opportunities: tuple[Opportunity, ...] = field(default_factory=tuple)


CURRENCIES: tuple[Currency, ...] = (
    Currency("USD", "US Dollar", "$", 2),
    Currency("CAD", "Canadian Dollar", "CA$", 2),
    Currency("GBP", "British Pound", "£", 2),
    Currency("EUR", "Euro", "€", 2),
    Currency("AUD", "Australian Dollar", "A$", 2),
    Currency("JPY", "Japanese Yen", "¥", 0),
)

SUBSIDIARIES: tuple[Subsidiary, ...] = (
    Subsidiary("US", "Concord Software Inc.", "US", "USD", ("USD", "CAD")),
    Subsidiary("UK", "Concord Software Ltd", "GB", "GBP", ("GBP", "EUR")),
    Subsidiary("DE", "Concord Software GmbH", "DE", "EUR", ("EUR",)),
    Subsidiary("AU", "Concord Software Pty Ltd", "AU", "AUD", ("AUD",)),
    Subsidiary("JP", "Concord Software KK", "JP", "JPY", ("JPY",)),
)

# country -> (subsidiary key, currency, cities with postal codes)
COUNTRIES: dict[str, tuple[str, str, tuple[tuple[str, str], ...]]] = {
    "US": ("US", "USD", (("San Francisco", "94105"), ("Austin", "78701"), ("New York", "10001"))),
    "CA": ("US", "CAD", (("Toronto", "M5H 2N2"), ("Vancouver", "V6B 1A1"))),
    "GB": ("UK", "GBP", (("London", "EC1A 1BB"), ("Manchester", "M1 1AE"))),
    "IE": ("UK", "EUR", (("Dublin", "D02 X285"),)),
    "DE": ("DE", "EUR", (("Berlin", "10115"), ("Munich", "80331"))),
    "AU": ("AU", "AUD", (("Sydney", "2000"), ("Melbourne", "3000"))),
    "JP": ("JP", "JPY", (("Tokyo", "100-0001"),)),
}

TAX_CODES: tuple[tuple[str, str, Decimal], ...] = (
    ("TAX-STD", "Standard rate", Decimal("20.0")),
    ("TAX-RED", "Reduced rate", Decimal("5.0")),
    ("TAX-EXEMPT", "Exempt", Decimal("0.0")),
)

PRODUCTS: tuple[Product, ...] = (
    Product(
        "PLAT-CORE",
        "Platform Core (per user)",
        "Platform",
        "subscription",
        Decimal("45.00"),
        True,
        "ratable",
        "TAX-STD",
    ),
    Product(
        "PLAT-ANL",
        "Analytics Add-on (per user)",
        "Platform",
        "subscription",
        Decimal("15.00"),
        True,
        "ratable",
        "TAX-STD",
    ),
    Product(
        "PLAT-API",
        "API Capacity Pack",
        "Platform",
        "subscription",
        Decimal("250.00"),
        True,
        "ratable",
        "TAX-STD",
    ),
    Product(
        "SUP-STD", "Standard Support", "Support", "subscription", Decimal("5.00"), True, "ratable", "TAX-STD"
    ),
    Product(
        "SUP-PREM", "Premium Support", "Support", "subscription", Decimal("12.00"), True, "ratable", "TAX-STD"
    ),
    Product(
        "SVC-ONB",
        "Onboarding Services",
        "Services",
        "service",
        Decimal("4500.00"),
        True,
        "point_in_time",
        "TAX-RED",
    ),
    Product(
        "SVC-TRN",
        "Training Day",
        "Services",
        "service",
        Decimal("1800.00"),
        False,
        "point_in_time",
        "TAX-EXEMPT",
    ),
    Product(
        "HW-GW",
        "Edge Gateway Appliance",
        "Hardware",
        "hardware",
        Decimal("1200.00"),
        True,
        "point_in_time",
        "TAX-STD",
    ),
    Product(
        "PKG-STARTER",
        "Starter Package",
        "Packages",
        "subscription",
        Decimal("0.00"),
        True,
        "ratable",
        "TAX-STD",
    ),
    Product(
        "PKG-GROWTH",
        "Growth Package",
        "Packages",
        "subscription",
        Decimal("0.00"),
        True,
        "ratable",
        "TAX-STD",
    ),
)

PACKAGES: tuple[Package, ...] = (
    Package("PKG-STARTER", "Starter Package", ("PLAT-CORE", "SUP-STD"), 12),
    Package("PKG-GROWTH", "Growth Package", ("PLAT-CORE", "PLAT-ANL", "SUP-PREM"), 24),
)

PRODUCTS_BY_SKU = {product.sku: product for product in PRODUCTS}
STAGES = ("Prospecting", "Qualification", "Negotiation/Review", "Closed Won", "Closed Lost")
_STAGE_WEIGHTS = (10, 10, 15, 50, 15)
_INDUSTRIES = ("Technology", "Manufacturing", "Healthcare", "Financial Services", "Retail", "Education")
_NAME_HEADS = (
    "Acme",
    "Globex",
    "Initech",
    "Umbrella",
    "Stark",
    "Wayne",
    "Hooli",
    "Vandelay",
    "Soylent",
    "Tyrell",
    "Cyberdyne",
    "Wonka",
    "Gringotts",
    "Oscorp",
    "Aperture",
    "Massive Dynamic",
)
_NAME_TAILS = ("Corp", "Industries", "Labs", "Systems", "Holdings", "Group", "Partners", "Analytics")
_FIRST = (
    "Ada",
    "Grace",
    "Alan",
    "Linus",
    "Margaret",
    "Dennis",
    "Barbara",
    "Ken",
    "Frances",
    "Edsger",
    "Radia",
    "Tim",
    "Hedy",
    "Guido",
    "Katherine",
    "Donald",
)
_LAST = (
    "Lovelace",
    "Hopper",
    "Turing",
    "Torvalds",
    "Hamilton",
    "Ritchie",
    "Liskov",
    "Thompson",
    "Allen",
    "Dijkstra",
    "Perlman",
    "Berners-Lee",
    "Lamarr",
    "van Rossum",
    "Johnson",
    "Knuth",
)
_ROLES = ("Decision Maker", "Economic Buyer", "Technical Buyer", "Business User", "Evaluator")
_TITLES = ("CFO", "VP Finance", "CTO", "Head of RevOps", "Procurement Manager", "IT Director")
_EPOCH = dt.date(2026, 1, 1)


def money(value: Decimal, precision: int = 2) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-precision), rounding=ROUND_HALF_UP)


def currency_precision(code: str) -> int:
    return next(currency.precision for currency in CURRENCIES if currency.code == code)


class Dataset:
    """``Dataset(seed=7, accounts=1000).accounts()`` yields the same accounts every time."""

    def __init__(self, *, seed: int = 1, accounts: int = 100, opportunities_per_account: int = 2) -> None:
        self.seed = seed
        self.account_count = accounts
        self.opportunities_per_account = opportunities_per_account

    def accounts(self, start: int = 0, stop: int | None = None) -> Iterator[Account]:
        for index in range(start, self.account_count if stop is None else min(stop, self.account_count)):
            yield self.account(index)

    def account(self, index: int) -> Account:
        rng = random.Random(f"{self.seed}:account:{index}")
        country = rng.choice(sorted(COUNTRIES))
        subsidiary, currency, cities = COUNTRIES[country]
        city, postal = rng.choice(cities)
        name = f"{rng.choice(_NAME_HEADS)} {rng.choice(_NAME_TAILS)} {index + 1:06d}"
        slug = name.lower().replace(" ", "-")
        contacts = tuple(self._contact(rng, index, n, slug) for n in range(rng.randint(1, 3)))
        opportunities = tuple(
            self._opportunity(index, n, name, currency) for n in range(self.opportunities_per_account)
        )
        return Account(
            index=index,
            name=name,
            industry=rng.choice(_INDUSTRIES),
            country="" if index % 41 == 40 else country,
            city=city,
            street=f"{rng.randint(1, 999)} {rng.choice(('Market', 'High', 'Main', 'King'))} Street",
            postal_code=postal,
            currency=currency,
            subsidiary=subsidiary,
            phone=f"+1-555-{rng.randint(1000, 9999)}",
            website=f"https://www.{slug}.example",
            contacts=contacts,
            opportunities=opportunities,
        )

    def _contact(self, rng: random.Random, account: int, n: int, slug: str) -> Contact:
        first, last = rng.choice(_FIRST), rng.choice(_LAST)
        return Contact(
            index=account * 10 + n,
            first_name=first,
            last_name=last,
            email=f"{first.lower()}.{last.lower().replace(' ', '')}{n}@{slug}.example",
            phone=f"+1-555-{rng.randint(1000, 9999)}",
            title=rng.choice(_TITLES),
            role=_ROLES[n % len(_ROLES)],
            is_primary=n == 0,
        )

    def _opportunity(self, account: int, n: int, account_name: str, currency: str) -> Opportunity:
        index = account * self.opportunities_per_account + n
        rng = random.Random(f"{self.seed}:opportunity:{index}")
        stage = rng.choices(STAGES, weights=_STAGE_WEIGHTS)[0]
        close_date = _EPOCH + dt.timedelta(days=rng.randint(0, 330))
        quote = self._quote(rng, index, close_date, currency)
        amount = quote.net_amount
        if index % 23 == 22:  # an Amount that disagrees with the quote
            amount = money(amount + Decimal("100"), currency_precision(currency))
        return Opportunity(
            index=index,
            name=f"{account_name} - {rng.choice(('New Business', 'Expansion', 'Renewal'))} {n + 1}",
            stage=stage,
            close_date=close_date,
            amount=amount,
            currency=currency,
            quote=quote,
        )

    def _quote(self, rng: random.Random, index: int, close_date: dt.date, currency: str) -> Quote:
        precision = currency_precision(currency)
        rate = Decimal(150) if currency == "JPY" else Decimal(1)
        package = rng.choice(PACKAGES)
        seats = Decimal(rng.choice((10, 25, 50, 100, 250)))
        big_discount = index % 17 == 16
        lines: list[QuoteLine] = []

        def add(sku: str, quantity: Decimal, required_by: int | None, discount: Decimal) -> None:
            product = PRODUCTS_BY_SKU[sku]
            list_price = money(product.list_price * rate, precision)
            net_price = money(list_price * (100 - discount) / 100, precision)
            net_total = money(
                net_price
                * quantity
                * (package.term_months if product.kind == "subscription" and required_by is not None else 1),
                precision,
            )
            lines.append(
                QuoteLine(
                    len(lines) + 1, sku, quantity, list_price, discount, net_price, net_total, required_by
                )
            )

        add(package.sku, Decimal(1), None, Decimal(0))
        parent = 0
        for sku in package.members:
            discount = Decimal(rng.choice((0, 5, 10, 15)))
            if big_discount and sku == "PLAT-CORE":
                discount = Decimal(30)
            add(sku, seats, parent, discount)
        if rng.random() < 0.5:
            add("SVC-ONB", Decimal(1), None, Decimal(0))
        if rng.random() < 0.2:
            add("HW-GW", Decimal(rng.randint(1, 4)), None, Decimal(0))
        start = close_date + dt.timedelta(days=1)
        end = _add_months(start, package.term_months) - dt.timedelta(days=1)
        net_amount = money(sum((line.net_total for line in lines), Decimal(0)), precision)
        return Quote(start, end, package.term_months, net_amount, not big_discount, tuple(lines))


def _add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year = day.year + month // 12
    month = month % 12 + 1
    return dt.date(year, month, min(day.day, 28))
