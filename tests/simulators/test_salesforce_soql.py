"""SOQL in the Salesforce simulator: the parser alone, then queries over a seeded org (simple-salesforce)."""
# ruff: noqa: S608 - the f-strings build SOQL for the simulator, not SQL

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceMalformedRequest

from simulators.core.runner import RunningSimulator, start_in_thread
from simulators.dataset import Dataset
from simulators.salesforce import login
from simulators.salesforce.errors import ApiError
from simulators.salesforce.seed import account_id, opportunity_id, seed
from simulators.salesforce.soql import parser as ast
from simulators.salesforce.spec import SPEC
from tests.simulators.conftest import https_session

# simple-salesforce resolves sObject attributes (sf.Account) dynamically: its type stubs cannot follow.
Client = Any


def _body(raised: pytest.ExceptionInfo[Any]) -> Any:
    """The decoded JSON error body (simple-salesforce types ``content`` as bytes)."""
    return raised.value.content


ACCOUNTS = 2600  # two opportunities each: 5,200 opportunities, three pages of query results
DATASET = Dataset(seed=3, accounts=ACCOUNTS)


def client(sim: RunningSimulator) -> Client:
    session = https_session(sim.ca_file)
    token = login.password_token(session, sim.url)
    return Salesforce(
        instance_url=token["instance_url"], session_id=token["access_token"], session=session, version="62.0"
    )


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSimulator]:
    data_dir: Path = tmp_path_factory.mktemp("salesforce-seeded")
    seed(data_dir, DATASET)
    sim = start_in_thread(SPEC, data_dir)
    yield sim
    sim.stop()


@pytest.fixture(scope="module")
def sf(seeded: RunningSimulator) -> Client:
    return client(seeded)


def _malformed(query: str) -> ApiError:
    with pytest.raises(ApiError) as raised:
        ast.parse(query)
    assert raised.value.code == "MALFORMED_QUERY"
    return raised.value


# -- the parser -----------------------------------------------------------------------------------


def test_it_parses_fields_parents_children_and_clauses() -> None:
    query = ast.parse(
        "SELECT Id, Account.Owner.Name, COUNT(Id) total, "
        "(SELECT Id FROM Contacts WHERE Email != null LIMIT 2) FROM Account a "
        "WHERE (Name LIKE 'Acme\\_%' OR Industry IN ('Retail', 'Education')) "
        "AND NOT IsDeleted = true AND CreatedDate > LAST_N_DAYS:30 AND CloseDate >= 2026-01-01 "
        "AND SystemModstamp < 2026-01-01T00:00:00+01:00 ORDER BY Name DESC NULLS LAST, Id LIMIT 10 OFFSET 5"
    )
    assert [type(item).__name__ for item in query.items] == ["FieldPath", "FieldPath", "Count", "SubQuery"]
    assert query.items[1] == ast.FieldPath(("Account", "Owner", "Name"), 11)
    assert (query.sobject, query.alias, query.limit, query.offset) == ("Account", "a", 10, 5)
    assert isinstance(query.where, ast.BoolOp) and query.where.op == "AND" and len(query.where.items) == 5
    like = query.where.items[0]
    assert isinstance(like, ast.BoolOp) and like.op == "OR"
    first = like.items[0]
    assert isinstance(first, ast.Comparison) and first.value.value.like == "Acme\\_%"
    kinds = [item.value.kind for item in query.where.items[2:] if isinstance(item, ast.Comparison)]
    assert kinds == ["date_literal", "date", "datetime"]
    assert [(o.field.text, o.descending, o.nulls) for o in query.order_by] == [
        ("Name", True, "LAST"),
        ("Id", False, None),
    ]


def test_it_decodes_string_escapes() -> None:
    query = ast.parse("SELECT Id FROM Account WHERE Name = 'O\\'Brien \\\\ \\n\\u00e9'")
    assert isinstance(query.where, ast.Comparison)
    assert query.where.value.value.text == "O'Brien \\ \n\u00e9"


@pytest.mark.parametrize(
    ("query", "column", "token"),
    [
        ("SELECT Id FROM Account WHERE", 29, "<EOF>"),
        ("SELECT FROM Account", 8, "FROM"),
        ("SELECT Id FROM Account WHERE A = 1 AND B = 2 OR C = 3", 46, "OR"),
        ("SELECT Id FROM Account LIMIT x", 30, "x"),
        ("SELECT Id, FROM Account", 12, "FROM"),
        ("SELECT Id FROM Account GROUP BY Name", 24, "GROUP"),
    ],
)
def test_it_points_at_the_unexpected_token(query: str, column: int, token: str) -> None:
    error = _malformed(query)
    assert error.message.endswith(f"ERROR at Row:1:Column:{column}\nunexpected token: '{token}'")
    assert error.message.startswith(f"\n{query}\n{' ' * (column - 1)}^\n")


def test_it_refuses_unterminated_strings_and_bad_escapes() -> None:
    assert "mismatched character '<EOF>'" in _malformed("SELECT Id FROM Account WHERE Name = 'abc").message
    assert (
        "Illegal character sequence '\\q'" in _malformed("SELECT Id FROM Account WHERE Name = 'a\\q'").message
    )
    assert "no viable alternative at character '#'" in _malformed("SELECT # FROM Account").message
    assert (
        "nested too deeply" in _malformed("SELECT Id FROM A WHERE " + "(" * 200 + "X = 1" + ")" * 200).message
    )


_WORDS = st.sampled_from(
    [
        "SELECT",
        "FROM",
        "WHERE",
        "AND",
        "OR",
        "NOT",
        "IN",
        "LIKE",
        "ORDER",
        "BY",
        "LIMIT",
        "OFFSET",
        "NULLS",
        "FIRST",
        "DESC",
        "COUNT",
        "FIELDS",
        "ALL",
        "(",
        ")",
        ",",
        ".",
        ":",
        "=",
        "!=",
        "<",
        ">=",
        "Id",
        "Name",
        "Account",
        "'x'",
        "'a\\'b'",
        "12",
        "-3.5",
        "2026-01-01",
        "2026-01-01T00:00:00Z",
        "TODAY",
        "LAST_N_DAYS",
        "null",
        "true",
        "'",
        "\\",
        "#",
    ]
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.text(max_size=120), st.lists(_WORDS, max_size=40).map(" ".join)))
def test_it_never_crashes_on_arbitrary_input(text: str) -> None:
    try:
        ast.parse(text)
    except ApiError as error:
        assert error.code == "MALFORMED_QUERY"


# -- queries over the seeded org ------------------------------------------------------------------


def test_it_pages_query_all_over_5000_records_without_losing_or_repeating_any(sf: Client) -> None:
    first = sf.query("SELECT Id, Name FROM Opportunity")
    assert (first["totalSize"], first["done"], len(first["records"])) == (2 * ACCOUNTS, False, 2000)
    assert re.match(r"^/services/data/v62\.0/query/01g[0-9A-Za-z]{15}-2000$", first["nextRecordsUrl"])
    second = sf.query_more(first["nextRecordsUrl"], identifier_is_url=True)
    assert second["nextRecordsUrl"].endswith("-4000") and len(second["records"]) == 2000
    everything = sf.query_all("SELECT Id, Name, Account.Name FROM Opportunity")
    ids = [record["Id"] for record in everything["records"]]
    assert everything["totalSize"] == len(ids) == len(set(ids)) == 2 * ACCOUNTS
    assert set(ids) == {opportunity_id(n) for n in range(2 * ACCOUNTS)}
    last = sf.query_more(first["nextRecordsUrl"].replace("-2000", "-4000"), identifier_is_url=True)
    assert last["done"] is True and "nextRecordsUrl" not in last and len(last["records"]) == 1200


def test_it_keeps_the_order_across_pages(sf: Client) -> None:
    records = sf.query_all("SELECT Id, Amount FROM Opportunity ORDER BY Amount DESC, Id")["records"]
    keys = [(-record["Amount"], record["Id"]) for record in records]
    assert keys == sorted(keys) and len(keys) == 2 * ACCOUNTS


def test_it_honours_the_batch_size_header(seeded: RunningSimulator) -> None:
    session = https_session(seeded.ca_file)
    headers = {**login.bearer_headers(session, seeded.url), "Sforce-Query-Options": "batchSize=500"}
    answer = session.get(
        seeded.url + "/services/data/v62.0/query/", params={"q": "SELECT Id FROM Account"}, headers=headers
    ).json()
    assert len(answer["records"]) == 500 and answer["nextRecordsUrl"].endswith("-500")


def test_it_filters_like_the_data_says(sf: Client) -> None:
    accounts = list(DATASET.accounts())
    opportunities = [o for a in accounts for o in a.opportunities]

    def count(where: str, sobject: str = "Opportunity") -> int:
        return int(sf.query(f"SELECT COUNT() FROM {sobject} WHERE {where}")["totalSize"])

    won_eur_gbp = [o for o in opportunities if o.stage == "Closed Won" and o.currency in ("EUR", "GBP")]
    assert count("StageName = 'closed won' AND CurrencyIsoCode IN ('EUR', 'GBP')") == len(won_eur_gbp) > 0
    assert count("IsWon = true AND (CurrencyIsoCode = 'EUR' OR CurrencyIsoCode = 'GBP')") == len(won_eur_gbp)
    june = [o for o in opportunities if dt.date(2026, 6, 1) <= o.close_date < dt.date(2026, 7, 1)]
    assert count("CloseDate >= 2026-06-01 AND CloseDate < 2026-07-01") == len(june) > 0
    assert count("NOT (CloseDate >= 2026-06-01 AND CloseDate < 2026-07-01)") == len(opportunities) - len(june)
    big = [o for o in opportunities if float(o.amount) > 50000]
    assert 0 < count("Amount > 50000") == len(big) < len(opportunities)
    no_country = [a for a in accounts if not a.country]
    assert count("BillingCountry = null", "Account") == len(no_country) > 0
    assert count("BillingCountry != 'US'", "Account") == len([a for a in accounts if a.country != "US"])
    acme = [a for a in accounts if a.name.startswith("Acme ")]
    assert count("Name LIKE 'acme %'", "Account") == len(acme) > 0
    assert count("BillingCountry NOT IN ('US', 'CA')", "Account") == len(
        [a for a in accounts if a.country not in ("US", "CA")]
    )
    closed_accounts = {a.index for a in accounts if any(o.stage == "Closed Lost" for o in a.opportunities)}
    semi = "Id IN (SELECT AccountId FROM Opportunity WHERE StageName = 'Closed Lost')"
    assert 0 < count(semi, "Account") == len(closed_accounts) < ACCOUNTS
    assert count("SystemModstamp > 2026-01-01T00:00:00Z AND SystemModstamp < 2026-01-02T01:00:00+01:00") == 0


def test_it_reads_an_opportunity_graph_in_one_query(sf: Client) -> None:
    wanted = [opportunity_id(n) for n in (0, 1, 7)]
    account = DATASET.account(0)
    soql = (
        "SELECT Id, Name, StageName, Amount, CloseDate, CurrencyIsoCode, SystemModstamp, Account.Id, "
        "Account.Name, Account.BillingCountry, "
        "(SELECT ContactId, Role, IsPrimary, Contact.Email, Contact.FirstName FROM "
        "OpportunityContactRoles), (SELECT Id, SBQQ__Primary__c, SBQQ__NetAmount__c, SBQQ__StartDate__c FROM "
        "SBQQ__Quotes2__r WHERE SBQQ__Primary__c = true) FROM Opportunity WHERE Id IN ('"
        + "','".join(wanted)
        + "') ORDER BY Name"
    )
    records = {r["Id"]: r for r in sf.query(soql)["records"]}
    assert set(records) == set(wanted)
    graph = records[opportunity_id(0)]
    assert list(graph)[:2] == ["attributes", "Id"]
    assert graph["Account"]["attributes"]["type"] == "Account"
    assert (graph["Account"]["Id"], graph["Account"]["Name"]) == (account_id(0), account.name)
    roles = graph["OpportunityContactRoles"]
    assert roles["totalSize"] == len(account.contacts) and roles["done"] is True
    assert roles["records"][0]["Contact"]["Email"] == account.contacts[0].email
    quote = graph["SBQQ__Quotes2__r"]["records"][0]
    assert quote["SBQQ__NetAmount__c"] == float(account.opportunities[0].quote.net_amount)
    assert quote["SBQQ__StartDate__c"] == account.opportunities[0].quote.start_date.isoformat()


def test_it_reads_quote_lines_with_bundles_and_grandparent_fields(sf: Client) -> None:
    quote_id = sf.query(f"SELECT SBQQ__PrimaryQuote__c FROM Opportunity WHERE Id = '{opportunity_id(0)}'")[
        "records"
    ][0]["SBQQ__PrimaryQuote__c"]
    lines = sf.query(
        "SELECT Id, SBQQ__Number__c, SBQQ__ProductCode__c, SBQQ__RequiredBy__c, "
        "SBQQ__RequiredBy__r.SBQQ__ProductCode__c, SBQQ__Product__r.Tax_Code__c, "
        "SBQQ__Product__r.Taxable__c, SBQQ__Quote__r.SBQQ__Opportunity2__r.Account.Name "
        f"FROM SBQQ__QuoteLine__c WHERE SBQQ__Quote__c IN ('{quote_id}') ORDER BY SBQQ__Number__c"
    )["records"]
    expected = DATASET.account(0).opportunities[0].quote.lines
    assert [line["SBQQ__ProductCode__c"] for line in lines] == [line.sku for line in expected]
    assert lines[0]["SBQQ__RequiredBy__r"] is None
    assert lines[1]["SBQQ__RequiredBy__r"]["SBQQ__ProductCode__c"] == expected[0].sku
    assert lines[1]["SBQQ__RequiredBy__c"] == lines[0]["Id"]
    assert lines[1]["SBQQ__Product__r"]["Tax_Code__c"] == "TAX-STD"
    grandparent = lines[0]["SBQQ__Quote__r"]["SBQQ__Opportunity2__r"]["Account"]["Name"]
    assert grandparent == DATASET.account(0).name


def test_it_limits_and_orders_child_subqueries_and_returns_null_when_empty(sf: Client) -> None:
    records = sf.query(
        "SELECT Name, (SELECT Name, Amount FROM Opportunities ORDER BY Amount DESC LIMIT 1), "
        "(SELECT Id FROM ChildAccounts) FROM Account ORDER BY Name LIMIT 3"
    )["records"]
    assert len(records) == 3 and all(r["ChildAccounts"] is None for r in records)
    assert all(r["Opportunities"]["totalSize"] == 1 for r in records)
    names = [r["Name"] for r in records]
    assert names == sorted(names, key=str.lower)


def test_it_answers_counts_and_aggregates(sf: Client) -> None:
    assert sf.query("SELECT COUNT() FROM Account")["totalSize"] == ACCOUNTS
    answer = sf.query("SELECT COUNT(Id) total, COUNT(BillingCountry) FROM Account")
    record = answer["records"][0]
    assert record["attributes"] == {"type": "AggregateResult"}
    assert record["total"] == ACCOUNTS and record["expr0"] < ACCOUNTS


@pytest.mark.parametrize(
    ("soql", "code", "message"),
    [
        ("SELECT Foo FROM Account", "INVALID_FIELD", "No such column 'Foo' on entity 'Account'."),
        (
            "SELECT Nope.Name FROM Account",
            "INVALID_FIELD",
            "Didn't understand relationship 'Nope' in field path.",
        ),
        ("SELECT Id FROM Nope__c", "INVALID_TYPE", "sObject type 'Nope__c' is not supported."),
        (
            "SELECT Id, (SELECT Id FROM Nopes) FROM Account",
            "INVALID_TYPE",
            "Didn't understand relationship 'Nopes' in FROM part of query call.",
        ),
        (
            "SELECT Id FROM Opportunity WHERE CloseDate = '2026-01-01'",
            "INVALID_FIELD",
            "value of filter criterion for field 'CloseDate' must be of type date and should not be enclosed "
            "in quotes",
        ),
        (
            "SELECT Id FROM Account WHERE Name = 5",
            "INVALID_FIELD",
            "value of filter criterion for field 'Name' must be of type string and should be enclosed in "
            "quotes",
        ),
        (
            "SELECT Id FROM Account WHERE CreatedDate > 2026-01-01",
            "INVALID_FIELD",
            "value of filter criterion for field 'CreatedDate' must be of type dateTime",
        ),
        ("SELECT Id FROM Account WHERE Id = 'abc'", "INVALID_QUERY_FILTER_OPERATOR", "invalid ID field: abc"),
        ("SELECT Id FROM Account ORDER BY Description", "INVALID_FIELD", "can not be sorted"),
        (
            "SELECT Id FROM Account OFFSET 2001",
            "NUMBER_OUTSIDE_VALID_RANGE",
            "Maximum SOQL offset allowed is 2000",
        ),
        ("SELECT FIELDS(ALL) FROM Account", "MALFORMED_QUERY", "must have a LIMIT of at most 200"),
        ("SELECT Id, Id FROM Account", "MALFORMED_QUERY", "duplicate field selected: Id"),
        ("SELECT COUNT(), COUNT() FROM Account", "MALFORMED_QUERY", "unexpected token: ','"),
        (
            "SELECT Id, (SELECT Id FROM Contacts), (SELECT Id FROM contacts) FROM Account",
            "MALFORMED_QUERY",
            "duplicate field selected: Contacts",
        ),
    ],
)
def test_it_refuses_bad_queries_with_salesforce_errors(
    sf: Client, soql: str, code: str, message: str
) -> None:
    with pytest.raises(SalesforceMalformedRequest) as raised:
        sf.query(soql)
    error = _body(raised)[0]
    assert error["errorCode"] == code
    assert message in error["message"]


def test_it_refuses_an_unknown_query_locator(sf: Client) -> None:
    with pytest.raises(SalesforceMalformedRequest) as raised:
        sf.query_more("01g5A0000000001AAA-2000")
    assert _body(raised)[0]["errorCode"] == "INVALID_QUERY_LOCATOR"


def test_it_understands_relative_date_literals(salesforce_sim: RunningSimulator) -> None:
    sf = client(salesforce_sim)
    today = dt.datetime.now(dt.UTC).date()
    day = [(today + dt.timedelta(days=offset)).isoformat() for offset in (0, -1, -40)]
    for close_date in day:
        sf.Opportunity.create({"Name": close_date, "StageName": "Prospecting", "CloseDate": close_date})

    def names(where: str) -> set[str]:
        return {r["Name"] for r in sf.query(f"SELECT Name FROM Opportunity WHERE {where}")["records"]}

    assert names("CloseDate = TODAY") == {day[0]}
    assert names("CloseDate = YESTERDAY") == {day[1]}
    assert names("CloseDate = LAST_N_DAYS:7") == {day[0], day[1]}
    assert names("CloseDate < LAST_N_DAYS:7") == {day[2]}
    assert names("CreatedDate = TODAY") == set(day)
    assert names("SystemModstamp > YESTERDAY") == set(day)
    fields = sf.query("SELECT FIELDS(ALL) FROM Opportunity LIMIT 1")["records"][0]
    assert "NetSuite_Sales_Order_Id__c" in fields and "StageName" in fields


_LITERALS = [
    "'x'",
    "''",
    "'Acme%'",
    "12",
    "-3.5",
    "2026-01-01",
    "2026-01-01T00:00:00Z",
    "TODAY",
    "LAST_N_DAYS:3",
    "null",
    "true",
    "'0015S0000000001QAA'",
    "'abc'",
]
_OPERATORS = ["=", "!=", "<", ">=", "LIKE"]


@st.composite
def _queries(draw: st.DrawFn) -> str:
    sobject = draw(st.sampled_from(["Account", "Opportunity", "SBQQ__QuoteLine__c", "Nope"]))
    fields = [
        "Id",
        "Name",
        "Amount",
        "CloseDate",
        "IsWon",
        "SystemModstamp",
        "Account.Name",
        "Owner.Name",
        "SBQQ__Product__r.Tax_Code__c",
        "Bogus",
    ]
    selected = draw(
        st.lists(st.sampled_from([*fields, "COUNT()", "COUNT(Id)"]), min_size=1, max_size=3, unique=True)
    )
    if draw(st.booleans()):
        selected.append("(SELECT Id, Amount FROM Opportunities WHERE Amount > 5 ORDER BY Name LIMIT 1)")

    def condition(depth: int) -> str:
        kind = draw(st.integers(0, 3 if depth < 2 else 1))
        field, literal = draw(st.sampled_from(fields)), draw(st.sampled_from(_LITERALS))
        if kind == 0:
            return f"{field} {draw(st.sampled_from(_OPERATORS))} {literal}"
        if kind == 1:
            operator, other = draw(st.sampled_from(["IN", "NOT IN"])), draw(st.sampled_from(_LITERALS))
            return f"{field} {operator} ({literal}, {other})"
        if kind == 2:
            return f"NOT ({condition(depth + 1)})"
        return f"({condition(depth + 1)} {draw(st.sampled_from(['AND', 'OR']))} {condition(depth + 1)})"

    query = f"SELECT {', '.join(selected)} FROM {sobject}"
    if draw(st.booleans()):
        query += " WHERE " + condition(0)
    if draw(st.booleans()):
        query += f" ORDER BY {draw(st.sampled_from(fields))} {draw(st.sampled_from(['', 'DESC NULLS LAST']))}"
    if draw(st.booleans()):
        query += f" LIMIT {draw(st.integers(0, 2500))}"
    return query


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
@given(query=_queries(), include_deleted=st.booleans())
def test_it_answers_or_refuses_any_query_without_crashing(
    seeded: RunningSimulator, query: str, include_deleted: bool
) -> None:
    engine: Any = getattr(seeded.application, "engine")  # noqa: B009 - the Salesforce app, typed as the protocol
    try:
        answer = engine.run(query, include_deleted=include_deleted, version="62.0")
    except ApiError as error:
        assert error.status == 400 and error.code
    else:
        assert answer["totalSize"] >= len(answer["records"])
