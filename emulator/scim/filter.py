"""RFC 7644 filters (§3.4.2.2) and PATCH paths (§3.5.2): parsing, canonical printing, evaluation.

A small tokenizer feeds a recursive-descent parser; the result is a tree of frozen dataclasses that
``to_string`` prints back canonically and ``matches`` evaluates against a resource in SCIM JSON form,
using the resource type's schemas for case-exactness and attribute types.
"""

from __future__ import annotations

import json
import math
import operator
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeAlias

from emulator.errors import ScimError
from emulator.scim.schema import Attribute, ResourceType, resolve

MAX_LENGTH = 10_000  # characters in a filter or path
MAX_NESTING = 50  # parentheses and brackets open at once
MAX_LOGICAL = 200  # "and"/"or" operators in one filter; keeps the tree shallow enough to recurse over

COMPARISON_OPERATORS = frozenset({"eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le"})
_ORDERING = frozenset({"gt", "ge", "lt", "le"})
_SUBSTRING = frozenset({"co", "sw", "ew"})
_TEXT_TYPES = frozenset({"string", "reference", "binary"})
_LITERALS: dict[str, bool | None] = {"true": True, "false": False, "null": None}
_TESTS: dict[str, Callable[[Any, Any], bool]] = {
    "eq": operator.eq,
    "ne": operator.ne,
    "co": operator.contains,
    "sw": str.startswith,
    "ew": str.endswith,
    "gt": operator.gt,
    "ge": operator.ge,
    "lt": operator.lt,
    "le": operator.le,
}

_NAME = r"[A-Za-z][A-Za-z0-9_-]*"
_SUB_NAME = re.compile(rf"{_NAME}|\$ref")
_ATTR = re.compile(rf"({_NAME})(?:\.({_NAME}|\$ref))?")
_URN = re.compile(r"urn:[A-Za-z0-9][A-Za-z0-9._+-]*(?::[A-Za-z0-9._+-]+)*", re.IGNORECASE)
_WORD = re.compile(r"[A-Za-z$.][A-Za-z0-9_:.$-]*")
_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?")

Value: TypeAlias = str | bool | int | float | None


@dataclass(frozen=True)
class AttrPath:
    """An attribute path: optional schema URN, attribute name as written, optional sub-attribute."""

    urn: str | None
    attr: str
    sub: str | None = None


@dataclass(frozen=True)
class Compare:
    """``path op value`` with a lower-case comparison operator."""

    path: AttrPath
    op: str
    value: Value


@dataclass(frozen=True)
class Present:
    """``path pr``."""

    path: AttrPath


@dataclass(frozen=True)
class And:
    """``left and right``."""

    left: Node
    right: Node


@dataclass(frozen=True)
class Or:
    """``left or right``."""

    left: Node
    right: Node


@dataclass(frozen=True)
class Not:
    """``not (inner)``."""

    inner: Node


@dataclass(frozen=True)
class ValuePath:
    """``path[filter]``: the filter's attribute paths are sub-attributes of ``path``."""

    path: AttrPath
    filter: Node


Node: TypeAlias = Compare | Present | And | Or | Not | ValuePath


@dataclass(frozen=True)
class PatchPath:
    """A PATCH ``path``: ``attr``, ``attr.sub``, ``attr[filter]`` or ``attr[filter].sub``, URN optional."""

    attr: AttrPath
    value_filter: Node | None = None
    sub: str | None = None


# ---------------------------------------------------------------------------
# Tokenizer and parser.


class _Invalid(Exception):
    """A syntax error; the public entry points turn it into a ScimError of the right scimType."""


@dataclass(frozen=True)
class _Token:
    """One lexical token: kind is word, string, number, a bracket character, or end."""

    kind: str
    text: str
    position: int
    value: Value = None


def _describe(token: _Token) -> str:
    """A token as it should appear in an error message."""
    if token.kind == "end":
        return "end of input"
    return f"{token.text!r} at position {token.position}"


def _tokenize(text: str) -> list[_Token]:
    """Split ``text`` into tokens, ending with an ``end`` token."""
    tokens: list[_Token] = []
    position = 0
    while position < len(text):
        char = text[position]
        if char.isspace():
            position += 1
            continue
        if char in "()[]":
            token = _Token(char, char, position)
        elif char == '"':
            token = _string(text, position)
        elif char == "-" or char in "0123456789":
            token = _number(text, position)
        else:
            match = _WORD.match(text, position)
            if match is None:
                raise _Invalid(f"unexpected character {char!r} at position {position}")
            token = _Token("word", match.group(), position)
        tokens.append(token)
        position += len(token.text)
    tokens.append(_Token("end", "", len(text)))
    return tokens


def _string(text: str, start: int) -> _Token:
    """The JSON string literal starting at ``start``."""
    position = start + 1
    while position < len(text):
        char = text[position]
        if char == "\\":
            position += 2
        elif char == '"':
            literal = text[start : position + 1]
            try:
                value = json.loads(literal)
            except ValueError as error:
                raise _Invalid(f"invalid string literal at position {start}: {error.args[0]}") from error
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                raise _Invalid(f"string literal at position {start} escapes a lone surrogate") from None
            if "\x00" in value:  # no stored value holds one, and PostgreSQL cannot compare it
                raise _Invalid(f"string literal at position {start} contains a NUL character")
            return _Token("string", literal, start, value)
        else:
            position += 1
    raise _Invalid(f"unterminated string starting at position {start}")


def _number(text: str, start: int) -> _Token:
    """The JSON number literal starting at ``start``."""
    match = _NUMBER.match(text, start)
    end = match.end() if match else start
    if match is None or (end < len(text) and not text[end].isspace() and text[end] not in "()[]"):
        raise _Invalid(f"invalid number at position {start}")
    literal = match.group()
    value: int | float = float(literal) if match.group(1) or match.group(2) else int(literal)
    if not math.isfinite(value):
        raise _Invalid(f"number out of range at position {start}")
    return _Token("number", literal, start, value)


class _Parser:
    """Recursive descent over the token list; ``inner`` means inside a value path's brackets."""

    def __init__(self, text: str) -> None:
        if len(text) > MAX_LENGTH:
            raise _Invalid(f"longer than {MAX_LENGTH} characters")
        if not text.strip():
            raise _Invalid("empty")
        self.tokens = _tokenize(text)
        self.index = 0
        self.nesting = 0
        self.logical = 0

    def peek(self) -> _Token:
        """The next token, not consumed."""
        return self.tokens[self.index]

    def advance(self) -> _Token:
        """Consume and return the next token (``end`` is never consumed)."""
        token = self.tokens[self.index]
        if token.kind != "end":
            self.index += 1
        return token

    def accept(self, kind: str) -> bool:
        """Consume the next token if it is a bracket of ``kind``."""
        if self.peek().kind == kind:
            self.advance()
            return True
        return False

    def expect(self, kind: str, context: str) -> None:
        """Consume a bracket of ``kind`` or fail."""
        token = self.advance()
        if token.kind != kind:
            raise _Invalid(f"expected {kind!r} {context}, found {_describe(token)}")

    def keyword(self, word: str) -> bool:
        """Consume the next token if it is the (case-insensitive) keyword ``word``."""
        token = self.peek()
        if token.kind == "word" and token.text.lower() == word:
            self.advance()
            return True
        return False

    def finish(self) -> None:
        """Fail unless all input has been consumed."""
        token = self.peek()
        if token.kind != "end":
            raise _Invalid(f"unexpected {_describe(token)}")

    def enter(self) -> None:
        """Open one level of parentheses or brackets."""
        self.nesting += 1
        if self.nesting > MAX_NESTING:
            raise _Invalid(f"nested deeper than {MAX_NESTING} levels")

    def logical_operator(self) -> None:
        """Count one ``and``/``or``."""
        self.logical += 1
        if self.logical > MAX_LOGICAL:
            raise _Invalid(f"more than {MAX_LOGICAL} 'and'/'or' operators")

    def disjunction(self, inner: bool) -> Node:
        """``conjunction *("or" conjunction)``, left-associative."""
        node = self.conjunction(inner)
        while self.keyword("or"):
            self.logical_operator()
            node = Or(node, self.conjunction(inner))
        return node

    def conjunction(self, inner: bool) -> Node:
        """``unary *("and" unary)``, left-associative."""
        node = self.unary(inner)
        while self.keyword("and"):
            self.logical_operator()
            node = And(node, self.unary(inner))
        return node

    def unary(self, inner: bool) -> Node:
        """A parenthesised filter, ``not (...)``, a value path or an attribute expression."""
        token = self.advance()
        if token.kind == "(":
            return self.group(inner)
        if token.kind == "word" and token.text.lower() == "not":
            self.expect("(", "after 'not'")
            return Not(self.group(inner))
        path = self.attr_path(token, inner)
        if not self.accept("["):
            return self.comparison(path)
        if inner:
            raise _Invalid(f"value paths cannot be nested ({_describe(token)})")
        value_filter = self.bracketed(path)
        sub = self.dotted_sub()
        if sub is None:
            return ValuePath(path, value_filter)
        return ValuePath(path, And(value_filter, self.comparison(AttrPath(None, sub))))

    def group(self, inner: bool) -> Node:
        """The rest of ``( filter )`` after the opening parenthesis."""
        self.enter()
        node = self.disjunction(inner)
        self.expect(")", "to close '('")
        self.nesting -= 1
        return node

    def bracketed(self, path: AttrPath) -> Node:
        """The rest of ``[ valFilter ]`` after the opening bracket."""
        if path.sub is not None:
            raise _Invalid(f"a value filter cannot follow the sub-attribute path {_path_text(path)!r}")
        self.enter()
        node = self.disjunction(inner=True)
        self.expect("]", "to close '['")
        self.nesting -= 1
        return node

    def dotted_sub(self) -> str | None:
        """A ``.sub`` directly after a value path's closing bracket, if present."""
        token = self.peek()
        if token.kind != "word" or not token.text.startswith("."):
            return None
        self.advance()
        name = token.text[1:]
        # and/or/not are keywords inside brackets, so the canonical form could not name them
        if not _SUB_NAME.fullmatch(name) or name.lower() in ("and", "or", "not"):
            raise _Invalid(f"invalid sub-attribute {_describe(token)}")
        return name

    def attr_path(self, token: _Token, inner: bool) -> AttrPath:
        """Interpret a word token as an attribute path (a bare sub-attribute name when ``inner``)."""
        text = token.text
        if token.kind != "word" or text.startswith(".") or text.lower() in ("and", "or"):
            raise _Invalid(f"expected an attribute path, found {_describe(token)}")
        if inner:
            if not _SUB_NAME.fullmatch(text):
                raise _Invalid(f"expected a sub-attribute name inside '[...]', found {_describe(token)}")
            return AttrPath(None, text)
        urn, colon, rest = text.rpartition(":")
        match = _ATTR.fullmatch(rest)
        if match is None or (colon and not _URN.fullmatch(urn)):
            raise _Invalid(f"invalid attribute path {_describe(token)}")
        return AttrPath(urn or None, match.group(1), match.group(2))

    def comparison(self, path: AttrPath) -> Compare | Present:
        """``pr`` or a comparison operator and value after ``path``."""
        token = self.advance()
        if token.kind != "word":
            raise _Invalid(f"expected an operator after {_path_text(path)!r}, found {_describe(token)}")
        op = token.text.lower()
        if op == "pr":
            return Present(path)
        if op not in COMPARISON_OPERATORS:
            raise _Invalid(f"unknown operator {_describe(token)}")
        return Compare(path, op, self.value(op))

    def value(self, op: str) -> Value:
        """A JSON compValue: string, number, true, false or null."""
        token = self.advance()
        if token.kind in ("string", "number"):
            return token.value
        if token.kind == "word" and token.text.lower() in _LITERALS:
            return _LITERALS[token.text.lower()]
        raise _Invalid(f"expected a value after {op!r}, found {_describe(token)}")

    def patch_path(self) -> PatchPath:
        """``attrPath [ "[" valFilter "]" [ "." subAttr ] ]``."""
        path = self.attr_path(self.advance(), inner=False)
        if not self.accept("["):
            return PatchPath(path)
        value_filter = self.bracketed(path)
        return PatchPath(path, value_filter, self.dotted_sub())


def parse_filter(text: str) -> Node:
    """Parse a filter; any syntax problem is a 400 ``invalidFilter``."""
    try:
        parser = _Parser(text)
        node = parser.disjunction(inner=False)
        parser.finish()
    except _Invalid as error:
        raise ScimError(400, f"Invalid filter: {error}", "invalidFilter") from error
    return node


def parse_path(text: str) -> PatchPath:
    """Parse a PATCH operation path; any syntax problem is a 400 ``invalidPath``."""
    try:
        parser = _Parser(text)
        path = parser.patch_path()
        parser.finish()
    except _Invalid as error:
        raise ScimError(400, f"Invalid path: {error}", "invalidPath") from error
    return path


# ---------------------------------------------------------------------------
# Printing and inspection.


def _path_text(path: AttrPath) -> str:
    """``urn:attr.sub`` with the absent parts left out."""
    text = f"{path.urn}:{path.attr}" if path.urn else path.attr
    return f"{text}.{path.sub}" if path.sub else text


def _operand(node: Node, parenthesise: tuple[type, ...]) -> str:
    """``node`` printed, in parentheses if it is one of the ``parenthesise`` types."""
    text = to_string(node)
    return f"({text})" if isinstance(node, parenthesise) else text


def to_string(node: Node) -> str:
    """Canonical filter text: lower-case keywords, JSON values, minimal parentheses."""
    if isinstance(node, Compare):
        return f"{_path_text(node.path)} {node.op} {json.dumps(node.value, ensure_ascii=False)}"
    if isinstance(node, Present):
        return f"{_path_text(node.path)} pr"
    if isinstance(node, Not):
        return f"not ({to_string(node.inner)})"
    if isinstance(node, ValuePath):
        return f"{_path_text(node.path)}[{to_string(node.filter)}]"
    if isinstance(node, And):
        return f"{_operand(node.left, (Or,))} and {_operand(node.right, (And, Or))}"
    return f"{to_string(node.left)} or {_operand(node.right, (Or,))}"


def _references(node: Node) -> Iterator[tuple[AttrPath, str]]:
    """Every (path, operator) in ``node``, in order, value-path paths qualified by their attribute."""
    if isinstance(node, (And, Or)):
        yield from _references(node.left)
        yield from _references(node.right)
    elif isinstance(node, Not):
        yield from _references(node.inner)
    elif isinstance(node, ValuePath):
        for inner, op in _references(node.filter):
            yield AttrPath(node.path.urn, node.path.attr, inner.attr), op
    elif isinstance(node, Present):
        yield node.path, "pr"
    else:
        yield node.path, node.op


def referenced(node: Node) -> list[tuple[AttrPath, str]]:
    """The distinct (attribute path, operator or ``"pr"``) pairs a filter uses, in order of appearance."""
    return list(dict.fromkeys(_references(node)))


# ---------------------------------------------------------------------------
# Evaluation.

# What a path names in the current scope: the attribute, the sub-attribute (if the path has one)
# and the raw JSON value of the attribute.
_Slot: TypeAlias = tuple[Attribute, Attribute | None, Any]
_Lookup: TypeAlias = Callable[[AttrPath], _Slot | None]


def _filter_error(detail: str) -> ScimError:
    """A 400 ``invalidFilter`` found while evaluating."""
    return ScimError(400, detail, "invalidFilter")


def _get(container: Any, name: str) -> Any:
    """``container[name]`` with the key matched case-insensitively; None if absent or not an object."""
    if not isinstance(container, dict):
        return None
    if name in container:
        return container[name]
    folded = name.lower()
    return next((v for k, v in container.items() if isinstance(k, str) and k.lower() == folded), None)


def _items(raw: Any) -> list[Any]:
    """A JSON value as a list of values: multi-valued as is, a single value wrapped, null empty."""
    if isinstance(raw, list):
        return raw
    return [] if raw is None else [raw]


def _leaves(raw: Any, sub: Attribute | None) -> list[Any]:
    """The values a path reaches: the attribute's values, or each value's ``sub``."""
    return [leaf for item in _items(raw) for leaf in _items(_get(item, sub.name) if sub else item)]


def _present(value: Any) -> bool:
    """Whether a JSON value has content (not null, "", [] or {}, nor made only of those)."""
    if isinstance(value, list):
        return any(_present(item) for item in value)
    if isinstance(value, dict):
        return any(_present(item) for item in value.values())
    return value is not None and value != ""


def _datetime(text: str) -> datetime | None:
    """An ISO 8601 timestamp as an aware datetime (naive means UTC), or None if unparseable."""
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _comparable(value: Any, definition: Attribute) -> Any:
    """``value`` in the form its attribute type compares in, or None if it is not of that type."""
    kind = definition.type
    if kind == "boolean":
        return value if isinstance(value, bool) else None
    if isinstance(value, bool):
        return None
    if kind in ("integer", "decimal"):
        return value if isinstance(value, (int, float)) else None
    if not isinstance(value, str):
        return None
    if kind == "dateTime":
        return _datetime(value)
    return value if definition.case_exact else value.casefold()


def _check(node: Compare, definition: Attribute | None) -> None:
    """Reject an operator and value the attribute's type cannot be compared with."""
    name = _path_text(node.path)
    if node.op in _ORDERING and (node.value is None or isinstance(node.value, bool)):
        raise _filter_error(f"'{node.op}' cannot compare {name!r} with {json.dumps(node.value)}")
    if node.op in _SUBSTRING and not isinstance(node.value, str):
        raise _filter_error(f"'{node.op}' needs a string value, not {json.dumps(node.value)}")
    if definition is None:
        return
    if node.op in _ORDERING and definition.type == "boolean":
        raise _filter_error(f"'{node.op}' cannot be used on the boolean attribute {name!r}")
    if node.op in _SUBSTRING and definition.type not in _TEXT_TYPES:
        raise _filter_error(f"'{node.op}' cannot be used on the {definition.type} attribute {name!r}")
    if definition.type == "dateTime" and isinstance(node.value, str) and _datetime(node.value) is None:
        raise _filter_error(f"{node.value!r} is not a valid dateTime for {name!r}")


def _compared(slot: _Slot | None) -> tuple[Attribute | None, list[Any]]:
    """The definition a comparison on ``slot`` compares by, and the non-null values it reaches."""
    if slot is None:
        return None, []
    attribute, sub, raw = slot
    if sub is None and attribute.type == "complex":
        sub = attribute.sub("value")  # a complex attribute compares by its "value"
    if sub is None and attribute.type == "complex":
        return None, []
    return sub or attribute, [value for value in _leaves(raw, sub) if value is not None]


def _compare(node: Compare, slot: _Slot | None) -> bool:
    """Evaluate a comparison: true if any value the path reaches satisfies it."""
    definition, values = _compared(slot)
    _check(node, definition)
    if node.value is None:  # "eq null" means absent, "ne null" present
        return any(_present(value) for value in values) == (node.op == "ne")
    if definition is None or not values:
        return node.op == "ne"
    expected = _comparable(node.value, definition)
    test = _TESTS[node.op]
    for value in values:
        actual = _comparable(value, definition)
        if actual is None or expected is None:
            if node.op == "ne":
                return True
        elif test(actual, expected):
            return True
    return False


def _evaluate(node: Node, lookup: _Lookup) -> bool:
    """Evaluate ``node`` with attribute paths resolved by ``lookup``."""
    if isinstance(node, And):
        return _evaluate(node.left, lookup) and _evaluate(node.right, lookup)
    if isinstance(node, Or):
        return _evaluate(node.left, lookup) or _evaluate(node.right, lookup)
    if isinstance(node, Not):
        return not _evaluate(node.inner, lookup)
    slot = lookup(node.path)
    if isinstance(node, Compare):
        return _compare(node, slot)
    if slot is None:
        return False
    attribute, sub, raw = slot
    if isinstance(node, Present):
        return any(_present(value) for value in _leaves(raw, sub))
    return any(
        isinstance(element, dict) and _evaluate(node.filter, _element_lookup(attribute, element))
        for element in _items(raw)
    )


def _resource_lookup(resource: dict[str, Any], resource_type: ResourceType) -> _Lookup:
    """Resolve top-level paths against the resource type; extension attributes live under their URN."""

    def lookup(path: AttrPath) -> _Slot | None:
        ref = resolve(resource_type, _path_text(path))
        if ref is None:
            return None
        container = _get(resource, ref.schema.id) if ref.extension else resource
        return ref.attribute, ref.sub_attribute, _get(container, ref.attribute.name)

    return lookup


def _element_lookup(attribute: Attribute, element: dict[str, Any]) -> _Lookup:
    """Resolve a value filter's paths as sub-attributes of ``attribute`` within one value."""

    def lookup(path: AttrPath) -> _Slot | None:
        definition = attribute.sub(path.attr)
        if definition is None:
            return None
        return definition, None, _get(element, definition.name)

    return lookup


def _check_tree(node: Node, lookup: _Lookup) -> None:
    """Apply ``_check`` to every comparison in ``node``, value filters included."""
    if isinstance(node, (And, Or)):
        _check_tree(node.left, lookup)
        _check_tree(node.right, lookup)
    elif isinstance(node, Not):
        _check_tree(node.inner, lookup)
    elif isinstance(node, ValuePath):
        slot = lookup(node.path)
        if slot is not None:
            _check_tree(node.filter, _element_lookup(slot[0], {}))
    elif isinstance(node, Compare):
        _check(node, _compared(lookup(node.path))[0])


def check_types(node: Node, resource_type: ResourceType) -> None:
    """Raise 400 ``invalidFilter`` for operator and value misuse the schema reveals, whatever the data."""
    _check_tree(node, _resource_lookup({}, resource_type))


def matches(node: Node, resource: dict[str, Any], resource_type: ResourceType) -> bool:
    """Whether ``resource`` (SCIM JSON) satisfies the filter; type misuse raises 400 ``invalidFilter``."""
    return _evaluate(node, _resource_lookup(resource, resource_type))
