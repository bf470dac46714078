"""The REST API's shared plumbing (/api/v1/): base view classes, paging, error answers, schema and docs.

Each area keeps its own endpoints in ``<app>/api/`` (serializers, filtersets, views, urls), calling the
same services and selectors as the console pages. Authentication is a personal API token
(:mod:`governance.api.authentication`) or the console's session; permissions are the console's roles
(:mod:`core.api.permissions`) and each area's object scoping.
"""
