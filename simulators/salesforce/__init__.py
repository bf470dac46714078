"""The Salesforce simulator: OAuth, the REST API (sObjects, SOQL, Collections, limits) and outbound messages.

``python -m simulators salesforce --port 8443`` serves it; see :mod:`simulators.salesforce.spec` for flags.
"""
