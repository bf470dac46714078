import pytest

from sync.matching.engine import MatchKey, candidate_queries, combined_query, external_id_query, union_query
from sync.matching.engine.suiteql import CHUNK, UNION_MAX_CHARS

NAME = MatchKey("company_name", (("name", "Name"), ("country", "BillingCountry")))
DOMAIN = MatchKey("email_domain", (("email", "Website"),))
EMAIL = MatchKey("email", (("email", "Contact.Email"),))


def test_company_names_search_their_blocking_token_with_the_billing_country():
    (query,) = candidate_queries(record_type="customer", key=NAME, probes=["globex", "acme", "acme", ""])
    assert query == (
        "SELECT c.id, c.externalid, c.companyname, c.email, a.country FROM customer c "
        "LEFT OUTER JOIN entityaddress a ON a.nkey = c.defaultbillingaddress "
        "WHERE c.isinactive = 'F' AND "
        "(LOWER(c.companyname) LIKE '%acme%' OR LOWER(c.companyname) LIKE '%globex%') ORDER BY c.id"
    )


def test_domains_and_emails():
    (domain,) = candidate_queries(record_type="customer", key=DOMAIN, probes=["acme.com"])
    assert "LOWER(c.email) LIKE '%@acme.com'" in domain
    (email,) = candidate_queries(record_type="contact", key=EMAIL, probes=["o'neil@acme.com", "a@b.io"])
    assert "FROM contact c" in email
    assert "LOWER(c.email) IN ('a@b.io', 'o''neil@acme.com')" in email


def test_it_chunks_and_skips_empty_batches():
    probes = [f"name{i}" for i in range(CHUNK["company_name"] + 1)]
    assert len(candidate_queries(record_type="customer", key=NAME, probes=probes)) == 2
    assert candidate_queries(record_type="customer", key=NAME, probes=[]) == []


def test_it_refuses_a_kind_the_type_cannot_be_searched_by():
    with pytest.raises(ValueError, match="cannot be matched"):
        candidate_queries(record_type="contact", key=NAME, probes=["acme"])


def test_the_primary_match_reads_external_ids():
    (query,) = external_id_query(record_type="contact", external_ids=["003B", "003A", ""])
    assert (
        query
        == "SELECT c.id, c.externalid FROM contact c WHERE c.externalid IN ('003A', '003B') ORDER BY c.id"
    )
    assert external_id_query(record_type="customer", external_ids=[]) == []


def test_the_union_aligns_every_record_types_columns_with_a_kind_column():
    query = union_query(
        [
            ("contact", ["003A"], [(EMAIL, ["a@acme.com"])]),
            ("customer", ["001A"], [(NAME, ["acme"]), (DOMAIN, [])]),
        ]
    )
    assert query is not None
    contact, customer = query.split(" UNION ALL ")
    columns = "id, externalid, firstname, lastname, email, company, companyname, country"
    assert contact.startswith(
        "SELECT 'contact' AS kind, c.id AS id, c.externalid AS externalid, c.firstname AS firstname, "
        "c.lastname AS lastname, c.email AS email, c.company AS company, NULL AS companyname, "
        "NULL AS country, CASE WHEN "
    )
    assert customer.startswith(
        "SELECT 'customer' AS kind, c.id AS id, c.externalid AS externalid, NULL AS firstname, "
        "NULL AS lastname, c.email AS email, NULL AS company, c.companyname AS companyname, "
        "a.country AS country, CASE WHEN "
    )
    for part in (contact, customer):  # same names in the same order in both parts
        names = [item.rpartition(" AS ")[2] for item in part.partition(" FROM ")[0].split(", ")]
        assert names[:-1] == ["kind", *columns.split(", ")] and names[-1].endswith("candidate")
    # Each part is its record type's combined query (its WHERE), without the ORDER BY a union cannot have.
    alone = combined_query(record_type="customer", external_ids=["001A"], keys=[(NAME, ["acme"])])
    assert alone is not None and " ORDER BY " not in query
    assert customer.endswith(alone.partition(" WHERE ")[2].removesuffix(" ORDER BY c.id"))


def test_no_union_for_one_record_type_a_search_in_chunks_or_a_text_too_long():
    one_type = [("customer", ["001A"], [(NAME, ["acme"])])]
    assert union_query(one_type) is None
    contact = ("contact", ["003A"], [(EMAIL, ["a@acme.com"])])
    chunked = ("customer", ["001A"], [(NAME, [f"n{i}" for i in range(CHUNK["company_name"] + 1)])])
    assert union_query([contact, chunked]) is None
    emails = [f"{'x' * 10}{i}@acme.com" for i in range(CHUNK["email"])]  # one query's worth, but long
    assert union_query([("contact", ["003A"], [(EMAIL, emails)]), one_type[0]]) is not None
    ids = [f"{'0' * 80}{i}" for i in range(CHUNK["email"])]
    long = [("contact", ids, [(EMAIL, emails)]), ("customer", ids, [(NAME, ["acme"])])]
    assert all(combined_query(record_type=t, external_ids=i, keys=k) for t, i, k in long)
    assert union_query(long) is None  # each type's query fits, together longer than UNION_MAX_CHARS
    assert sum(len(combined_query(record_type=t, external_ids=i, keys=k) or "") for t, i, k in long) > (
        UNION_MAX_CHARS
    )
