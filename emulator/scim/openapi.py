"""An OpenAPI 3.1 description of one vendor's SCIM surface, derived from its profile.

apispec assembles the document (components, ``$ref`` resolution of named schemas and
responses, paths); the JSON Schemas of Users and Groups are derived here from the SCIM
attribute definitions instead of from marshmallow classes, because a vendor's schemas are
data: each profile restricts the RFC 7643 schemas to its attribute table when it is loaded,
so there is no static schema class per vendor for apispec's marshmallow plugin to read, and
a quirk or a new table row must change the document without anyone editing a class.

What a vendor changes: the paths (Groups only where the vendor has them), the request and
response bodies (its attribute table, required and case-exact attributes, closed type
values), the filterable attributes (in the ``filter`` parameter's description) and the
security schemes (its credential styles: bearer tokens, API keys, Basic, OAuth).
"""

from __future__ import annotations

from typing import Any

from apispec import APISpec

from ..errors import ERROR_SCHEMA, SCIM_CONTENT_TYPE
from ..vendors import VendorProfile
from .schema import ID, META, Attribute, ResourceType, Schema

VERSION = "0.1.0"
LIST_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
SEARCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"
PATCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
SCIM_TYPES = (
    "invalidFilter",
    "tooMany",
    "uniqueness",
    "mutability",
    "invalidSyntax",
    "invalidPath",
    "noTarget",
    "invalidValue",
    "invalidVers",
    "sensitive",
)
# what resources.ScimString refuses: C0 controls other than tab, LF and CR, and DEL
NO_CONTROL_CHARACTERS = "^[^\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f]*$"
SCALARS: dict[str, dict[str, Any]] = {
    "string": {"type": "string"},
    "reference": {"type": "string"},
    "binary": {"type": "string"},
    "boolean": {"type": "boolean"},
    "integer": {"type": "integer"},
    "decimal": {"type": "number"},
    "dateTime": {"type": "string", "format": "date-time"},
}
DISCOVERY_OBJECT = {"type": "object", "required": ["schemas"], "properties": {"schemas": {"type": "array"}}}


# -- attribute definitions -> JSON Schema ------------------------------------------------------


def sent(attribute: Attribute) -> bool:
    """Whether a client may send the attribute (readOnly ones are the server's)."""
    return attribute.mutability != "readOnly"


def returned(attribute: Attribute) -> bool:
    """Whether the server may return the attribute (writeOnly/never ones it keeps to itself)."""
    return attribute.returned != "never" and attribute.mutability != "writeOnly"


def attribute_schema(attribute: Attribute, request: bool, max_length: int) -> dict[str, Any]:
    """The JSON Schema of one attribute's value, as a client sends it (``request``) or reads it."""
    keep = sent if request else returned
    if attribute.type == "complex":
        subs = [sub for sub in attribute.sub_attributes if keep(sub)]
        schema: dict[str, Any] = {
            "type": "object",
            "properties": {sub.name: attribute_schema(sub, request, max_length) for sub in subs},
            "additionalProperties": False,
        }
    else:
        schema = dict(SCALARS[attribute.type])
        if request and schema["type"] == "string":
            limit = max_length * 16 if attribute.type == "binary" else max_length
            schema.update(maxLength=limit, pattern=NO_CONTROL_CHARACTERS)
    if attribute.canonical_values:
        if attribute.closed and request:
            schema["enum"] = list(attribute.canonical_values)
        elif attribute.closed:  # accepted in any case (caseExact false) and returned as sent
            schema["pattern"] = any_case(attribute.canonical_values)
        else:
            schema["examples"] = list(attribute.canonical_values)
    if attribute.description:
        schema["description"] = attribute.description
    if attribute.mutability == "writeOnly":
        schema["writeOnly"] = True
    if not request and attribute.mutability == "readOnly":
        schema["readOnly"] = True
    if attribute.multi_valued:
        return {"type": "array", "items": schema}
    return schema


def any_case(values: tuple[str, ...]) -> str:
    """A pattern matching exactly one of ``values`` in any letter case (``work`` -> ``[wW][oO][rR][kK]``)."""

    def letter(char: str) -> str:
        if char.lower() != char.upper():
            return f"[{char.lower()}{char.upper()}]"
        return char if char.isalnum() else "\\" + char

    return "^(?:" + "|".join("".join(letter(c) for c in value) for value in values) + ")$"


def object_schema(
    attributes: tuple[Attribute, ...], request: bool, max_length: int, description: str = ""
) -> dict[str, Any]:
    """An object of ``attributes``; nothing else is accepted or returned."""
    keep = sent if request else returned
    kept = [a for a in attributes if keep(a)]
    schema: dict[str, Any] = {
        "type": "object",
        "properties": {a.name: attribute_schema(a, request, max_length) for a in kept},
        "additionalProperties": False,
    }
    required = [a.name for a in kept if a.required]
    if request and required:
        schema["required"] = required
    if description:
        schema["description"] = description
    return schema


def resource_schema(resource_type: ResourceType, request: bool, max_length: int) -> dict[str, Any]:
    """A User or Group of this vendor: the core schema's attributes and each extension under its URN."""
    core = resource_type.schema
    attributes = core.writable if request else (ID, META, *core.writable)
    schema = object_schema(attributes, request, max_length, core.description)
    properties = schema["properties"]
    if request:
        properties["schemas"] = {
            "type": "array",
            "items": {"type": "string", "enum": [s.id for s in resource_type.schemas]},
            "contains": {"const": core.id},
            "uniqueItems": True,
        }
        schema["required"] = ["schemas", *schema.get("required", [])]
    else:
        properties["schemas"] = {"type": "array", "items": {"type": "string"}}
        schema["required"] = ["schemas", "id"]
    for extension in resource_type.extensions:
        properties[extension.id] = _extension(extension, request, max_length)
    return schema


def _extension(extension: Schema, request: bool, max_length: int) -> dict[str, Any]:
    schema = object_schema(extension.attributes, request, max_length, extension.description)
    if request:
        schema["properties"]["schemas"] = {"type": "array", "items": {"type": "string"}}
    return schema


def attribute_paths(resource_type: ResourceType) -> list[str]:
    """Every attribute path a client may name (``name.givenName``, ``urn:...:manager``), for PATCH."""
    paths: list[str] = []
    for schema in resource_type.schemas:
        prefix = "" if schema is resource_type.schema else schema.id + ":"
        for attribute in schema.writable:
            if not sent(attribute):
                continue
            paths.append(prefix + attribute.name)
            paths += [f"{prefix}{attribute.name}.{s.name}" for s in attribute.sub_attributes if sent(s)]
    return paths


def patch_schema(resource_type: ResourceType) -> dict[str, Any]:
    """RFC 7644 §3.5.2 PatchOp; ``path`` is any path, though the table's paths are the useful ones."""
    return {
        "type": "object",
        "required": ["schemas", "Operations"],
        "properties": {
            "schemas": {"type": "array", "items": {"type": "string"}, "contains": {"const": PATCH_SCHEMA}},
            "Operations": {
                "type": "array",
                "minItems": 1,
                "items": {
                    "type": "object",
                    "required": ["op"],
                    "properties": {
                        "op": {"type": "string", "enum": ["add", "replace", "remove"]},
                        "path": {
                            "anyOf": [
                                {"type": "string", "enum": attribute_paths(resource_type)},
                                {"type": "string", "maxLength": 200},
                            ]
                        },
                        "value": {},
                    },
                },
            },
        },
    }


def search_schema() -> dict[str, Any]:
    """RFC 7644 §3.4.3 SearchRequest."""
    names = {"type": "array", "items": {"type": "string"}}
    return {
        "type": "object",
        "properties": {
            "schemas": {"type": "array", "items": {"type": "string"}, "examples": [[SEARCH_SCHEMA]]},
            "filter": {"type": "string"},
            "sortBy": {"type": "string"},
            "sortOrder": {"type": "string", "enum": ["ascending", "descending"]},
            "startIndex": {"type": "integer"},
            "count": {"type": "integer"},
            "attributes": names,
            "excludedAttributes": names,
        },
    }


def list_schema(item: dict[str, Any]) -> dict[str, Any]:
    """RFC 7644 §3.4.2 ListResponse of ``item``."""
    return {
        "type": "object",
        "required": ["schemas", "totalResults", "Resources"],
        "properties": {
            "schemas": {"type": "array", "items": {"const": LIST_SCHEMA}},
            "totalResults": {"type": "integer", "minimum": 0},
            "startIndex": {"type": "integer", "minimum": 1},
            "itemsPerPage": {"type": "integer", "minimum": 0},
            "Resources": {"type": "array", "items": item},
        },
    }


def error_schema() -> dict[str, Any]:
    """RFC 7644 §3.12 error body."""
    return {
        "type": "object",
        "required": ["schemas", "status", "detail"],
        "properties": {
            "schemas": {"type": "array", "items": {"const": ERROR_SCHEMA}, "minItems": 1},
            "status": {"type": "string", "pattern": "^[1-5][0-9][0-9]$"},
            "scimType": {"type": "string", "enum": list(SCIM_TYPES)},
            "detail": {"type": "string"},
        },
        "additionalProperties": False,
    }


# -- security schemes from credential styles ----------------------------------------------------


def security_schemes(profile: VendorProfile, tenant_root: str) -> dict[str, dict[str, Any]]:
    """One scheme per credential style of the vendor, in the order the vendor tries them."""
    return dict(style.security_scheme(tenant_root) for style in profile.auth)


# -- the document ---------------------------------------------------------------------------------


def _content(schema: Any) -> dict[str, Any]:
    return {"content": {SCIM_CONTENT_TYPE: {"schema": schema}}}


def _ok(description: str, schema: Any) -> dict[str, Any]:
    return {"description": description, **_content(schema)}


def _errors(*statuses: int) -> dict[str, str]:
    return {str(status): f"E{status}" for status in statuses}


ERROR_RESPONSES = {
    400: "bad input: invalid syntax, value, path or filter (see scimType)",
    401: "missing, wrong, expired or revoked credentials",
    403: "credentials of an account the vendor does not allow (e.g. Jive without its admin profile)",
    404: "no such resource (or tenant) here",
    405: "method not allowed on this path",
    409: "uniqueness: the unique attribute is taken in this tenant",
    412: "If-Match names another version",
    413: "the request body exceeds the configured maximum",
}
AUTHENTICATED = (401, 403)


def _list_parameters(profile: VendorProfile, resource_type: ResourceType) -> list[dict[str, Any]]:
    filterable = "every attribute, the whole RFC 7644 grammar"
    if profile.filterable is not None:
        allowed = profile.filterable.get(resource_type.name, {})
        filterable = ", ".join(f"{name} ({'/'.join(sorted(ops))})" for name, ops in sorted(allowed.items()))
    text = {"type": "string"}
    return [
        {"name": "filter", "in": "query", "schema": text, "description": f"filterable: {filterable}"},
        {"name": "startIndex", "in": "query", "schema": {"type": "integer"}},
        {"name": "count", "in": "query", "schema": {"type": "integer"}},
        {"name": "sortBy", "in": "query", "schema": text},
        {
            "name": "sortOrder",
            "in": "query",
            "schema": {"type": "string", "enum": ["ascending", "descending"]},
        },
        *_projection(),
    ]


def _projection() -> list[dict[str, Any]]:
    text = {"type": "string"}
    return [
        {"name": "attributes", "in": "query", "schema": text, "description": "comma-separated"},
        {"name": "excludedAttributes", "in": "query", "schema": text, "description": "comma-separated"},
    ]


def _resource_paths(spec: APISpec, profile: VendorProfile, resource_type: ResourceType) -> None:
    name = resource_type.name
    endpoint = resource_type.endpoint
    body = {"required": True, **_content(f"{name}Request")}
    listed = _ok(f"a page of {name}s", f"{name}List")
    spec.path(
        path=endpoint,
        operations={
            "get": {
                "operationId": f"list{name}s",
                "summary": f"List or filter {name}s",
                "parameters": _list_parameters(profile, resource_type),
                "responses": {"200": listed, **_errors(400, *AUTHENTICATED)},
            },
            "post": {
                "operationId": f"create{name}",
                "summary": f"Create a {name}",
                "requestBody": body,
                "responses": {
                    "201": _ok(f"the created {name}", name),
                    **_errors(400, *AUTHENTICATED, 409, 413),
                },
            },
        },
    )
    spec.path(
        path=f"{endpoint}/.search",
        operations={
            "post": {
                "operationId": f"search{name}s",
                "summary": f"Search {name}s (POST .search)",
                "requestBody": {"required": True, **_content("SearchRequest")},
                "responses": {"200": listed, **_errors(400, *AUTHENTICATED, 413)},
            }
        },
    )
    one = _ok(f"the {name}", name)
    spec.path(
        path=f"{endpoint}/{{id}}",
        parameters=[{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}],
        operations={
            "get": {
                "operationId": f"get{name}",
                "summary": f"Read a {name}",
                "parameters": _projection(),
                "responses": {"200": one, **_errors(*AUTHENTICATED, 404)},
            },
            "put": {
                "operationId": f"replace{name}",
                "summary": f"Replace a {name}",
                "requestBody": body,
                "responses": {"200": one, **_errors(400, *AUTHENTICATED, 404, 409, 412, 413)},
            },
            "patch": {
                "operationId": f"patch{name}",
                "summary": f"Modify a {name} (PatchOp)",
                "requestBody": {"required": True, **_content(f"{name}Patch")},
                "responses": {
                    "200": one,
                    "204": {"description": "modified, on a tenant with option patch_response: no_content"},
                    **_errors(400, *AUTHENTICATED, 404, 409, 412, 413),
                },
            },
            "delete": {
                "operationId": f"delete{name}",
                "summary": f"Delete a {name}",
                "responses": {
                    "204": {"description": "deleted (or, for a 'deactivate' vendor, made inactive)"},
                    **_errors(*AUTHENTICATED, 404, 412),
                },
            },
        },
    )


def _discovery_paths(spec: APISpec) -> None:
    public: list[dict[str, list[str]]] = []  # discovery needs no credentials
    lists = _ok("a ListResponse", list_schema(DISCOVERY_OBJECT))
    one = _ok("the document", DISCOVERY_OBJECT)
    for path, operation_id, response, parameter in (
        ("/ServiceProviderConfig", "serviceProviderConfig", one, None),
        ("/ResourceTypes", "listResourceTypes", lists, None),
        ("/ResourceTypes/{name}", "getResourceType", one, "name"),
        ("/Schemas", "listSchemas", lists, None),
        ("/Schemas/{schemaId}", "getSchema", one, "schemaId"),
    ):
        responses: dict[str, Any] = {"200": response}
        parameters = []
        if parameter:
            responses.update(_errors(404))
            parameters = [{"name": parameter, "in": "path", "required": True, "schema": {"type": "string"}}]
        spec.path(
            path=path,
            parameters=parameters,
            operations={"get": {"operationId": operation_id, "security": public, "responses": responses}},
        )


def build(profile: VendorProfile, alias_url: str, *, max_length: int = 4096) -> dict[str, Any]:
    """The OpenAPI document of ``profile``'s SCIM surface, served at ``alias_url`` (a tenant's /scim/v2)."""
    tenant_root = alias_url.rstrip("/").removesuffix("/scim/v2")
    schemes = security_schemes(profile, tenant_root)
    spec = APISpec(
        title=f"SCIM target emulator: {profile.title}",
        version=VERSION,
        openapi_version="3.1.0",
        info={
            "description": f"The SCIM 2.0 surface of a {profile.name} tenant, derived from its vendor "
            "profile: only the attributes of its table are accepted and returned."
        },
        servers=[{"url": alias_url, "description": "the tenant's path alias"}],
        security=[{name: []} for name in schemes],
    )
    for name, scheme in schemes.items():
        spec.components.security_scheme(name, scheme)
    spec.components.schema("Error", error_schema())
    spec.components.schema("SearchRequest", search_schema())
    for status, description in ERROR_RESPONSES.items():
        spec.components.response(f"E{status}", {"description": description, **_content("Error")})
    types = profile.resource_types
    for resource_type in types:
        name = resource_type.name
        spec.components.schema(name, resource_schema(resource_type, False, max_length))
        spec.components.schema(f"{name}Request", resource_schema(resource_type, True, max_length))
        spec.components.schema(f"{name}Patch", patch_schema(resource_type))
        spec.components.schema(f"{name}List", list_schema({"$ref": f"#/components/schemas/{name}"}))
        _resource_paths(spec, profile, resource_type)
    every = {"anyOf": [{"$ref": f"#/components/schemas/{t.name}"} for t in types]}
    spec.path(
        path="/.search",
        operations={
            "post": {
                "operationId": "searchAll",
                "summary": "Search every resource type (POST /.search)",
                "requestBody": {"required": True, **_content("SearchRequest")},
                "responses": {
                    "200": _ok("a page of resources of every type", list_schema(every)),
                    **_errors(400, *AUTHENTICATED, 413),
                },
            }
        },
    )
    _discovery_paths(spec)
    return spec.to_dict()
