"""The seam between reconciliation and the exception queue.

Reconciliation opens one exception per check, key and field (``dedup_key``), whatever the number of
runs that see it, and resolves it with a note when a later run no longer finds the mismatch. The queue
(``sync.services.exceptions``: ``exception_raise(*, category, dedup_key, title, severity, records, ...,
details)`` and ``exception_auto_resolve(*, dedup_key, note)``) is built on another branch; until the lead
wires these two functions to it when merging, they record on the Mismatch rows only: the exception
reference is the dedup key, and resolution is stamped on the rows that carried it.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from reconciliation.models import Mismatch

CATEGORY = "reconciliation"


def mismatch_dedup_key(*, check: str, key: str, field: str) -> str:
    return f"recon:{check}:{key}:{field}"


def mismatch_exception_open(
    *, check: str, dedup_key: str, kind: str, key: str, field: str, salesforce: Any, netsuite: Any
) -> str:
    """Open (or update) the exception for one mismatch; returns its reference for the Mismatch row."""
    return dedup_key


def mismatch_exception_resolve(*, dedup_key: str, note: str) -> None:
    """Resolve the exception of a mismatch a later run no longer finds."""
    Mismatch.objects.filter(dedup_key=dedup_key, resolved_at__isnull=True).update(
        resolved_at=timezone.now(), resolution_note=note
    )
