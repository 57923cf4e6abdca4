"""The control plane's OpenAPI 3.1 document, generated from its marshmallow schemas and route docstrings.

Each control-plane view documents its operations as YAML after a ``---`` line of its
docstring (apispec's convention), naming its schemas by class; this module walks the
app's URL map, so a route without documentation is simply missing from the document
(and the tests say which).
"""

from __future__ import annotations

import re
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from apispec.yaml_utils import load_operations_from_docstring
from flask import Flask, Response, current_app, jsonify

from ..errors import SCIM_CONTENT_TYPE
from .schemas import COMPONENTS, ErrorSchema
from .views import PUBLIC, bp

PREFIX = "/_emulator"
VERSION = "0.1.0"
ARGUMENT = re.compile(r"<(?:(?P<converter>\w+)(?:\([^)]*\))?:)?(?P<name>\w+)>")
IGNORED_METHODS = frozenset({"HEAD", "OPTIONS"})
TAGS = {"reset": "tenants", "seed": "fixtures", "accounts": "credentials", "runs": "scenarios"}
DESCRIPTION = """\
The emulator's control plane: tenants, credentials, the request journal, seed data and faults.

Authorization: `Bearer $EMULATOR_ADMIN_TOKEN` when that variable is set; when it is unset,
only loopback clients are served (and any Authorization header is ignored). Errors are
RFC 7644 error bodies (`application/scim+json`), as on the SCIM surface.
"""


@bp.get("/openapi.json")
def openapi_document() -> Response:
    """This document.
    ---
    get:
      summary: The control plane's OpenAPI document
      responses:
        200:
          description: an OpenAPI 3.1 document
          content:
            application/json:
              schema:
                type: object
    """
    return jsonify(document(current_app))


def document(app: Flask) -> dict[str, Any]:
    """The document of this app's control plane, built once."""
    cached: dict[str, Any] | None = app.extensions.get("emulator.openapi")
    if cached is None:
        cached = app.extensions["emulator.openapi"] = build(app).to_dict()
    return cached


def build(app: Flask) -> APISpec:
    spec = APISpec(
        title="SCIM target emulator: control plane",
        version=VERSION,
        openapi_version="3.1.0",
        plugins=[MarshmallowPlugin()],
        info={"description": DESCRIPTION},
        security=[{"adminToken": []}],
    )
    spec.components.security_scheme(
        "adminToken",
        {
            "type": "http",
            "scheme": "bearer",
            "description": "EMULATOR_ADMIN_TOKEN (loopback needs none when unset)",
        },
    )
    for schema in COMPONENTS:
        name = schema.__name__.removesuffix("Schema")
        if name not in spec.components.schemas:  # nested schemas register themselves first
            spec.components.schema(name, schema=schema)
    error = {"content": {SCIM_CONTENT_TYPE: {"schema": ErrorSchema}}}
    spec.components.response("Error", {"description": "an RFC 7644 error body", **error})
    spec.components.response(
        "Unauthorized", {"description": "EMULATOR_ADMIN_TOKEN is set and was not presented", **error}
    )
    spec.components.response(
        "Forbidden", {"description": "EMULATOR_ADMIN_TOKEN is unset and the client is not loopback", **error}
    )
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if rule.rule.startswith(PREFIX + "/"):
            add_rule(spec, app, rule)
    return spec


def add_rule(spec: APISpec, app: Flask, rule: Any) -> None:
    """The documented operations of one URL rule."""
    docstring = app.view_functions[rule.endpoint].__doc__ or ""
    documented = load_operations_from_docstring(docstring)
    first_line = docstring.strip().split("\n", 1)[0]
    path = ARGUMENT.sub(r"{\g<name>}", rule.rule)
    operations = {}
    for method in sorted(rule.methods - IGNORED_METHODS):
        operation = documented.get(method.lower())
        if operation is None:
            continue
        operation = dict(operation)
        for response in operation.get("responses", {}).values():
            if isinstance(response, dict):
                response.setdefault("description", first_line)  # the docstring's first line
        operation.setdefault("tags", [tag_of(path)])
        operation.setdefault("operationId", f"{rule.endpoint.split('.')[-1]}")
        if rule.endpoint not in PUBLIC:
            operation["responses"] = {**operation["responses"], "401": "Unauthorized", "403": "Forbidden"}
        operations[method.lower()] = operation
    if operations:
        spec.path(path=path, operations=operations, parameters=path_parameters(rule.rule))


def path_parameters(rule: str) -> list[dict[str, Any]]:
    return [
        {
            "name": match["name"],
            "in": "path",
            "required": True,
            "schema": {"type": "integer" if match["converter"] == "int" else "string"},
        }
        for match in ARGUMENT.finditer(rule)
    ]


def tag_of(path: str) -> str:
    """``/_emulator/tenants/{vendor}/{name}/journal/verify`` -> journal."""
    parts = path[len(PREFIX) + 1 :].split("/")
    tag = parts[3] if parts[0] == "tenants" and len(parts) > 3 else parts[0]
    return TAGS.get(tag, tag)
