import pytest

from sync.matching.engine import MatchConfigError, MatchKey, match_problems, parse_match


def test_it_parses_keys_in_order():
    config = parse_match(
        {
            "keys": [
                {"kind": "company_name", "name": "Name", "country": "BillingCountry"},
                {"kind": "email_domain", "email": "Website"},
            ]
        },
        target="customer",
    )
    assert config.keys == (
        MatchKey("company_name", (("name", "Name"), ("country", "BillingCountry"))),
        MatchKey("email_domain", (("email", "Website"),)),
    )
    assert config.keys[0].label == "company_name(name, country)"
    assert parse_match(config.to_json()) == config


def test_the_country_is_optional():
    config = parse_match({"keys": [{"kind": "company_name", "name": "Name"}]})
    assert config.keys[0].roles == {"name": "Name"}


@pytest.mark.parametrize(
    ("data", "target", "message"),
    [
        ([], None, "'match' must be an object"),
        ({"keys": []}, None, "non-empty list"),
        ({"keys": [{"kind": "phone"}]}, None, "'kind' must be one of"),
        ({"keys": [{"kind": "email"}]}, None, "'email' must be a source path"),
        ({"keys": [{"kind": "email", "email": "E", "name": "N"}]}, None, "unknown role 'name'"),
        ({"keys": [{"kind": "email", "email": "E"}], "fuzzy": 1}, None, "unknown key(s) 'fuzzy'"),
        (
            {"keys": [{"kind": "company_name", "name": "Name"}]},
            "contact",
            "cannot be matched by company_name",
        ),
        ({"keys": [{"kind": "email", "email": "E"}]}, "salesOrder", "not available for 'salesOrder'"),
    ],
)
def test_it_reports_invalid_blocks(data, target, message):
    problems = match_problems(data, target=target)
    assert any(message in problem for problem in problems), problems
    with pytest.raises(MatchConfigError):
        parse_match(data, target=target)
