"""Paging: limit/offset with a bounded page size; keyset (cursor) paging for the audit trail."""

from __future__ import annotations

from rest_framework.pagination import CursorPagination, LimitOffsetPagination

MAX_PAGE_SIZE = 200


class ApiPagination(LimitOffsetPagination):
    default_limit = 50
    max_limit = MAX_PAGE_SIZE


class NewestFirstCursorPagination(CursorPagination):
    """Pages by id, newest first: page 20,000 costs what page 1 costs (large, append-only tables)."""

    ordering = "-id"
    page_size = 50
    page_size_query_param = "limit"
    max_page_size = MAX_PAGE_SIZE
