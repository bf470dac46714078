"""The go-live scan's matching phase (issue 13 point 2, issue 26 point 3): N Salesforce accounts and N
contacts against N NetSuite customers and N contacts in memory, with the shipped mapping's match keys
(customers: company name + billing country, then the e-mail domain of the account's first contact;
contacts: the e-mail address).

What is timed is what the scan does once both sides are read: index the NetSuite rows
(:class:`sync.golive.match.CandidateIndex`), then build each Salesforce record's subject through the
plan's readers and classify it with :func:`sync.matching.engine.classify` against the candidates the index
gives. For comparison, the accounts are also classified against every customer sharing their first word
(what the scan did before: ``candidates(..., exhaustive=True)``) on a sample, extrapolated. Reading both
systems over HTTPS is not included (``bench/reconciliation.py`` times reading 1,000,000 rows per side).

The synthetic data has real shapes: 20% of the names start with one of 20 common words ("Global",
"First", "United" ...; blocks of 1% of N each; ``--common 0.4`` for 2%), 10% with "The"; the rest with
made-up words. Per account
a customer is planted: the same name in another legal form and case (45%), a letter missing, changed or
added (10%), the same name in another country (5%), a word more (5%), two customers of the same name
(5%), an unrelated name with the e-mail domain of the account's first contact (5%), or no customer (25%,
an unrelated one in its place). Per contact: one NetSuite contact with the address in another case (60%),
two (5%), none (35%). The benchmark classifies every record as the engine reports it (linked, ambiguous,
near by name, by country or by e-mail domain, none), with the records the decision names, and exits
with an error unless every record is what was planted for it, at every size.

    PYTHONPATH=. DEBUG=1 .venv/bin/python -m bench.golive --records 10000 25000 50000 100000
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import string
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
COUNTRIES = ("US", "GB", "DE", "AU", "JP")
COMMON = (
    "Global", "First", "United", "American", "National", "International", "General", "Pacific", "Premier",
    "Advanced", "Northern", "Royal", "Golden", "Atlantic", "Summit", "Pinnacle", "Allied", "Standard",
    "Central", "Western",
)  # fmt: skip
FORMS = ("", " Inc", " Inc.", " Ltd", ", LLC", " GmbH", " Corp.", " S.A.")


def _plans() -> dict[str, Any]:
    """The customer and contact plans of the shipped mapping, as the scan builds them."""
    from sync.golive.match import ObjectPlan, key_reader
    from sync.mappings.models import FieldMapping
    from sync.matching.engine import parse_match

    spec = json.loads((ROOT / "sync/mappings/engine/defaults/opportunity_to_netsuite.json").read_text())
    plans = {}
    for salesforce_type, target, fields in (
        ("Account", "customer", ("Name", "BillingCountry")),
        ("Contact", "contact", ("FirstName", "LastName", "Email", "AccountId")),
    ):
        obj = next(obj for obj in spec["objects"] if obj["key"] == target)
        config = parse_match(obj["match"], target=target)
        rows = {row["target"]: row for row in obj["fields"]}
        readers = {}
        for key in config.keys:
            for _, path in key.sources:
                source = FieldMapping(kind="source", source=rows[path]["source"])
                readers[path] = key_reader(source, salesforce_type)[0]
        plans[salesforce_type] = ObjectPlan(salesforce_type, target, target, config, readers, fields)
    return plans


@dataclass
class World:
    accounts: list[dict[str, Any]] = field(default_factory=list)
    contacts: list[dict[str, Any]] = field(default_factory=list)  # one per account, its first
    customers: list[dict[str, Any]] = field(default_factory=list)
    netsuite_contacts: list[dict[str, Any]] = field(default_factory=list)
    # Salesforce id -> (class, the NetSuite ids the decision names)
    planted: dict[str, tuple[str, tuple[str, ...]]] = field(default_factory=dict)


def _word(rng: random.Random, letters: int = 6) -> str:
    # Random letters: two names of a block are near only when planted so (made-up words of syllables
    # are near one another far too often for a check of every record to hold at 100,000).
    return "".join(rng.choice(string.ascii_lowercase) for _ in range(letters)).capitalize()


def _name(rng: random.Random, common: float) -> str:
    draw = rng.random()
    if draw < common:
        first = rng.choice(COMMON)
    elif draw < common + 0.10:
        first = "The " + _word(rng)
    else:
        first = _word(rng)
    return f"{first} {_word(rng)} {_word(rng)}"


def _typo(rng: random.Random, name: str) -> str:
    # In the made-up words (the last 13 letters): a letter missing, changed or added.
    at = len(name) - rng.randrange(1, 13)
    if name[at] == " ":
        at -= 1
    letter = rng.choice([c for c in string.ascii_lowercase if c != name[at].lower()])
    return rng.choice(
        (name[:at] + name[at + 1 :], name[:at] + letter + name[at + 1 :], name[:at] + letter + name[at:])
    )


def _data(records: int, common: float = 0.2) -> World:
    rng = random.Random(13)
    world = World()
    ids = iter(range(1, 10 * records))

    def customer(name: str, country: str, email: str = "") -> str:
        row = {
            "id": str(next(ids)),
            "externalid": "",
            "companyname": name,
            "email": email,
            "country": country,
        }
        world.customers.append(row)
        return str(row["id"])

    def netsuite_contact(email: str) -> str:
        row = {"id": str(next(ids)), "externalid": "", "firstname": "A", "lastname": "P", "email": email}
        world.netsuite_contacts.append(row)
        return str(row["id"])

    for i in range(records):
        name, country = _name(rng, common), rng.choice(COUNTRIES)
        account = {"Id": f"001{i:015d}", "Name": name, "BillingCountry": country}
        email = f"ap.{i}@{_word(rng, 8).lower()}-{i}.example"
        contact = {
            "Id": f"003{i:015d}",
            "FirstName": "A",
            "LastName": "P",
            "Email": email,
            "AccountId": account["Id"],
        }
        world.accounts.append(account)
        world.contacts.append(contact)
        draw = rng.random()
        planted: tuple[str, tuple[str, ...]]
        if draw < 0.45:
            planted = ("linked", (customer(_restyle(rng, name), rng.choice((country, country, ""))),))
        elif draw < 0.55:
            planted = ("near name", (customer(_typo(rng, name) + rng.choice(FORMS), country),))
        elif draw < 0.60:
            other = rng.choice([c for c in COUNTRIES if c != country])
            planted = ("near country", (customer(_restyle(rng, name), other),))
        elif draw < 0.65:
            planted = ("near name", (customer(f"{name} Holdings", country),))
        elif draw < 0.70:
            planted = ("ambiguous", (customer(name, country), customer(_restyle(rng, name), country)))
        elif draw < 0.75:
            domain = email.rpartition("@")[2]
            planted = ("near domain", (customer(_name(rng, common), country, f"billing@{domain}"),))
        else:
            customer(_name(rng, common), country)
            planted = ("none", ())
        world.planted[account["Id"]] = planted
        draw = rng.random()
        if draw < 0.60:
            world.planted[contact["Id"]] = ("linked", (netsuite_contact(email.upper()),))
        elif draw < 0.65:
            world.planted[contact["Id"]] = ("ambiguous", (netsuite_contact(email), netsuite_contact(email)))
        else:
            netsuite_contact("x" + email)
            world.planted[contact["Id"]] = ("none", ())
    return world


def _restyle(rng: random.Random, name: str) -> str:
    """The same normalised name: case, a legal form, "The"."""
    text = rng.choice((name, name.upper(), name.lower()))
    if not text.lower().startswith("the ") and rng.random() < 0.2:
        text = "The " + text
    return text + rng.choice(FORMS)


def outcome_class(decision: Any) -> tuple[str, tuple[str, ...]]:
    """How the engine classed a record, and the NetSuite records its decision names."""
    from sync.matching.engine import MatchStatus

    ids = tuple(sorted(c.netsuite_id for c in decision.candidates))
    if decision.status == MatchStatus.LINKED:
        return "linked", ids
    if decision.status == MatchStatus.UNMATCHED:
        return "none", ids
    if not decision.reason.startswith("similar but not equal"):
        return "ambiguous", ids
    labels = {
        label
        for what, label in (
            ("similar company name", "near name"),
            ("another country", "near country"),
            ("e-mail domain", "near domain"),
        )
        if what in decision.reason
    }
    return " + ".join(sorted(labels)) or "near", ids


def run(records: int, sample: int, common: float = 0.2) -> dict[str, Any]:
    from sync.golive.match import (
        CandidateIndex,
        long_lived_objects,
        stand_in_for_account,
        stand_in_for_contact,
    )
    from sync.matching.engine import classify

    plans = _plans()
    world = _data(records, common)
    first_contact = {contact["AccountId"]: contact for contact in world.contacts}
    accounts = {account["Id"]: account for account in world.accounts}

    def account_stand_in(record: dict[str, Any]) -> dict[str, Any]:
        return stand_in_for_account(record, first_contact[record["Id"]])

    def contact_stand_in(record: dict[str, Any]) -> dict[str, Any]:
        return stand_in_for_contact(record, accounts[record["AccountId"]])

    sides = (
        ("Account", world.accounts, world.customers, account_stand_in),
        ("Contact", world.contacts, world.netsuite_contacts, contact_stand_in),
    )
    indexed = matched = 0.0
    classes: dict[str, int] = {}
    wrong: list[str] = []
    indexes = {}
    with long_lived_objects() as keep:  # as the scan does
        keep()  # the records read
        for salesforce_type, salesforce, netsuite, stand_in in sides:
            plan = plans[salesforce_type]
            started = time.process_time()
            index = CandidateIndex(plan.netsuite_type, plan.config.keys)
            for row in netsuite:
                index.add(row)
                if index.size % 1000 == 0:
                    keep()
            keep()
            indexed += time.process_time() - started
            indexes[salesforce_type] = index
            started = time.process_time()
            decisions = []
            for record in salesforce:
                subject = plan.subject(record, stand_in(record))
                decisions.append(
                    classify(subject=subject, config=plan.config, candidates=index.candidates(subject))
                )
            matched += time.process_time() - started
            for record, decision in zip(salesforce, decisions, strict=True):
                got = outcome_class(decision)
                classes[f"{salesforce_type} {got[0]}"] = classes.get(f"{salesforce_type} {got[0]}", 0) + 1
                planted = world.planted[record["Id"]]
                if got != planted:
                    what = record.get("Name") or record.get("Email")
                    wrong.append(f"{record['Id']} {what}: {got}, planted {planted}")
    # Before: each account against every customer sharing its first word, on a sample (the same classes).
    plan, index = plans["Account"], indexes["Account"]
    step = max(1, records // sample)
    started = time.process_time()
    for account in world.accounts[::step]:
        subject = plan.subject(account, account_stand_in(account))
        decision = classify(
            subject=subject, config=plan.config, candidates=index.candidates(subject, exhaustive=True)
        )
        if outcome_class(decision) != world.planted[account["Id"]]:
            wrong.append(f"{account['Id']} (whole block): {outcome_class(decision)}")
    block_s = (time.process_time() - started) / len(world.accounts[::step]) * records
    return {
        "records": records,
        "customers": len(world.customers),
        "netsuite_contacts": len(world.netsuite_contacts),
        "index_s": round(indexed, 3),
        "match_s": round(matched, 3),
        "total_s": round(indexed + matched, 3),
        "records_per_s": round(2 * records / (indexed + matched)),
        "block_s_estimated": round(block_s, 1),
        "classes": dict(sorted(classes.items())),
        "wrong": wrong,
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
    parser.add_argument("--records", type=int, nargs="+", default=[10_000, 25_000, 50_000, 100_000])
    parser.add_argument("--sample", type=int, default=200, help="accounts timed against their whole block")
    parser.add_argument(
        "--common", type=float, default=0.2, help="share of names starting with one of the 20 common words"
    )
    args = parser.parse_args()
    results = [run(records, args.sample, args.common) for records in args.records]
    head = ("N", "customers", "NS cont.", "index s", "match s", "total s", "rec/s", "block s (est.)")
    print(" ".join(f"{h:>9}" for h in head[:7]) + f" {head[7]:>15}")
    for r in results:
        figures = (
            r["records"],
            r["customers"],
            r["netsuite_contacts"],
            r["index_s"],
            r["match_s"],
            r["total_s"],
        )
        print(
            " ".join(f"{f:>9,}" if isinstance(f, int) else f"{f:>9}" for f in figures)
            + f" {r['records_per_s']:>9,} {r['block_s_estimated']:>15,}"
        )
    for r in results:
        print(f"{r['records']:>9,}: {r['classes']}")
    print(f"peak RSS {max(r['peak_rss_mb'] for r in results)} MB")
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "golive.json").write_text(json.dumps(results, indent=2))
    failed = [(r["records"], w) for r in results for w in r["wrong"]]
    for records, what in failed[:20]:
        print(f"N={records}: {what}", file=sys.stderr)
    if failed:
        print(f"{len(failed)} record(s) not classed as planted", file=sys.stderr)
        sys.exit(1)
    print("every record classed as planted, at every size")


if __name__ == "__main__":
    main()
