"""Seed data: named fixture sets from ``fixtures/*.yaml`` and generated users and groups, bulk-inserted.

Every document goes through the tenant's own reader, so a vendor's attribute table decides
what is kept exactly as it does for a client's POST; rows are then inserted in batches
(no per-user round trip), which is what makes 100,000 users a matter of seconds.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import yaml
from flask import current_app
from marshmallow import ValidationError, fields, validate, validates_schema
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from .clock import utcnow
from .errors import ScimError, bad_request
from .extensions import db
from .inputs import Input
from .models import Membership, Resource, ResourceValue, Tenant
from .scim.resources import Reader
from .scim.schema import ENTERPRISE_USER_SCHEMA, GROUP_SCHEMA, USER_SCHEMA
from .scim.store import INDEXED_VALUES, Store
from .tenants import scope_of

BATCH = 5000
MAX_GENERATED = 1_000_000
Progress = Callable[[int, int], None]
DEPARTMENTS = ("Engineering", "Sales", "Marketing", "Operations", "Finance", "People", "Support", "Legal")
GIVEN = (
    "Ada",
    "Alan",
    "Grace",
    "Edsger",
    "Barbara",
    "Donald",
    "Frances",
    "Ken",
    "Radia",
    "Margaret",
    "John",
    "Leslie",
)
FAMILY = (
    "Lovelace",
    "Turing",
    "Hopper",
    "Dijkstra",
    "Liskov",
    "Knuth",
    "Allen",
    "Thompson",
    "Perlman",
    "Hamilton",
)


def fixtures_dir() -> Path:
    """``fixtures/`` of the checkout, or the copy an installed package ships (emulator/_data/fixtures)."""
    shipped = Path(current_app.root_path) / "_data" / "fixtures"
    return shipped if shipped.is_dir() else Path(current_app.root_path).parent / "fixtures"


def available() -> list[dict[str, Any]]:
    """The named fixture sets shipped in ``fixtures/``."""
    found = []
    for path in sorted(fixtures_dir().glob("*.yaml")):
        spec = yaml.safe_load(path.read_text()) or {}
        found.append(
            {
                "name": spec.get("name", path.stem),
                "version": spec.get("version"),
                "users": len(spec.get("users", [])),
                "groups": len(spec.get("groups", [])),
            }
        )
    return found


def named(name: str) -> dict[str, Any]:
    for path in sorted(fixtures_dir().glob("*.yaml")):
        spec = yaml.safe_load(path.read_text()) or {}
        if spec.get("name", path.stem) == name:
            return spec
    known = ", ".join(f["name"] for f in available())
    raise bad_request(f"no fixture {name!r}; shipped fixtures: {known}")


def scim_user(spec: dict[str, Any]) -> dict[str, Any]:
    """A fixture's compact user as a full SCIM body (the vendor's reader then keeps what it knows)."""
    user_name = spec["userName"]
    body: dict[str, Any] = {
        "schemas": [USER_SCHEMA, ENTERPRISE_USER_SCHEMA],
        "userName": user_name,
        "externalId": spec.get("externalId", user_name.split("@")[0]),
        "active": spec.get("active", True),
        "name": spec.get("name", {}),
        "displayName": spec.get("displayName"),
        "title": spec.get("title"),
        "preferredLanguage": spec.get("preferredLanguage", "en-US"),
        "timezone": spec.get("timezone", "Europe/London"),
        "emails": [{"type": "work", "value": spec.get("email", user_name), "primary": True}],
    }
    enterprise = {k: spec[k] for k in ("employeeNumber", "department", "costCenter", "division") if k in spec}
    if enterprise:
        body[ENTERPRISE_USER_SCHEMA] = enterprise
    return body


def generated_users(count: int, prefix: str) -> Iterator[dict[str, Any]]:
    for i in range(1, count + 1):
        given, family = GIVEN[i % len(GIVEN)], FAMILY[(i // len(GIVEN)) % len(FAMILY)]
        yield {
            "userName": f"{prefix}{i:06d}@example.com",
            "name": {"givenName": given, "familyName": family},
            "displayName": f"{given} {family} {i}",
            "title": "Engineer" if i % 3 else "Manager",
            "department": DEPARTMENTS[i % len(DEPARTMENTS)],
            "employeeNumber": str(100000 + i),
        }


class SeedRequestSchema(Input):
    """POST .../seed: a named fixture, or generated users and groups."""

    # its refusals of the request as a whole (the CLI words them as usage errors of its options)
    BOTH = "give either a fixture or users/groups, not both"
    NEITHER = "give a fixture, or users and groups to generate"

    fixture = fields.String(metadata={"example": "small-org"})
    users = fields.Integer(
        strict=True,
        validate=validate.Range(0, MAX_GENERATED),
        metadata={"description": "generate this many users", "example": 100000},
    )
    groups = fields.Integer(
        strict=True,
        validate=validate.Range(0, MAX_GENERATED),
        metadata={"description": "and this many groups", "example": 50},
    )
    prefix = fields.String(metadata={"description": "userName prefix of generated users", "example": "user"})

    @validates_schema
    def one_source(self, data: dict[str, Any], **kwargs: Any) -> None:
        if "fixture" in data and {"users", "groups", "prefix"} & set(data):
            raise ValidationError(self.BOTH)
        if not {"fixture", "users", "groups"} & set(data):
            raise ValidationError(self.NEITHER)


def seed(tenant: Tenant, request: dict[str, Any], progress: Progress | None = None) -> dict[str, Any]:
    """Load a named fixture (``{"fixture": name}``) or generated users and groups into a tenant."""

    request = SeedRequestSchema().load(request)
    uniform = "fixture" not in request
    if not uniform:
        spec = named(str(request["fixture"]))
        users = [dict(u) for u in spec.get("users", [])]
        groups = spec.get("groups", [])
    else:
        count, group_count = request.get("users", 0), request.get("groups", 0)
        prefix = str(request.get("prefix", "user"))
        users = list(generated_users(count, prefix))
        groups = [
            {
                "displayName": f"{prefix}-group-{g + 1:04d}",
                "members": [u["userName"] for u in users[g::group_count]],
            }
            for g in range(group_count)
        ]
    return Seeder(tenant, progress, uniform).run(users, groups)


def shape_of(document: dict[str, Any]) -> dict[str, Any]:
    """Which keys a reader kept, nested; ``schemas`` keeps its value."""
    shape: dict[str, Any] = {}
    for key, value in document.items():
        if key == "schemas":
            shape[key] = value
        elif isinstance(value, dict):
            shape[key] = shape_of(value)
        elif isinstance(value, list) and value and isinstance(value[0], dict):
            shape[key] = [shape_of(value[0])]
        else:
            shape[key] = True
    return shape


def kept(body: dict[str, Any], shape: dict[str, Any]) -> dict[str, Any]:
    """``body`` cut down to a shape learnt from reading a document like it."""
    out: dict[str, Any] = {}
    for key, sub in shape.items():
        value = body.get(key)
        if key == "schemas" or value is None:
            continue
        if isinstance(sub, dict):
            out[key] = kept(value, sub)
        elif isinstance(sub, list):
            out[key] = [kept(item, sub[0]) for item in value]
        else:
            out[key] = value
    return out


class Seeder:
    """Bulk inserts for one tenant, through its vendor's reader."""

    def __init__(self, tenant: Tenant, progress: Progress | None, uniform: bool = False) -> None:
        self.uniform = uniform  # generated documents: all of one shape, values known to be valid
        self.scope = scope_of(tenant)
        self.tenant = tenant
        self.progress = progress or (lambda done, total: None)
        profile = self.scope.profile
        self.users = Store(self.scope, profile.resource_type("User"), "")  # type: ignore[arg-type]
        group_type = profile.resource_type("Group")
        self.groups = Store(self.scope, group_type, "") if group_type is not None else None

    def run(self, users: list[dict[str, Any]], groups: list[dict[str, Any]]) -> dict[str, Any]:
        total = len(users) + (len(groups) if self.groups else 0)
        ids = self.insert(self.users, (scim_user(u) for u in users), len(users), total, 0)
        self.set_managers(users, ids)
        seeded_groups = 0
        if self.groups is not None and groups:
            group_ids = self.insert(
                self.groups,
                ({"schemas": [GROUP_SCHEMA], "displayName": g["displayName"]} for g in groups),
                len(groups),
                total,
                len(users),
            )
            self.add_members(groups, ids, group_ids)
            seeded_groups = len(groups)
        db.session.commit()
        return {"users": len(users), "groups": seeded_groups, "skipped_groups": len(groups) - seeded_groups}

    def insert(
        self, store: Store, bodies: Iterable[dict[str, Any]], count: int, total: int, done: int
    ) -> dict[str, int]:
        """Insert documents in batches; returns unique value -> pk."""
        reader = Reader(
            store.resource_type,
            reject_unknown=False,  # seeding keeps what the vendor keeps, whatever the tenant's quirk
            strict=False,
            max_length=current_app.config["EMULATOR_MAX_STRING_LENGTH"],
        )
        now = utcnow()
        keys: dict[str, int] = {}
        batch: list[dict[str, Any]] = []
        shape: dict[str, Any] | None = None
        for body in bodies:
            if shape is None or not self.uniform:
                document = reader.read(body)
                shape = shape_of(document)
            else:
                document = {"schemas": shape["schemas"], **kept(body, shape)}
            batch.append(store.new_row(document, now))
            if len(batch) == BATCH:
                keys.update(self.flush(store, batch))
                done += len(batch)
                self.progress(done, total)
                batch = []
        if batch:
            keys.update(self.flush(store, batch))
            self.progress(done + len(batch), total)
        return keys

    def flush(self, store: Store, batch: list[dict[str, Any]]) -> dict[str, int]:
        try:
            db.session.execute(insert(Resource.__table__), batch)
        except IntegrityError:
            db.session.rollback()
            raise ScimError(
                409, f"seeding would duplicate an existing {store.resource_type.name}", "uniqueness"
            ) from None
        pks = dict(
            db.session.execute(
                select(Resource.scim_id, Resource.pk).where(
                    Resource.tenant_id == self.tenant.id, Resource.scim_id.in_([r["scim_id"] for r in batch])
                )
            ).all()
        )
        values = [
            {
                "resource_pk": pks[row["scim_id"]],
                "tenant_id": self.tenant.id,
                "attribute": name,
                "value": item["value"].lower(),
            }
            for row in batch
            for name in INDEXED_VALUES.get(store.resource_type.name, ())
            for item in row["data"].get(name, [])
            if isinstance(item.get("value"), str)
        ]
        if values:
            db.session.execute(insert(ResourceValue.__table__), values)
        unique = store.unique_attribute.name if store.unique_attribute else "id"
        return {row["data"][unique]: pks[row["scim_id"]] for row in batch}

    def set_managers(self, users: list[dict[str, Any]], ids: dict[str, int]) -> None:
        """Point each user's enterprise manager at its manager's id, where the vendor keeps managers."""
        extension = next((e for e in self.users.resource_type.extensions if e.attribute("manager")), None)
        wanted = [(u["userName"], u["manager"]) for u in users if u.get("manager") in ids]
        if extension is None or not wanted:
            return
        rows = {
            r.pk: r
            for r in db.session.execute(
                select(Resource).where(Resource.pk.in_([ids[name] for name, _ in wanted]))
            ).scalars()
        }
        scim_ids = dict(
            db.session.execute(
                select(Resource.pk, Resource.scim_id).where(Resource.pk.in_(ids.values()))
            ).all()
        )
        for name, manager in wanted:
            row = rows[ids[name]]
            enterprise = dict(row.data.get(extension.id, {}))
            enterprise["manager"] = {"value": scim_ids[ids[manager]]}
            row.data = {
                **row.data,
                extension.id: enterprise,
                "schemas": sorted({*row.data["schemas"], extension.id}),
            }

    def add_members(
        self, groups: list[dict[str, Any]], users: dict[str, int], group_ids: dict[str, int]
    ) -> None:
        rows = [
            {"group_pk": group_ids[g["displayName"]], "member_pk": users[m], "tenant_id": self.tenant.id}
            for g in groups
            for m in dict.fromkeys(g.get("members", []))
            if m in users
        ]
        for start in range(0, len(rows), BATCH):
            db.session.execute(insert(Membership.__table__), rows[start : start + BATCH])
