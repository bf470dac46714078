"""Reconciliation's mismatches in the exception queue.

Reconciliation opens one exception per check, key and field (``dedup_key``), whatever the number of
runs that see it (the queue counts the occurrences), and resolves it with a note when a later run no
longer finds the mismatch; the Mismatch rows keep the reference and the resolution too.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from core.labels import check_label
from reconciliation.checks import finding
from reconciliation.models import Mismatch
from sync.exceptions.models import Severity
from sync.exceptions.scope import ExceptionScope
from sync.exceptions.services import RecordRef, exception_auto_resolve, exception_raise

CATEGORY = "reconciliation"
TITLE_LIMIT = 200  # characters of a finding's title: shorter than the column, to read in the queue
_SEVERITY = {"missing_in_netsuite": Severity.HIGH, "duplicate": Severity.HIGH}


def mismatch_dedup_key(*, check: str, key: str, field: str, namespace: str = "") -> str:
    """One exception per check, key and field of an integration: two orgs' records may share Salesforce
    ids, so another integration's keys carry its namespace (the primary integration's are unchanged)."""
    return f"recon:{namespace + ':' if namespace else ''}{check}:{key}:{field}"


def mismatch_exception_open(
    *,
    check: str,
    dedup_key: str,
    kind: str,
    key: str,
    field: str,
    salesforce: Any,
    netsuite: Any,
    scope: ExceptionScope | None = None,
    details: dict[str, Any] | None = None,
    run_id: int | None = None,
) -> str:
    """Open (or count again) the exception for one mismatch; returns its reference for the Mismatch row.
    ``scope`` is where the record lives (see :mod:`sync.exceptions.scope`). ``run_id``, the run that
    found it, groups it with the run's other mismatches of the same finding (:mod:`sync.exceptions.causes`).
    """
    code, label = finding(check, kind, field)
    what = label + (f" ({field})" if field and field not in code else "")
    values: dict[str, Any] = {}
    if field:
        values[field] = {"salesforce": salesforce, "netsuite": netsuite}
    item = exception_raise(
        category=CATEGORY,
        dedup_key=dedup_key,
        # The check by its title ("Accounts ↔ customers"), for finance; details keep the check's name.
        title=f"{check_label(check)}: {key}: {what}"[:TITLE_LIMIT],
        severity=_SEVERITY.get(kind, Severity.MEDIUM),
        records=[RecordRef("salesforce", check, key)],
        scope=scope,
        details={
            "check": check,
            "kind": kind,
            "finding": code,
            "field": field,
            "values": values,
            **({"run": run_id} if run_id is not None else {}),
            **({"how": details} if details else {}),
        },
    )
    return str(item.pk)


def mismatch_exception_resolve(*, dedup_key: str, note: str) -> None:
    """Resolve the exception of a mismatch a later run no longer finds."""
    exception_auto_resolve(dedup_key=dedup_key, note=note)
    Mismatch.objects.filter(dedup_key=dedup_key, resolved_at__isnull=True).update(
        resolved_at=timezone.now(), resolution_note=note
    )
