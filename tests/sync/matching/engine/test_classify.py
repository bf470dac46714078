from dataclasses import replace

from sync.matching.engine import (
    Candidate,
    MatchStatus,
    MatchSubject,
    candidate_from_row,
    classify,
    parse_match,
    probe_for,
    search_value,
    subject_from_body,
)

CUSTOMER = parse_match(
    {
        "keys": [
            {"kind": "company_name", "name": "Name", "country": "BillingCountry"},
            {"kind": "email_domain", "email": "Website"},
        ]
    }
)
CONTACT = parse_match({"keys": [{"kind": "email", "email": "Contact.Email"}]})


def account(name="Acme Inc", country="US", website="https://acme.com", sf_id="001A"):
    return MatchSubject(sf_id, sf_id, {"Name": name, "BillingCountry": country, "Website": website}, name)


def customer(netsuite_id, name, country="US", email="", external_id=""):
    return Candidate("customer", netsuite_id, external_id, name, email, country)


def test_one_exact_name_and_country_links():
    decision = classify(
        subject=account(), config=CUSTOMER, candidates=[customer("7", "ACME, Inc."), customer("8", "Initech")]
    )
    assert decision.status == MatchStatus.LINKED
    assert decision.candidate == customer("7", "ACME, Inc.")
    assert decision.key == "company_name(name, country)"
    assert "same company name and country" in decision.reason


def test_several_exact_matches_are_suspects():
    decision = classify(
        subject=account(), config=CUSTOMER, candidates=[customer("9", "Acme Corp"), customer("7", "ACME Inc")]
    )
    assert decision.status == MatchStatus.SUSPECT
    assert [c.netsuite_id for c in decision.candidates] == ["7", "9"]
    assert decision.candidate is None
    assert decision.reason.startswith("2 NetSuite customer records have the company name")


def test_a_near_name_is_a_suspect_not_a_link():
    decision = classify(
        subject=account(name="Acme Robotics"), config=CUSTOMER, candidates=[customer("7", "Acme")]
    )
    assert decision.status == MatchStatus.SUSPECT
    assert "similar but not equal" in decision.reason
    typo = classify(
        subject=account(name="Initech Systems"), config=CUSTOMER, candidates=[customer("3", "Initech Sytems")]
    )
    assert typo.status == MatchStatus.SUSPECT


def test_names_with_another_first_word_are_not_near():
    decision = classify(
        subject=account(name="Acme", website=""), config=CUSTOMER, candidates=[customer("7", "Acne")]
    )
    assert decision.status == MatchStatus.UNMATCHED


def test_the_same_name_in_another_country_is_a_suspect():
    decision = classify(
        subject=account(country="DE"), config=CUSTOMER, candidates=[customer("7", "Acme", "US")]
    )
    assert decision.status == MatchStatus.SUSPECT
    assert "another country (US, not DE)" in decision.reason


def test_an_unknown_country_on_either_side_is_not_compared():
    decision = classify(
        subject=account(country=""), config=CUSTOMER, candidates=[customer("7", "Acme", "US")]
    )
    assert decision.status == MatchStatus.LINKED
    assert decision.reason.startswith("same company name (")


def test_an_exact_match_on_an_earlier_key_wins_over_near_ones():
    decision = classify(
        subject=account(),
        config=CUSTOMER,
        candidates=[customer("7", "Acme"), customer("8", "Acme Robotics", email="ap@acme.com")],
    )
    assert decision.status == MatchStatus.LINKED
    assert decision.candidate == customer("7", "Acme")


def test_a_shared_company_domain_alone_is_a_suspect_never_a_link():
    decision = classify(
        subject=account(name="Wayne Enterprises"),
        config=CUSTOMER,
        candidates=[customer("5", "WE Holdings", email="billing@acme.com")],
    )
    assert decision.status == MatchStatus.SUSPECT
    assert decision.candidate is None and [c.netsuite_id for c in decision.candidates] == ["5"]
    assert "5: same e-mail domain only (email_domain)" in decision.reason


WITH_EMAIL = parse_match(
    {
        "keys": [
            {"kind": "company_name", "name": "Name"},
            {"kind": "email_domain", "email": "Email"},
            {"kind": "email", "email": "Email"},
        ]
    }
)


def person(name: str, email: str) -> MatchSubject:
    return MatchSubject("001P", "001P", {"Name": name, "Email": email}, name)


def test_a_later_exact_address_links_past_a_shared_domain():
    decision = classify(
        subject=person("Wayne Enterprises", "ap@wayne.com"),
        config=WITH_EMAIL,
        candidates=[
            customer("5", "Other", email="sales@wayne.com"),
            customer("6", "WE", email="AP@wayne.com"),
        ],
    )
    assert decision.status == MatchStatus.LINKED
    assert decision.candidate is not None and decision.candidate.netsuite_id == "6"
    assert decision.key == "email(email)"


def test_the_same_name_with_the_same_domain_links():
    decision = classify(
        subject=person("Wayne Enterprises", "ap@wayne.com"),
        config=WITH_EMAIL,
        candidates=[customer("5", "Wayne Enterprises Inc", email="sales@wayne.com")],
    )
    assert decision.status == MatchStatus.LINKED and decision.key == "company_name(name)"


def test_generic_domains_are_no_evidence_built_in_or_the_operators():
    for domain in ("gmail.com", "outlook.com", "yahoo.com", "example.com"):
        found = classify(
            subject=person("Wayne Enterprises", f"bruce@{domain}"),
            config=WITH_EMAIL,
            candidates=[customer("5", "Unrelated Ltd", email=f"someone@{domain}")],
        )
        assert found.status == MatchStatus.UNMATCHED, domain
    regional = customer("5", "Unrelated Ltd", email="someone@mailbox.example")
    subject = person("Wayne Enterprises", "bruce@mailbox.example")
    assert classify(subject=subject, config=WITH_EMAIL, candidates=[regional]).status == MatchStatus.SUSPECT
    operators = replace(WITH_EMAIL, generic_domains=frozenset({"mailbox.example"}))
    assert classify(subject=subject, config=operators, candidates=[regional]).status == MatchStatus.UNMATCHED
    assert search_value(operators.keys[1], subject, generic=operators.generic_domains) is None


def test_records_of_another_salesforce_record_are_ignored_and_our_own_links():
    taken = customer("7", "Acme", external_id="001OTHER")
    assert classify(subject=account(website=""), config=CUSTOMER, candidates=[taken]).status == "unmatched"
    own = customer("8", "Something else", external_id="001A")
    decision = classify(subject=account(), config=CUSTOMER, candidates=[taken, own])
    assert decision.status == MatchStatus.LINKED
    assert decision.candidate == own


def test_duplicate_rows_from_several_queries_count_once():
    row = customer("7", "Acme", email="x@acme.com")
    decision = classify(subject=account(), config=CUSTOMER, candidates=[row, row])
    assert decision.status == MatchStatus.LINKED


def test_contacts_match_by_email():
    subject = MatchSubject("003A", "003A", {"Contact.Email": " Jane@Acme.com"})
    jane = candidate_from_row(
        "contact",
        {"id": 12, "externalid": None, "firstname": "Jane", "lastname": "Doe", "email": "jane@acme.com"},
    )
    assert jane == Candidate("contact", "12", "", "Jane Doe", "jane@acme.com", "")
    assert classify(subject=subject, config=CONTACT, candidates=[jane]).candidate == jane
    twice = classify(
        subject=subject, config=CONTACT, candidates=[jane, Candidate("contact", "13", email="JANE@acme.com")]
    )
    assert twice.status == MatchStatus.SUSPECT


def test_a_subject_without_values_is_unmatched_and_searches_nothing():
    subject = MatchSubject("001B", "001B", {})
    key = CUSTOMER.keys[0]
    assert probe_for(key, subject) is None
    assert search_value(key, subject) is None
    assert (
        classify(subject=subject, config=CUSTOMER, candidates=[customer("7", "Acme")]).status == "unmatched"
    )


def test_search_values_are_blocking_tokens_for_names():
    assert search_value(CUSTOMER.keys[0], account(name="The Acme Robotics Inc")) == "acme"
    assert search_value(CUSTOMER.keys[1], account()) == "acme.com"


def test_subjects_read_the_body_the_mapping_would_write():
    config = parse_match(
        {
            "keys": [
                {
                    "kind": "company_name",
                    "name": "companyName",
                    "country": "addressBook.items[0].addressBookAddress.country",
                },
                {"kind": "email_domain", "email": "email"},
            ]
        }
    )
    body = {
        "companyName": "Acme Inc",
        "addressBook": {"items": [{"addressBookAddress": {"country": "US"}}]},
    }
    subject = subject_from_body(config=config, salesforce_id="001A", external_id="001A", body=body)
    assert subject.values == {
        "companyName": "Acme Inc",
        "addressBook.items[0].addressBookAddress.country": "US",
        "email": None,
    }
    assert classify(subject=subject, config=config, candidates=[customer("7", "ACME")]).status == "linked"
    empty = subject_from_body(
        config=config, salesforce_id="001B", external_id="001B", body={"addressBook": []}
    )
    assert probe_for(config.keys[0], empty) is None


# Names and addresses as they come: accents, other scripts, punctuation only, empty, legal forms only,
# duplicates, a leading "The", generic and missing domains.
VARIED_NAMES = (
    "Société Générale",
    "SOCIETE GENERALE S.A.",
    "Müller & Söhne GmbH",
    "Muller and Sohne",
    "株式会社トヨタ",
    "Ελληνικά Τρόφιμα",
    "",
    "   ",
    "Inc.",
    "The",
    "The Acme Co",
    "Acme",
    "acme",
    "Acme Robotics",
    "Acme Robotcs",
    "O'Brien's Pub Ltd",
    "3M",
)
VARIED_EMAILS = (
    "",
    "ap@acme.com",
    "AP@ACME.COM",
    "x@gmail.com",
    "no-at-sign",
    "mailto:a@b.example",
    " j@ü.de ",
    "billing@www.acme.com",
)
VARIED_COUNTRIES = ("", "US", "us", "United States", "DE", "Deutschland", "Atlantis")


def _fresh(candidate: Candidate) -> Candidate:
    """The same record as a new object: nothing normalised yet."""
    return Candidate(*(candidate.to_json()[name] for name in Candidate.__match_args__))


def test_the_normalised_forms_a_record_keeps_are_the_normalisers_answers():
    from sync.matching.engine import email_domain, normalise_company_name, normalise_email

    for name in VARIED_NAMES:
        for email in VARIED_EMAILS:
            record = customer("1", name, email=email)
            for _ in range(2):  # computed, then kept
                assert record.name_key() == normalise_company_name(name)
                assert record.domain_key() == email_domain(email)
                assert record.email_key() == normalise_email(email)
            # Kept forms are no part of the record's identity, and a changed copy has its own.
            assert record == _fresh(record) and hash(record) == hash(_fresh(record))
            assert repr(record) == repr(_fresh(record))
            renamed = replace(record, name="Initech", email="ap@initech.com")
            assert (renamed.name_key(), renamed.domain_key(), renamed.email_key()) == (
                "initech",
                "initech.com",
                "ap@initech.com",
            )


def test_a_subject_keeps_each_probe_per_key_and_generic_domains():
    subject = person("Müller & Söhne GmbH", "ap@mailbox.example")
    operators = frozenset({"mailbox.example"})
    domain = WITH_EMAIL.keys[1]
    assert probe_for(domain, subject) == "mailbox.example"
    assert probe_for(domain, subject, generic=operators) is None
    assert probe_for(domain, subject) == "mailbox.example"
    assert search_value(domain, subject, generic=operators) is None
    # A key equal to another but a different object, and a copy of the subject with other values.
    twin = replace(domain)
    assert twin is not domain and probe_for(twin, subject, generic=frozenset(operators)) is None
    assert probe_for(WITH_EMAIL.keys[0], subject) == "muller and sohne"
    moved = replace(subject, values={"Name": "Acme", "Email": "ap@acme.com"})
    assert (probe_for(WITH_EMAIL.keys[0], moved), probe_for(domain, moved)) == ("acme", "acme.com")
    assert subject == person("Müller & Söhne GmbH", "ap@mailbox.example")  # kept probes are not compared


def test_classifying_kept_forms_decides_as_fresh_records_do():
    import random

    rng = random.Random(7)
    configs = (CUSTOMER, WITH_EMAIL, replace(WITH_EMAIL, generic_domains=frozenset({"acme.com"})))
    outcomes = set()
    for number in range(600):
        candidates = [
            customer(
                str(rng.randrange(40)),  # duplicates of one record among them
                rng.choice(VARIED_NAMES),
                rng.choice(VARIED_COUNTRIES),
                rng.choice(VARIED_EMAILS),
                rng.choice(("", "", "", "001S1", "001OTHER")),
            )
            for _ in range(rng.randrange(0, 5))
        ]
        values = {
            "Name": rng.choice((*VARIED_NAMES, None)),
            "BillingCountry": rng.choice((*VARIED_COUNTRIES, None)),
            "Website": rng.choice((*VARIED_EMAILS, "https://www.acme.com/x", None)),
            "Email": rng.choice((*VARIED_EMAILS, None)),
        }
        config = rng.choice(configs)
        kept = MatchSubject("001S1", "001S1", values)
        for key in config.keys:  # the search computes the probes first, as a scan's index does
            search_value(key, kept, generic=config.generic_domains)
        for candidate in candidates:
            candidate.name_key(), candidate.domain_key(), candidate.email_key()
        decision = classify(subject=kept, config=config, candidates=candidates)
        again = classify(subject=kept, config=config, candidates=candidates)
        fresh = classify(
            subject=MatchSubject("001S1", "001S1", dict(values)),
            config=config,
            candidates=[_fresh(candidate) for candidate in candidates],
        )
        assert decision == again == fresh, (number, values, candidates)
        assert [c.to_json() for c in decision.candidates] == [c.to_json() for c in fresh.candidates]
        outcomes.add(decision.status)
    assert outcomes == set(MatchStatus)
