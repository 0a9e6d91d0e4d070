"""The request parsers of the API, set on its views (not taken from the host's settings).

JSON is read bounded (``errors.MAX_FORM_BYTES``) and strictly (no ``NaN``), and a
document nested deeper than ``MAX_JSON_DEPTH`` is a parse error (400), before the
parser sees it: the same answer on every Python, never a ``RecursionError`` (500).
Multipart and form bodies are parsed by Django, whose own refusals
(``RequestDataTooBig``, too many fields) become JSON in ``errors``.
"""

from __future__ import annotations

import json
from typing import Any

from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.utils.json import strict_constant

from .errors import MAX_FORM_BYTES, RequestTooLarge

__all__ = ["MAX_JSON_DEPTH", "PARSER_CLASSES", "StrictJSONParser"]

# A try-on request is a flat object with one short list: far below this.
MAX_JSON_DEPTH = 32


def json_depth(text: str) -> int:
    """How deeply ``text``'s arrays and objects nest (brackets inside strings ignored)."""
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


class StrictJSONParser(JSONParser):
    """JSON, bounded in size and depth; numbers that overflow reach the fields as they
    are (``1e309`` is ``inf``), where they are refused with a field error."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        raw = stream.read(MAX_FORM_BYTES + 1) if stream is not None else b""
        if len(raw) > MAX_FORM_BYTES:
            raise RequestTooLarge(MAX_FORM_BYTES)
        encoding = (parser_context or {}).get("encoding") or "utf-8"
        too_deep = ParseError(_("JSON parse error - the document is nested too deeply."))
        try:
            text = raw.decode(encoding)
            if json_depth(text) > MAX_JSON_DEPTH:
                raise too_deep
            return json.loads(text, parse_constant=strict_constant)
        except RecursionError as exc:
            raise too_deep from exc
        except (ValueError, LookupError) as exc:  # JSONDecodeError, UnicodeDecodeError
            raise ParseError(_("JSON parse error - %(reason)s") % {"reason": exc}) from exc


PARSER_CLASSES = [MultiPartParser, FormParser, StrictJSONParser]
