"""The REST API's root (/api/v1/): its URL conf gathers every feature's endpoints, the schema and the docs.

The shared plumbing (base view classes, paging, error answers, permission classes) is in :mod:`core.api`;
each feature keeps its own endpoints in its ``api.py`` (``sync/<feature>/api.py``, ``governance/api/``,
``reconciliation/api/``), calling the same services, selectors and permission predicates as its pages.
Authentication is a personal API token (:mod:`governance.api.authentication`) or the console's session.
"""
