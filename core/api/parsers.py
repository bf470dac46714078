"""The API's JSON parser: DRF's, with the nesting bound every JSON input has (core/json_input.py)."""

from __future__ import annotations

from typing import IO, Any

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser
from rest_framework.utils.json import strict_constant

from core.json_input import json_loads_bounded


class BoundedJSONParser(JSONParser):
    """A body nested too deeply is a 400 naming the problem, never a RecursionError (a 500)."""

    def parse(self, stream: IO[Any], media_type: str | None = None, parser_context: Any = None) -> Any:
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = stream.read().decode(encoding)
            return json_loads_bounded(text, parse_constant=strict_constant if self.strict else None)
        except ValueError as exc:  # JsonTooDeep, JSONDecodeError, UnicodeDecodeError
            raise ParseError(f"JSON parse error - {exc}") from exc
