"""The declarative shape of a vendor: what the SCIM core reads instead of a vendor name."""

from __future__ import annotations

import functools
from dataclasses import asdict, dataclass, field
from typing import Any

from ..auth.styles import CredentialStyle
from ..scim.schema import ResourceType, Schema


@dataclass(frozen=True)
class Quirk:
    """A named, documented switch with a default; a tenant may override it with ``options``."""

    name: str
    default: Any
    description: str
    choices: tuple[Any, ...] = ()
    source: str = "emulator-defined"
    implies: dict[Any, dict[str, Any]] = field(default_factory=dict)  # value -> other quirks it sets

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "name": self.name,
            "default": self.default,
            "description": self.description,
            "source": self.source,
        }
        if self.choices:
            body["choices"] = list(self.choices)
        if self.implies:
            body["implies"] = {str(k): v for k, v in self.implies.items()}
        return body


# Switches every vendor has; a profile may change their defaults with ``quirk_defaults``.
SHARED_QUIRKS: tuple[Quirk, ...] = (
    Quirk(
        "unknown_attributes",
        "ignore",
        "attributes outside the vendor's table (and unknown multi-valued types): "
        "'ignore' drops them, 'reject' answers 400 invalidValue",
        ("ignore", "reject"),
    ),
    Quirk(
        "unsupported_filters",
        "reject",
        "a filter on an attribute or operator the vendor cannot filter on: "
        "'reject' answers 400 invalidFilter, 'ignore' lists as if no filter was given",
        ("reject", "ignore"),
    ),
    Quirk(
        "patch_dialect",
        "lenient",
        "'lenient' accepts Entra's PATCH dialect (capitalised ops, string booleans); "
        "'strict' answers 400 as an RFC-strict server would",
        ("lenient", "strict"),
    ),
    Quirk(
        "unknown_members",
        "ignore",
        "group members whose id is not a user or group of this tenant: 'ignore' drops them "
        "(never stored, never visible), 'reject' answers 400 invalidValue",
        ("ignore", "reject"),
    ),
    Quirk(
        "patch_response",
        "resource",
        "what a successful PATCH answers when the request names no attributes: 'resource' is 200 "
        "with the whole resource, 'no_content' is 204 without a body (RFC 7644 3.5.2 allows both; "
        "Microsoft's SCIM guidance answers group PATCH with 204)",
        ("resource", "no_content"),
    ),
    Quirk(
        "delete",
        "remove",
        "what DELETE /Users/<id> does: 'remove' deletes the user, 'deactivate' keeps it with active=false",
        ("remove", "deactivate"),
    ),
)


@dataclass(frozen=True)
class VendorProfile:
    """Everything vendor-specific the core needs, as data.

    ``filterable`` maps a resource type name to {attribute path (lower-case): operators};
    ``None`` means the whole RFC filter grammar on every attribute.
    """

    name: str
    title: str
    auth: tuple[CredentialStyle, ...]
    user_schema: Schema
    user_extensions: tuple[Schema, ...] = ()
    group_schema: Schema | None = None
    filterable: dict[str, dict[str, frozenset[str]]] | None = None
    quirk_defaults: dict[str, Any] = field(default_factory=dict)
    quirks: tuple[Quirk, ...] = ()
    notes: tuple[str, ...] = ()
    sort: bool = True
    etag: bool = True
    # error details in the vendor's words, by scimType (e.g. uniqueness)
    messages: dict[str, str] = field(default_factory=dict)
    # complex attributes whose value must be the id of a user of the tenant (e.g. manager)
    references: tuple[str, ...] = ()

    @property
    def username_case_sensitive(self) -> bool:
        user_name = self.user_schema.attribute("userName")
        return bool(user_name and user_name.case_exact)

    @functools.cached_property
    def all_quirks(self) -> tuple[Quirk, ...]:
        shared = tuple(
            Quirk(q.name, self.quirk_defaults.get(q.name, q.default), q.description, q.choices, q.source)
            for q in SHARED_QUIRKS
        )
        return shared + self.quirks

    def options(self, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
        """Quirk values for a tenant: defaults, what chosen values imply, then explicit overrides.

        Worked out once per distinct set of overrides (every tenant request asks); a copy is returned.
        """
        overrides = overrides or {}
        try:
            key = tuple(sorted(overrides.items()))
            found = self.options_seen.get(key)
        except TypeError:  # a value that cannot be a key (a list): worked out each time
            return self.worked_out(overrides)
        if found is None:
            found = self.worked_out(overrides)
            if len(self.options_seen) < 256:
                self.options_seen[key] = found
        return dict(found)

    @functools.cached_property
    def options_seen(self) -> dict[tuple[tuple[str, Any], ...], dict[str, Any]]:
        return {}

    def worked_out(self, overrides: dict[str, Any]) -> dict[str, Any]:
        values = {q.name: q.default for q in self.all_quirks}
        values.update(overrides)
        for quirk in self.all_quirks:
            for name, value in quirk.implies.get(values[quirk.name], {}).items():
                if name not in overrides:
                    values[name] = value
        return values

    def validate_options(self, overrides: dict[str, Any]) -> list[str]:
        """Problems with a tenant's ``options`` (unknown names, values outside the choices)."""
        known = {q.name: q for q in self.all_quirks}
        problems = []
        for name, value in overrides.items():
            quirk = known.get(name)
            if quirk is None:
                problems.append(
                    f"unknown option {name!r} for vendor {self.name} (known: {', '.join(sorted(known))})"
                )
            elif quirk.choices and value not in quirk.choices:
                problems.append(f"option {name!r} must be one of {list(quirk.choices)}")
        return problems

    @functools.cached_property
    def resource_types(self) -> tuple[ResourceType, ...]:
        """Made once per profile: the same objects every request (caches key on them)."""
        types = [ResourceType("User", "/Users", self.user_schema, self.user_extensions, "User Account")]
        if self.group_schema is not None:
            types.append(ResourceType("Group", "/Groups", self.group_schema, (), "Group"))
        return tuple(types)

    def resource_type(self, name: str) -> ResourceType | None:
        return next((t for t in self.resource_types if t.name == name), None)

    def to_json(self) -> dict[str, Any]:
        """The profile as the control plane lists it."""
        types = {}
        for resource_type in self.resource_types:
            attributes = []
            for schema in resource_type.schemas:
                prefix = "" if schema is resource_type.schema else schema.id + ":"
                for attribute in schema.attributes:
                    entry: dict[str, Any] = {"name": prefix + attribute.name, "required": attribute.required}
                    if attribute.sub_attributes:
                        entry["subAttributes"] = [s.name for s in attribute.sub_attributes]
                        kinds = attribute.sub("type")
                        if attribute.multi_valued and kinds is not None and kinds.canonical_values:
                            entry["types"] = list(kinds.canonical_values)
                    attributes.append(entry)
            filterable = None
            if self.filterable is not None:
                filterable = {k: sorted(v) for k, v in self.filterable.get(resource_type.name, {}).items()}
            types[resource_type.name] = {
                "endpoint": resource_type.endpoint,
                "schemas": [s.id for s in resource_type.schemas],
                "attributes": attributes,
                "filterable": filterable if filterable is not None else "all (RFC 7644 grammar)",
            }
        return {
            "vendor": self.name,
            "title": self.title,
            "auth": [{"type": type(style).__name__, **asdict(style)} for style in self.auth],
            "resource_types": types,
            "username_case_sensitive": self.username_case_sensitive,
            "quirks": [q.to_json() for q in self.all_quirks],
            "notes": list(self.notes),
        }
