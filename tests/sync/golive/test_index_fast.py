"""The scan's index gives each record only the company names it is exact or near, and the classification
is the same as against every record sharing its first word (what the scan compared before)."""

from __future__ import annotations

import gc
import random
from dataclasses import replace

import pytest

from sync.golive.match import CandidateIndex, long_lived_objects
from sync.matching.engine import Candidate, MatchStatus, MatchSubject, classify, parse_match
from tests.sync.matching.engine.test_nearnames import planted_names

CONFIG = parse_match(
    {
        "keys": [
            {"kind": "company_name", "name": "Name", "country": "BillingCountry"},
            {"kind": "email_domain", "email": "Website"},
        ]
    }
)
FORMS = ("", " Inc", " Ltd.", ", LLC", " GmbH")
COUNTRIES = ("US", "GB", "", "United States")


def test_the_fast_candidates_classify_as_the_whole_block_does() -> None:
    rng = random.Random(2026)
    names = planted_names(rng, 1600)
    index = CandidateIndex("customer", CONFIG.keys)
    for number, name in enumerate(names[:1200]):
        shown = ("The " if rng.random() < 0.1 else "") + name.title() + rng.choice(FORMS)
        index.add(
            {
                "id": str(number),
                "companyname": shown.upper() if rng.random() < 0.2 else shown,
                "email": f"ap@d{rng.randrange(300)}.example" if rng.random() < 0.3 else "",
                "externalid": f"001E{rng.randrange(400)}" if rng.random() < 0.1 else "",
                "country": rng.choice(COUNTRIES),
            }
        )
    statuses: dict[str, int] = {}
    fast_total = block_total = 0
    for number, name in enumerate([*names[:1200:4], *names[1200:]]):  # known and new names
        subject = MatchSubject(
            f"001S{number}",
            f"001E{number}",
            {
                "Name": name + rng.choice(FORMS),
                "BillingCountry": rng.choice(COUNTRIES),
                "Website": f"https://www.d{rng.randrange(3000)}.example",
            },
        )
        fast = index.candidates(subject)
        block = index.candidates(subject, exhaustive=True)
        assert {c.netsuite_id for c in fast} <= {c.netsuite_id for c in block}
        decision = classify(subject=subject, config=CONFIG, candidates=fast)
        assert decision == classify(subject=subject, config=CONFIG, candidates=block), name
        statuses[decision.status] = statuses.get(decision.status, 0) + 1
        fast_total, block_total = fast_total + len(fast), block_total + len(block)
    # Every outcome is exercised, and the index leaves records out (the planted names are near one
    # another far more often than real ones: few words, one letter off, a word more or less).
    assert set(statuses) == set(MatchStatus) and min(statuses.values()) > 20, statuses
    assert fast_total * 4 < block_total * 3


def test_what_the_scan_keeps_from_the_cycle_collector_comes_back_even_on_an_error() -> None:
    with pytest.raises(RuntimeError), long_lived_objects() as keep:
        keep()
        assert gc.get_freeze_count() > 0
        raise RuntimeError("the scan failed")
    assert gc.get_freeze_count() == 0


def test_an_exact_name_that_decides_gives_the_same_decision_on_every_kind_of_record() -> None:
    """The index stops at an exact name without an external id: unicode and empty names, names told
    apart only by a legal form or case, no country on either side, duplicates with and without external
    ids, subjects whose own id a record carries, and records the scan frees (another integration's id)."""
    rng = random.Random(26)
    names = (
        "Société Générale",
        "SOCIETE GENERALE SA",
        "Müller & Söhne",
        "株式会社トヨタ",
        "",
        "Inc.",
        "The Acme Co",
        "Acme",
        "ACME Robotics",
        "Acme Robotcs",
        "Globex",
        "Globex Corporation Ltd",
    )
    countries = ("", "US", "DE", "United States", "Germany", "Atlantis")
    index = CandidateIndex("customer", CONFIG.keys)
    for number in range(300):
        index.add(
            {
                "id": str(number),
                "companyname": rng.choice(names) + rng.choice(("", " Inc", " GmbH")),
                "email": rng.choice(("", "ap@acme.example", "billing@globex.example")),
                "externalid": rng.choice(("", "", "", "001S7", "001OTHER", "ns2:001X")),
                "country": rng.choice(countries),
            }
        )

    def freed(candidates: list[Candidate]) -> list[Candidate]:  # as the scan frees another integration's
        return [replace(c, external_id="") if c.external_id.startswith("ns2:") else c for c in candidates]

    statuses: set[str] = set()
    shortened = 0
    for number in range(400):
        subject = MatchSubject(
            f"001S{number % 10}",
            f"001S{number % 10}",
            {
                "Name": rng.choice((*names, None)),
                "BillingCountry": rng.choice((*countries, None)),
                "Website": rng.choice(("", "https://acme.example", "globex.example")),
            },
        )
        fast, block = index.candidates(subject), index.candidates(subject, exhaustive=True)
        expected = classify(subject=subject, config=CONFIG, candidates=block)
        assert classify(subject=subject, config=CONFIG, candidates=fast) == expected, subject
        assert classify(subject=subject, config=CONFIG, candidates=freed(fast)) == classify(
            subject=subject, config=CONFIG, candidates=freed(block)
        ), subject
        statuses.add(expected.status)
        shortened += len(fast) < len(block)
    assert statuses == set(MatchStatus) and shortened > 100
