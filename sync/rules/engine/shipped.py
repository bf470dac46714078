"""The rules and reference tables Concord ships (shipped.json), as :class:`RuleSpec` and plain dicts.

Reference tables are the shipped rules' own (``subsidiary_allowed_currencies``) plus the mapping
defaults' lookup tables (``country_to_subsidiary``, ``currency_id_to_code``...), so a rule and a mapping
agree on what a country or a currency id means.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from sync.mappings.engine.defaults import load_default_lookups
from sync.rules.engine.ruleset import RuleSpec

_PATH = Path(__file__).resolve().parent / "shipped.json"


@cache
def _load() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(_PATH.read_text())
    return data


def shipped_rules() -> list[RuleSpec]:
    return [RuleSpec(**rule) for rule in _load()["rules"]]


def shipped_tables() -> dict[str, dict[str, Any]]:
    """Every reference table a rule may name in ``lookup``: a fresh copy, safe to change."""
    tables: dict[str, dict[str, Any]] = {
        name: dict(values) for name, values in load_default_lookups().items()
    }
    for name, table in _load()["tables"].items():
        tables[name] = {
            key: list(value) if isinstance(value, list) else value for key, value in table["values"].items()
        }
    return tables
