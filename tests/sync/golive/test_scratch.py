from tests.sync.pipeline.conftest import THREADED_DB

pytestmark = THREADED_DB

def test_scratch(sf, ns):
    rows = list(sf.query("SELECT Id, Name, BillingCountry, Website FROM Account ORDER BY Id"))
    print(len(rows), rows[:2])
    rows = list(sf.query("SELECT Id, FirstName, LastName, Email, AccountId FROM Contact ORDER BY Id"))
    print(len(rows), rows[:2])
    cid = ns.create("customer", {"companyName": "Acme GmbH", "email": "ap@acme.de", "url": "https://www.acme.de", "subsidiary": {"id": "1"}, "addressBook": {"items": [{"label": "Billing", "defaultBilling": True, "addressBookAddress": {"country": "DE"}}]}})
    print(cid)
    print(list(ns.suiteql_by_key("SELECT id, companyname, email, url, externalid, subsidiary, entityid, BUILTIN.DF(subsidiary) AS subname FROM customer")))
    print(ns.get("customer", cid, expand=True))
    ns.patch("customer", cid, {"externalId": "001XYZ"})
    print(list(ns.suiteql_by_key("SELECT id, externalid FROM customer")))
    print(list(ns.suiteql_by_key("SELECT id, firstname, lastname, email, company, externalid FROM contact")))
    print(list(ns.suiteql("SELECT id, name, country FROM subsidiary")))
