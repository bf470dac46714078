"""Template tags that show mappings in words (:mod:`sync.mappings.presentation`), registered as the
``mapping_words`` library in the TEMPLATES options (console/settings.py).

``{% load mapping_words %}`` then ``{% chain_steps row.transforms as steps %}``, ``{{ row|row_value }}``,
``{{ obj.where|condition_words }}``, ``{% diff_words line.attribute line.before %}``. The lookup tables'
descriptions are read once per rendered page.
"""

from __future__ import annotations

import json
from typing import Any

from django import template

from sync.mappings import presentation

register = template.Library()


def _titles(context: template.Context) -> dict[str, str]:
    cache = context.render_context
    if "mapping_words_titles" not in cache:
        titles = context.get("lookup_titles")
        cache["mapping_words_titles"] = titles if titles is not None else presentation.lookup_table_titles()
    titles = cache["mapping_words_titles"]
    return dict(titles)


@register.simple_tag(takes_context=True)
def chain_steps(context: template.Context, chain: Any) -> list[str]:
    return presentation.chain_steps(chain, _titles(context))


@register.simple_tag(takes_context=True)
def diff_words(context: template.Context, attribute: str, value: Any) -> str:
    return presentation.diff_value_words(attribute, value, _titles(context))


@register.filter
def row_value(row: Any) -> str:
    return presentation.row_value_words(row)


@register.filter
def condition_words(condition: Any) -> str:
    return presentation.condition_words(condition)


@register.filter
def as_json(value: Any) -> str:
    return presentation.as_json(value)


@register.simple_tag(takes_context=True)
def expression_words(context: template.Context, expression: Any) -> str:
    return presentation.expression_words(expression, _titles(context))


@register.filter
def pretty_json(value: Any) -> str:
    """A payload as indented JSON (Decimals and dates as text), as it goes to NetSuite."""
    return json.dumps(value, indent=2, ensure_ascii=False, default=str)


@register.filter
def json_or_text(value: Any) -> str:
    """Text as it is, anything else (numbers, ``{"id": "1"}``) as compact JSON, never a Python repr."""
    return value if isinstance(value, str) else presentation.as_json(value)
