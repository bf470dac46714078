"""Salesforce record ids: 15 case-sensitive characters plus a 3-character case-safe checksum.

A 15-character id is ``key prefix (3) + pod (2) + reserved (1) + record number (9, base 62)``. The
18-character form appends one character per 5-character chunk telling which letters are upper case,
so the id survives case-insensitive systems (spreadsheets, NetSuite external ids). The API accepts
both forms and always answers with 18.
"""

from __future__ import annotations

import functools
import re

_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_SUFFIX = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
_ID15 = re.compile(r"^[0-9A-Za-z]{15}")
_SUFFIX_PATTERN = re.compile(r"^[A-Za-z0-5]{3}$")

# Records the simulator creates through the API and records the seed writes live in different pods,
# so a later seed never collides with ids handed out at run time (and the reverse).
API_POD = "5A"
SEED_POD = "5S"


# Upper-case letters become "1", everything else "0": the bit mask of one id, read right to left.
_UPPER_MASK = str.maketrans({char: ("1" if "A" <= char <= "Z" else "0") for char in _BASE62})
_PAIRS = [a + b for a in _BASE62 for b in _BASE62]
_MAX_NUMBER = 62**9


def checksum(id15: str) -> str:
    """The 3-character suffix that turns a 15-character id into its case-safe 18-character form.

    Each 5-character chunk gives a 5-bit number whose bit ``i`` says "character ``i`` is upper case".
    """
    mask = id15.translate(_UPPER_MASK)
    return _SUFFIX[int(mask[4::-1], 2)] + _SUFFIX[int(mask[9:4:-1], 2)] + _SUFFIX[int(mask[14:9:-1], 2)]


def base62(number: int) -> str:
    """``number`` as 9 base-62 digits (the record-number part of an id)."""
    if not 0 <= number < _MAX_NUMBER:
        raise ValueError(f"{number} does not fit in 9 base-62 digits")
    rest, d1 = divmod(number, 3844)
    rest, d2 = divmod(rest, 3844)
    rest, d3 = divmod(rest, 3844)
    rest, d4 = divmod(rest, 3844)
    return _BASE62[rest] + _PAIRS[d4] + _PAIRS[d3] + _PAIRS[d2] + _PAIRS[d1]


def make_id(prefix: str, number: int, pod: str = API_POD) -> str:
    """The 18-character id of record ``number`` in the object with key prefix ``prefix``."""
    head, first = _head(prefix, pod)
    digits = base62(number)
    # The checksum of the fixed head is cached; only the 9 digits vary (seeding makes millions of ids).
    mask = digits.translate(_UPPER_MASK)
    return head + digits + first + _SUFFIX[int(mask[3::-1], 2) << 1] + _SUFFIX[int(mask[8:3:-1], 2)]


def decimal_id(prefix: str, number: int, pod: str = SEED_POD) -> str:
    """An id whose record number is written in decimal digits only (``0015S0000001234...``).

    Still a valid id (digits are base-62 digits) but with no upper-case letters in the record number,
    so its checksum needs no work: the seed makes tens of millions of them.
    """
    if not 0 <= number < 10**9:
        return make_id(prefix, number, pod)
    head, first = _head(prefix, pod)
    return f"{head}{number:09d}{first}AA"


@functools.lru_cache(maxsize=256)
def _head(prefix: str, pod: str) -> tuple[str, str]:
    head = prefix + pod + "0"
    if len(head) != 6:
        raise ValueError("a key prefix has 3 characters and a pod 2")
    return head, checksum(head + "000000000")[0]


def normalize(value: object) -> str | None:
    """The 18-character form of a 15- or 18-character id, or None when ``value`` is not an id.

    The suffix of an 18-character id is recomputed rather than trusted: Salesforce treats the first 15
    characters as the id and ignores the case of the suffix.
    """
    if not isinstance(value, str) or len(value) not in (15, 18) or not _ID15.match(value):
        return None
    if len(value) == 18 and not _SUFFIX_PATTERN.match(value[15:]):
        return None
    id15 = value[:15]
    return id15 + checksum(id15)


def is_id(value: object) -> bool:
    return normalize(value) is not None
