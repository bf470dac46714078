"""The NetSuite simulator: REST Web Services records, SuiteQL and token-based auth, served over HTTPS.

``python -m simulators netsuite --help`` lists the flags; ``spec.py`` documents the demo credentials;
``client.py`` builds a requests + requests-oauthlib session exactly as API-FACTS.md shows.

Behaviour an integration will notice (as NetSuite documents or behaves):

- Auth: OAuth 1.0a HMAC-SHA256 only, realm = account id, +-300 s timestamps, nonces single-use;
  every refusal is 401 ``INVALID_LOGIN``. OAuth 2.0 M2M (PS*/ES* JWT assertion) gives bearer tokens.
- Writes answer 204 with ``Location``; ``PUT .../eid:<id>`` upserts (PUT by internal id is 405).
- Sublists merge: keyed lines (``item`` by ``line``, ``addressBook`` by ``id``, ``apply`` by ``doc``,
  ``member`` by ``lineNumber``) are updated, lines without a key are *added*. Re-sending a whole order
  through an upsert or PATCH needs ``?replace=item``, or the lines double; a retried write as well.
- SuiteQL values are strings; NULL columns are absent from a row; dates and date-times come in the
  account's date format ``M/D/YYYY`` (use ``TO_CHAR(col, 'YYYY-MM-DD"T"HH24:MI:SS')`` for a
  timestamp; all times are UTC); booleans are ``T``/``F``; unnamed expressions are ``expr1``...
  At most 100,000 rows by offset: page larger sets by key (``WHERE id > :last ORDER BY id``).
- Ids are never reused; externalId is unique per record type.
- Subsidiaries and the classification lists (``department``, ``classification``, ``location``) are
  records and SuiteQL tables. ``--no-oneworld`` is an account without OneWorld: no ``subsidiary`` field
  on any record (metadata, REST, SuiteQL), no ``subsidiary`` record type or table.
- Metadata: ``record/v1/metadata-catalog/`` lists the types; ``.../<type>`` answers a JSON Schema
  (``Accept: application/schema+json``) or OpenAPI 3.0 (``application/swagger+json``, also on the
  catalog with ``?select=``), built from the record types and custom fields (see ``metadata.py``).

Not modelled: SOAP, RESTlets, saved searches, per-role metadata (the catalog shows every field),
partial billing (an order is billed by one invoice), fulfilment, credit memos, tax
calculation, exchange rates (``exchangeRate`` is stored, not applied), NetSuite's negative signs on
``transactionline`` amounts, per-line subsidiaries, roles and permissions (403), the sublist line
DELETE, SuiteQL ``UNION``, ``RIGHT``/``FULL`` joins, analytic functions and ``TO_CHAR`` number
formats, ROWNUM with aggregates, and time zones other than UTC.
"""
