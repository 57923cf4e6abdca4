"""The SCIM 2.0 surface of every tenant: thin views over operations, store and listing.

The request flow (emulator/request_flow.py) has resolved the tenant and authenticated the
request before any view runs (discovery, ``DISCOVERY``, is public). A request reads first
without the write lock; a view that writes does it in ``database.write_phase()``, which
commits as it ends, and then answers with the rows as written.
"""

from __future__ import annotations

import functools
from typing import Any

from flask import Blueprint, Response, current_app, request
from werkzeug.sansio.utils import get_current_url

from .. import bodies, database
from ..errors import bad_request, not_found, scim_response
from ..request_state import current
from ..tenancy import TenantScope
from . import operations
from .discovery import list_response, service_provider_config
from .query import Lister, ListRequest, integer, search_across
from .resources import parse_attribute_list, project
from .store import Store, etag, etag_matches, precondition

bp = Blueprint("scim", __name__, url_prefix="/scim/v2")
SEARCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"
ENDPOINTS = {"Users": "User", "Groups": "Group"}


def scope() -> TenantScope:
    """The tenant this request serves, resolved and authenticated by the request flow."""
    state = current()
    assert state is not None
    return state.tenant_scope


def base_url() -> str:
    return scim_root(request.scheme, request.host, request.root_path)


@functools.lru_cache(maxsize=256)
def scim_root(scheme: str, host: str, root_path: str) -> str:
    """The tenant's SCIM base URL as werkzeug builds a request's ``url_root`` (its IRI included),
    once per address rather than on every request."""
    return get_current_url(scheme, host, root_path).rstrip("/") + str(bp.url_prefix)


def read_json() -> Any:
    """The request body as JSON, or a 400 invalidSyntax saying what is wrong with it."""
    raw = request.get_data(cache=True)
    if not raw.strip():
        raise bad_request("the request body is empty; a JSON object is required", "invalidSyntax")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise bad_request("the request body is not valid UTF-8", "invalidSyntax") from None
    try:
        return bodies.loads(text)
    except bodies.InvalidBody as error:
        raise bad_request(str(error), "invalidSyntax") from None


def store_for(endpoint: str) -> Store:
    name = ENDPOINTS.get(endpoint)
    resource_type = scope().profile.resource_type(name) if name else None
    if resource_type is None:
        raise not_found(f"/{endpoint} is not an endpoint of this {scope().profile.name} tenant")
    return Store(scope(), resource_type, base_url())


def one(store: Store, row: Any, status: int = 200, *, fresh: bool = False) -> Response:
    """A single resource, projected by the query's attributes, with its ETag and Location.

    ``fresh``: just created, so a user is in no group yet (its groups are not looked up).
    """
    query = ListRequest(
        attributes=parse_attribute_list(request.args.get("attributes")),
        excluded=parse_attribute_list(request.args.get("excludedAttributes")),
    )
    relations = Lister(store, 0).wants_relations(query) and not (fresh and store.resource_type.name == "User")
    resource = store.render([row], relations=relations)[0]
    resource = project(resource, store.resource_type, query.attributes or [], query.excluded or [])
    headers = {"ETag": etag(row), "Location": store.location(row.scim_id)}
    return scim_response(resource, status, headers)


def list_request(source: dict[str, Any]) -> ListRequest:
    def text(name: str) -> str | None:
        value = source.get(name)
        if value is not None and not isinstance(value, str):
            raise bad_request(f"{name} must be a string")
        return value

    def names(name: str) -> list[str]:
        value = source.get(name)
        if isinstance(value, list):
            return [str(v) for v in value]
        return parse_attribute_list(text(name))

    return ListRequest(
        filter=text("filter"),
        sort_by=text("sortBy"),
        sort_order=(text("sortOrder") or "ascending").lower(),
        start_index=integer(source.get("startIndex"), "startIndex") or 1,
        count=integer(source.get("count"), "count"),
        attributes=names("attributes"),
        excluded=names("excludedAttributes"),
    )


def answer_list(store: Store, query: ListRequest) -> Response:
    lister = Lister(store, current_app.config["EMULATOR_MAX_PAGE_SIZE"])
    return scim_response(lister.answer(query))


# -- resources -------------------------------------------------------------------------------


@bp.get("/<any(Users, Groups):endpoint>")
def list_resources(endpoint: str) -> Response:
    return answer_list(store_for(endpoint), list_request(request.args.to_dict()))


@bp.post("/<any(Users, Groups):endpoint>/.search")
def search_resources(endpoint: str) -> Response:
    body = read_json()
    if not isinstance(body, dict):
        raise bad_request("a SearchRequest must be a JSON object", "invalidSyntax")
    return answer_list(store_for(endpoint), list_request(body))


@bp.post("/<any(Users, Groups):endpoint>")
def create_resource(endpoint: str) -> Response:
    store, body = store_for(endpoint), read_json()
    with database.write_phase():
        row = operations.create(store, body)
    return one(store, row, 201, fresh=True)


@bp.get("/<any(Users, Groups):endpoint>/<scim_id>")
def get_resource(endpoint: str, scim_id: str) -> Response:
    store = store_for(endpoint)
    row = store.get(scim_id)
    if_none_match = request.headers.get("If-None-Match")
    if if_none_match and etag_matches(row, if_none_match):
        return Response(status=304, headers={"ETag": etag(row)})
    return one(store, row)


@bp.put("/<any(Users, Groups):endpoint>/<scim_id>")
def replace_resource(endpoint: str, scim_id: str) -> Response:
    store, body = store_for(endpoint), read_json()
    with database.write_phase():
        row = store.get(scim_id, for_write=True)
        precondition(row, request.headers.get("If-Match"))
        operations.replace(store, row, body)
    return one(store, row)


@bp.patch("/<any(Users, Groups):endpoint>/<scim_id>")
def patch_resource(endpoint: str, scim_id: str) -> Response:
    store = store_for(endpoint)
    changes = operations.read(store, read_json())
    with database.write_phase():
        row = store.get(scim_id, for_write=True)
        precondition(row, request.headers.get("If-Match"))
        operations.patch(store, row, changes)
    if scope().quirk("patch_response") == "no_content" and not representation_asked():
        return Response(status=204, headers={"ETag": etag(row)})
    return one(store, row)


def representation_asked() -> bool:
    """Whether the request names attributes (RFC 7644 3.5.2: then a PATCH must answer 200 with them)."""
    return "attributes" in request.args or "excludedAttributes" in request.args


@bp.delete("/<any(Users, Groups):endpoint>/<scim_id>")
def delete_resource(endpoint: str, scim_id: str) -> Response:
    store = store_for(endpoint)
    with database.write_phase():
        row = store.get(scim_id, for_write=True)
        precondition(row, request.headers.get("If-Match"))
        operations.delete(store, row)
    return Response(status=204)


@bp.post("/.search")
def search_all() -> Response:
    body = read_json()
    if not isinstance(body, dict):
        raise bad_request("a SearchRequest must be a JSON object", "invalidSyntax")
    max_page = current_app.config["EMULATOR_MAX_PAGE_SIZE"]
    listers = [Lister(Store(scope(), t, base_url()), max_page) for t in scope().profile.resource_types]
    return scim_response(search_across(listers, list_request(body)))


# -- discovery -------------------------------------------------------------------------------


@bp.get("/ServiceProviderConfig")
def service_provider() -> Response:
    return scim_response(
        service_provider_config(scope().profile, base_url(), current_app.config["EMULATOR_MAX_PAGE_SIZE"])
    )


@bp.get("/ResourceTypes")
def resource_types() -> Response:
    return scim_response(
        list_response(
            [t.to_scim(f"{base_url()}/ResourceTypes/{t.name}") for t in scope().profile.resource_types]
        )
    )


@bp.get("/ResourceTypes/<name>")
def resource_type(name: str) -> Response:
    found = scope().profile.resource_type(name)
    if found is None:
        raise not_found(f"no resource type {name}")
    return scim_response(found.to_scim(f"{base_url()}/ResourceTypes/{found.name}"))


def tenant_schemas() -> list[Any]:
    seen: dict[str, Any] = {}
    for resource_type in scope().profile.resource_types:
        for schema in resource_type.schemas:
            seen.setdefault(schema.id, schema)
    return list(seen.values())


@bp.get("/Schemas")
def schemas() -> Response:
    return scim_response(list_response([s.to_scim(f"{base_url()}/Schemas/{s.id}") for s in tenant_schemas()]))


@bp.get("/Schemas/<schema_id>")
def schema(schema_id: str) -> Response:
    found = next((s for s in tenant_schemas() if s.id.lower() == schema_id.lower()), None)
    if found is None:
        raise not_found(f"no schema {schema_id}")
    return scim_response(found.to_scim(f"{base_url()}/Schemas/{found.id}"))


DISCOVERY = {
    f"scim.{name}" for name in ("service_provider", "resource_types", "resource_type", "schemas", "schema")
}
