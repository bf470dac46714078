"""One connector per external system; nothing else in Concord talks to Salesforce or NetSuite.

- :mod:`sync.connectors.salesforce` wraps simple-salesforce (the only module importing it);
- :mod:`sync.connectors.netsuite` wraps requests + requests-oauthlib (the only module building NetSuite URLs);
- :mod:`sync.connectors.errors` classifies every failure as transient or permanent;
- :mod:`sync.connectors.transport` holds the HTTP session and retry policy both share.
"""
