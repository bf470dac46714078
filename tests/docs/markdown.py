"""Reading the README and docs/ the way the doc tests need: pages, fenced blocks, inline code, links.

Kept deliberately small (no Markdown library): the pages are plain CommonMark as written here, and the
tests only need the code the pages show and the places they point at.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
DOCS = ROOT / "docs"

FENCE = re.compile(r"^```(?P<lang>[\w-]*)\n(?P<body>.*?)^```\s*$", re.M | re.S)
INLINE = re.compile(r"`([^`\n]+(?:\n[^`\n]+)?)`")  # a code span may wrap onto a second line
LINK = re.compile(r"(?<!!)\[[^\]]+\]\((?P<target>[^)\s]+)\)")


def pages() -> list[Path]:
    """The README and every page under docs/, in a stable order."""
    return [README, *sorted(DOCS.glob("*.md"))]


def page_id(page: Path) -> str:
    return str(page.relative_to(ROOT))


def text(page: Path) -> str:
    return page.read_text(encoding="utf-8")


def fenced_blocks(source: str, langs: tuple[str, ...] | None = None) -> list[str]:
    """Bodies of the fenced code blocks, optionally only those of the given languages."""
    return [m["body"] for m in FENCE.finditer(source) if langs is None or m["lang"] in langs]


def prose(source: str) -> str:
    """The page without its fenced blocks, so inline code is not confused with fences."""
    return FENCE.sub("", source)


def inline_code(source: str) -> list[str]:
    """Every inline code span outside fenced blocks, with a wrapped span joined onto one line."""
    return [" ".join(span.split()) for span in INLINE.findall(prose(source))]


def links(source: str) -> list[str]:
    """Targets of the Markdown links outside fenced blocks and code spans."""
    return [m["target"] for m in LINK.finditer(INLINE.sub("", prose(source)))]


def heading_anchors(source: str) -> set[str]:
    """GitHub's anchors for the page's headings: lower case, punctuation dropped, spaces to hyphens."""
    anchors = set()
    for heading in re.findall(r"^#{1,6} (.+)$", prose(source), re.M):
        slug = re.sub(r"[^\w\- ]", "", heading.strip().lower())
        anchors.add(slug.replace(" ", "-"))
    return anchors
