"""The scan's index gives each record only the company names it is exact or near, and the classification
is the same as against every record sharing its first word (what the scan compared before)."""

from __future__ import annotations

import gc
import random

import pytest

from sync.golive.match import CandidateIndex, long_lived_objects
from sync.matching.engine import MatchStatus, MatchSubject, classify, parse_match
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
