"""Finding the exact and near company names of a name among many, without comparing it with every name
that shares its first word.

:func:`sync.matching.engine.classify` compares a subject's normalised company name with each candidate's:
equal is exact; near is :func:`near_names` (same first word, and one's words all in the other's, or a
difflib similarity ratio of at least :data:`NEAR_RATIO`). Searching NetSuite by the first word (the
blocking token) returns every name of the block, and a common first word ("Global", "First", "United")
makes blocks of thousands: compared in full, N names cost N x block comparisons. :class:`NameIndex` gives
the same answer as comparing with every name of the block (it only leaves out names :func:`near_names`
would reject), from these structures per large block:

- words: the names holding all of the probe's words (the postings of its rarest word), and the names whose
  words are all among the probe's (each subset of the probe's words, looked up);
- a bigram prefix filter for the ratio: difflib's ratio is ``2 M / T`` (``T`` both lengths, ``M`` the
  matched characters, at most their longest common subsequence ``L``), so a near pair has ``L >= r T / 2``.
  Keeping the ``L`` common characters of both strings breaks at most ``la - L + lb - L`` of the ``L - 1``
  adjacent pairs (bigrams) of that subsequence, so the two names share at least ``3 L - T - 1`` bigrams
  (counted with their repeats), of which the first word's own (every name of the block has them) are
  ``len(first word)``: the rest, the tail's, is what tells names apart. Two sets sharing ``k`` elements
  share ``m <= k`` among the first ``size - k + m`` of each, in any one order (here the block's rarest
  first): each name is indexed under its rarest tail bigrams only (postings as bit sets), and a probe
  meets only the names sharing ``m`` (up to :data:`SHARED_IN_PREFIX`) of its own rarest ones;
- when that bound is too weak to place a probe (a long first word and a short rest, or a short name), a
  pass over the block by length band (``2 min(la, lb) / T``, difflib's ``real_quick_ratio``) with a
  character mask per name (the characters two names share, difflib's ``quick_ratio``, one AND and a bit
  count per name).

Every candidate the structures give is then checked with the same upper bounds in difflib's own
arithmetic and with :func:`near_names` itself, so nothing near is invented; and nothing near is missed, by
the bounds above. Small blocks (up to :data:`SMALL_BLOCK` names) are compared in full: that is cheaper
than indexing them.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import combinations, repeat
from typing import Generic, TypeVar

from sync.matching.engine.classify import NEAR_RATIO, near_names

T = TypeVar("T")

# Blocks of at most this many distinct names are compared name by name.
SMALL_BLOCK = 24
# A name is indexed under enough of its rarest bigrams that a near pair shares up to this many of them (two
# sets sharing k elements share m among the first size - k + m of each, m <= k): random pairs rarely do.
SHARED_IN_PREFIX = 3
# A probe of more distinct words than this (plus its first) is not split into its word subsets: its block
# is compared name by name (names of 13 words and more are rare).
MAX_SUBSET_WORDS = 12
_EPSILON = 1e-9


def min_shared_bigrams(total_length: int, ratio: float = NEAR_RATIO) -> int:
    """The fewest bigrams (with repeats) two strings of ``total_length`` characters together share when
    difflib's ratio of them is at least ``ratio`` (``3 L - T - 1`` with ``L >= ratio T / 2``)."""
    return math.ceil((1.5 * ratio - 1) * total_length - 1 - _EPSILON)


def shortest_partner(length: int, ratio: float = NEAR_RATIO) -> int:
    """The shortest string whose ratio with one of ``length`` characters can reach ``ratio``
    (``2 min / T >= ratio``)."""
    return max(1, math.ceil(ratio * length / (2 - ratio) - _EPSILON))


def _tagged(items: Iterable[str]) -> list[tuple[str, int]]:
    """Each item with its count so far: a multiset as a set (``aa`` -> ``(a, 1), (a, 2)``)."""
    seen: dict[str, int] = {}
    tagged = []
    for item in items:
        count = seen[item] = seen.get(item, 0) + 1
        tagged.append((item, count))
    return tagged


def _bigrams(text: str) -> list[tuple[str, int]]:
    """The bigrams of ``text``, repeats told apart."""
    grams = [a + b for a, b in zip(text, text[1:], strict=False)]  # one fewer than characters
    if len(set(grams)) == len(grams):  # most names: no bigram twice, every tag 1
        return list(zip(grams, repeat(1)))
    return _tagged(grams)


_UNMASKED = -1  # no character_mask (which is None or at least 0) computed yet
_SYMBOLS = {symbol: number for number, symbol in enumerate("abcdefghijklmnopqrstuvwxyz0123456789 ")}
_MASK_REPEATS = 8


def character_mask(text: str) -> int | None:
    """The characters of a normalised name as bits, a bit per character and repeat (up to
    :data:`_MASK_REPEATS` of each): the bits two names share count the characters they share, with
    repeats (difflib's ``quick_ratio``). None for a name that has other characters or more repeats."""
    mask = 0
    for symbol in set(text):
        number, repeats = _SYMBOLS.get(symbol), text.count(symbol)
        if number is None or repeats > _MASK_REPEATS:
            return None
        mask |= ((1 << repeats) - 1) << (number * _MASK_REPEATS)
    return mask


@lru_cache(maxsize=512)
def _ratio_band(length: int) -> dict[int, int]:
    """The lengths a name's partner may have for a near ratio (difflib's ``real_quick_ratio``), each
    with the fewest characters the two must share (its ``quick_ratio``), in difflib's own arithmetic."""
    band = {}
    for other in range(1, math.ceil(length * (2 - NEAR_RATIO) / NEAR_RATIO) + 2):
        total = length + other
        if 2.0 * min(length, other) / total < NEAR_RATIO:
            continue
        shared = max(0, math.ceil(NEAR_RATIO * total / 2) - 1)
        while 2.0 * shared / total < NEAR_RATIO:
            shared += 1
        band[other] = shared
    return band


def _tail_need(length: int, first: int) -> int:
    """The fewest bigrams after the first word's (the tail's) that a name of ``length`` characters whose
    first word has ``first`` shares with any name of its block it is near by ratio: the first word's own
    ``first`` bigrams, which every name of the block has, count towards the bound."""
    return min_shared_bigrams(length + shortest_partner(length)) - first


def _set_bits(bits: int) -> list[int]:
    numbers = []
    while bits:
        low = bits & -bits
        numbers.append(low.bit_length() - 1)
        bits ^= low
    return numbers


@dataclass
class _Block:
    """The names sharing one first word, and (for a large block) their word and bigram indexes.

    A name of several words starts with the same ``first`` bigrams as every other one of the block (its
    first word and the space after it), tagged alike, so two such names share ``first`` bigrams plus those
    they share in the rest: the bigram prefix filter runs on the rest, in the block's own order of
    rarity."""

    first: str
    names: list[str] = field(default_factory=list)
    built: bool = False
    by_words: dict[frozenset[str], list[int]] = field(default_factory=dict)
    by_word: dict[str, list[int]] = field(default_factory=dict)
    by_gram: dict[tuple[str, int], int] = field(default_factory=dict)  # a bit per name
    # Each tail bigram's place in the block's order of rarity (fewest names first, then by itself).
    rank: dict[tuple[str, int], int] = field(default_factory=dict)
    unbounded: int = 0  # names without a tail (the first word alone), as bits
    grams: list[list[tuple[str, int]]] = field(default_factory=list)  # each name's, all distinct
    # character_mask of each name, computed for the few names a probe's bounds leave (_UNMASKED until then)
    masks: list[int | None] = field(default_factory=list)
    lengths: list[int] = field(default_factory=list)
    # (number, mask) by length and the names without a mask: built by the first probe that needs them.
    by_length: dict[int, list[tuple[int, int]]] | None = None
    unmasked: list[int] = field(default_factory=list)

    def build(self) -> None:
        by_words: dict[frozenset[str], list[int]] = defaultdict(list)
        by_word: dict[str, list[int]] = defaultdict(list)
        by_gram: dict[tuple[str, int], list[int]] = defaultdict(list)
        first = len(self.first)
        grams = [_bigrams(name) for name in self.names]
        frequency: Counter[tuple[str, int]] = Counter()
        for name_grams in grams:
            frequency.update(name_grams[first:])
        # One sort of the block's bigrams, then each name's by a dict lookup (not a key tuple per bigram).
        rank = {gram: place for place, gram in enumerate(sorted(frequency, key=lambda g: (frequency[g], g)))}
        by_rank = rank.__getitem__
        unbounded = 0
        for number, name in enumerate(self.names):
            words = frozenset(name.split())
            by_words[words].append(number)
            for word in words:
                by_word[word].append(number)
            tail = grams[number][first:]
            if not tail:
                unbounded |= 1 << number
                continue
            # Indexed under enough of its rarest tail bigrams for any probe's m (all of them when its own
            # bound is weak: a probe with a stronger one still finds it).
            size = len(tail) - max(0, _tail_need(len(name), first)) + SHARED_IN_PREFIX
            for gram in sorted(tail, key=by_rank)[:size]:
                by_gram[gram].append(number)
        self.by_words, self.by_word = dict(by_words), dict(by_word)
        self.by_gram = {gram: sum(1 << number for number in numbers) for gram, numbers in by_gram.items()}
        self.rank, self.unbounded, self.built = rank, unbounded, True
        self.lengths = [len(name) for name in self.names]
        self.grams = grams
        self.masks = [_UNMASKED] * len(self.names)
        self.by_length, self.unmasked = None, []

    def _masks_of(self, numbers: Iterable[int]) -> list[int | None]:
        """:attr:`masks`, with those of ``numbers`` computed."""
        masks, names = self.masks, self.names
        for number in numbers:
            if masks[number] == _UNMASKED:
                masks[number] = character_mask(names[number])
        return masks

    def _index_lengths(self) -> dict[int, list[tuple[int, int]]]:
        masks = self._masks_of(range(len(self.names)))
        by_length: dict[int, list[tuple[int, int]]] = defaultdict(list)
        for number, (length, mask) in enumerate(zip(self.lengths, masks, strict=True)):
            if mask is not None:
                by_length[length].append((number, mask))
        self.unmasked = [number for number, mask in enumerate(masks) if mask is None]
        self.by_length = dict(by_length)
        return self.by_length

    def near(self, probe: str) -> Iterator[str]:
        """The names of the block :func:`near_names` finds near ``probe`` (each once, in any order)."""
        if len(self.names) <= SMALL_BLOCK:
            yield from (name for name in self.names if near_names(probe, name))
            return
        if not self.built:
            self.build()
        mask, grams = character_mask(probe), _bigrams(probe)
        by_words, by_ratio = self._by_words(probe), self._by_ratio(probe, grams)
        if by_ratio is None and mask is not None:
            by_ratio = self._by_characters(len(probe), mask)
        if by_words is None or by_ratio is None:
            yield from (name for name in self.names if near_names(probe, name))
            return
        for number in by_words:
            if near_names(probe, self.names[number]):
                yield self.names[number]
        yield from self._near_by_ratio(probe, grams, mask, by_ratio - by_words)

    def _near_by_ratio(
        self, probe: str, grams: list[tuple[str, int]], mask: int | None, numbers: Iterable[int]
    ) -> Iterator[str]:
        """The names among ``numbers`` (none a word subset of the probe, nor the probe of them) near it by
        ratio. Its upper bounds first, each exact: the lengths (difflib's real_quick_ratio) and the
        characters shared (its quick_ratio, the same arithmetic), then the bigrams shared, then the rules
        themselves."""
        band, lengths = _ratio_band(len(probe)), self.lengths
        if mask is not None:
            numbers = [number for number in numbers if lengths[number] in band]
            masks = self._masks_of(numbers)
            numbers = [
                number
                for number in numbers
                if (shared := band.get(lengths[number])) is not None
                and ((other := masks[number]) is None or (mask & other).bit_count() >= shared)
            ]
        probe_grams = frozenset(grams)
        for number in numbers:
            name = self.names[number]
            if len(name) not in band:
                continue
            # A name's bigrams are distinct (tagged): counted once each, as in a set.
            if len(probe_grams.intersection(self.grams[number])) < min_shared_bigrams(len(probe) + len(name)):
                continue
            if near_names(probe, name):
                yield name

    def _by_characters(self, length: int, mask: int) -> set[int]:
        """The names sharing enough characters with a probe (its ``character_mask``) for a near ratio, by
        length within the band: a pass over the block, for the probes the bigram bound cannot place."""
        by_length = self.by_length if self.by_length is not None else self._index_lengths()
        possible = set(self.unmasked)
        for other, shared in _ratio_band(length).items():
            numbers = by_length.get(other, ())
            possible.update([number for number, bits in numbers if (mask & bits).bit_count() >= shared])
        return possible

    def _by_words(self, probe: str) -> set[int] | None:
        """The names that may have all their words in the probe's or all the probe's words (a superset of
        those that do); None for all of them."""
        words = probe.split()
        distinct = frozenset(words)
        by_word = self.by_word
        # The names holding every word of the probe (none when a word is in no name of the block) ...
        fewest: list[int] | None = None
        for word in distinct:
            numbers = by_word.get(word)
            if numbers is None:
                fewest = None
                break
            if fewest is None or len(numbers) < len(fewest):
                fewest = numbers
        possible = set(fewest or ())
        # ... and the names whose words are all the probe's (the first word always among them): only the
        # probe's words some name of the block has can be in such a name.
        others = sorted(word for word in distinct - {words[0]} if word in by_word)
        if len(others) > MAX_SUBSET_WORDS:
            return None
        for size in range(len(others) + 1):
            for chosen in combinations(others, size):
                possible.update(self.by_words.get(frozenset((words[0], *chosen)), ()))
        return possible

    def _by_ratio(self, probe: str, grams: list[tuple[str, int]]) -> set[int] | None:
        """The names that may be as similar as :data:`NEAR_RATIO` to the probe (a superset of those that
        are): sharing ``m`` of its rarest tail bigrams (``m`` up to :data:`SHARED_IN_PREFIX`, at most the
        probe's own bound), or without a tail; None for all of them. ``grams``: the probe's bigrams."""
        first = len(self.first)
        if " " not in probe:
            return set()  # the first word alone: every name of the block has all its words
        tail = grams[first:]
        need = _tail_need(len(probe), first)
        shared = min(SHARED_IN_PREFIX, need)
        if shared < 1:
            return None
        rank, by_gram = self.rank, self.by_gram
        # The bigrams no name of the block has come first (they are the rarest), then the block's order.
        unknown = sorted(gram for gram in tail if gram not in rank)
        known = sorted((gram for gram in tail if gram in rank), key=rank.__getitem__)
        rarest = (unknown + known)[: len(tail) - need + shared]
        # at_least[i]: the names holding i + 1 of the probe's rarest bigrams so far (bits).
        at_least = [0] * shared
        for gram in rarest:
            bits = by_gram.get(gram)
            if bits:
                for count in range(shared - 1, 0, -1):
                    at_least[count] |= at_least[count - 1] & bits
                at_least[0] |= bits
        return set(_set_bits(at_least[-1] | self.unbounded))


@dataclass
class NameIndex(Generic[T]):
    """Items (NetSuite records) by normalised company name, answering which are exact or near a name.

    ``add`` may follow ``matches``: a block changed by an ``add`` is indexed again when next asked."""

    items: dict[str, list[T]] = field(default_factory=dict)
    blocks: dict[str, _Block] = field(default_factory=dict)

    def add(self, name: str, item: T) -> None:
        """Index ``item`` under ``name``, a normalised company name (:func:`normalise_company_name`)."""
        if not name:
            return
        items = self.items.get(name)
        if items is None:
            self.items[name] = [item]
            first = name.partition(" ")[0]
            block = self.blocks.get(first)
            if block is None:
                block = self.blocks[first] = _Block(first)
            block.names.append(name)
            block.built = False
        else:
            items.append(item)

    def matches(self, probe: str) -> list[T]:
        """The items whose name equals ``probe`` or is near it (:func:`near_names`), in the order added
        per name: exactly those of the probe's block that :func:`classify` would not pass over."""
        if not probe:
            return []
        found = list(self.items.get(probe, ()))
        block = self.blocks.get(probe.partition(" ")[0])
        if block is not None:
            for name in block.near(probe):
                found.extend(self.items[name])
        return found

    def block(self, probe: str) -> list[T]:
        """Every item sharing ``probe``'s first word (what comparing in full compares with)."""
        block = self.blocks.get(probe.partition(" ")[0])
        return [item for name in block.names for item in self.items[name]] if block is not None else []


__all__ = ["MAX_SUBSET_WORDS", "SMALL_BLOCK", "NameIndex", "min_shared_bigrams", "shortest_partner"]
