"""The Content-Security-Policy forbids inline scripts, styles and event handlers: no template uses them."""

from __future__ import annotations

import re

from django.conf import settings

INLINE = re.compile(r"""<script(?![^>]*\bsrc=)[^>]*>|<style\b|\sstyle=["']|\son[a-z]+=["']""", re.IGNORECASE)


def test_it_has_no_inline_script_style_or_handler_in_any_template() -> None:
    offenders = []
    for path in sorted((settings.BASE_DIR / "templates").rglob("*.html")):
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            if INLINE.search(line):
                offenders.append(f"{path.relative_to(settings.BASE_DIR)}:{number}: {line.strip()}")
    assert offenders == []
