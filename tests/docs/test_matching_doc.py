"""docs/matching.md's `match` block is one the mapping engine accepts, and its table of key kinds says
what the matching engine knows: each kind's roles and the record types it serves."""

from __future__ import annotations

import json
import re

from sync.mappings.engine.paths import parse_target
from sync.matching.engine import KEY_KINDS, match_problems, parse_match
from sync.matching.engine.config import KINDS_BY_TYPE
from tests.docs.markdown import DOCS, fenced_blocks, text

DOC = DOCS / "matching.md"


def test_it_shows_a_match_block_the_engine_accepts() -> None:
    (block,) = fenced_blocks(text(DOC), ("json",))
    match = json.loads("{" + block + "}")["match"]
    assert match_problems(match, target="customer") == []
    for key in parse_match(match, target="customer").keys:
        for _role, path in key.sources:
            parse_target(path)  # each role names a target path the mapping writes


def test_it_lists_every_key_kind_with_its_roles_and_record_types() -> None:
    rows = re.findall(r"^\| `(\w+)` \| ([^|]+) \| ([^|]+) \|", text(DOC), re.M)
    assert [kind for kind, _, _ in rows] == list(KEY_KINDS)
    for kind, roles, types in rows:
        required, optional = KEY_KINDS[kind]
        assert re.findall(r"`(\w+)`", roles) == [*required, *optional], kind
        assert "optional" in roles if optional else "optional" not in roles, kind
        assert [t.strip() for t in types.split(",")] == [
            t for t, kinds in KINDS_BY_TYPE.items() if kind in kinds
        ]
