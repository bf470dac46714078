"""Per-field system of record on the return flows: compare, write only what NetSuite owns, record conflicts.

For an object synced both ways (account <-> customer, opportunity <-> sales order) each mapped field has
an owner (the mapping row's ``owner``). The return flow holds three values per field, all in Salesforce's
form: what NetSuite has (mapped), what Salesforce has (read), and the last value both held
(:class:`~sync.pipeline.models.SyncedFieldValue`). That last value tells a change from a stale copy:

- NetSuite owns the field: NetSuite's value is written when Salesforce differs. If Salesforce's value
  also moved away from the last synced one, a person changed an owned field in Salesforce: a conflict
  is recorded, and NetSuite's value still wins (it is written, which resolves the conflict).
- Salesforce owns the field: it is never written. If NetSuite's value moved away from the last synced
  one, a person changed it in NetSuite: a conflict is recorded, and the record's cross-reference is
  marked stale so the next forward sync sends the whole update body again, re-asserting Salesforce's
  value in NetSuite. A NetSuite value equal to the last synced one is a stale copy (Salesforce changed
  it, the forward flow has not run yet): nothing to do. The conflict is resolved when both agree again.

A row with ``on_conflict: record_only`` records the conflict and leaves the other side's change where it
is: NetSuite's value is not written over it, and the forward sync is not asked to re-assert Salesforce's.

Without a last synced value (the first run for a record) a difference cannot be told apart: the owner's
value stands, nothing is recorded, and the value is remembered once both sides agree.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import timezone

from core.fields import field_fit
from sync.pipeline.eids import EidScope, eid_scope
from sync.pipeline.models import FieldConflict, SyncedFieldValue, SystemName

# Salesforce objects the forward flow also writes from: their fields have an owner on each side.
# (Invoice__c is NetSuite's document: Salesforce holds a copy, written whole.)
TWO_WAY_OBJECTS = frozenset({"Account", "Opportunity"})

_MISSING = object()


def same_value(held: Any, sent: Any) -> bool:
    """Whether two field values are equal as Salesforce stores them (empty is empty, 4950.0 is 4950)."""
    if held in (None, "") and sent in (None, ""):
        return True
    if isinstance(sent, int | float | Decimal) and not isinstance(sent, bool):
        try:
            return Decimal(str(held)) == Decimal(str(sent))
        except (InvalidOperation, ValueError):
            return False
    return bool(held == sent)


@dataclass(frozen=True)
class ConflictSeen:
    field: str
    owner: str
    owner_value: Any
    other_value: Any
    synced_value: Any
    owner_wins: bool = True  # False for on_conflict: record_only


@dataclass
class Decision:
    """What to do with one Salesforce record: the fields to write and what both sides will then hold."""

    salesforce_id: str
    netsuite: tuple[str, str]  # (record type, internal id)
    write: dict[str, Any] = field(default_factory=dict)
    agreed: dict[str, Any] = field(default_factory=dict)  # both sides hold it now
    conflicts: list[ConflictSeen] = field(default_factory=list)

    @property
    def reassert_in_netsuite(self) -> bool:
        return any(
            conflict.owner == SystemName.SALESFORCE and conflict.owner_wins for conflict in self.conflicts
        )


class OwnershipLedger:
    """The last synced values and open conflicts of one batch of records of one Salesforce object."""

    def __init__(
        self,
        *,
        netsuite_connection_id: int,
        flow: str,
        sobject: str,
        ids: Iterable[str],
        scope: EidScope | None = None,
    ) -> None:
        self.netsuite_connection_id = netsuite_connection_id
        self.flow = flow
        self.sobject = sobject
        # The integration whose org the records are in (another org may have records of the same ids).
        self.scope = scope or eid_scope(None, netsuite_connection_id)
        ids = list(ids)
        self._synced: dict[tuple[str, str], Any] = {
            (row.salesforce_id, row.field): row.value
            for row in SyncedFieldValue.objects.filter(
                self.scope.xref_filter(),
                netsuite_connection_id=netsuite_connection_id,
                sobject=sobject,
                salesforce_id__in=ids,
            )
        }
        self._agreed: dict[tuple[str, str], Any] = {}  # to store at flush()
        self._open: dict[tuple[str, str], FieldConflict] = {
            (row.salesforce_id, row.field): row
            for row in FieldConflict.objects.filter(
                self.scope.xref_filter(),
                netsuite_connection_id=netsuite_connection_id,
                sobject=sobject,
                salesforce_id__in=ids,
                resolved_at__isnull=True,
            )
        }

    def decide(
        self,
        *,
        salesforce_id: str,
        netsuite: tuple[str, str],
        held: dict[str, Any],
        mapped: dict[str, Any],
        salesforce_owned: Iterable[str],
        record_only: Iterable[str] = (),
        key_field: str = "Id",
    ) -> Decision:
        """Compare one record field by field; see the module docstring for the rules."""
        owned_here, recorded_only = set(salesforce_owned), set(record_only)
        decision = Decision(salesforce_id, netsuite)
        for name, netsuite_value in mapped.items():
            if name == key_field:
                continue
            salesforce_value = held.get(name)
            last = self._synced.get((salesforce_id, name), _MISSING)
            if same_value(salesforce_value, netsuite_value):
                decision.agreed[name] = netsuite_value
            elif name in owned_here:
                if last is not _MISSING and not same_value(last, netsuite_value):
                    decision.conflicts.append(
                        ConflictSeen(
                            name,
                            SystemName.SALESFORCE,
                            salesforce_value,
                            netsuite_value,
                            last,
                            owner_wins=name not in recorded_only,
                        )
                    )
            else:
                changed_here = last is not _MISSING and not same_value(last, salesforce_value)
                if changed_here:
                    decision.conflicts.append(
                        ConflictSeen(
                            name,
                            SystemName.NETSUITE,
                            netsuite_value,
                            salesforce_value,
                            last,
                            owner_wins=name not in recorded_only,
                        )
                    )
                if not changed_here or name not in recorded_only:
                    decision.write[name] = netsuite_value
        return decision

    def record(self, decision: Decision, *, written: bool) -> list[FieldConflict]:
        """Note the outcome of one record's write (``written``: Salesforce took ``decision.write``).

        Conflicts are stored at once and returned (a conflict already open with the same values is not
        recorded again: a re-read of the same change); agreed values are stored by :meth:`flush`.
        """
        now = timezone.now()
        agreed = dict(decision.agreed)
        if written:
            agreed.update(decision.write)
        recorded: list[FieldConflict] = []
        with transaction.atomic():
            for seen in decision.conflicts:
                recorded.extend(self._conflict(decision, seen, now))
            for name in agreed:
                conflict = self._open.pop((decision.salesforce_id, name), None)
                if conflict is not None:
                    owner = conflict.get_owner_display()
                    self._resolve(conflict, now, f"{owner}'s value holds on both sides")
            for name, value in agreed.items():
                if self._synced.get((decision.salesforce_id, name), _MISSING) != _json_value(value):
                    self._agreed[(decision.salesforce_id, name)] = _json_value(value)
                self._synced[(decision.salesforce_id, name)] = _json_value(value)
            if decision.reassert_in_netsuite:
                # The next forward sync of this record sends the whole update body: Salesforce's value wins.
                self.scope.xrefs().filter(
                    netsuite_connection_id=self.netsuite_connection_id,
                    netsuite_type=decision.netsuite[0],
                    netsuite_id=decision.netsuite[1],
                ).update(payload_hash="")
        return recorded

    def flush(self) -> None:
        """Store the values both sides agreed on since the last flush (one upsert per 500 fields)."""
        if not self._agreed:
            return
        now = timezone.now()
        SyncedFieldValue.objects.bulk_create(
            [
                SyncedFieldValue(
                    netsuite_connection_id=self.netsuite_connection_id,
                    integration_id=self.scope.integration_id,
                    sobject=self.sobject,
                    salesforce_id=salesforce_id,
                    field=name,
                    value=value,
                    synced_at=now,
                )
                for (salesforce_id, name), value in self._agreed.items()
            ],
            batch_size=500,
            update_conflicts=True,
            unique_fields=["netsuite_connection", "integration", "sobject", "salesforce_id", "field"],
            update_fields=["value", "synced_at"],
        )
        self._agreed.clear()

    def _conflict(self, decision: Decision, seen: ConflictSeen, now: Any) -> list[FieldConflict]:
        key = (decision.salesforce_id, seen.field)
        current = self._open.get(key)
        other = _json_value(seen.other_value)
        if current is not None:
            if same_value(current.other_value, other) and current.owner == seen.owner:
                return []
            self._resolve(current, now, "superseded by a later change")
        conflict = FieldConflict.objects.create(
            netsuite_connection_id=self.netsuite_connection_id,
            integration_id=self.scope.integration_id,
            flow=self.flow,
            sobject=self.sobject,
            salesforce_id=decision.salesforce_id,
            netsuite_type=decision.netsuite[0],
            netsuite_id=decision.netsuite[1],
            field=seen.field,
            owner=seen.owner,
            owner_value=_json_value(seen.owner_value),
            other_value=other,
            synced_value=_json_value(seen.synced_value),
            detected_at=now,
        )
        self._open[key] = conflict
        return [conflict]

    @staticmethod
    def _resolve(conflict: FieldConflict, now: Any, resolution: str) -> None:
        conflict.resolved_at = now
        conflict.resolution = field_fit(FieldConflict, "resolution", resolution)
        conflict.save(update_fields=["resolved_at", "resolution"])


def _json_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value
