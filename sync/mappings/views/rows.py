"""Field rows inline: show, edit, check as you type, add, reorder, delete (htmx fragments)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRefresh

from core.http import ConsoleRequest
from sync.mappings.chains import chain_editor
from sync.mappings.engine import MappingValidationError, SpecProblem
from sync.mappings.forms import FieldRowForm, row_initial
from sync.mappings.models import FieldMapping, MappingFrozen, ObjectMapping
from sync.mappings.permissions import flow_edit_allowed
from sync.mappings.pickers import field_choices
from sync.mappings.presentation import lookup_table_titles
from sync.mappings.services.rows import (
    field_row_build,
    field_row_delete,
    field_row_metadata_problems,
    field_row_move,
    field_row_problems,
    field_row_save,
)
from sync.mappings.views.access import object_or_404, require_flow_editor, row_or_404

ROW = "mappings/partials/field_row.html"
ROW_FORM = "mappings/partials/field_row_form.html"
ROW_CHECK = "mappings/partials/field_row_check.html"
CHOICES = "mappings/partials/field_choices.html"
CHAIN = "mappings/partials/transform_chain.html"


def _row_context(request: HttpRequest, row: FieldMapping, **extra: Any) -> dict[str, Any]:
    version = row.object_mapping.version
    can_edit = version.is_editable and flow_edit_allowed(request.user, version.flow)
    depth = 0 if row.parent_id is None else row.label.count("/")
    titles = lookup_table_titles()
    return {"row": row, "depth": depth, "can_edit": can_edit, "lookup_titles": titles, **extra}


def _chain(row: FieldMapping, request: HttpRequest | None = None) -> Any:
    """The row form's chain editor: the stored chain, or the posted steps when the form came back."""
    titles = lookup_table_titles()
    if request is not None and request.method == "POST":
        return chain_editor(tables=titles, data=request.POST)
    return chain_editor(tables=titles, chain=row.transforms)


@require_http_methods(["GET", "POST"])
def field_row(request: ConsoleRequest, row_id: int) -> HttpResponse:
    """GET: the row (``?edit=1``: its form); POST: save it and show it again, or the form with errors."""
    row = row_or_404(row_id, request.user)
    if request.method == "GET":
        if request.GET.get("edit"):
            require_flow_editor(request, row.object_mapping.version.flow)
            form = FieldRowForm(initial=row_initial(row))
            return render(request, ROW_FORM, _row_context(request, row, form=form, chain=_chain(row)))
        return render(request, ROW, _row_context(request, row))
    require_flow_editor(request, row.object_mapping.version.flow)
    form = FieldRowForm(request.POST)
    problems: list[Any] = []
    if form.is_valid():
        try:
            row = field_row_save(obj=row.object_mapping, row=row, values=form.row_values(), user=request.user)
        except MappingValidationError as error:
            problems = error.problems
        except (MappingFrozen, ValidationError) as error:
            problems = [SpecProblem(row.object_mapping.key, row.label, "", " ".join(error.messages))]
        else:
            if request.htmx:
                return render(request, ROW, _row_context(request, row, saved=True))
            return redirect("sync:mapping-version", row.object_mapping.version_id)
    context = _row_context(request, row, form=form, problems=problems, chain=_chain(row, request))
    return render(request, ROW_FORM, context, status=200)


def _parent(obj: ObjectMapping, request: HttpRequest) -> FieldMapping | None:
    parent_id = request.POST.get("parent")
    return get_object_or_404(FieldMapping, pk=parent_id, object_mapping=obj) if parent_id else None


@require_POST
def field_row_check(request: HttpRequest, object_id: int) -> HttpResponse:
    """Validation as you type: the engine's problems for the row as it would be saved."""
    obj = object_or_404(object_id, request.user)
    require_flow_editor(request, obj.version.flow)
    form = FieldRowForm(request.POST)
    if not form.is_valid():
        messages = [
            f"{name}: {' '.join(str(error) for error in errors)}" for name, errors in form.errors.items()
        ]
        return render(request, ROW_CHECK, {"messages": messages})
    row = None
    if request.POST.get("row"):
        row = get_object_or_404(FieldMapping, pk=request.POST["row"], object_mapping=obj)
    candidate = field_row_build(obj=obj, values=form.row_values(), row=row, parent=_parent(obj, request))
    mine, _ = field_row_problems(candidate=candidate)
    mine += field_row_metadata_problems(candidate=candidate)
    return render(request, ROW_CHECK, {"messages": [str(problem) for problem in mine], "checked": True})


@require_POST
def field_row_create(request: ConsoleRequest, object_id: int) -> HttpResponse:
    obj = object_or_404(object_id, request.user)
    require_flow_editor(request, obj.version.flow)
    form = FieldRowForm(request.POST)
    messages: list[str] = []
    if form.is_valid():
        try:
            field_row_save(obj=obj, values=form.row_values(), user=request.user, parent=_parent(obj, request))
        except MappingValidationError as error:
            messages = [str(problem) for problem in error.problems]
        except (MappingFrozen, ValidationError) as error:
            messages = list(error.messages)
        else:
            if request.htmx:
                return HttpResponseClientRefresh()
            return redirect("sync:mapping-version", obj.version_id)
    else:
        messages = [
            f"{name}: {' '.join(str(error) for error in errors)}" for name, errors in form.errors.items()
        ]
    return render(request, ROW_CHECK, {"messages": messages}, status=200 if request.htmx else 400)


@require_POST
def field_row_reorder(request: ConsoleRequest, row_id: int) -> HttpResponse:
    row = row_or_404(row_id, request.user)
    require_flow_editor(request, row.object_mapping.version.flow)
    offset = -1 if request.POST.get("direction") == "up" else 1
    field_row_move(row=row, offset=offset, user=request.user)
    if request.htmx:
        return HttpResponseClientRefresh()
    return redirect("sync:mapping-version", row.object_mapping.version_id)


@require_POST
def field_row_remove(request: ConsoleRequest, row_id: int) -> HttpResponse:
    row = row_or_404(row_id, request.user)
    require_flow_editor(request, row.object_mapping.version.flow)
    version_id = row.object_mapping.version_id
    field_row_delete(row=row, user=request.user)
    if request.htmx:
        return HttpResponseClientRefresh()
    return redirect("sync:mapping-version", version_id)


def _picker_parent(obj: ObjectMapping, request: HttpRequest) -> FieldMapping | None:
    parent_id = request.GET.get("parent", "")
    if not parent_id.isdigit():
        return None
    return get_object_or_404(FieldMapping.objects.select_related("parent"), pk=parent_id, object_mapping=obj)


@require_GET
def field_choices_view(request: HttpRequest, object_id: int) -> HttpResponse:
    """The picker's list: fields of the cached metadata matching what is typed (``?side=source|target``).

    The query is the picker's own input (``value`` for a source, ``target`` for a target), sent with the
    rest of the row form; a source is only picked for a row whose value comes from a source field."""
    obj = object_or_404(object_id, request.user)
    require_flow_editor(request, obj.version.flow)
    side = "target" if request.GET.get("side") == "target" else "source"
    if side == "source" and request.GET.get("kind", "source") != "source":
        return render(
            request, CHOICES, {"hint": "Fields are picked for a row whose value is from a source field."}
        )
    query = request.GET.get("target" if side == "target" else "value", "")[:200]
    parent = _picker_parent(obj, request)
    found = field_choices(obj=obj, user=request.user, side=side, query=query, parent=parent)
    response = render(request, CHOICES, {"found": found, "hint": found.hint, "side": side})
    # The picker drops a list that answers an older text than its input now holds (a slow answer).
    response["X-Picker-Query"] = quote(query)
    return response


@require_POST
def transform_chain_view(request: HttpRequest, object_id: int) -> HttpResponse:
    """The chain editor after an action (add a step, remove, move, load the JSON), from the posted form."""
    obj = object_or_404(object_id, request.user)
    require_flow_editor(request, obj.version.flow)
    editor = chain_editor(tables=lookup_table_titles(), data=request.POST, op=request.POST.get("op", "")[:40])
    row_id = request.POST.get("row", "")
    return render(request, CHAIN, {"chain": editor, "obj": obj, "row_id": row_id if row_id.isdigit() else ""})
