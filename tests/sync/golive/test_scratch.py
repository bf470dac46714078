from tests.sync.pipeline.conftest import THREADED_DB

pytestmark = THREADED_DB

def test_scratch(sf, ns):
    cid = ns.create("customer", {"companyName": "Acme GmbH", "email": "ap@acme.de", "url": "https://www.acme.de", "subsidiary": {"id": "1"}, "addressBook": {"items": [{"label": "Billing", "defaultBilling": True, "addressBookAddress": {"country": "DE"}}]}})
    print(list(ns.suiteql_by_key("SELECT c.id, c.externalid, c.companyname, c.email, c.url, a.country FROM customer c LEFT OUTER JOIN entityaddress a ON a.nkey = c.defaultbillingaddress", key="c.id", where="c.isinactive = 'F'")))
    print(sf.count("SELECT COUNT() FROM Account"))
