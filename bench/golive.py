"""The go-live scan's matching phase (issue 13 point 2): N Salesforce accounts against N NetSuite customers
in memory, with the shipped mapping's customer match keys (company name + billing country, then the
e-mail domain of the account's first contact).

What is timed is what the scan does once both sides are read: index the NetSuite rows by each key's
search value (:class:`sync.golive.match.CandidateIndex`), then build each account's subject
through the plan's readers and classify it with :func:`sync.matching.engine.classify` against the candidates
the index gives. For comparison, the same classification against every customer (N x M) is timed on a
sample and extrapolated. Reading both systems over HTTPS is not included (see ``bench/reconciliation.py``
for what reading 1,000,000 rows per side costs).

The synthetic data: per account, a customer with the same name in another legal form and case (60%),
the name with a letter missing (10%), two customers with the same name (5%), or an unrelated name (25%);
first words are drawn from 4,096 made-up words, so about N / 4,096 customers share an account's first
word (the matching core's blocking key) and are compared in full.

    PYTHONPATH=. .venv/bin/python -m bench.golive --records 10000 50000 100000
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
COUNTRIES = ("US", "GB", "DE", "AU", "JP")
SYLLABLES = ("ka", "lo", "mi", "ne", "ru", "sa", "te", "vo", "zi", "ba", "do", "fe", "gu", "ho", "ji", "pa")
SECOND = ("Trading", "Systems", "Foods", "Logistics", "Capital", "Labs", "Energy", "Health", "Media", "Works")


def _plan() -> Any:
    from sync.golive.match import ObjectPlan, key_reader
    from sync.mappings.models import FieldMapping
    from sync.matching.engine import parse_match

    spec = json.loads((ROOT / "sync/mappings/engine/defaults/opportunity_to_netsuite.json").read_text())
    customer = next(obj for obj in spec["objects"] if obj["key"] == "customer")
    config = parse_match(customer["match"], target="customer")
    rows = {row["target"]: row for row in customer["fields"]}
    readers = {}
    for key in config.keys:
        for _, path in key.sources:
            row = rows[path]
            readers[path] = key_reader(FieldMapping(kind="source", source=row["source"]), "Account")[0]
    return ObjectPlan("Account", "customer", "customer", config, readers, ("Name", "BillingCountry"))


def _data(records: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]], dict[str, dict[str, Any]]]:
    rng = random.Random(13)
    accounts, customers, contacts = [], [], {}
    next_id = 1
    for i in range(records):
        # A made-up first word (4,096 of them, as varied as real company names' first words) and a
        # second word: names sharing a first word are compared in full, as in a real org.
        first = "".join(rng.choice(SYLLABLES) for _ in range(3)).capitalize()
        name = f"{first} {rng.choice(SECOND)} {rng.choice(SECOND)}"
        country = rng.choice(COUNTRIES)
        account = {"Id": f"001{i:015d}", "Name": name, "BillingCountry": country}
        accounts.append(account)
        contacts[account["Id"]] = {"Id": f"003{i:015d}", "Email": f"ap@trading-{i}.example"}
        draw = rng.random()
        if draw < 0.60:
            names = [name.upper() + " Ltd."]
        elif draw < 0.70:
            names = [name[:-2] + name[-1]]  # a letter missing
        elif draw < 0.75:
            names = [name, name + " Inc"]
        else:
            names = [f"Unrelated {first} Holdings"]
        for company in names:
            customers.append({"id": str(next_id), "companyname": company, "email": "", "country": country})
            next_id += 1
    return accounts, customers, contacts


def run(records: int, sample: int) -> dict[str, Any]:
    from sync.golive.match import CandidateIndex, stand_in_for_account
    from sync.matching.engine import candidate_from_row, classify

    plan = _plan()
    accounts, customers, contacts = _data(records)
    started = time.process_time()
    index = CandidateIndex("customer", plan.config.keys)
    for row in customers:
        index.add(row)
    indexed = time.process_time() - started
    outcomes: dict[str, int] = {}
    started = time.process_time()
    for account in accounts:
        subject = plan.subject(account, stand_in_for_account(account, contacts[account["Id"]]))
        decision = classify(subject=subject, config=plan.config, candidates=index.candidates(subject))
        outcomes[str(decision.status)] = outcomes.get(str(decision.status), 0) + 1
    matched = time.process_time() - started
    # N x M: the same classification against every customer, on a sample of accounts.
    everyone = [candidate_from_row("customer", row) for row in customers]
    started = time.process_time()
    for account in accounts[:sample]:
        subject = plan.subject(account, stand_in_for_account(account, contacts[account["Id"]]))
        classify(subject=subject, config=plan.config, candidates=everyone)
    naive_per_record = (time.process_time() - started) / sample
    return {
        "records": records,
        "customers": len(customers),
        "index_s": round(indexed, 3),
        "match_s": round(matched, 3),
        "records_per_s": round(records / (indexed + matched)),
        "naive_s_estimated": round(naive_per_record * records, 1),
        "outcomes": outcomes,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


def main() -> None:
    import os

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "console.settings")
    import django

    django.setup()
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--records", type=int, nargs="+", default=[10_000, 50_000, 100_000])
    parser.add_argument("--sample", type=int, default=20, help="accounts timed against every customer")
    args = parser.parse_args()
    results = [run(records, args.sample) for records in args.records]
    head = ("accounts", "customers", "index s", "match s", "rec/s", "N x M s (est.)")
    print(f"{head[0]:>9} {head[1]:>9} {head[2]:>8} {head[3]:>8} {head[4]:>8} {head[5]:>15}  outcomes")
    for r in results:
        figures = (r["records"], r["customers"], r["index_s"], r["match_s"], r["records_per_s"])
        print(
            f"{figures[0]:>9,} {figures[1]:>9,} {figures[2]:>8} {figures[3]:>8} {figures[4]:>8,}"
            f" {r['naive_s_estimated']:>15,}  {r['outcomes']}"
        )
    print(f"peak RSS {max(r['peak_rss_mb'] for r in results)} MB")
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "golive.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
