"""SCIM write operations for one tenant: what a view, a fixture or the CLI calls.

Group membership changes in PATCH are applied as row deltas (add or remove the named
members) so adding one member to a large group never reads the others; any other form
of member operation falls back to the full PATCH engine over the materialised list.
"""

from __future__ import annotations

from typing import Any

from flask import current_app

from ..errors import bad_request
from ..models import Resource
from .filter import Compare, Node, Or, parse_path
from .patch import apply_patch
from .resources import Reader
from .schema import ENTERPRISE_USER, GROUP, USER, ResourceType, resolve
from .store import ResourceRow, Store

PATCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


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


def patch(store: Store, row: Resource, body: Any) -> None:
    """Apply a PatchOp request atomically (the caller's transaction is rolled back on error)."""
    operations = within_table(store, patch_operations(body))
    strict = store.scope.quirk("patch_dialect") == "strict"
    member_ops: list[dict[str, Any]] = []
    if store.resource_type.name == "Group":
        member_ops, operations = split_member_operations(operations)
    if operations:
        current = store.render([row], relations=False)[0]
        changed = apply_patch(current, operations, store.resource_type, strict=strict)
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


def within_table(store: Store, operations: list[Any]) -> list[Any]:
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

    kept: list[Any] = []
    for operation in operations:
        if not isinstance(operation, dict):
            kept.append(operation)
            continue
        path = next((v for k, v in operation.items() if k.lower() == "path"), None)
        value = next((v for k, v in operation.items() if k.lower() == "value"), None)
        if isinstance(path, str):
            parsed = parse_path(path)
            name = f"{parsed.attr.urn}:{parsed.attr.attr}" if parsed.attr.urn else parsed.attr.attr
            sub = parsed.attr.sub or parsed.sub
            if vendor_type.extension(path) is None and outside(f"{name}.{sub}" if sub else name):
                continue
        elif path is None and isinstance(value, dict):
            value = {k: v for k, v in value.items() if not pathless_outside(k, v, vendor_type, full, outside)}
            if not value:
                continue
            operation = {**{k: v for k, v in operation.items() if k.lower() != "value"}, "value": value}
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


def patch_operations(body: Any) -> list[Any]:
    if not isinstance(body, dict):
        raise bad_request("the PATCH body must be a JSON object", "invalidSyntax")
    schemas = body.get("schemas")
    if not isinstance(schemas, list) or PATCH_SCHEMA.lower() not in {str(s).lower() for s in schemas}:
        raise bad_request(f"'schemas' must be [\"{PATCH_SCHEMA}\"]", "invalidSyntax")
    operations = next((v for k, v in body.items() if k.lower() == "operations"), None)
    if not isinstance(operations, list) or not operations:
        raise bad_request("'Operations' must be a non-empty array", "invalidSyntax")
    return operations


def is_members_path(path: Any) -> bool:
    if not isinstance(path, str):
        return False
    parsed = parse_path(path)
    return parsed.attr.attr.lower() == "members" and parsed.attr.sub is None


def split_member_operations(operations: list[Any]) -> tuple[list[dict[str, Any]], list[Any]]:
    """(operations on members, every other operation), path-less values split by key."""
    members: list[dict[str, Any]] = []
    others: list[Any] = []
    for operation in operations:
        if not isinstance(operation, dict):
            others.append(operation)
            continue
        path = next((v for k, v in operation.items() if k.lower() == "path"), None)
        value = next((v for k, v in operation.items() if k.lower() == "value"), None)
        op = next((v for k, v in operation.items() if k.lower() == "op"), None)
        if is_members_path(path):
            members.append({"op": op, "path": path, "value": value})
        elif path is None and isinstance(value, dict) and any(k.lower() == "members" for k in value):
            rest = {k: v for k, v in value.items() if k.lower() != "members"}
            members.append(
                {
                    "op": op,
                    "path": "members",
                    "value": next(v for k, v in value.items() if k.lower() == "members"),
                }
            )
            if rest:
                others.append({"op": op, "value": rest})
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


def apply_member_operation(store: Store, row: Resource, operation: dict[str, Any], strict: bool) -> None:
    op = operation.get("op")
    if (
        not isinstance(op, str)
        or op.lower() not in ("add", "replace", "remove")
        or (strict and op != op.lower())
    ):
        raise bad_request(f"unsupported PATCH op {op!r}", "invalidSyntax")
    name = op.lower()
    path = parse_path(operation["path"])
    value = operation.get("value")
    if path.value_filter is None and path.sub is None:
        if name == "add":
            store.add_members(row, checked_members(store, value))
        elif name == "replace":
            members = checked_members(store, value if value is not None else [])
            store.clear_members(row)
            store.add_members(row, members)
        elif value is None:
            store.clear_members(row)
        else:
            store.remove_members(row, as_members(value))
        return
    ids = member_ids(path.value_filter) if path.value_filter is not None and path.sub is None else None
    if name == "remove" and ids is not None:
        store.remove_members(row, [{"value": i} for i in ids])
        return
    current = store.members_of([row.pk])[row.pk]
    document = {"schemas": [store.resource_type.schema.id], "displayName": "-", "members": current}
    changed = apply_patch(document, [operation], store.resource_type, strict=strict)
    store.clear_members(row)
    store.add_members(row, checked_members(store, changed.get("members", [])))
