"""Resource operations over the database for one tenant and resource type.

Users and groups are rows with a JSON document; the vendor's unique attribute sits in an
indexed column under a database constraint, group members are one row each, and the
values filters look up (emails) are indexed beside the document.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, bindparam, delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value

from .. import clock
from ..clock import utcnow
from ..errors import ScimError, bad_request, conflict, not_found
from ..extensions import db
from ..models import Membership, Resource, ResourceValue, Tenant
from ..prepared import Prepared
from ..tenants import TenantScope
from .schema import ResourceType

# multi-valued attributes whose values are indexed for filters (resource type -> attributes)
INDEXED_VALUES: dict[str, tuple[str, ...]] = {"User": ("emails",)}


class ResourceRow(NamedTuple):
    """A resource as a read renders it: a row of a prepared statement (emulator/prepared.py), not an ORM
    object, where a request only reads (the match clients send most)."""

    pk: int
    tenant_id: int
    resource_type: str
    scim_id: str
    unique_key: str | None
    external_id: str | None
    data: dict[str, Any]
    created_at: datetime
    updated_at: datetime
    version: int


# the statements every single-resource request runs, built once (building costs more than running)
GET = select(Resource).where(
    Resource.tenant_id == bindparam("tenant_id"),
    Resource.resource_type == bindparam("resource_type"),
    Resource.scim_id == bindparam("scim_id"),
)
# the row a write changes, locked until the write commits: FOR NO KEY UPDATE on PostgreSQL, where a
# second writer of the row then waits and reads the row as the first one left it (NO KEY: a group's
# member add, which holds its members FOR KEY SHARE, need not wait for a PATCH of a member); SQLite's
# compiler drops the clause, its writer transaction (BEGIN IMMEDIATE) already holding the whole
# database. Read afresh even if the session holds the object, or the lock would guard a stale copy.
GET_FOR_WRITE = GET.with_for_update(key_share=True).execution_options(populate_existing=True)
MEMBERS = (
    select(Membership.group_pk, Resource.scim_id, Membership.display, Membership.ref, Membership.kind)
    .join(Resource, Resource.pk == Membership.member_pk)
    .order_by(Membership.group_pk, Resource.pk)
)
MEMBERS_OF = MEMBERS.where(Membership.group_pk.in_(bindparam("pks", expanding=True)))
RESOURCE_COLUMNS = (
    "tenant_id", "resource_type", "scim_id", "unique_key", "external_id", "data", "created_at",
    "updated_at", "version",
)  # fmt: skip
INSERT = Prepared(insert(Resource.__table__), RESOURCE_COLUMNS)
# the members of one group: a group's answer, 10,000 rows for a big group (no SQLAlchemy row per member)
MEMBERS_OF_ONE = Prepared(MEMBERS.where(Membership.group_pk == bindparam("pk")))
INSERT_VALUE = Prepared(insert(ResourceValue.__table__), ("resource_pk", "tenant_id", "attribute", "value"))
# writes check the version they read: no UPDATE lands on a row changed since (the lock above makes
# that a safeguard rather than a path taken)
VERSION_READ = (
    Resource.__table__.c.pk == bindparam("row_pk"),
    Resource.__table__.c.version == bindparam("read"),
)
UPDATE = (
    update(Resource.__table__)
    .where(*VERSION_READ)
    .values(
        {name: bindparam(name) for name in ("data", "unique_key", "external_id", "updated_at", "version")}
    )
)
TOUCH = (
    update(Resource.__table__)
    .where(*VERSION_READ)
    .values({name: bindparam(name) for name in ("updated_at", "version")})
)
# a deleted resource leaves every group it was a member of: each such group is at a new version
GROUPS_LEFT = (
    update(Resource.__table__)
    .where(
        Resource.__table__.c.pk.in_(
            select(Membership.group_pk).where(Membership.member_pk == bindparam("member"))
        )
    )
    .values(version=Resource.__table__.c.version + 1, updated_at=bindparam("now"))
)
DROP_VALUES = delete(ResourceValue).where(ResourceValue.resource_pk == bindparam("pk"))
GROUPS = (
    select(Membership.member_pk, Resource.scim_id, Resource.data)
    .join(Resource, Resource.pk == Membership.group_pk)
    .order_by(Resource.pk)
)
GROUPS_OF = GROUPS.where(Membership.member_pk.in_(bindparam("pks", expanding=True)))
# the groups of one user: a match's answer, a prepared statement
GROUPS_OF_ONE = Prepared(GROUPS.where(Membership.member_pk == bindparam("pk")))


def etag(row: Resource | ResourceRow) -> str:
    return f'W/"{row.version}"'


class Store:
    """Reads and writes one tenant's resources of one type."""

    def __init__(self, scope: TenantScope, resource_type: ResourceType, base_url: str) -> None:
        self.scope = scope
        self.tenant_id = scope.tenant.id
        self.resource_type = resource_type
        self.base_url = base_url.rstrip("/")
        unique_name = "userName" if resource_type.name == "User" else "displayName"
        self.unique_attribute = resource_type.schema.attribute(unique_name)
        self.indexed = INDEXED_VALUES.get(resource_type.name, ())

    # -- keys -------------------------------------------------------------------------------

    def key(self, value: Any) -> str | None:
        """A value of the unique attribute as the unique column holds it (the vendor's case rule)."""
        if not isinstance(value, str) or self.unique_attribute is None:
            return None
        return value if self.unique_attribute.case_exact else value.lower()

    def unique_value(self, document: dict[str, Any]) -> Any:
        return document.get(self.unique_attribute.name) if self.unique_attribute else None

    def location(self, scim_id: str) -> str:
        return f"{self.base_url}{self.resource_type.endpoint}/{scim_id}"

    # -- reads ------------------------------------------------------------------------------

    def of_tenant(self) -> tuple[ColumnElement[bool], ...]:
        """Any resource of the tenant, by id: the resource type is named so that the lookup uses
        the (tenant, type, id) index; without it SQLite walks every row of the tenant."""
        types = [t.name for t in self.scope.profile.resource_types]
        return Resource.tenant_id == self.tenant_id, Resource.resource_type.in_(types)

    def select(self) -> Any:
        return select(Resource).where(
            Resource.tenant_id == self.tenant_id, Resource.resource_type == self.resource_type.name
        )

    def get(self, scim_id: str, *, for_write: bool = False) -> Resource:
        """A resource by id; ``for_write``: the row a PUT, PATCH or DELETE changes, locked until its
        write phase commits, so that read, If-Match check and write are one step however many
        clients change the row at once."""
        if not storable(scim_id):
            raise not_found(f"{self.resource_type.name} {scim_id!r} not found")
        row = db.session.execute(
            GET_FOR_WRITE if for_write else GET,
            {"tenant_id": self.tenant_id, "resource_type": self.resource_type.name, "scim_id": scim_id},
        ).scalar_one_or_none()
        if row is None:
            raise not_found(f"{self.resource_type.name} {scim_id} not found")
        return row

    def members_of(self, group_pks: Sequence[int]) -> dict[int, list[dict[str, Any]]]:
        """Members of the given groups, in one query."""
        found: dict[int, list[dict[str, Any]]] = {pk: [] for pk in group_pks}
        if not group_pks:
            return found
        db.session.flush()  # a Core read sees what the ORM still holds (a PATCH's new members)
        connection = db.session.connection()
        if len(group_pks) == 1:
            rows = MEMBERS_OF_ONE.all(connection, {"pk": group_pks[0]})
        else:
            rows = connection.execute(MEMBERS_OF, {"pks": list(group_pks)})
        for group_pk, scim_id, display, ref, kind in rows:
            member = {"value": scim_id}
            if display is not None or ref is not None or kind is not None:  # most members are a bare id
                for name, value in (("display", display), ("$ref", ref), ("type", kind)):
                    if value is not None:
                        member[name] = value
            found[group_pk].append(member)
        return found

    def groups_of(self, user_pks: Sequence[int]) -> dict[int, list[dict[str, Any]]]:
        """Groups the given users belong to (directly), in one query."""
        found: dict[int, list[dict[str, Any]]] = {pk: [] for pk in user_pks}
        if not user_pks:
            return found
        db.session.flush()  # a Core read sees what the ORM still holds
        connection = db.session.connection()
        if len(user_pks) == 1:
            rows = GROUPS_OF_ONE.all(connection, {"pk": user_pks[0]})
        else:
            rows = connection.execute(GROUPS_OF, {"pks": list(user_pks)})
        for member_pk, scim_id, data in rows:
            found[member_pk].append(
                {
                    "value": scim_id,
                    "$ref": f"{self.base_url}/Groups/{scim_id}",
                    "display": data.get("displayName"),
                    "type": "direct",
                }
            )
        return found

    def user_exists(self, scim_id: Any) -> bool:
        """Whether ``scim_id`` is a user of this tenant."""
        return (
            isinstance(scim_id, str)
            and storable(scim_id)
            and (
                db.session.execute(
                    select(Resource.pk).where(
                        Resource.tenant_id == self.tenant_id,
                        Resource.resource_type == "User",
                        Resource.scim_id == scim_id,
                    )
                ).first()
                is not None
            )
        )

    def has_attribute(self, name: str) -> bool:
        return self.resource_type.schema.attribute(name) is not None

    def render(
        self, rows: Sequence[Resource | ResourceRow], *, relations: bool = True
    ) -> list[dict[str, Any]]:
        """Full SCIM representations; ``relations=False`` leaves members/groups unloaded."""
        pks = [row.pk for row in rows]
        members: dict[int, list[dict[str, Any]]] = {}
        groups: dict[int, list[dict[str, Any]]] = {}
        if relations and self.resource_type.name == "Group" and self.has_attribute("members"):
            members = self.members_of(pks)
        if relations and self.resource_type.name == "User" and self.has_attribute("groups"):
            groups = self.groups_of(pks)
        out = []
        for row in rows:
            resource = {"schemas": row.data.get("schemas", [self.resource_type.schema.id]), "id": row.scim_id}
            resource.update((k, v) for k, v in row.data.items() if k != "schemas")
            if members.get(row.pk):
                resource["members"] = members[row.pk]
            if groups.get(row.pk):
                resource["groups"] = groups[row.pk]
            resource["meta"] = {
                "resourceType": self.resource_type.name,
                "created": clock.shown(row.created_at),
                "lastModified": clock.shown(row.updated_at),
                "location": self.location(row.scim_id),
                "version": etag(row),
            }
            out.append(resource)
        return out

    # -- writes -----------------------------------------------------------------------------

    def create(self, document: dict[str, Any]) -> ResourceRow:
        """Insert a resource: one prepared INSERT, answered with the row as written
        (the ORM's unit of work cost more than the statement)."""
        members = document.pop("members", None)
        values = self.new_row(document, utcnow())
        db.session.flush()  # anything the ORM still holds goes first
        try:
            pk = INSERT.insert(db.session.connection(), values)
        except IntegrityError:
            raise self.refusal(conflict(self.uniqueness_message(self.unique_name))) from None
        row = ResourceRow(pk=pk, **values)
        self.index_values(row, document, fresh=True)
        if members:
            self.add_members(row, members)
        return row

    def new_row(self, document: dict[str, Any], now: datetime) -> dict[str, Any]:
        """The columns of a new resource holding ``document`` (a create, or seeding in bulk)."""
        return {
            "tenant_id": self.tenant_id,
            "resource_type": self.resource_type.name,
            "scim_id": str(uuid.uuid4()),
            "unique_key": self.key(self.unique_value(document)),
            "external_id": document.get("externalId"),
            "data": document,
            "created_at": now,
            "updated_at": now,
            "version": 1,
        }

    def replace(self, row: Resource, document: dict[str, Any], members: list[dict[str, Any]] | None) -> None:
        """Write a new document (and, for groups, a new member set when given).

        One UPDATE by primary key, its values then set on the row as committed: the ORM's unit
        of work cost more than the statement (a PATCH's most expensive step).
        """
        before = row.data
        values = {
            "data": document,
            "unique_key": self.key(self.unique_value(document)),
            "external_id": document.get("externalId"),
            "updated_at": utcnow(),
            "version": row.version + 1,
        }
        self.write_version(row, UPDATE, values)
        if any(before.get(name) != document.get(name) for name in self.indexed):
            self.index_values(row, document)
        if members is not None:
            self.clear_members(row)
            self.add_members(row, members)

    def touch(self, row: Resource) -> None:
        """A new version of a row whose document stays (a group whose members changed)."""
        self.write_version(row, TOUCH, {"updated_at": utcnow(), "version": row.version + 1})

    def write_version(self, row: Resource, statement: Any, values: dict[str, Any]) -> None:
        """One UPDATE of ``values`` by primary key and the version read, then set on the row as
        committed: the ORM's unit of work cost more than the statement (a PATCH's most expensive
        step). A row changed since it was read is a 412, as a stale If-Match is."""
        db.session.flush()  # anything the ORM still holds goes first
        try:
            result = db.session.connection().execute(
                statement, {"row_pk": row.pk, "read": row.version, **values}
            )
        except IntegrityError:
            raise self.refusal(conflict(self.uniqueness_message(self.unique_name))) from None
        if result.rowcount != 1:
            raise ScimError(412, f"version mismatch: the resource changed while {etag(row)} was written")
        for name, value in values.items():
            set_committed_value(row, name, value)

    def refusal(self, meant: ScimError) -> ScimError:
        """What a constraint the database refused means: the write is rolled back, and if its tenant
        was deleted meanwhile that is the answer (404), else ``meant`` (a clash on a unique value)."""
        db.session.rollback()
        exists = db.session.execute(select(Tenant.id).where(Tenant.id == self.tenant_id)).first()
        if exists is None:
            return not_found(f"tenant {self.scope.tenant.key} was deleted while this request ran")
        return meant

    def delete(self, row: Resource) -> None:
        """Delete a resource; the groups it was a member of move to a new version, since their
        members change (the memberships go by the foreign keys' ON DELETE CASCADE)."""
        db.session.flush()
        db.session.connection().execute(GROUPS_LEFT, {"member": row.pk, "now": utcnow()})
        db.session.delete(row)
        db.session.flush()

    @property
    def unique_name(self) -> str:
        return self.unique_attribute.name if self.unique_attribute else "value"

    def uniqueness_message(self, name: str) -> str:
        if self.resource_type.name == "User" and "uniqueness" in self.scope.profile.messages:
            return self.scope.profile.messages["uniqueness"]
        return f"a {self.resource_type.name} with this {name} already exists"

    def index_values(
        self, row: Resource | ResourceRow, document: dict[str, Any], fresh: bool = False
    ) -> None:
        """Index the document's filterable values (a fresh row has none to replace)."""
        attributes = self.indexed
        if not attributes:
            return
        if not fresh:
            db.session.connection().execute(DROP_VALUES, {"pk": row.pk})
        values = [
            {
                "resource_pk": row.pk,
                "tenant_id": self.tenant_id,
                "attribute": name,
                "value": item["value"].lower(),
            }
            for name in attributes
            for item in document.get(name, [])
            if isinstance(item, dict) and isinstance(item.get("value"), str)
        ]
        connection = db.session.connection()
        for value in values:
            INSERT_VALUE.execute(connection, value)

    # -- members ----------------------------------------------------------------------------

    def member_pks(self, members: Iterable[Any]) -> dict[str, int]:
        """Resolve member ids to rows of this tenant; unknown ids are dropped or a 400 (quirk).

        The rows found stay until the write commits: FOR KEY SHARE on PostgreSQL makes a
        concurrent DELETE of a member wait (or, committed first, leaves the member unknown here),
        so a membership never names a deleted resource; SQLite's writer holds the database.
        """
        ids = []
        for member in members:
            value = member.get("value") if isinstance(member, dict) else None
            if not isinstance(value, str) or not value:
                raise bad_request("each member needs a 'value' with the id of a user or group of this tenant")
            ids.append(value)
        found: dict[str, int] = {}
        lookup = [i for i in ids if storable(i)]
        for start in range(0, len(lookup), 500):
            chunk = lookup[start : start + 500]
            rows = db.session.execute(
                select(Resource.scim_id, Resource.pk)
                .where(*self.of_tenant(), Resource.scim_id.in_(chunk))
                .with_for_update(read=True, key_share=True)
            )
            found.update((scim_id, pk) for scim_id, pk in rows)
        missing = [i for i in ids if i not in found]
        if missing and self.scope.quirk("unknown_members") == "reject":
            raise bad_request(f"member(s) not found in this tenant: {', '.join(missing[:5])}")
        return found

    def add_members(self, row: Resource | ResourceRow, members: list[Any]) -> None:
        """Add members (skipping present ones), keeping the sub-attributes the client sent."""
        pks = self.member_pks(members)
        if not pks:
            return
        existing = set(
            db.session.execute(
                select(Membership.member_pk).where(
                    Membership.group_pk == row.pk, Membership.member_pk.in_(set(pks.values()))
                )
            ).scalars()
        )
        new: dict[int, dict[str, Any]] = {}
        for member in members:
            pk = pks.get(member["value"])
            if pk is None or pk in existing or pk in new:
                continue
            new[pk] = {
                "group_pk": row.pk,
                "member_pk": pk,
                "tenant_id": self.tenant_id,
                "display": text_or_none(member.get("display")),
                "ref": text_or_none(member.get("$ref")),
                "kind": text_or_none(member.get("type")),
            }
        if new:
            try:
                db.session.execute(insert(Membership), list(new.values()))
            except IntegrityError:  # a member deleted since it was found: the locks above rule it out
                gone = ", ".join(m["value"] for m in members if pks.get(m["value"]) in new)
                raise self.refusal(bad_request(f"member(s) not found in this tenant: {gone}")) from None

    def remove_members(self, row: Resource, members: list[Any]) -> None:
        pks = list(self.member_pks_lenient(members))
        if pks:
            db.session.execute(
                delete(Membership).where(Membership.group_pk == row.pk, Membership.member_pk.in_(pks))
            )

    def member_pks_lenient(self, members: Iterable[Any]) -> Iterable[int]:
        """Ids to remove: unknown ids are simply not members."""
        ids = [
            m["value"]
            for m in members
            if isinstance(m, dict) and isinstance(m.get("value"), str) and storable(m["value"])
        ]
        if not ids:
            return []
        return db.session.execute(
            select(Resource.pk).where(*self.of_tenant(), Resource.scim_id.in_(ids))
        ).scalars()

    def clear_members(self, row: Resource) -> None:
        db.session.execute(delete(Membership).where(Membership.group_pk == row.pk))


def storable(value: str) -> bool:
    """Whether a client's string can be compared in SQL (PostgreSQL text cannot hold NUL); none stored has one."""
    return "\x00" not in value


def text_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def etag_matches(row: Resource, header: str) -> bool:
    """Whether an If-Match / If-None-Match list names the row's version (weak comparison; ``*`` is any)."""
    tags = [t.strip() for t in header.split(",")]
    current = etag(row)
    return "*" in tags or current in tags or current.removeprefix("W/") in tags


def precondition(row: Resource, if_match: str | None) -> None:
    """RFC 7644 §3.14: a stale If-Match is 412."""
    if if_match and not etag_matches(row, if_match):
        raise ScimError(412, f"version mismatch: the resource is at {etag(row)}")
