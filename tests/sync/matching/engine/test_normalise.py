import pytest

from sync.matching.engine import (
    blocking_token,
    email_domain,
    normalise_company_name,
    normalise_country,
    normalise_email,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("ACME, Inc.", "acme"),
        ("The Acme Inc", "acme"),
        ("Acme Pty. Ltd.", "acme"),
        ("Smith & Sons Ltd.", "smith and sons"),
        ("Société Générale S.A.", "societe generale"),
        ("  Globex   Corporation ", "globex"),
        ("O'Reilly Media", "oreilly media"),
        ("The Company", "the"),  # a name that is only a legal form keeps what identifies it
        ("Inc", ""),
        ("", ""),
        (None, ""),
    ],
)
def test_it_normalises_company_names(raw, expected):
    assert normalise_company_name(raw) == expected


def test_it_takes_the_first_identifying_word_as_blocking_token():
    assert blocking_token("The Acme Robotics GmbH") == "acme"
    assert blocking_token("Inc.") == ""


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (" Jane.Doe@Acme.COM ", "jane.doe@acme.com"),
        ("mailto:a@b.io", "a@b.io"),
        ("not an address", ""),
        ("a@b@c", ""),
        (None, ""),
    ],
)
def test_it_normalises_emails(raw, expected):
    assert normalise_email(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("jane@Acme.com", "acme.com"),
        ("https://www.acme.com/about", "acme.com"),
        ("www.acme.co.uk", "acme.co.uk"),
        ("acme.com", "acme.com"),
        ("jane@gmail.com", ""),
        ("http://localhost", ""),
        ("", ""),
    ],
)
def test_it_extracts_domains(raw, expected):
    assert email_domain(raw) == expected


def test_it_can_keep_free_mail_domains_when_asked():
    assert email_domain("jane@gmail.com", allow_free_mail=True) == "gmail.com"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("us", "US"), ("United States", "US"), ("USA", "US"), ("Deutschland", "DE"), ("Atlantis", ""), ("", "")],
)
def test_it_normalises_countries(raw, expected):
    assert normalise_country(raw) == expected
