"""One connector per external system; nothing else in Concord talks to Salesforce or NetSuite.

- :mod:`sync.connections.connectors.salesforce` wraps simple-salesforce (the only module importing it);
- :mod:`sync.connections.connectors.netsuite` wraps requests + requests-oauthlib (the only module building
  NetSuite URLs);
- :mod:`sync.connections.connectors.oauth1` signs its requests (OAuth 1.0a token-based authentication);
- :mod:`sync.connections.connectors.errors` classifies every failure as transient or permanent;
- :mod:`sync.connections.connectors.transport` holds the HTTP session and retry policy both share.
"""
