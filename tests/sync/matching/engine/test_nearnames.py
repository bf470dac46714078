"""The near-name index gives exactly the names comparing with the whole block gives, without doing so."""

from __future__ import annotations

import difflib
import random

from sync.matching.engine import NEAR_RATIO, NameIndex, near_names, normalise_company_name
from sync.matching.engine.nearnames import SMALL_BLOCK, min_shared_bigrams, shortest_partner

FIRST = ("global", "first", "international", "kalo", "a", "mi")
WORDS = ("trading", "systems", "foods", "labs", "energy", "x", "ab", "health", "group", "kalomi", "global")


def _typo(rng: random.Random, name: str) -> str:
    at = rng.randrange(len(name))
    letter = rng.choice("abcdeiklmnorstuy")
    return rng.choice(
        (
            name[:at] + name[at + 1 :],  # a letter missing
            name[:at] + letter + name[at + 1 :],  # one changed
            name[:at] + letter + name[at:],  # one more
            name[:at] + name[at + 1 : at + 2] + name[at : at + 1] + name[at + 2 :],  # two swapped
        )
    )


def planted_names(rng: random.Random, count: int) -> list[str]:
    """Company names as they come: a few common first words, words shared, one letter off, a word more
    or less, duplicates, very short names."""
    names: list[str] = []
    while len(names) < count:
        draw = rng.random()
        if names and draw < 0.25:
            name = _typo(rng, rng.choice(names))
        elif names and draw < 0.35:
            words = rng.choice(names).split()
            name = " ".join([*words, rng.choice(WORDS)] if rng.random() < 0.5 else words[:-1] or words)
        elif names and draw < 0.40:
            name = rng.choice(names)
        else:
            name = " ".join((rng.choice(FIRST), *rng.sample(WORDS, rng.randrange(0, 4))))
        if normalise_company_name(name):
            names.append(normalise_company_name(name))
    return names


def test_the_index_finds_exactly_the_exact_and_near_names_of_the_block() -> None:
    rng = random.Random(26)
    names = planted_names(rng, 2000)
    index: NameIndex[int] = NameIndex()
    for number, name in enumerate(names):
        index.add(name, number)
    assert max(len(block.names) for block in index.blocks.values()) > SMALL_BLOCK  # the index is used
    near_seen = 0
    for probe in [*names[::9], *(_typo(rng, name) for name in names[::13])]:
        probe = normalise_company_name(probe)
        if not probe:
            assert index.matches(probe) == []
            continue
        expected = sorted(n for n, name in enumerate(names) if name == probe or near_names(probe, name))
        assert sorted(index.matches(probe)) == expected, probe
        assert sorted(index.block(probe)) == sorted(
            n for n, name in enumerate(names) if name.split()[0] == probe.split()[0]
        )
        near_seen += len(expected)
    assert near_seen > 500  # the planted set holds many exact and near names


def test_an_index_that_grows_after_a_question_answers_for_the_new_names() -> None:
    rng = random.Random(3)
    names = [f"global {rng.getrandbits(40):010x} trading" for _ in range(SMALL_BLOCK + 10)]
    index: NameIndex[str] = NameIndex()
    for name in names:
        index.add(name, name)
    probe = names[1][:-1]  # "...tradin"
    assert index.matches(probe) == [name for name in names if near_names(probe, name)] == [names[1]]
    index.add(probe + "q", "late")
    assert index.matches(probe) == [names[1], "late"]


def test_the_bigram_bound_holds_for_near_pairs() -> None:
    rng = random.Random(7)
    for _ in range(3000):
        left = "".join(rng.choice("abc ") for _ in range(rng.randrange(2, 30))).strip() or "a"
        right = _typo(rng, left) if rng.random() < 0.7 else left[::-1]
        if not right or difflib.SequenceMatcher(None, left, right).ratio() < NEAR_RATIO:
            continue
        grams = [left[i : i + 2] for i in range(len(left) - 1)]
        others = [right[i : i + 2] for i in range(len(right) - 1)]
        shared = sum(min(grams.count(g), others.count(g)) for g in set(grams))
        assert shared >= min_shared_bigrams(len(left) + len(right)), (left, right)
        assert min(len(left), len(right)) >= shortest_partner(max(len(left), len(right)))
