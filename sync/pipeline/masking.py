"""Secrets never reach a job record: request and response excerpts are masked before they are kept."""

from __future__ import annotations

import re

_JSON_SECRET = re.compile(
    r'("(?:[^"]*(?:password|secret|token|session_?id|authorization|private_key|assertion)[^"]*)"\s*:\s*)"[^"]*"',
    re.IGNORECASE,
)
_HEADER_SECRET = re.compile(r"(Bearer\s+|oauth_signature=\"?)[A-Za-z0-9._~+/=%-]+", re.IGNORECASE)
_FORM_SECRET = re.compile(r"((?:password|client_secret|token|assertion)=)[^&\s]+", re.IGNORECASE)

# Every pattern above needs one of these words (matched alike, case-insensitively): one scan of an excerpt
# that has none, as most have, spares the three substitutions.
_ANY_SECRET_WORD = re.compile(
    r"password|secret|token|session|authorization|private_key|assertion|bearer|oauth_signature",
    re.IGNORECASE,
)

MASK = "***"


def mask_secrets(text: str) -> str:
    """``text`` with secret-looking JSON values, bearer tokens and form secrets replaced by ``***``."""
    if not _ANY_SECRET_WORD.search(text):
        return text
    text = _JSON_SECRET.sub(rf'\1"{MASK}"', text)
    text = _HEADER_SECRET.sub(rf"\1{MASK}", text)
    return _FORM_SECRET.sub(rf"\1{MASK}", text)
