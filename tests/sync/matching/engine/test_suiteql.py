import pytest

from sync.matching.engine import MatchKey, candidate_queries, external_id_query
from sync.matching.engine.suiteql import CHUNK

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
