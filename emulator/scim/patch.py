"""RFC 7644 §3.5.2 PATCH: apply a list of operations to a copy of a SCIM resource, atomically.

The engine works on SCIM JSON with canonical key case (extension attributes under their URN
key) and writes canonical attribute names back. It checks what only PATCH can know (targets,
mutability, the shape of values); full type validation of the result is the caller's job.

The operations come typed from ``patchop`` (message keys in any case, paths parsed, op names
checked against the dialect); ``apply_patch`` reads a raw ``Operations`` array there itself.

Dialect notes (``strict=False``): ``op`` is case-insensitive, boolean attributes accept the
strings "true"/"false" in any case, and a single-valued complex attribute with a ``value``
sub-attribute (the enterprise ``manager``) accepts a plain id string or a one-element list of
objects, which then replaces it whole. ``strict=True`` accepts only the RFC forms.

Value filters (``emails[type eq "work"]``) are evaluated by ``filter.matches`` against each
element, with a synthetic resource type whose schema holds the outer attribute's
sub-attributes.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from emulator.errors import ScimError
from emulator.scim.filter import And, Compare, Node, PatchPath, matches, referenced
from emulator.scim.patchop import Operation, read_operations
from emulator.scim.schema import Attribute, ResourceType, Schema, resolve

_IGNORED_KEYS = frozenset({"id", "meta", "schemas"})
_BOOLEANS = {"true": True, "false": False}


@dataclass(frozen=True)
class _Target:
    """A resolved PATCH target: attribute, optional sub-attribute and value filter."""

    schema: Schema
    extension: bool
    attribute: Attribute
    sub: Attribute | None = None
    value_filter: Node | None = None

    @property
    def label(self) -> str:
        """The target as a readable attribute path."""
        suffix = f".{self.sub.name}" if self.sub else ""
        brackets = "[...]" if self.value_filter is not None else ""
        return f"{self.attribute.name}{brackets}{suffix}"


def _error(detail: str, scim_type: str) -> ScimError:
    """A 400 error of the given scimType."""
    return ScimError(400, detail, scim_type)


def apply_patch(
    resource: dict, operations: Any, resource_type: ResourceType, *, strict: bool = False
) -> dict:
    """Read a raw ``Operations`` array and apply it to a deep copy of ``resource``; return the copy."""
    return apply_operations(
        resource, read_operations(operations, strict=strict), resource_type, strict=strict
    )


def apply_operations(
    resource: dict, operations: Sequence[Operation], resource_type: ResourceType, *, strict: bool = False
) -> dict:
    """Apply typed PATCH ``operations`` to a deep copy of ``resource`` and return the copy."""
    result = copy.deepcopy(resource)
    for operation in operations:
        try:
            _apply_operation(result, operation, resource_type, strict)
        except ScimError as error:
            detail = f"operation {operation.index}: {error.detail}"
            raise ScimError(error.status, detail, error.scim_type) from None
    _sync_extensions(result, resource_type)
    return result


def _apply_operation(resource: dict, operation: Operation, resource_type: ResourceType, strict: bool) -> None:
    """Apply one operation to ``resource`` in place."""
    op, path, sent = operation.op, operation.path, operation.raw_path or ""
    if op == "remove":
        if path is None:
            raise _error("'remove' needs a path", "noTarget")
        extension = resource_type.extension(sent.strip())
        if extension is not None:
            for key in list(resource.get(extension.id) or {}):
                _remove(resource, _key_target(resource_type, f"{extension.id}:{key}"), None, strict)
            return
        _remove(resource, _path_target(resource_type, path, sent), operation.value, strict)
        return
    if not operation.has_value:
        raise _error(f"'{op}' needs a value", "invalidSyntax")
    value = operation.value
    if path is None:
        _set_pathless(resource, value, resource_type, op, strict)
    elif resource_type.extension(sent.strip()) is not None:
        _set_pathless(resource, {sent.strip(): value}, resource_type, op, strict)
    else:
        _set(resource, _path_target(resource_type, path, sent), value, op, strict)


def _key_target(resource_type: ResourceType, key: str) -> _Target:
    """Resolve ``attr``, ``attr.sub`` or ``urn:...:attr[.sub]`` to a target."""
    ref = resolve(resource_type, key)
    if ref is None:
        raise _error(f"unknown attribute {key!r}", "invalidPath")
    return _Target(ref.schema, ref.extension, ref.attribute, ref.sub_attribute)


def _path_target(resource_type: ResourceType, parsed: PatchPath, path: str) -> _Target:
    """Resolve a parsed PATCH path (``path`` as sent), value filter included."""
    name = f"{parsed.attr.urn}:{parsed.attr.attr}" if parsed.attr.urn else parsed.attr.attr
    if parsed.attr.sub:
        name = f"{name}.{parsed.attr.sub}"
    target = _key_target(resource_type, name)
    if parsed.value_filter is None:
        return target
    attribute = target.attribute
    if target.sub is not None or not (attribute.multi_valued and attribute.type == "complex"):
        raise _error(f"a value filter needs a multi-valued complex attribute: {path!r}", "invalidPath")
    for reference, _ in referenced(parsed.value_filter):
        if attribute.sub(reference.attr) is None:
            raise _error(f"unknown sub-attribute {reference.attr!r} in the filter of {path!r}", "invalidPath")
    sub = None
    if parsed.sub:
        sub = attribute.sub(parsed.sub)
        if sub is None:
            raise _error(f"unknown sub-attribute {parsed.sub!r} of {attribute.name!r}", "invalidPath")
    return replace(target, sub=sub, value_filter=parsed.value_filter)


def _check_writable(target: _Target) -> None:
    """Refuse readOnly targets."""
    for definition in (target.attribute, target.sub):
        if definition is not None and definition.mutability == "readOnly":
            raise _error(f"{target.label!r} is readOnly", "mutability")


def _existing_container(resource: dict, target: _Target) -> dict | None:
    """The object holding the target attribute (the resource or its extension object), if any."""
    if not target.extension:
        return resource
    current = resource.get(target.schema.id)
    return current if isinstance(current, dict) else None


def _container(resource: dict, target: _Target) -> dict:
    """The object holding the target attribute, creating an absent extension object."""
    container = _existing_container(resource, target)
    if container is None:
        container = resource[target.schema.id] = {}
    return container


def _set_pathless(resource: dict, value: Any, resource_type: ResourceType, op: str, strict: bool) -> None:
    """Add/replace without a path: each key of the value object is a target."""
    if not isinstance(value, dict):
        raise _error(f"'{op}' without a path needs an object value", "invalidValue")
    for key, item in value.items():
        if not isinstance(key, str):
            raise _error(f"attribute names must be strings, not {key!r}", "invalidPath")
        if key.lower() in _IGNORED_KEYS:
            continue
        extension = resource_type.extension(key)
        if extension is None:
            _set(resource, _key_target(resource_type, key), item, op, strict)
            continue
        if not isinstance(item, dict):
            raise _error(f"{extension.id} takes an object of its attributes", "invalidValue")
        for sub_key, sub_item in item.items():
            if sub_key.lower() == "schemas":
                continue  # an extension object may repeat its own URN
            _set(resource, _key_target(resource_type, f"{extension.id}:{sub_key}"), sub_item, op, strict)


def _set(resource: dict, target: _Target, value: Any, op: str, strict: bool) -> None:
    """Add or replace ``value`` at ``target``."""
    _check_writable(target)
    if value is None:
        if op == "replace":
            _remove(resource, target, None, strict)
        return
    container = _container(resource, target)
    attribute = target.attribute
    if target.value_filter is not None or (attribute.multi_valued and target.sub is not None):
        _set_elements(container, target, value, op, strict)
    elif attribute.multi_valued:
        new = _elements(attribute, value, strict)
        if op == "add":
            current = _list(container, attribute.name)
            new = current + [e for i, e in enumerate(new) if e not in current and e not in new[:i]]
        _store(container, attribute.name, new)
    elif target.sub is not None:
        parent = container.get(attribute.name)
        parent = parent if isinstance(parent, dict) else {}
        _assign(parent, target.sub, _scalar(target.sub, value, strict))
        _store(container, attribute.name, parent)
    elif attribute.type == "complex":
        _set_complex(container, attribute, value, strict)
    else:
        _assign(container, attribute, _scalar(attribute, value, strict))


def _set_elements(container: dict, target: _Target, value: Any, op: str, strict: bool) -> None:
    """Add/replace on the selected elements of a multi-valued attribute (all, if no filter)."""
    attribute = target.attribute
    elements = _list(container, attribute.name)
    selected = _selected(elements, target)
    if not selected:
        seed = _described_element(target)
        if seed is None:
            raise _error(f"no value of {attribute.name!r} matches {target.label!r}", "noTarget")
        elements.append(seed)
        selected = [len(elements) - 1]
    if target.sub is not None:
        new_sub = _scalar(target.sub, value, strict)
        for index in selected:
            _assign(elements[index], target.sub, new_sub)
    elif op == "replace":
        new = _element(attribute, value, strict)
        for index in selected:
            elements[index] = dict(new)
    else:
        items = _complex_items(attribute, value, strict)
        for index in selected:
            for sub, item in items:
                _assign(elements[index], sub, item)
    _store(container, attribute.name, [e for e in elements if e != {}])


def _remove(resource: dict, target: _Target, value: Any, strict: bool) -> None:
    """Remove the target; a ``value`` on a multi-valued attribute names the elements to remove."""
    _check_writable(target)
    attribute = target.attribute
    if target.sub is not None and target.sub.required:
        raise _error(f"{target.label!r} is required and cannot be removed", "mutability")
    container = _existing_container(resource, target)
    if container is None:
        if target.value_filter is not None:
            raise _error(f"no value of {attribute.name!r} matches {target.label!r}", "noTarget")
        return
    elements = _list(container, attribute.name)
    if target.value_filter is not None or (attribute.multi_valued and target.sub is not None):
        selected = _selected(elements, target)
        if target.value_filter is not None and not selected:
            raise _error(f"no value of {attribute.name!r} matches {target.label!r}", "noTarget")
        if target.sub is None:
            elements = [e for i, e in enumerate(elements) if i not in selected]
        else:
            for index in selected:
                _assign(elements[index], target.sub, None)
        _store(container, attribute.name, [e for e in elements if e != {}])
    elif target.sub is not None:
        parent = container.get(attribute.name)
        if isinstance(parent, dict):
            _assign(parent, target.sub, None)
            _store(container, attribute.name, parent)
    elif attribute.multi_valued and value is not None:
        doomed = _elements(attribute, value, strict)
        _store(container, attribute.name, [e for e in elements if not any(_covers(d, e) for d in doomed)])
    else:
        _assign(container, attribute, None)
    if attribute.required and _empty(container.get(attribute.name)):
        raise _error(f"{attribute.name!r} is required and cannot be removed", "mutability")


def _described_element(target: _Target) -> dict | None:
    """The element an ``eq``-only filter describes, for a sub-attribute set on no match.

    Entra sets a user's first work email with
    ``{"op": "Add", "path": "emails[type eq \"work\"].value", "value": "..."}``.
    """
    if target.sub is None or target.value_filter is None:
        return None
    element: dict = {}
    pending: list[Node] = [target.value_filter]
    while pending:
        node = pending.pop()
        if isinstance(node, And):
            pending += [node.left, node.right]
            continue
        if not (
            isinstance(node, Compare) and node.op == "eq" and node.path.urn is None and node.path.sub is None
        ):
            return None
        sub = target.attribute.sub(node.path.attr)
        if sub is None or node.value is None:
            return None
        element[sub.name] = node.value
    return element


def _selected(elements: list, target: _Target) -> list[int]:
    """Indices of the object elements the target's value filter matches (all, without one)."""
    element_type = _element_type(target.attribute)
    return [
        index
        for index, element in enumerate(elements)
        if isinstance(element, dict)
        and (target.value_filter is None or matches(target.value_filter, element, element_type))
    ]


def _element_type(attribute: Attribute) -> ResourceType:
    """A synthetic resource type whose attributes are ``attribute``'s sub-attributes."""
    schema = Schema(f"urn:emulator:patch:{attribute.name}", attribute.name, "", attribute.sub_attributes)
    return ResourceType(attribute.name, "", schema)


def _covers(criterion: Any, element: Any) -> bool:
    """Whether ``element`` has every sub-attribute value that ``criterion`` names."""
    if isinstance(criterion, dict) and isinstance(element, dict):
        return all(element.get(key) == item for key, item in criterion.items())
    return bool(criterion == element)


def _set_complex(container: dict, attribute: Attribute, value: Any, strict: bool) -> None:
    """Merge an object into a single-valued complex attribute; a shorthand value replaces it."""
    if isinstance(value, dict):
        current = container.get(attribute.name)
        merged = dict(current) if isinstance(current, dict) else {}
    else:
        merged = {}
        value = _shorthand(attribute, value, strict)
    for sub, item in _complex_items(attribute, value, strict):
        _assign(merged, sub, item)
    _store(container, attribute.name, merged)


def _shorthand(attribute: Attribute, value: Any, strict: bool) -> dict:
    """Entra's ``"<id>"`` or ``[{"value": "<id>"}]`` for a complex attribute with a ``value``."""
    if not strict and attribute.sub("value") is not None:
        if isinstance(value, str):
            return {"value": value}
        if isinstance(value, list) and len(value) == 1 and isinstance(value[0], dict):
            return value[0]
    raise _error(f"{attribute.name!r} takes an object", "invalidValue")


def _elements(attribute: Attribute, value: Any, strict: bool) -> list:
    """A multi-valued attribute's new elements from a single value or a list."""
    items = value if isinstance(value, list) else [value]
    elements = []
    for item in items:
        if item is None:
            continue
        element = _element(attribute, item, strict)
        if element != {}:
            elements.append(element)
    return elements


def _element(attribute: Attribute, item: Any, strict: bool) -> Any:
    """One element of a multi-valued attribute, canonicalised, nulls dropped."""
    if attribute.type != "complex":
        return _scalar(attribute, item, strict)
    return {sub.name: value for sub, value in _complex_items(attribute, item, strict) if value is not None}


def _complex_items(attribute: Attribute, value: Any, strict: bool) -> list[tuple[Attribute, Any]]:
    """The sub-attributes an object sets, with coerced values; readOnly ones are ignored."""
    if not isinstance(value, dict):
        raise _error(f"values of {attribute.name!r} must be objects", "invalidValue")
    items = []
    for key, item in value.items():
        sub = attribute.sub(key) if isinstance(key, str) else None
        if sub is None:
            raise _error(f"unknown sub-attribute {key!r} of {attribute.name!r}", "invalidValue")
        if sub.mutability != "readOnly":
            items.append((sub, None if item is None else _scalar(sub, item, strict)))
    return items


def _scalar(definition: Attribute, value: Any, strict: bool) -> Any:
    """Coerce Entra's string booleans (unless strict); other checks are the caller's."""
    if definition.type == "boolean" and isinstance(value, str):
        if strict or value.lower() not in _BOOLEANS:
            raise _error(f"{definition.name!r} takes a boolean, not {value!r}", "invalidValue")
        return _BOOLEANS[value.lower()]
    return value


def _assign(container: dict, definition: Attribute, value: Any) -> None:
    """Set (or, for None, unassign) one attribute, refusing to change a set immutable one."""
    current = container.get(definition.name)
    if definition.mutability == "immutable" and current is not None and current != value:
        raise _error(f"{definition.name!r} is immutable", "mutability")
    _store(container, definition.name, value)


def _store(container: dict, name: str, value: Any) -> None:
    """Store ``value`` under ``name``, dropping the key for null, {} and []."""
    if _empty(value):
        container.pop(name, None)
    else:
        container[name] = value


def _empty(value: Any) -> bool:
    """Whether ``value`` counts as unassigned (RFC 7643 §2.5)."""
    return value is None or value == {} or value == []


def _list(container: dict, name: str) -> list:
    """A copy of the multi-valued attribute ``name`` (empty if unassigned)."""
    current = container.get(name)
    return list(current) if isinstance(current, list) else []


def _sync_extensions(resource: dict, resource_type: ResourceType) -> None:
    """Drop empty extension objects and keep ``schemas`` listing exactly the present extensions."""
    schemas = list(resource.get("schemas") or [resource_type.schema.id])
    for extension in resource_type.extensions:
        if _empty(resource.get(extension.id)):
            resource.pop(extension.id, None)
            schemas = [s for s in schemas if str(s).lower() != extension.id.lower()]
        elif extension.id.lower() not in {str(s).lower() for s in schemas}:
            schemas.append(extension.id)
    resource["schemas"] = schemas
