"""A PatchOp request (RFC 7644 §3.5.2) read once into typed operations.

The message's own keys (``schemas``, ``Operations``, ``op``, ``path``, ``value``) are matched
case-insensitively, as RFC 7643 §2.1 makes attribute names: Entra sends ``Operations`` and
``Replace``, Okta lower case, and any spelling works the same on every attribute. Where a key
is spelled twice the first spelling wins. The op name is checked against the tenant's dialect:
any case by default, only lower-case ``add``/``replace``/``remove`` when strict. Each path is
parsed here, once; what an operation means for a resource is the engine's (``patch.py``).

``read_lenient`` is the fault matcher's reading: it runs before authentication on any body and
never raises, keeping whatever it can make out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from emulator.errors import ScimError, bad_request
from emulator.scim.filter import PatchPath, parse_path

PATCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
OPS = ("add", "replace", "remove")


@dataclass(frozen=True, slots=True)
class Operation:
    """One PATCH operation: its op, its path parsed (None when path-less) and as sent, its value.

    ``op`` is lower-case; ``has_value`` tells an absent ``value`` from a null one; ``index`` is
    the operation's place in the request's ``Operations``, which error messages name.
    """

    op: str
    path: PatchPath | None
    raw_path: str | None
    value: Any
    has_value: bool
    index: int


def read_patch(body: Any, *, strict: bool) -> tuple[Operation, ...]:
    """The operations of a PatchOp request body, checked; a 400 invalidSyntax for a malformed message."""
    if not isinstance(body, dict):
        raise bad_request("the PATCH body must be a JSON object", "invalidSyntax")
    message = _fields(body)
    schemas = message.get("schemas")
    if not isinstance(schemas, list) or PATCH_SCHEMA.lower() not in {str(s).lower() for s in schemas}:
        raise bad_request(f"'schemas' must be [\"{PATCH_SCHEMA}\"]", "invalidSyntax")
    items = message.get("operations")
    if not isinstance(items, list) or not items:
        raise bad_request("'Operations' must be a non-empty array", "invalidSyntax")
    return read_operations(items, strict=strict)


def read_operations(items: Any, *, strict: bool) -> tuple[Operation, ...]:
    """A PatchOp's ``Operations`` array as typed operations; an error names the operation at fault."""
    if not isinstance(items, list):
        raise bad_request("Operations must be a list of operation objects", "invalidSyntax")
    operations = []
    for index, item in enumerate(items):
        try:
            operations.append(_operation(item, index, strict))
        except ScimError as error:
            raise ScimError(error.status, f"operation {index}: {error.detail}", error.scim_type) from None
    return tuple(operations)


def read_lenient(body: Any) -> tuple[Operation, ...]:
    """What can be made out of any body's operations, without a check and without raising.

    ``op`` is whatever was sent, lower-cased ("" when absent); a path that does not parse keeps
    only its ``raw_path``; items that are not objects are skipped.
    """
    message = _fields(body) if isinstance(body, dict) else {}
    items = message.get("operations")
    operations = []
    for index, item in enumerate(items if isinstance(items, list) else []):
        if not isinstance(item, dict):
            continue
        fields = _fields(item)
        raw_path = fields.get("path")
        raw_path = raw_path if isinstance(raw_path, str) else None
        try:
            path = parse_path(raw_path) if raw_path is not None else None
        except ScimError:
            path = None
        op = str(fields.get("op", "")).lower()
        operations.append(Operation(op, path, raw_path, fields.get("value"), "value" in fields, index))
    return tuple(operations)


def _fields(message: dict) -> dict[str, Any]:
    """A message object's members by lower-cased key, the first spelling of a key winning."""
    fields: dict[str, Any] = {}
    for key, item in message.items():
        fields.setdefault(key.lower() if isinstance(key, str) else key, item)
    return fields


def _operation(item: Any, index: int, strict: bool) -> Operation:
    """One checked operation: an object with an op of the dialect and, if any, a path that parses."""
    if not isinstance(item, dict):
        raise bad_request("each operation must be an object with 'op'", "invalidSyntax")
    fields = _fields(item)
    op = _op_name(fields.get("op"), strict)
    raw_path = fields.get("path")
    if raw_path is not None and not isinstance(raw_path, str):
        raise bad_request("'path' must be a string", "invalidSyntax")
    path = parse_path(raw_path) if raw_path is not None else None
    return Operation(op, path, raw_path, fields.get("value"), "value" in fields, index)


def _op_name(op: Any, strict: bool) -> str:
    """The operation name, lower-cased unless strict."""
    if not isinstance(op, str):
        raise bad_request("each operation needs an 'op' string", "invalidSyntax")
    name = op if strict else op.lower()
    if name not in OPS:
        hint = " (strict mode accepts only lower-case add/replace/remove)" if op.lower() in OPS else ""
        raise bad_request(f"unsupported op {op!r}{hint}", "invalidSyntax")
    return name
