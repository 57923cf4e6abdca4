"""Listing: filters planned onto indexes where they can be, then evaluated exactly, sorted and paged.

A filter is first narrowed with SQL on an indexed column (userName/displayName, externalId,
id, email values) when any conjunct allows it; the exact RFC semantics are then applied in
Python to the few candidates. Only a filter with no indexable conjunct scans the tenant.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, bindparam, func, or_, select, text

from ..errors import ScimError, bad_request
from ..extensions import db
from ..models import Resource, ResourceValue
from ..prepared import Prepared
from . import filter as scim_filter
from .filter import And, AttrPath, Compare, Node, Not, Or, ValuePath
from .resources import project
from .schema import resolve
from .store import INDEXED_VALUES, ResourceRow, Store

LIST_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
SCAN_BATCH = 1000
# a resource by one indexed key column, per column: the match clients send most (emulator/prepared.py)
BY_KEY = {
    column: Prepared(
        select(Resource.__table__)
        .where(
            Resource.tenant_id == bindparam("tenant_id"),
            Resource.resource_type == bindparam("resource_type"),
            Resource.__table__.c[column] == bindparam("key"),
        )
        .order_by(Resource.pk),
        row=ResourceRow,
    )
    for column in ("unique_key", "external_id", "scim_id")
}


@dataclass
class ListRequest:
    """The parameters of a list or .search request."""

    filter: str | None = None
    sort_by: str | None = None
    sort_order: str = "ascending"
    start_index: int = 1
    count: int | None = None
    attributes: list[str] | None = None
    excluded: list[str] | None = None


def integer(value: Any, name: str) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise bad_request(f"{name} must be an integer")
    try:
        return int(value)
    except (TypeError, ValueError):
        raise bad_request(f"{name} must be an integer") from None


class Lister:
    """Answers list requests for one Store."""

    def __init__(self, store: Store, max_page: int) -> None:
        self.store = store
        self.max_page = max_page
        self.resource_type = store.resource_type

    # -- filter admission -----------------------------------------------------------------

    def admitted(self, text: str | None) -> Node | None:
        """The parsed filter, or None when absent or ignored by the vendor's quirk."""
        if text is None or not text.strip():
            return None
        node = scim_filter.parse_filter(text)
        filterable = self.store.scope.profile.filterable
        if filterable is not None:
            allowed = filterable.get(self.resource_type.name, {})
            for path, op in scim_filter.referenced(node):
                name = self.path_name(path)
                if op not in allowed.get(name, frozenset()):
                    if self.store.scope.quirk("unsupported_filters") == "ignore":
                        return None
                    raise ScimError(
                        400,
                        f"filtering on {name} with '{op}' is not supported by this vendor",
                        "invalidFilter",
                    )
        scim_filter.check_types(node, self.resource_type)
        return node

    def path_name(self, path: AttrPath) -> str:
        ref = resolve(self.resource_type, (path.urn + ":" if path.urn else "") + path.attr)
        name = ref.attribute.name if ref else path.attr
        if path.urn and ref and ref.extension:
            name = f"{ref.schema.id}:{name}"
        if path.sub:
            name += "." + path.sub
        return name.lower()

    # -- planning -------------------------------------------------------------------------

    def plan(self, node: Node) -> ColumnElement[bool] | None:
        """An indexed SQL condition selecting a superset of the matches, or None."""
        if isinstance(node, And):
            left, right = self.plan(node.left), self.plan(node.right)
            if left is not None and right is not None:
                return and_(left, right)
            return left if left is not None else right
        if isinstance(node, Or):
            left, right = self.plan(node.left), self.plan(node.right)
            return or_(left, right) if left is not None and right is not None else None
        if isinstance(node, ValuePath):
            return self.plan_value_path(node)
        if isinstance(node, Compare) and node.op == "eq" and isinstance(node.value, str):
            return self.plan_equality(node.path, node.value)
        return None

    def plan_equality(self, path: AttrPath, value: str) -> ColumnElement[bool] | None:
        keyed = self.key_column(path, value)
        if keyed is not None:
            column, key = keyed
            return Resource.__table__.c[column] == key
        ref = resolve(self.resource_type, (path.urn + ":" if path.urn else "") + path.attr)
        if (
            ref is not None
            and not ref.extension
            and ref.attribute.name in INDEXED_VALUES.get(self.resource_type.name, ())
            and (path.sub or "value").lower() == "value"
        ):
            return self.value_condition(ref.attribute.name, value)
        return None

    def key_column(self, path: AttrPath, value: str) -> tuple[str, str] | None:
        """The indexed column of ``resource`` that ``path eq value`` looks up, with the key it holds."""
        if path.sub is not None:
            return None
        ref = resolve(self.resource_type, (path.urn + ":" if path.urn else "") + path.attr)
        if ref is None or ref.extension:
            return None
        name = ref.attribute.name
        store = self.store
        if store.unique_attribute is not None and name == store.unique_attribute.name:
            return "unique_key", store.key(value) or ""
        if name == "externalId" and ref.attribute.case_exact:
            return "external_id", value
        if name == "id":
            return "scim_id", value
        return None

    def plan_value_path(self, node: ValuePath) -> ColumnElement[bool] | None:
        name = node.path.attr
        ref = resolve(self.resource_type, name)
        if ref is None or ref.attribute.name not in INDEXED_VALUES.get(self.resource_type.name, ()):
            return None
        for term in conjuncts(node.filter):
            if (
                isinstance(term, Compare)
                and term.op == "eq"
                and term.path.attr.lower() == "value"
                and isinstance(term.value, str)
            ):
                return self.value_condition(ref.attribute.name, term.value)
        return None

    def value_condition(self, attribute: str, value: str) -> ColumnElement[bool]:
        return Resource.pk.in_(
            select(ResourceValue.resource_pk).where(
                ResourceValue.tenant_id == self.store.tenant_id,
                ResourceValue.attribute == attribute,
                ResourceValue.value == value.lower(),
            )
        )

    # -- answering ------------------------------------------------------------------------

    def page_bounds(self, request: ListRequest) -> tuple[int, int]:
        start = max(request.start_index or 1, 1)
        count = self.max_page if request.count is None else max(min(request.count, self.max_page), 0)
        return start, count

    def answer(self, request: ListRequest) -> dict[str, Any]:
        node = self.admitted(request.filter)
        start, count = self.page_bounds(request)
        if node is None and not request.sort_by:
            total, rows = self.sql_page(start, count)
            resources = self.store.render(rows, relations=self.wants_relations(request))
            return list_page(total, start, [self.shown(r, request) for r in resources])
        resources = self.collect(node, request)
        if request.sort_by:
            resources = sort_resources(resources, self.resource_type, request.sort_by, request.sort_order)
        page = resources[start - 1 : start - 1 + count]
        return list_page(len(resources), start, [self.shown(r, request) for r in page])

    def collect(self, node: Node | None, request: ListRequest) -> list[dict[str, Any]]:
        """Every match, rendered with relations when the response or the filter needs them."""
        relations = self.wants_relations(request)
        found = self.matching(node, relations or self.filter_needs_relations(node))
        if not relations:
            for resource in found:
                resource.pop("members", None)
                resource.pop("groups", None)
        return found

    def shown(self, resource: dict[str, Any], request: ListRequest) -> dict[str, Any]:
        return project(resource, self.resource_type, request.attributes or [], request.excluded or [])

    def wants_relations(self, request: ListRequest) -> bool:
        """Whether members/groups must be loaded for the response."""
        relation = "members" if self.resource_type.name == "Group" else "groups"
        if request.attributes:
            return any(a.lower().split(".")[0].endswith(relation.lower()) for a in request.attributes)
        return not any(e.lower() == relation.lower() for e in (request.excluded or []))

    def filter_needs_relations(self, node: Node | None) -> bool:
        if node is None:
            return False
        return any(p.attr.lower() in ("members", "groups") for p, _ in scim_filter.referenced(node))

    def sql_page(self, start: int, count: int) -> tuple[int, list[Resource]]:
        base = self.store.select()
        total = db.session.execute(select(func.count()).select_from(base.subquery())).scalar_one()
        if count == 0 or start > total:
            return total, []  # also keeps a huge startIndex out of SQL's OFFSET
        rows = list(db.session.execute(base.order_by(Resource.pk).offset(start - 1).limit(count)).scalars())
        return total, rows

    def matching(self, node: Node | None, relations: bool) -> list[dict[str, Any]]:
        """Every resource that matches ``node`` (all when None), in creation order."""
        keyed = self.by_key(node)
        if keyed is not None:
            # the key column holds what the filter compares, the attribute's case rule applied on
            # write: its rows are exactly the matches, with nothing left to evaluate
            statement, values = keyed
            return self.store.render(statement.all(db.session.connection(), values), relations=relations)
        condition = self.plan(node) if node is not None else None
        query = self.store.select() if condition is None else self.narrowed(node, condition)
        query = query.order_by(Resource.pk).execution_options(yield_per=SCAN_BATCH)
        rows = db.session.execute(query).scalars()
        found: list[dict[str, Any]] = []
        batch: list[Resource] = []
        for row in rows:
            batch.append(row)
            if len(batch) == SCAN_BATCH:
                found += self.keep(batch, node, relations)
                batch = []
        found += self.keep(batch, node, relations)
        return found

    def by_key(self, node: Node | None) -> tuple[Prepared, dict[str, Any]] | None:
        """A lone ``attr eq "x"`` on a key column (Entra's and Okta's match): a statement built once."""
        if not (isinstance(node, Compare) and node.op == "eq" and isinstance(node.value, str)):
            return None
        keyed = self.key_column(node.path, node.value)
        if keyed is None:
            return None
        column, key = keyed
        return BY_KEY[column], {
            "tenant_id": self.store.tenant_id,
            "resource_type": self.resource_type.name,
            "key": key,
        }

    def narrowed(self, node: Node | None, condition: ColumnElement[bool]) -> Any:
        """The tenant's rows that meet an indexed condition, found through that condition's index.

        Without table statistics SQLite's planner walks the tenant's (tenant, type) index rather
        than look rows up by key from a value subquery (``emails[...]``), which reads every row
        of the tenant. Marking the tenant term ``likely()`` (a no-op that only informs the
        planner) makes it use the condition's index instead. Not for an OR, where the hint would
        make SQLite scan the table.
        """
        if db.session.get_bind().dialect.name != "sqlite" or any_or(node):
            return self.store.select().where(condition)
        return select(Resource).where(
            text("likely(resource.tenant_id = :likely_tenant)").bindparams(
                likely_tenant=self.store.tenant_id
            ),
            Resource.resource_type == self.resource_type.name,
            condition,
        )

    def keep(self, rows: list[Resource], node: Node | None, relations: bool) -> list[dict[str, Any]]:
        rendered = self.store.render(rows, relations=relations)
        if node is None:
            return rendered
        return [r for r in rendered if scim_filter.matches(node, r, self.resource_type)]


def list_page(total: int, start: int, page: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "schemas": [LIST_SCHEMA],
        "totalResults": total,
        "startIndex": start,
        "itemsPerPage": len(page),
        "Resources": page,
    }


def search_across(listers: list[Lister], request: ListRequest) -> dict[str, Any]:
    """A root-level /.search: the same request over every resource type, concatenated."""
    found: list[tuple[Lister, dict[str, Any]]] = []
    for lister in listers:
        node = lister.admitted(request.filter)
        found += [(lister, r) for r in lister.collect(node, request)]
    if request.sort_by:
        if request.sort_order not in ("ascending", "descending"):
            raise bad_request("sortOrder must be 'ascending' or 'descending'")
        keyed = [
            (safe_sort_value(r, lister, request.sort_by), i, lister, r) for i, (lister, r) in enumerate(found)
        ]
        present = sorted(
            (k for k in keyed if k[0] is not None),
            key=lambda k: (str(k[0]), k[1]),
            reverse=request.sort_order == "descending",
        )
        found = [(k[2], k[3]) for k in present + [k for k in keyed if k[0] is None]]
    start, count = listers[0].page_bounds(request)
    page = found[start - 1 : start - 1 + count]
    return list_page(len(found), start, [lister.shown(r, request) for lister, r in page])


def safe_sort_value(resource: dict[str, Any], lister: Lister, path: str) -> Any:
    try:
        return sort_value(resource, lister.resource_type, path)
    except ScimError:
        return None


def any_or(node: Node | None) -> bool:
    """Whether a filter has an ``or`` anywhere (value filters included)."""
    if isinstance(node, Or):
        return True
    if isinstance(node, And):
        return any_or(node.left) or any_or(node.right)
    if isinstance(node, Not):
        return any_or(node.inner)
    if isinstance(node, ValuePath):
        return any_or(node.filter)
    return False


def conjuncts(node: Node) -> list[Node]:
    if isinstance(node, And):
        return conjuncts(node.left) + conjuncts(node.right)
    return [node]


def sort_value(resource: dict[str, Any], resource_type: Any, path: str) -> Any:
    """The value a resource sorts by: for multi-valued attributes the primary (or first) value."""
    ref = resolve(resource_type, path)
    if ref is None:
        raise bad_request(f"cannot sort by unknown attribute {path}", "invalidValue")
    container = resource.get(ref.schema.id, {}) if ref.extension else resource
    if ref.attribute.name == "meta":
        container = resource
    value = container.get(ref.attribute.name)
    if ref.attribute.multi_valued and isinstance(value, list):
        items = [v for v in value if isinstance(v, dict)]
        chosen = next((v for v in items if v.get("primary") is True), items[0] if items else None)
        value = chosen.get(ref.sub_attribute.name if ref.sub_attribute else "value") if chosen else None
    elif ref.sub_attribute is not None and isinstance(value, dict):
        value = value.get(ref.sub_attribute.name)
    if isinstance(value, str) and not ref.definition.case_exact:
        value = value.lower()
    return value


def sort_resources(
    resources: list[dict[str, Any]], resource_type: Any, sort_by: str, order: str
) -> list[dict[str, Any]]:
    """RFC 7644 §3.4.2.3 sorting; resources without the value come last either way."""
    if order not in ("ascending", "descending"):
        raise bad_request("sortOrder must be 'ascending' or 'descending'")
    keyed = [(sort_value(r, resource_type, sort_by), i, r) for i, r in enumerate(resources)]
    present = [k for k in keyed if k[0] is not None]
    absent = [k for k in keyed if k[0] is None]
    try:
        present.sort(key=lambda k: (k[0], k[1]), reverse=order == "descending")
    except TypeError:
        present.sort(key=lambda k: (str(k[0]), k[1]), reverse=order == "descending")
    return [r for _, _, r in present + absent]
