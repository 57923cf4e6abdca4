"""RFC 7643 schemas as data: attribute definitions, the core schemas, and restriction.

A vendor's attribute table is expressed by restricting the core schemas to a list of
attribute paths (``restrict``); everything downstream (validation, filters, PATCH,
``/Schemas``) reads the resulting ``Schema`` objects, never a vendor name.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE_USER_SCHEMA = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"


@dataclass(frozen=True)
class Attribute:
    """One attribute definition (RFC 7643 §7)."""

    name: str
    type: str = "string"  # string boolean decimal integer dateTime reference binary complex
    multi_valued: bool = False
    required: bool = False
    case_exact: bool = False
    mutability: str = "readWrite"  # readOnly readWrite immutable writeOnly
    returned: str = "default"  # always never default request
    uniqueness: str = "none"  # none server global
    description: str = ""
    sub_attributes: tuple[Attribute, ...] = ()
    canonical_values: tuple[str, ...] = ()
    reference_types: tuple[str, ...] = ()
    closed: bool = False  # True when canonical_values are the only values accepted

    def sub(self, name: str) -> Attribute | None:
        """The sub-attribute called ``name`` (case-insensitive), if any."""
        folded = name.lower()
        for attribute in self.sub_attributes:
            if attribute.name.lower() == folded:
                return attribute
        return None

    def to_scim(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "name": self.name,
            "type": self.type,
            "multiValued": self.multi_valued,
            "description": self.description or self.name,
            "required": self.required,
            "caseExact": self.case_exact,
            "mutability": self.mutability,
            "returned": self.returned,
            "uniqueness": self.uniqueness,
        }
        if self.canonical_values:
            body["canonicalValues"] = list(self.canonical_values)
        if self.reference_types:
            body["referenceTypes"] = list(self.reference_types)
        if self.sub_attributes:
            body["subAttributes"] = [a.to_scim() for a in self.sub_attributes]
        return body


@dataclass(frozen=True)
class Schema:
    """A schema: its URN and top-level attributes."""

    id: str
    name: str
    description: str
    attributes: tuple[Attribute, ...]
    external_id: bool = True  # whether resources of this schema keep the common externalId

    @cached_property
    def writable(self) -> tuple[Attribute, ...]:
        """What a client may send at the top level: externalId (when kept) and the attributes."""
        return ((EXTERNAL_ID,) if self.external_id else ()) + self.attributes

    def attribute(self, name: str) -> Attribute | None:
        """The top-level attribute called ``name`` (case-insensitive), if any."""
        folded = name.lower()
        for attribute in self.attributes:
            if attribute.name.lower() == folded:
                return attribute
        return None

    def to_scim(self, location: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Schema"],
            "id": self.id,
            "name": self.name,
            "description": self.description,
            "attributes": [a.to_scim() for a in self.attributes],
            "meta": {"resourceType": "Schema"},
        }
        if location:
            body["meta"]["location"] = location
        return body


@dataclass(frozen=True)
class ResourceType:
    """A resource type as a tenant serves it: endpoint, core schema, extensions."""

    name: str
    endpoint: str  # "/Users"
    schema: Schema
    extensions: tuple[Schema, ...] = ()
    description: str = ""

    @property
    def schemas(self) -> tuple[Schema, ...]:
        return (self.schema, *self.extensions)

    def extension(self, urn: str) -> Schema | None:
        folded = urn.lower()
        for extension in self.extensions:
            if extension.id.lower() == folded:
                return extension
        return None

    def to_scim(self, location: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
            "id": self.name,
            "name": self.name,
            "endpoint": self.endpoint,
            "description": self.description or self.name,
            "schema": self.schema.id,
            "schemaExtensions": [{"schema": e.id, "required": False} for e in self.extensions],
            "meta": {"resourceType": "ResourceType"},
        }
        if location:
            body["meta"]["location"] = location
        return body


# ---------------------------------------------------------------------------
# Common attributes (RFC 7643 §3.1) and the core schemas (§4, §8.7.1).


def _s(name: str, **kw: Any) -> Attribute:
    return Attribute(name, **kw)


def _multi(name: str, types: Iterable[str], value_type: str = "string", **kw: Any) -> Attribute:
    """A multi-valued attribute of the usual value/display/type/primary shape."""
    return Attribute(
        name,
        type="complex",
        multi_valued=True,
        sub_attributes=(
            _s("value", type=value_type),
            _s("display"),
            _s("type", canonical_values=tuple(types)),
            _s("primary", type="boolean"),
        ),
        **kw,
    )


ID = _s("id", mutability="readOnly", returned="always", uniqueness="server", case_exact=True)
EXTERNAL_ID = _s("externalId", case_exact=True)
META = Attribute(
    "meta",
    type="complex",
    mutability="readOnly",
    sub_attributes=(
        _s("resourceType", mutability="readOnly", case_exact=True),
        _s("created", type="dateTime", mutability="readOnly"),
        _s("lastModified", type="dateTime", mutability="readOnly"),
        _s("location", type="reference", mutability="readOnly", reference_types=("uri",)),
        _s("version", mutability="readOnly", case_exact=True),
    ),
)
COMMON_ATTRIBUTES = (ID, EXTERNAL_ID, META)

_NAME = Attribute(
    "name",
    type="complex",
    sub_attributes=(
        _s("formatted"),
        _s("familyName"),
        _s("givenName"),
        _s("middleName"),
        _s("honorificPrefix"),
        _s("honorificSuffix"),
    ),
)
_ADDRESSES = Attribute(
    "addresses",
    type="complex",
    multi_valued=True,
    sub_attributes=(
        _s("formatted"),
        _s("streetAddress"),
        _s("locality"),
        _s("region"),
        _s("postalCode"),
        _s("country"),
        _s("type", canonical_values=("work", "home", "other")),
        _s("primary", type="boolean"),
    ),
)
_GROUP_REF = Attribute(
    "groups",
    type="complex",
    multi_valued=True,
    mutability="readOnly",
    sub_attributes=(
        _s("value", mutability="readOnly"),
        _s("$ref", type="reference", mutability="readOnly", reference_types=("Group",)),
        _s("display", mutability="readOnly"),
        _s("type", mutability="readOnly", canonical_values=("direct", "indirect")),
    ),
)

USER = Schema(
    USER_SCHEMA,
    "User",
    "User Account",
    (
        _s("userName", required=True, uniqueness="server"),
        _NAME,
        _s("displayName"),
        _s("nickName"),
        _s("profileUrl", type="reference", reference_types=("external",)),
        _s("title"),
        _s("userType"),
        _s("preferredLanguage"),
        _s("locale"),
        _s("timezone"),
        _s("active", type="boolean"),
        _s("password", mutability="writeOnly", returned="never"),
        _multi("emails", ("work", "home", "other")),
        _multi("phoneNumbers", ("work", "home", "mobile", "fax", "pager", "other")),
        _multi("ims", ("aim", "gtalk", "icq", "xmpp", "msn", "skype", "qq", "yahoo")),
        _multi("photos", ("photo", "thumbnail"), value_type="reference"),
        _ADDRESSES,
        _GROUP_REF,
        _multi("entitlements", ()),
        _multi("roles", ()),
        Attribute(
            "x509Certificates",
            type="complex",
            multi_valued=True,
            sub_attributes=(
                _s("value", type="binary"),
                _s("display"),
                _s("type"),
                _s("primary", type="boolean"),
            ),
        ),
    ),
)

GROUP = Schema(
    GROUP_SCHEMA,
    "Group",
    "Group",
    (
        _s("displayName", required=True, uniqueness="server"),
        Attribute(
            "members",
            type="complex",
            multi_valued=True,
            sub_attributes=(
                _s("value", mutability="immutable"),
                _s("$ref", type="reference", mutability="immutable", reference_types=("User", "Group")),
                _s("display", mutability="immutable"),
                _s("type", mutability="immutable", canonical_values=("User", "Group")),
            ),
        ),
    ),
)

ENTERPRISE_USER = Schema(
    ENTERPRISE_USER_SCHEMA,
    "EnterpriseUser",
    "Enterprise User",
    (
        _s("employeeNumber"),
        _s("costCenter"),
        _s("organization"),
        _s("division"),
        _s("department"),
        Attribute(
            "manager",
            type="complex",
            sub_attributes=(
                _s("value"),
                _s("$ref", type="reference", reference_types=("User",)),
                _s("displayName", mutability="readOnly"),
            ),
        ),
    ),
)


# ---------------------------------------------------------------------------
# Restriction: a vendor's attribute table, in its tutorial's own notation.

TABLE_ROW = re.compile(
    r'^(?P<attr>[A-Za-z$][\w$-]*)(?:\[type eq "(?P<type>[^"]+)"\])?(?:\.(?P<sub>[A-Za-z$][\w$-]*))?$'
)


def from_table(
    schemas: tuple[Schema, ...],
    rows: Iterable[str],
    *,
    required: Iterable[str] = (),
    case_exact: Iterable[str] = (),
) -> tuple[Schema, ...]:
    """Restrict ``schemas`` (core first, then extensions) to the rows of a vendor's attribute table.

    Rows read as the tutorials print them: ``userName``, ``name.givenName``,
    ``emails[type eq "work"].value`` (the multi-valued attribute then takes only the listed
    types, with ``type`` and ``primary`` beside the listed sub-attributes), ``members``,
    ``externalId`` and ``urn:...:enterprise:2.0:User:manager``. Attributes named in
    ``required`` become required, those in ``case_exact`` case-exact. An extension with no
    row is left out.
    """
    by_schema: dict[str, list[str]] = {schema.id: [] for schema in schemas}
    for row in rows:
        owner = schemas[0]
        for schema in schemas[1:]:
            if row.lower().startswith(schema.id.lower() + ":"):
                owner, row = schema, row[len(schema.id) + 1 :]
        by_schema[owner.id].append(row)
    restricted = [restrict(schemas[0], by_schema[schemas[0].id], required, case_exact)]
    restricted += [restrict(s, by_schema[s.id], required, case_exact) for s in schemas[1:] if by_schema[s.id]]
    return tuple(restricted)


def restrict(
    schema: Schema, rows: Iterable[str], required: Iterable[str] = (), case_exact: Iterable[str] = ()
) -> Schema:
    """Keep only the attributes (and sub-attributes, and multi-valued types) the rows name."""
    whole: set[str] = set()
    subs: dict[str, set[str]] = {}
    types: dict[str, list[str]] = {}
    keeps_external_id = False
    for row in rows:
        match = TABLE_ROW.match(row.strip())
        if match is None:
            raise ValueError(f"cannot read attribute table row {row!r}")
        attr, kind, sub = match["attr"].lower(), match["type"], match["sub"]
        if attr == "externalid":
            keeps_external_id = True
            continue
        if kind:
            if kind not in types.setdefault(attr, []):
                types[attr].append(kind)
            subs.setdefault(attr, set()).update({"type", "primary"})
        if sub:
            subs.setdefault(attr, set()).add(sub.lower())
        elif not kind:
            whole.add(attr)
    required_set = {r.lower() for r in required}
    exact_set = {c.lower() for c in case_exact}
    kept: list[Attribute] = []
    for attribute in schema.attributes:
        key = attribute.name.lower()
        if key not in whole and key not in subs:
            continue
        new = attribute
        if key not in whole:
            new = replace(
                new, sub_attributes=tuple(a for a in new.sub_attributes if a.name.lower() in subs[key])
            )
        if key in types:
            new = replace(
                new,
                sub_attributes=tuple(
                    replace(a, canonical_values=tuple(types[key]), closed=True) if a.name == "type" else a
                    for a in new.sub_attributes
                ),
            )
        if key in required_set:
            new = replace(new, required=True)
        if key in exact_set:
            new = replace(new, case_exact=True)
        kept.append(new)
    missing = (whole | set(subs)) - {a.name.lower() for a in kept}
    if missing:
        raise ValueError(f"{schema.name} has no attribute(s) {sorted(missing)}")
    return replace(schema, attributes=tuple(kept), external_id=keeps_external_id)


@dataclass
class AttributeRef:
    """A resolved attribute path: which schema, which attribute, which sub-attribute."""

    schema: Schema
    attribute: Attribute
    sub_attribute: Attribute | None = None
    extension: bool = False
    tail: list[str] = field(default_factory=list)

    @property
    def definition(self) -> Attribute:
        return self.sub_attribute or self.attribute


def resolve(resource_type: ResourceType, path: str) -> AttributeRef | None:
    """Resolve ``name``, ``name.sub`` or ``urn:...:name.sub`` against a resource type."""
    schema = resource_type.schema
    extension = False
    rest = path
    lowered = path.lower()
    for candidate in sorted(resource_type.schemas, key=lambda s: -len(s.id)):
        prefix = candidate.id.lower() + ":"
        if lowered.startswith(prefix):
            schema = candidate
            extension = candidate is not resource_type.schema
            rest = path[len(prefix) :]
            break
    head, _, sub = rest.partition(".")
    attribute = None
    if not extension:
        folded = head.lower()
        attribute = next((a for a in COMMON_ATTRIBUTES if a.name.lower() == folded), None)
    attribute = attribute or schema.attribute(head)
    if attribute is None:
        return None
    if not sub:
        return AttributeRef(schema, attribute, None, extension)
    sub_attribute = attribute.sub(sub)
    if sub_attribute is None:
        return None
    return AttributeRef(schema, attribute, sub_attribute, extension)
