"""Request bodies read defensively on every surface: strict JSON, and a size bound that holds for streams.

Python's ``json`` accepts what RFC 8259 does not (NaN, Infinity, numbers too large for a
double) and recurses until it fails with RecursionError on deep nesting; a lone surrogate
escape (``"\\ud800"``) parses into a string that no database or UTF-8 response can hold. The
SCIM views read bodies with ``loads``; the control plane and the dashboard with Flask's
``request.get_json``, which the factory points at the same rules (``StrictJSONProvider``).
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from flask import Request
from flask.json.provider import DefaultJSONProvider
from werkzeug.exceptions import RequestEntityTooLarge

MAX_DEPTH = 64
SIGNIFICANT = re.compile(r'[\\"\[\]{}]')  # what nesting() must look at: escapes, quotes, brackets
LONE_SURROGATE = re.compile(r"\\u[dD][89a-fA-F]")  # a surrogate escape: paired, or alone (refused)


class InvalidBody(ValueError):
    """A body that is not strict JSON; the message says why."""


def nesting(text: str) -> int:
    """Bracket depth of a JSON text; brackets inside strings do not count."""
    depth = deepest = 0
    in_string = False
    escaped_at = -1
    for match in SIGNIFICANT.finditer(text):
        at, char = match.start(), match.group()
        if at == escaped_at:
            continue
        if char == "\\":
            escaped_at = at + 1
        elif char == '"':
            in_string = not in_string
        elif in_string:
            continue
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


def not_json(constant: str) -> Any:
    """NaN, Infinity and -Infinity, which Python's parser accepts and JSON (RFC 8259) does not."""
    raise InvalidBody(f"{constant} is not a JSON value")


def finite(literal: str) -> float:
    """A JSON number with a fraction or exponent; one too large for a double (1e400) is refused."""
    value = float(literal)
    if not math.isfinite(value):
        raise InvalidBody(f"the number {literal[:40]} is out of range")
    return value


def encodable(value: Any) -> bool:
    """Whether every string in a parsed body can be written as UTF-8 (no lone surrogates)."""
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def loads(text: str) -> Any:
    """Strict JSON: at most ``MAX_DEPTH`` deep, finite numbers, no lone surrogates; else InvalidBody."""
    # no deeper than it has brackets: most bodies need no walk
    if text.count("{") + text.count("[") > MAX_DEPTH and nesting(text) > MAX_DEPTH:
        raise InvalidBody(f"the request body nests deeper than {MAX_DEPTH} levels")
    try:
        value = json.loads(text, parse_constant=not_json, parse_float=finite)
    except InvalidBody:
        raise
    except ValueError as error:  # JSONDecodeError, and integers past Python's digit limit
        raise InvalidBody(f"the request body is not valid JSON: {error}") from None
    if LONE_SURROGATE.search(text) and not encodable(value):
        raise InvalidBody("the request body escapes a lone UTF-16 surrogate (\\uD800-\\uDFFF)")
    return value


class StrictJSONProvider(DefaultJSONProvider):
    """Flask's JSON provider with ``loads`` made strict (``request.get_json`` answers 400, never 500)."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        text = s.decode("utf-8-sig") if isinstance(s, bytes) else s
        return loads(text)


class BoundedRequest(Request):
    """A request whose streamed body (no Content-Length) over MAX_CONTENT_LENGTH is a 413.

    Werkzeug stops reading such a stream at the limit and returns what it read, so a
    chunked body past the limit would otherwise arrive cut short (and might even parse).
    """

    def get_data(self, cache: bool = True, as_text: bool = False, parse_form_data: bool = False) -> Any:  # type: ignore[override]
        first_read = (
            getattr(self, "_cached_data", None) is None
        )  # later readers (the journal) get the cut body
        data = super().get_data(cache=cache, as_text=False, parse_form_data=parse_form_data)
        limit = self.max_content_length
        if first_read and self.content_length is None and limit is not None and len(data) >= limit:
            raise RequestEntityTooLarge()
        return (
            data.decode(self.charset if hasattr(self, "charset") else "utf-8", "replace") if as_text else data
        )
