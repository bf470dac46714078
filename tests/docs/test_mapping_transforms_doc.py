"""docs/mapping-transforms.md documents every registered transform, and its examples are true."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from sync.mappings.engine import TRANSFORMS, CachedDynamicLookup, StaticLookups, compile_mapping, json_ready
from sync.mappings.engine.problems import MAX_TEXT_LENGTH

DOC = Path(__file__).resolve().parents[2] / "docs" / "mapping-transforms.md"
EXAMPLE = re.compile(r"^Example: `(?P<chain>.+)` turns `(?P<given>.+?)` into `(?P<expected>.+?)`\.$", re.M)


def _sections() -> dict[str, str]:
    parts = re.split(r"^### `([a-z_]+)`$", DOC.read_text(encoding="utf-8"), flags=re.M)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


def test_it_documents_every_registered_transform_and_nothing_else() -> None:
    assert sorted(_sections()) == sorted(TRANSFORMS)


@pytest.mark.parametrize("name", sorted(TRANSFORMS))
def test_it_documents_each_parameter_and_an_example(name: str) -> None:
    section = _sections()[name]
    for param in TRANSFORMS[name].params:
        assert f"| `{param.name}` |" in section, f"{name}: parameter {param.name} undocumented"
    if not TRANSFORMS[name].params:
        assert "No parameters." in section
    assert EXAMPLE.search(section), f"{name}: no example"


def _run(chain: list[Any], given: Any) -> Any:
    spec = {
        "flow": "doc",
        "source": "Example",
        "objects": [
            {
                "key": "record",
                "target": "example",
                "mode": "create_only",
                "fields": [{"id": "v", "target": "v", "source": "v", "transforms": chain}],
            }
        ],
    }
    lookups = StaticLookups(
        {"currency_code_to_id": {"USD": "1"}},
        {"netsuite_item_by_sku": CachedDynamicLookup(lambda keys: {"PLAT-CORE": "11"})},
    )
    result = compile_mapping(spec).apply(
        {"v": given, "CurrencyIsoCode": "JPY", "Nickname": "Ace"}, lookups=lookups
    )
    assert result.problems == []
    return json_ready(result.payloads[0].body.get("v"))


@pytest.mark.parametrize("name", sorted(TRANSFORMS))
def test_it_gives_examples_that_hold(name: str) -> None:
    for match in EXAMPLE.finditer(_sections()[name]):
        chain = json.loads(match["chain"])
        assert any((step if isinstance(step, str) else step["fn"]) == name for step in chain)
        assert _run(chain, json.loads(match["given"])) == json.loads(match["expected"]), match[0]


def test_it_states_the_text_output_limit_the_engine_enforces() -> None:
    intro = re.split(r"^## ", DOC.read_text(encoding="utf-8"), flags=re.M)[0]
    assert f"longer than\n{MAX_TEXT_LENGTH:,} characters" in intro
    for name in ("prefix", "suffix", "replace", "concat"):
        assert f"`{name}`" in intro
    assert f"({MAX_TEXT_LENGTH:,} characters)" in _sections()["replace"]
