"""SCIM resource documents: reading a client's body against a tenant's schema, rendering, projection.

The walk over the body is ours (attribute names are case-insensitive, extensions nest under
their URN, a vendor's table decides what is kept); each value is converted and validated by
a marshmallow field for its SCIM type.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from marshmallow import ValidationError, fields

from ..errors import bad_request
from .schema import Attribute, ResourceType, Schema

CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
READ_ONLY_KEYS = frozenset({"id", "meta", "schemas"})


class ScimString(fields.String):
    """A string bounded in length and free of control characters (PostgreSQL cannot store NUL)."""

    def __init__(self, max_length: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.max_length = max_length

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        if not isinstance(value, str):
            raise ValidationError("must be a string")
        if len(value) > self.max_length:
            raise ValidationError(f"is longer than {self.max_length} characters")
        if CONTROL_CHARACTERS.search(value):
            raise ValidationError("contains a control character")
        return value


class ScimBoolean(fields.Boolean):
    """A boolean; the lenient dialect also takes Entra's "True"/"False" strings."""

    def __init__(self, strict: bool, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.strict = strict

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> bool:
        if isinstance(value, bool):
            return value
        if not self.strict and isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise ValidationError("must be a boolean")


class ScimInteger(fields.Integer):
    """An integer, never a boolean or a float."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValidationError("must be an integer")
        return value


class ScimDecimal(fields.Float):
    """A decimal number."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValidationError("must be a number")
        return value


class ScimDateTime(ScimString):
    """An xsd:dateTime, kept as the client wrote it."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
        except ValueError:
            raise ValidationError("must be an xsd:dateTime such as 2026-01-31T12:00:00Z") from None
        return text


_INDEXES: dict[int, tuple[tuple[Attribute, ...], dict[str, Attribute]]] = {}


def by_name(definitions: tuple[Attribute, ...]) -> dict[str, Attribute]:
    """Attributes by lower-cased name; cached per definition tuple (profiles are built once)."""
    cached = _INDEXES.get(id(definitions))
    if cached is None or cached[0] is not definitions:
        cached = _INDEXES[id(definitions)] = (definitions, {a.name.lower(): a for a in definitions})
    return cached[1]


class Reader:
    """Reads client bodies for one tenant: which attributes exist, how strictly to read values."""

    def __init__(
        self, resource_type: ResourceType, *, reject_unknown: bool, strict: bool, max_length: int
    ) -> None:
        self.resource_type = resource_type
        self.reject_unknown = reject_unknown
        self.fields: dict[str, fields.Field] = {
            "string": ScimString(max_length),
            "reference": ScimString(max_length),
            "binary": ScimString(max_length * 16),
            "boolean": ScimBoolean(strict),
            "integer": ScimInteger(),
            "decimal": ScimDecimal(),
            "dateTime": ScimDateTime(max_length),
        }

    # -- entry points ------------------------------------------------------------------

    def read(self, body: Any) -> dict[str, Any]:
        """A full resource body (POST, PUT) as a canonical document without id or meta."""
        if not isinstance(body, dict):
            raise bad_request("the request body must be a JSON object", "invalidSyntax")
        self.check_schemas(body.get(next((k for k in body if k.lower() == "schemas"), "schemas")))
        document = self.document(body)
        self.check_required(document)
        return document

    def document(self, body: dict[str, Any]) -> dict[str, Any]:
        """Canonicalise and validate a resource-shaped mapping (also a PATCH result)."""
        document: dict[str, Any] = {}
        for key, value in body.items():
            folded = key.lower()
            if folded in READ_ONLY_KEYS:
                continue
            extension = self.resource_type.extension(key)
            if extension is not None:
                if value is None:
                    continue
                if not isinstance(value, dict):
                    raise bad_request(f"{extension.id} must be an object")
                inner = self.attributes(value, extension.attributes, extension.id + ":")
                if inner:
                    document[extension.id] = inner
                continue
            if ":" in key:  # an extension this tenant does not know: ignored, as clients expect
                continue
            self.attribute_into(document, key, value, self.resource_type.schema.writable, "")
        document["schemas"] = [self.resource_type.schema.id] + [
            e.id for e in self.resource_type.extensions if e.id in document
        ]
        return document

    def check_schemas(self, schemas: Any) -> None:
        core = self.resource_type.schema.id
        if not isinstance(schemas, list) or not all(isinstance(s, str) for s in schemas):
            raise bad_request(f"'schemas' must be a list of URNs including {core}", "invalidSyntax")
        if core.lower() not in {s.lower() for s in schemas}:
            raise bad_request(f"'schemas' must include {core}", "invalidSyntax")

    def check_required(self, document: dict[str, Any]) -> None:
        missing = [
            a.name for a in self.resource_type.schema.attributes if a.required and a.name not in document
        ]
        for extension in self.resource_type.extensions:
            inner = document.get(extension.id, {})
            missing += [
                f"{extension.id}:{a.name}" for a in extension.attributes if a.required and a.name not in inner
            ]
        if missing:
            raise bad_request(f"required attribute(s) missing: {', '.join(missing)}")

    # -- the walk ------------------------------------------------------------------------

    def attributes(
        self, body: dict[str, Any], definitions: tuple[Attribute, ...], prefix: str
    ) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in body.items():
            if key.lower() == "schemas" and prefix.endswith(":"):
                continue  # an extension object may repeat its schema URN
            self.attribute_into(out, key, value, definitions, prefix)
        return out

    def attribute_into(
        self, out: dict[str, Any], key: str, value: Any, definitions: tuple[Attribute, ...], prefix: str
    ) -> None:
        definition = by_name(definitions).get(key.lower())
        if definition is None:
            if value not in (None, "", [], {}):  # Entra's roles: [] and Okta's groups: [] store nothing
                self.unknown(prefix + key)
            return
        if value is None or definition.mutability == "readOnly" or definition.returned == "never":
            return  # read-only values are the server's; write-only ones (password) are not kept
        converted = self.value(definition, value, prefix + definition.name)
        if converted is not None:
            out[definition.name] = converted

    def value(self, definition: Attribute, value: Any, path: str) -> Any:
        if definition.multi_valued:
            if not isinstance(value, list):
                raise bad_request(f"{path} must be an array")
            items = [self.single(definition, item, path) for item in value if item is not None]
            items = [item for item in items if item is not None]
            return items or None
        return self.single(definition, value, path)

    def single(self, definition: Attribute, value: Any, path: str) -> Any:
        if definition.type != "complex":
            return self.scalar(definition, value, path)
        if definition.name == "manager" and not isinstance(value, dict):
            value = manager_value(value)
        if not isinstance(value, dict):
            raise bad_request(f"{path} must be an object")
        item = self.attributes(value, definition.sub_attributes, path + ".")
        kind = definition.sub("type")
        if kind is not None and kind.closed and "type" in item:
            allowed = {v.lower() for v in kind.canonical_values}
            if item["type"].lower() not in allowed:
                self.unknown(f"{path} of type {item['type']!r} (allowed: {', '.join(kind.canonical_values)})")
                return None
        return item or None

    def scalar(self, definition: Attribute, value: Any, path: str) -> Any:
        if isinstance(value, (dict, list)):
            raise bad_request(f"{path} must be a single {definition.type} value")
        try:
            return self.fields[definition.type].deserialize(value)
        except ValidationError as error:
            message = error.messages[0] if isinstance(error.messages, list) else str(error.messages)
            raise bad_request(f"{path} {message}") from None

    def unknown(self, path: str) -> None:
        if self.reject_unknown:
            raise bad_request(f"attribute {path} is not supported by this tenant")


def manager_value(value: Any) -> Any:
    """Entra's manager forms (a bare id, or a one-element list) as the complex value."""
    if isinstance(value, str):
        return {"value": value}
    if isinstance(value, list) and len(value) == 1 and isinstance(value[0], dict):
        return value[0]
    return value


# -- projection (attributes / excludedAttributes) ------------------------------------------


def project(
    resource: dict[str, Any], resource_type: ResourceType, attributes: list[str], excluded: list[str]
) -> dict[str, Any]:
    """Apply RFC 7644 §3.9 to a rendered resource; ``id`` and ``schemas`` always stay."""
    if attributes:
        kept: dict[str, Any] = {"schemas": resource["schemas"], "id": resource["id"]}
        for path in attributes:
            copy_path(resource, kept, resource_type, path)
        return kept
    if excluded:
        out = dict(resource)
        for path in excluded:
            drop_path(out, resource_type, path)
        return out
    return resource


def split_path(resource_type: ResourceType, path: str) -> tuple[Schema | None, list[str]]:
    """(extension schema or None, [attribute, sub]) for a projection path."""
    lowered = path.lower()
    for extension in resource_type.extensions:
        urn = extension.id.lower()
        if lowered == urn:
            return extension, []
        if lowered.startswith(urn + ":"):
            return extension, path[len(urn) + 1 :].split(".", 1)
    if lowered.startswith(resource_type.schema.id.lower() + ":"):
        path = path[len(resource_type.schema.id) + 1 :]
    return None, path.split(".", 1)


def _key(container: dict[str, Any], name: str) -> str | None:
    folded = name.lower()
    return next((k for k in container if k.lower() == folded), None)


def copy_path(source: dict[str, Any], target: dict[str, Any], resource_type: ResourceType, path: str) -> None:
    extension, parts = split_path(resource_type, path)
    if extension is not None:
        if extension.id not in source:
            return
        if not parts:
            target[extension.id] = source[extension.id]
            return
        source = source[extension.id]
        target = target.setdefault(extension.id, {})
    key = _key(source, parts[0])
    if key is None:
        return
    if len(parts) == 1:
        target[key] = source[key]
        return
    value = source[key]
    if isinstance(value, dict):
        sub = _key(value, parts[1])
        if sub is not None:
            target.setdefault(key, {})[sub] = value[sub]
    elif isinstance(value, list):
        items = [
            {k: v for k, v in item.items() if k.lower() == parts[1].lower()}
            for item in value
            if isinstance(item, dict)
        ]
        if any(items):
            target[key] = [item for item in items if item]


def drop_path(resource: dict[str, Any], resource_type: ResourceType, path: str) -> None:
    extension, parts = split_path(resource_type, path)
    container = resource
    if extension is not None:
        if not parts:
            resource.pop(extension.id, None)
            return
        if extension.id not in resource:
            return
        container = resource[extension.id] = dict(resource[extension.id])
    key = _key(container, parts[0])
    if key is None or key in ("id", "schemas"):
        return
    if len(parts) == 1:
        del container[key]
        return
    value = container[key]
    if isinstance(value, dict):
        container[key] = {k: v for k, v in value.items() if k.lower() != parts[1].lower()}
    elif isinstance(value, list):
        container[key] = [
            {k: v for k, v in item.items() if k.lower() != parts[1].lower()}
            if isinstance(item, dict)
            else item
            for item in value
        ]


def parse_attribute_list(value: str | None) -> list[str]:
    """The comma-separated ``attributes`` / ``excludedAttributes`` parameter."""
    if not value:
        return []
    return [part.strip() for part in value.split(",") if part.strip()]
