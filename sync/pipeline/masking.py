"""Secrets never reach a job record: request and response excerpts are masked before they are kept."""

from __future__ import annotations

import re

_JSON_SECRET = re.compile(
    r'("(?:[^"]*(?:password|secret|token|session_?id|authorization|private_key|assertion)[^"]*)"\s*:\s*)"[^"]*"',
    re.IGNORECASE,
)
_HEADER_SECRET = re.compile(r"(Bearer\s+|oauth_signature=\"?)[A-Za-z0-9._~+/=%-]+", re.IGNORECASE)
_FORM_SECRET = re.compile(r"((?:password|client_secret|token|assertion)=)[^&\s]+", re.IGNORECASE)

# Every pattern above needs one of these words (matched case-insensitively): an excerpt that has none, as
# most have, is returned as it is. For ASCII text (nearly all), lower() and substring tests find them
# exactly, in a few microseconds; a case-insensitive regular expression took ~0.4 ms per 2,000 characters,
# as long as the substitutions themselves. Other text is searched as the patterns match it (Unicode case
# folding: "ſ" matches "s", the Kelvin sign "k").
_SECRET_WORDS = (
    "password",
    "secret",
    "token",
    "session",
    "authorization",
    "private_key",
    "assertion",
    "bearer",
    "oauth_signature",
)
_ANY_SECRET_WORD = re.compile("|".join(_SECRET_WORDS), re.IGNORECASE)

MASK = "***"


def mask_secrets(text: str) -> str:
    """``text`` with secret-looking JSON values, bearer tokens and form secrets replaced by ``***``."""
    if not _may_hold_secret(text):
        return text
    text = _JSON_SECRET.sub(rf'\1"{MASK}"', text)
    text = _HEADER_SECRET.sub(rf"\1{MASK}", text)
    return _FORM_SECRET.sub(rf"\1{MASK}", text)


def _may_hold_secret(text: str) -> bool:
    if text.isascii():
        lowered = text.lower()
        return any(word in lowered for word in _SECRET_WORDS)
    return _ANY_SECRET_WORD.search(text) is not None
