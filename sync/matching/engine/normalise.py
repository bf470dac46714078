"""Normalisers: the comparable form of a company name, an e-mail address, a domain and a country.

Every function returns "" for a value that has nothing comparable left, so callers test one thing.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection
from functools import lru_cache
from urllib.parse import urlsplit

# Words that say what legal form a company has, not which company it is. Compared after punctuation is
# dropped, so "S.A." is "sa" and "Pty. Ltd." is "pty ltd".
LEGAL_FORMS = frozenset(
    {
        "ab",
        "ag",
        "as",
        "bv",
        "co",
        "company",
        "corp",
        "corporation",
        "gmbh",
        "inc",
        "incorporated",
        "kg",
        "kk",
        "limited",
        "llc",
        "llp",
        "lp",
        "ltd",
        "nv",
        "oy",
        "plc",
        "pte",
        "pty",
        "sa",
        "sarl",
        "sas",
        "spa",
        "srl",
    }
)
# Generic e-mail domains: a shared address at one says nothing about which customer it belongs to.
# Mailbox providers (anyone may hold an address there) and the domains reserved for examples and tests
# (RFC 2606: test data, placeholders a CRM import fills in). The operator adds their own on top
# (sync.matching.domains: console, API, ``generic_domain`` command).
FREE_MAIL_DOMAINS = frozenset(
    {
        "163.com",
        "aol.com",
        "att.net",
        "btinternet.com",
        "comcast.net",
        "fastmail.com",
        "free.fr",
        "gmail.com",
        "gmx.com",
        "gmx.de",
        "gmx.net",
        "googlemail.com",
        "hotmail.co.uk",
        "hotmail.com",
        "hotmail.fr",
        "icloud.com",
        "live.com",
        "mail.com",
        "mail.ru",
        "me.com",
        "msn.com",
        "orange.fr",
        "outlook.com",
        "proton.me",
        "protonmail.com",
        "qq.com",
        "t-online.de",
        "tutanota.com",
        "verizon.net",
        "web.de",
        "yahoo.co.uk",
        "yahoo.com",
        "yahoo.fr",
        "yandex.ru",
        "ymail.com",
        "zoho.com",
    }
)
PLACEHOLDER_DOMAINS = frozenset(
    {"example.com", "example.net", "example.org", "example.edu", "test.com", "invalid", "localhost", "test"}
)
GENERIC_DOMAINS = FREE_MAIL_DOMAINS | PLACEHOLDER_DOMAINS
# Country names and common aliases -> ISO 3166 alpha-2 (Salesforce's BillingCountry may hold either,
# NetSuite's address country is the code).
COUNTRY_ALIASES = {
    "united states": "US",
    "united states of america": "US",
    "usa": "US",
    "america": "US",
    "canada": "CA",
    "united kingdom": "GB",
    "great britain": "GB",
    "uk": "GB",
    "england": "GB",
    "ireland": "IE",
    "germany": "DE",
    "deutschland": "DE",
    "france": "FR",
    "netherlands": "NL",
    "the netherlands": "NL",
    "holland": "NL",
    "spain": "ES",
    "italy": "IT",
    "australia": "AU",
    "new zealand": "NZ",
    "japan": "JP",
    "singapore": "SG",
    "india": "IN",
    "brazil": "BR",
    "mexico": "MX",
    "switzerland": "CH",
}
_NOT_WORD = re.compile(r"[^a-z0-9]+")
_DOMAIN = re.compile(r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")
_INITIALISM_DOT = re.compile(r"(?<=\b[a-z])\.(?=[a-z]\b)")


def _ascii(text: str) -> str:
    """Lower case without accents: "Société Générale" -> "societe generale"."""
    if text.isascii():
        return text.lower()  # NFKD leaves ASCII as it is, and it has no combining marks
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(char for char in decomposed if not unicodedata.combining(char)).lower()


def company_name_words(name: object) -> tuple[str, ...]:
    """The words of a company name that identify it (see :func:`normalise_company_name`)."""
    if not isinstance(name, str):
        return ()
    return _company_name_words(name)


# A go-live scan normalises each Salesforce name once to search and once to classify, one after the
# other, and a batch meets the same candidate names again and again: the recent ones are kept.
@lru_cache(maxsize=8192)
def _company_name_words(name: str) -> tuple[str, ...]:
    text = _ascii(name)
    if "&" in text:
        text = text.replace("&", " and ")
    if "'" in text:
        text = text.replace("'", "")
    # Dots inside initialisms join up ("S.A." -> "sa") before the rest of the punctuation splits words.
    if "." in text:
        text = _INITIALISM_DOT.sub("", text)
    words = [word for word in _NOT_WORD.split(text) if word]
    while words and words[-1] in LEGAL_FORMS:
        words.pop()
    if len(words) > 1 and words[0] == "the":
        words = words[1:]
    return tuple(words)


def normalise_company_name(name: object) -> str:
    """ "ACME, Inc." and "The Acme Inc" -> "acme"; "Smith & Sons Ltd." -> "smith and sons"."""
    return " ".join(company_name_words(name))


def blocking_token(name: object) -> str:
    """The first identifying word of a company name: the SuiteQL filter that finds exact and near names
    alike in one query (names differing in their first word are never near)."""
    words = company_name_words(name)
    return words[0] if words else ""


def normalise_email(email: object) -> str:
    """Trimmed and lower-cased, "" unless it looks like ``local@domain``; ``mailto:`` dropped."""
    if not isinstance(email, str):
        return ""
    text = email.strip().lower().removeprefix("mailto:")
    return text if _EMAIL.match(text) else ""


def email_domain(
    value: object, *, allow_free_mail: bool = False, generic: Collection[str] = frozenset()
) -> str:
    """The domain of an e-mail address or a web address ("https://www.acme.com/x" -> "acme.com").

    Generic domains (:data:`GENERIC_DOMAINS`, and the operator's ``generic``) give "" unless
    ``allow_free_mail``: they identify nobody.
    """
    if not isinstance(value, str):
        return ""
    text = value.strip().lower().removeprefix("mailto:")
    if not text:
        return ""  # most records of a scan have no address: no URL to parse
    if "@" in text:
        host = text.rpartition("@")[2]
    else:
        host = urlsplit(text if "//" in text else f"//{text}").hostname or ""
    host = host.strip(".").removeprefix("www.")
    if not _DOMAIN.match(host):
        return ""
    if (host in GENERIC_DOMAINS or host in generic) and not allow_free_mail:
        return ""
    return host


def normalise_country(value: object) -> str:
    """An ISO alpha-2 code from a code or a known name ("us", "United States" -> "US"); "" otherwise."""
    if not isinstance(value, str):
        return ""
    return _country(value)


@lru_cache(maxsize=1024)  # a handful of distinct values, compared for every candidate of a scan
def _country(value: str) -> str:
    text = " ".join(_NOT_WORD.split(_ascii(value))).strip()
    if len(text) == 2 and text.isalpha():
        return text.upper()
    return COUNTRY_ALIASES.get(text, "")
