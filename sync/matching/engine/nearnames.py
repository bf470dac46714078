"""Finding the exact and near company names of a name among many, without comparing it with every name
that shares its first word.

:func:`sync.matching.engine.classify` compares a subject's normalised company name with each candidate's:
equal is exact; near is :func:`near_names` (same first word, and one's words all in the other's, or a
difflib similarity ratio of at least :data:`NEAR_RATIO`). Searching NetSuite by the first word (the
blocking token) returns every name of the block, and a common first word ("Global", "First", "United")
makes blocks of thousands: compared in full, N names cost N x block comparisons. :class:`NameIndex` gives
the same answer as comparing with every name of the block (it only leaves out names :func:`near_names`
would reject), from three structures per large block:

- words: the names holding all of the probe's words (the postings of its rarest word), and the names whose
  words are all among the probe's (each subset of the probe's words, looked up);
- a q-gram prefix filter for the ratio: difflib's ratio is ``2 M / T`` (``T`` both lengths, ``M`` the
  matched characters, at most their longest common subsequence ``L``), so a near pair has ``L >= r T / 2``.
  Keeping the ``L`` common characters of both strings breaks at most ``la - L + lb - L`` of the ``L - 1``
  adjacent pairs (bigrams) of that subsequence, so the two names share at least ``3 L - T - 1`` bigrams
  (counted with their repeats). Two sets sharing ``k`` elements share one among the first
  ``size - k + 1`` of each, in any one order: each name is indexed under its rarest bigrams only, and a
  probe meets only the names sharing one of its own rarest ones;
- a length band (``2 min(la, lb) / T`` bounds the ratio, difflib's ``real_quick_ratio``).

Every candidate the structures give is then checked with :func:`near_names` itself, so nothing near is
invented; and nothing near is missed, by the bounds above. Small blocks (up to :data:`SMALL_BLOCK` names)
are compared in full: that is cheaper than indexing them.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import combinations
from typing import Generic, TypeVar

from sync.matching.engine.classify import NEAR_RATIO, near_names

T = TypeVar("T")

# Blocks of at most this many distinct names are compared name by name.
SMALL_BLOCK = 24
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


def _bigrams(text: str) -> list[tuple[str, int]]:
    """The bigrams of ``text``, each repeat told apart by its count: a multiset as a set."""
    seen: Counter[str] = Counter()
    grams = []
    for position in range(len(text) - 1):
        gram = text[position : position + 2]
        seen[gram] += 1
        grams.append((gram, seen[gram]))
    return grams


def _prefix_size(text: str) -> int | None:
    """How many of its rarest bigrams a name is indexed (or probed) under; None when no bound holds
    (short names): such a name is compared with every name of its block."""
    grams = len(text) - 1
    shared = min_shared_bigrams(len(text) + shortest_partner(len(text)))
    if shared <= 0 or grams <= 0:
        return None
    return grams - shared + 1


@dataclass
class _Block:
    """The names sharing one first word, and (for a large block) their word and bigram indexes."""

    names: list[str] = field(default_factory=list)
    built: bool = False
    by_words: dict[frozenset[str], list[int]] = field(default_factory=dict)
    by_word: dict[str, list[int]] = field(default_factory=dict)
    by_gram: dict[tuple[str, int], list[int]] = field(default_factory=dict)
    frequency: Counter[tuple[str, int]] = field(default_factory=Counter)
    unbounded: list[int] = field(default_factory=list)  # names too short for the bigram bound

    def build(self) -> None:
        by_words: dict[frozenset[str], list[int]] = defaultdict(list)
        by_word: dict[str, list[int]] = defaultdict(list)
        by_gram: dict[tuple[str, int], list[int]] = defaultdict(list)
        frequency: Counter[tuple[str, int]] = Counter()
        grams = [_bigrams(name) for name in self.names]
        for name_grams in grams:
            frequency.update(name_grams)
        unbounded = []
        for number, name in enumerate(self.names):
            words = frozenset(name.split())
            by_words[words].append(number)
            for word in words:
                by_word[word].append(number)
            size = _prefix_size(name)
            if size is None:
                unbounded.append(number)
                continue
            for gram in sorted(grams[number], key=lambda g: (frequency[g], g))[:size]:
                by_gram[gram].append(number)
        self.by_words, self.by_word, self.by_gram = dict(by_words), dict(by_word), dict(by_gram)
        self.frequency, self.unbounded, self.built = frequency, unbounded, True

    def near(self, probe: str) -> Iterator[str]:
        """The names of the block :func:`near_names` finds near ``probe`` (each once, in any order)."""
        if len(self.names) <= SMALL_BLOCK:
            yield from (name for name in self.names if near_names(probe, name))
            return
        if not self.built:
            self.build()
        numbers = self._possible(probe)
        if numbers is None:
            numbers = set(range(len(self.names)))
        for number in numbers:
            if near_names(probe, self.names[number]):
                yield self.names[number]

    def _possible(self, probe: str) -> set[int] | None:
        """The names that may be near ``probe`` (a superset of those that are); None for all of them."""
        words = probe.split()
        distinct = frozenset(words)
        # One's words all in the other's: the names holding every word of the probe ...
        postings = [self.by_word.get(word, []) for word in distinct]
        possible: set[int] = set(min(postings, key=len))
        # ... and the names whose words are all the probe's (the first word always among them).
        others = sorted(distinct - {words[0]})
        if len(others) > MAX_SUBSET_WORDS:
            return None
        for size in range(len(others) + 1):
            for chosen in combinations(others, size):
                possible.update(self.by_words.get(frozenset((words[0], *chosen)), ()))
        # Similar by ratio: a name sharing one of the probe's rarest bigrams, or too short to tell.
        size = _prefix_size(probe)
        if size is None:
            return None
        grams = sorted(_bigrams(probe), key=lambda g: (self.frequency[g], g))[:size]
        for gram in grams:
            possible.update(self.by_gram.get(gram, ()))
        possible.update(self.unbounded)
        return possible


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
                block = self.blocks[first] = _Block()
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
