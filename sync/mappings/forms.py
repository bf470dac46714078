"""Forms of the mapping editor: one field row, the import box, the transition reason."""

from __future__ import annotations

import json
from typing import Any

from django import forms

from core.json_input import JsonTooDeep, json_loads_bounded
from sync.mappings.chains import ChainError, chain_from_steps, steps_from_data
from sync.mappings.models import FieldApply, FieldMapping, ValueKind

# The systems a row may name as its owner: the row model's own choices.
OWNER_CHOICES = list(FieldMapping._meta.get_field("owner").choices or [])


def _json(text: str, what: str) -> Any:
    try:
        return json_loads_bounded(text)
    except json.JSONDecodeError as error:
        raise forms.ValidationError(f"{what} must be JSON ({error.msg} at column {error.colno})") from error
    except JsonTooDeep as error:
        raise forms.ValidationError(f"{what} is not accepted: {error}") from error


class FieldRowForm(forms.Form):
    """A field row as typed: ``value`` is the source path, the constant, the ref or the concat parts."""

    key = forms.SlugField(max_length=100, label="Row id")
    target = forms.CharField(max_length=300)
    kind = forms.ChoiceField(choices=ValueKind.choices)
    value = forms.CharField(max_length=2000, required=False)
    ref_item = forms.CharField(max_length=300, required=False)
    separator = forms.CharField(max_length=40, required=False, strip=False)
    # The chain arrives as steps (``steps``, ``step-<n>-*``: :mod:`sync.mappings.chains`); this JSON is the
    # advanced way, used when ``transforms_json`` is ticked or when no steps are posted at all.
    transforms = forms.CharField(max_length=4000, required=False, help_text='JSON list, e.g. ["trim"]')
    transforms_json = forms.BooleanField(required=False, label="Use this JSON instead of the steps")
    each = forms.CharField(max_length=300, required=False)
    where = forms.CharField(max_length=4000, required=False)
    required = forms.BooleanField(required=False)
    optional = forms.BooleanField(
        required=False,
        help_text="Skip this row where the connected org or account lacks its source or target field",
    )
    apply = forms.ChoiceField(choices=FieldApply.choices, initial=FieldApply.ALWAYS)
    # The system of record; blank is the flow's source side. The engine refuses it on a group's rows.
    owner = forms.ChoiceField(
        choices=[("", "Source side (default)"), *OWNER_CHOICES], required=False, label="Owned by"
    )
    on_conflict = forms.ChoiceField(
        choices=[
            ("owner_wins", "Owner's value wins"),
            ("record_only", "Record only (keep the other side's change)"),
        ],
        initial="owner_wins",
        required=False,
        label="On a conflict",
    )
    note = forms.CharField(max_length=2000, required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        kind = data.get("kind")
        raw = data.get("value", "")
        if kind == ValueKind.CONSTANT:
            try:  # numbers, true/false and quoted text as JSON; anything else is the text itself
                data["constant"] = json_loads_bounded(raw)
            except JsonTooDeep as error:
                raise forms.ValidationError({"value": f"The constant is not accepted: {error}"}) from error
            except json.JSONDecodeError:
                data["constant"] = raw
        elif kind == ValueKind.CONCAT:
            try:
                data["concat"] = _json(raw, "The concat parts")
            except forms.ValidationError as error:
                self.add_error("value", error)
        elif kind == ValueKind.REF:
            data["ref"] = raw
        elif kind == ValueKind.SOURCE:
            data["source"] = raw
        self._clean_chain(data)
        text = data.get("where", "").strip()
        try:
            data["where"] = _json(text, "The condition") if text else None
        except forms.ValidationError as error:
            self.add_error("where", error)
        return data

    def _clean_chain(self, data: dict[str, Any]) -> None:
        if self.uses_steps:
            try:
                data["transforms"] = chain_from_steps(steps_from_data(self.data))
            except ChainError as error:
                self.add_error("transforms", f"The transform chain: {error}")
            return
        text = data.get("transforms", "").strip()
        try:
            data["transforms"] = _json(text, "The transform chain") if text else []
        except forms.ValidationError as error:
            self.add_error("transforms", error)

    @property
    def uses_steps(self) -> bool:
        """The chain comes from the step inputs, unless the JSON box is chosen (or no steps were sent)."""
        return "steps" in self.data and not self.cleaned_data.get("transforms_json")

    def row_values(self) -> dict[str, Any]:
        """The FieldMapping columns the form sets (the value columns of other kinds are cleared)."""
        data = self.cleaned_data
        return {
            "key": data["key"],
            "target": data["target"],
            "kind": data["kind"],
            "source": data.get("source", ""),
            "constant": data.get("constant"),
            "ref": data.get("ref", ""),
            "ref_item": data.get("ref_item", "") if data["kind"] == ValueKind.REF else "",
            "concat": data.get("concat"),
            "separator": data.get("separator", "") if data["kind"] == ValueKind.CONCAT else "",
            "transforms": data.get("transforms") or [],
            "each": data.get("each", "") if data["kind"] == ValueKind.GROUP else "",
            "where": data.get("where") if data["kind"] == ValueKind.GROUP else None,
            "required": data.get("required", False),
            "optional": data.get("optional", False),
            "apply": data["apply"],
            "note": data.get("note", ""),
            "owner": data.get("owner", ""),
            "on_conflict": data.get("on_conflict") or "owner_wins",
        }


def row_initial(row: Any) -> dict[str, Any]:
    """The form's initial values for a stored row."""
    value: Any = {"source": row.source, "ref": row.ref, "group": ""}.get(row.kind)
    if row.kind == ValueKind.CONSTANT:
        value = row.constant if isinstance(row.constant, str) else json.dumps(row.constant)
    elif row.kind == ValueKind.CONCAT:
        value = json.dumps(row.concat)
    return {
        "key": row.key,
        "target": row.target,
        "kind": row.kind,
        "value": value,
        "ref_item": row.ref_item,
        "separator": row.separator,
        "transforms": json.dumps(row.transforms) if row.transforms else "",
        "each": row.each,
        "where": json.dumps(row.where) if row.where is not None else "",
        "required": row.required,
        "optional": row.optional,
        "apply": row.apply,
        "note": row.note,
        "owner": row.owner,
        "on_conflict": row.on_conflict,
    }


class ImportForm(forms.Form):
    spec = forms.CharField(widget=forms.Textarea, required=False, label="Mapping JSON")
    file = forms.FileField(required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        text = data["file"].read().decode("utf-8", "replace") if data.get("file") else data.get("spec", "")
        if not text.strip():
            raise forms.ValidationError("Paste the mapping JSON or choose a file.")
        data["parsed"] = _json(text, "The mapping")
        return data


class ReasonForm(forms.Form):
    reason = forms.CharField(max_length=2000, required=False)
