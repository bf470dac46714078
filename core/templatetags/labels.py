"""Template filters that show keys by their words (:mod:`core.labels`), registered as the ``labels``
library in the TEMPLATES options (console/settings.py).

``{% load labels %}`` then:

- ``{{ job.flow|flow_label }}``: "Closed Won deals to NetSuite" with ``opportunity_to_netsuite`` as
  secondary text (a ``<span class="label-key">``), likewise ``check_label``, ``mismatch_label`` and
  ``status_label`` (the key is left out where it only repeats the label: "failed" -> "Failed");
- ``{{ job.flow|flow_text }}`` (``check_text``, ``mismatch_text``, ``status_text``): the words alone, for
  an ``<option>``, a ``title`` attribute or a chart legend;
- ``{{ version|version_label }}``: "v2" for a version (or its number);
- ``{{ event.kind|spelled_out }}``: any other key as words ("sync_record" -> "Sync record").
"""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from core import labels

register = template.Library()


def _labelled(domain: str, key: Any) -> SafeString | str:
    words = labels.label(domain, key)
    if not labels.key_adds(domain, key):
        return words
    return format_html('{} <span class="label-key">{}</span>', words, key)


@register.filter
def flow_label(key: Any) -> SafeString | str:
    return _labelled(labels.FLOW, key)


@register.filter
def check_label(key: Any) -> SafeString | str:
    return _labelled(labels.CHECK, key)


@register.filter
def mismatch_label(key: Any) -> SafeString | str:
    return _labelled(labels.MISMATCH, key)


@register.filter
def status_label(key: Any) -> SafeString | str:
    return _labelled(labels.STATUS, key)


@register.filter
def flow_text(key: Any) -> str:
    return labels.flow_label(key)


@register.filter
def check_text(key: Any) -> str:
    return labels.check_label(key)


@register.filter
def mismatch_text(key: Any) -> str:
    return labels.mismatch_label(key)


@register.filter
def status_text(key: Any) -> str:
    return labels.status_label(key)


@register.filter
def spelled_out(key: Any) -> str:
    """Any other key as words: ``sync_record`` -> "Sync record"."""
    return labels.spelled_out(key)


@register.filter
def version_label(version: Any) -> str:
    return labels.version_label(version)
