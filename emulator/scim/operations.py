"""SCIM write operations for one tenant: what a view, a fixture or the CLI calls.

A PATCH body is read once (``patchop.read_patch``) into typed operations that every step
below takes. Group membership changes are applied as row deltas (add or remove the named
members) so adding one member to a large group never reads the others: ``member_change`` says,
from the operation alone, which delta an operation is; any other form of member operation
falls back to the full PATCH engine over the materialised list.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

from flask import current_app

from ..errors import bad_request
from ..models import Resource
from .filter import AttrPath, Compare, Node, Or, PatchPath
from .patch import apply_operations
from .patchop import Operation, read_patch
from .resources import Reader
from .schema import ENTERPRISE_USER, GROUP, USER, ResourceType, resolve
from .store import ResourceRow, Store

MEMBERS_PATH = PatchPath(AttrPath(None, "members"))  # where a path-less value's members go


# one Reader per resource type and reading rules (its fields are made once, not per request)
READERS: dict[tuple[int, bool, bool, int], tuple[ResourceType, Reader]] = {}


def reader_for(store: Store) -> Reader:
    scope = store.scope
    reject = scope.quirk("unknown_attributes") == "reject"
    strict = scope.quirk("patch_dialect") == "strict"
    max_length = current_app.config["EMULATOR_MAX_STRING_LENGTH"]
    key = (id(store.resource_type), reject, strict, max_length)
    cached = READERS.get(key)
    if cached is None or cached[0] is not store.resource_type:
        reader = Reader(store.resource_type, reject_unknown=reject, strict=strict, max_length=max_length)
        cached = READERS[key] = (store.resource_type, reader)
    return cached[1]


def create(store: Store, body: Any) -> ResourceRow:
    document = reader_for(store).read(body)
    check_references(store, document)
    return store.create(document)


def replace(store: Store, row: Resource, body: Any) -> None:
    reader = reader_for(store)
    document = reader.read(body)
    check_immutable(store, row, document)
    check_references(store, document)
    members = document.pop("members", []) if store.resource_type.name == "Group" else None
    store.replace(row, document, members)


def check_references(store: Store, document: dict[str, Any]) -> None:
    """The vendor's reference attributes (e.g. Thrive's manager) must name a user of the tenant."""
    for name in store.scope.profile.references:
        for container in (document, *(v for v in document.values() if isinstance(v, dict))):
            value = container.get(name)
            if (
                isinstance(value, dict)
                and value.get("value") is not None
                and not store.user_exists(value["value"])
            ):
                raise bad_request(f"{name} {value['value']!r} is not a user of this tenant")


def check_immutable(store: Store, row: Resource, document: dict[str, Any]) -> None:
    for attribute in store.resource_type.schema.attributes:
        if attribute.mutability == "immutable" and attribute.name in row.data:
            if document.get(attribute.name) != row.data[attribute.name]:
                raise bad_request(f"{attribute.name} is immutable", "mutability")


def delete(store: Store, row: Resource) -> None:
    """Remove the resource, or for a 'deactivate' vendor keep a user with active=false."""
    if store.resource_type.name == "User" and store.scope.quirk("delete") == "deactivate":
        if store.resource_type.schema.attribute("active") is not None:
            store.replace(row, {**row.data, "active": False}, None)
            return
    store.delete(row)


def read(store: Store, body: Any) -> list[Operation]:
    """A PatchOp body as the tenant's dialect reads it, within its vendor's table: read once,
    before the write begins."""
    return within_table(store, read_patch(body, strict=store.scope.quirk("patch_dialect") == "strict"))


def patch(store: Store, row: Resource, operations: list[Operation]) -> None:
    """Apply a PatchOp request's operations atomically (the caller's transaction is rolled back on error)."""
    strict = store.scope.quirk("patch_dialect") == "strict"
    member_ops: list[Operation] = []
    if store.resource_type.name == "Group":
        member_ops, operations = split_member_operations(operations)
    if operations:
        current = store.render([row], relations=False)[0]
        changed = apply_operations(current, operations, store.resource_type, strict=strict)
        reader = reader_for(store)
        document = reader.document(changed)
        reader.check_required(document)
        check_references(store, document)
        store.replace(row, document, None)
    if member_ops:
        for operation in member_ops:
            apply_member_operation(store, row, operation, strict)
        if not operations:
            store.touch(row)


def rfc_type(resource_type: ResourceType) -> ResourceType:
    """The resource type with the RFC's full schemas, to tell "outside the vendor's table" from "unknown"."""
    core = {USER.id: USER, GROUP.id: GROUP}.get(resource_type.schema.id, resource_type.schema)
    extensions = {e.id: e for e in resource_type.extensions}
    if core is USER:
        extensions[ENTERPRISE_USER.id] = ENTERPRISE_USER
    return ResourceType(resource_type.name, resource_type.endpoint, core, tuple(extensions.values()))


def within_table(store: Store, operations: Sequence[Operation]) -> list[Operation]:
    """Drop (or, with the reject quirk, refuse) operations on attributes outside the vendor's table.

    PATCH then treats such attributes exactly as POST and PUT do; an attribute no schema
    knows stays an invalidPath for the engine to report.
    """
    vendor_type = store.resource_type
    full = rfc_type(vendor_type)
    reject = store.scope.quirk("unknown_attributes") == "reject"

    def outside(name: str) -> bool:
        if resolve(vendor_type, name) is not None or resolve(full, name) is None:
            return False
        if reject:
            raise bad_request(f"attribute {name} is not supported by this tenant")
        return True

    kept: list[Operation] = []
    for operation in operations:
        parsed, value = operation.path, operation.value
        if parsed is not None:
            name = f"{parsed.attr.urn}:{parsed.attr.attr}" if parsed.attr.urn else parsed.attr.attr
            sub = parsed.attr.sub or parsed.sub
            named = f"{name}.{sub}" if sub else name
            if vendor_type.extension(operation.raw_path or "") is None and outside(named):
                continue
        elif isinstance(value, dict):
            value = {k: v for k, v in value.items() if not pathless_outside(k, v, vendor_type, full, outside)}
            if not value:
                continue
            operation = dataclasses.replace(operation, value=value)
        kept.append(operation)
    return kept


def pathless_outside(
    key: str, value: Any, vendor_type: ResourceType, full: ResourceType, outside: Any
) -> bool:
    """Whether a path-less value's key lies outside the table (a whole unknown extension counts)."""
    if key.lower() in ("id", "meta", "schemas") or vendor_type.extension(key) is not None:
        return False
    if full.extension(key) is not None:
        return bool(outside(key + ":" + next(iter(value), ""))) if isinstance(value, dict) and value else True
    return bool(outside(key))


def is_members_path(path: PatchPath) -> bool:
    """Whether a path names a group's members (``members``, ``members[...]``, ``members[...].sub``)."""
    return path.attr.attr.lower() == "members" and path.attr.sub is None


def split_member_operations(operations: Sequence[Operation]) -> tuple[list[Operation], list[Operation]]:
    """(operations on members, every other operation), path-less values split by key."""
    members: list[Operation] = []
    others: list[Operation] = []
    for operation in operations:
        value = operation.value
        if operation.path is not None:
            (members if is_members_path(operation.path) else others).append(operation)
        elif isinstance(value, dict) and any(k.lower() == "members" for k in value):
            listed = next(v for k, v in value.items() if k.lower() == "members")
            members.append(
                dataclasses.replace(operation, path=MEMBERS_PATH, raw_path="members", value=listed)
            )
            rest = {k: v for k, v in value.items() if k.lower() != "members"}
            if rest:
                others.append(dataclasses.replace(operation, value=rest))
        else:
            others.append(operation)
    return members, others


def as_members(value: Any) -> list[dict[str, Any]]:
    if isinstance(value, dict):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise bad_request("members must be an array of objects with a 'value'")
    return value


def checked_members(store: Store, value: Any) -> list[dict[str, Any]]:
    """Members to add, each read through the Group schema as POST and PUT read them (types, lengths)."""
    members = as_members(value)
    definition = store.resource_type.schema.attribute("members")
    if definition is None:
        return members
    reader = reader_for(store)
    read = (reader.single(definition, member, "members") for member in members)
    return [item for item in read if item is not None]


def member_ids(node: Node) -> list[str] | None:
    """The ids a filter like ``value eq "a" or value eq "b"`` names, or None for other filters."""
    if isinstance(node, Or):
        left, right = member_ids(node.left), member_ids(node.right)
        return left + right if left is not None and right is not None else None
    if (
        isinstance(node, Compare)
        and node.op == "eq"
        and node.path.attr.lower() == "value"
        and isinstance(node.value, str)
    ):
        return [node.value]
    return None


@dataclasses.dataclass(frozen=True, slots=True)
class MemberChange:
    """An operation on a group's members as row deltas: ``add``, ``replace``, ``remove`` or ``clear``.

    ``members`` is the operation's value as sent; it is checked as the change is applied.
    """

    action: str
    members: Any = None


def member_change(operation: Operation) -> MemberChange | None:
    """The row delta an operation on members is, or None when only the engine can apply it.

    ``members`` itself takes add, replace and remove (of the values given, or of all); a removal
    through a filter of ids (``members[value eq "a" or value eq "b"]``) removes those ids. An add
    or replace without a value is left to the engine, which refuses it as on any attribute.
    """
    path = operation.path
    if path is None or (operation.op != "remove" and not operation.has_value):
        return None
    value = operation.value
    if path.value_filter is None and path.sub is None:
        if operation.op == "remove":
            return MemberChange("clear") if value is None else MemberChange("remove", value)
        return MemberChange(operation.op, [] if operation.op == "replace" and value is None else value)
    ids = member_ids(path.value_filter) if path.value_filter is not None and path.sub is None else None
    if operation.op == "remove" and ids is not None:
        return MemberChange("remove", [{"value": i} for i in ids])
    return None


def apply_member_operation(store: Store, row: Resource, operation: Operation, strict: bool) -> None:
    """Apply one operation on a group's members: as row deltas if it is one, else by the engine."""
    change = member_change(operation)
    if change is None:
        current = store.members_of([row.pk])[row.pk]
        document = {"schemas": [store.resource_type.schema.id], "displayName": "-", "members": current}
        changed = apply_operations(document, [operation], store.resource_type, strict=strict)
        store.clear_members(row)
        store.add_members(row, checked_members(store, changed.get("members", [])))
    elif change.action == "remove":
        store.remove_members(row, as_members(change.members))
    elif change.action == "clear":
        store.clear_members(row)
    else:
        members = checked_members(store, change.members)
        if change.action == "replace":
            store.clear_members(row)
        store.add_members(row, members)
