"""Form controls with ids unique within a page, registered as the ``controls`` library in the TEMPLATES
options (console/settings.py).

A form drawn more than once on a page (the mapping editor's "add a field row" form under every object
mapping, a row's edit form opened beside it) would repeat Django's ``id_<name>`` ids, and a
``<label for=...>`` would name the first control only. ``{% load controls %}`` then:

- ``{% dom_id "add-check" obj.pk "new" as scope %}``: the parts joined by "-" ("add-check-4-new");
- ``{% control form.key scope %}``: the field's widget with the id ``<scope>-<name>``, which the label
  names as ``<label for="{{ scope }}-key">``.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.forms import BoundField
from django.utils.safestring import SafeString

register = template.Library()


@register.simple_tag
def dom_id(*parts: Any) -> str:
    """An id (or an id prefix) from its parts: ``dom_id("row", 7, "key")`` is ``row-7-key``."""
    return "-".join(str(part) for part in parts)


@register.simple_tag
def control(field: BoundField, scope: str) -> SafeString:
    """The field's widget, its id ``<scope>-<field name>`` (a label names it with ``for``)."""
    return field.as_widget(attrs={"id": f"{scope}-{field.name}"})
