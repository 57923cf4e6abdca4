"""Property-based tests: the filter parser, the PATCH engine and POST bodies under generated input.

The parser and the engine must answer anything with a ScimError (never another exception);
parsing what ``to_string`` prints gives back the same tree; whatever the engine and the
reader accept conforms to the vendor's published JSON Schema (emulator.scim.openapi); and a
tenant never stores or returns an attribute outside its vendor's table.
"""

from __future__ import annotations

import copy
import itertools
import json
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from emulator.errors import ScimError
from emulator.scim import openapi
from emulator.scim.filter import check_types, matches, parse_filter, parse_path, to_string
from emulator.scim.operations import rfc_type
from emulator.scim.patch import apply_patch
from emulator.scim.resources import Reader
from emulator.scim.schema import Attribute, ResourceType
from emulator.vendors import VENDORS
from tests.conftest import ENTERPRISE, USER, ScimTenant

QUICK = settings(max_examples=150, deadline=None, database=None)
HTTP = settings(
    max_examples=30,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
GENERIC_USER = VENDORS["generic"].resource_type("User")
GENERIC_GROUP = VENDORS["generic"].resource_type("Group")
assert GENERIC_USER is not None and GENERIC_GROUP is not None
TYPES = {"User": GENERIC_USER, "Group": GENERIC_GROUP}
MAX_LENGTH = 4096


def validator(resource_type: ResourceType) -> Draft202012Validator:
    """A validator of the resource as the vendor's OpenAPI document says it is returned."""
    return Draft202012Validator(openapi.resource_schema(resource_type, False, MAX_LENGTH))


def violations(schema: Draft202012Validator, document: Any) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in schema.iter_errors(document)]


# -- strategies ---------------------------------------------------------------------------------

NAMES = st.sampled_from(
    [
        "userName",
        "USERNAME",
        "displayName",
        "title",
        "active",
        "emails",
        "name",
        "members",
        "meta",
        "id",
        "externalId",
        "x509Certificates",
        "groups",
        "not",
        "pr",
        "eq",
        "$ref",
    ]
) | st.from_regex(r"[A-Za-z][A-Za-z0-9_-]{0,8}", fullmatch=True)
SUBS = st.sampled_from(["value", "type", "primary", "display", "givenName", "created", "$ref"]) | NAMES
URNS = st.sampled_from(["", f"{USER}:", f"{ENTERPRISE}:", "urn:x:y:", "URN:IETF:params:"])
JSON_TEXT = st.text(max_size=12)
LITERAL = st.one_of(
    JSON_TEXT.map(lambda s: json.dumps(s, ensure_ascii=False)),
    JSON_TEXT.map(json.dumps),
    st.integers(-(10**20), 10**20).map(str),
    st.floats(allow_nan=False, allow_infinity=False).map(json.dumps),
    st.sampled_from(["true", "FALSE", "null", "True", "nUlL"]),
)
OPERATOR = st.sampled_from(["eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le", "EQ", "Co", "gE"])
SPACE = st.sampled_from([" ", "  ", "\t", " \n "])


def cased(word: str) -> st.SearchStrategy[str]:
    """``word`` in any mixture of upper and lower case."""
    return st.lists(st.booleans(), min_size=len(word), max_size=len(word)).map(
        lambda flags: "".join(c.upper() if up else c.lower() for c, up in zip(word, flags, strict=True))
    )


@st.composite
def attr_path(draw: st.DrawFn, inner: bool = False) -> str:
    if inner:
        return draw(SUBS.filter(lambda s: s.lower() not in ("not", "and", "or")))
    name = draw(NAMES.filter(lambda s: s.lower() not in ("not", "and", "or")))
    sub = draw(st.none() | SUBS)
    return draw(URNS) + name + (f".{sub}" if sub else "")


OPERATION_AND_VALUE = cased("pr") | st.builds(lambda o, v: f"{o} {v}", OPERATOR, LITERAL)


@st.composite
def comparison(draw: st.DrawFn, inner: bool) -> str:
    return f"{draw(attr_path(inner))}{draw(SPACE)}{draw(OPERATION_AND_VALUE)}"


def filters(inner: bool = False) -> st.SearchStrategy[str]:
    """Filter text from the RFC 7644 grammar (value paths only at the top level)."""
    base = comparison(inner)
    if not inner:
        base = base | st.builds(
            lambda path, f, tail: f"{path}[{f}]{tail}",
            st.builds(str.__add__, URNS, NAMES.filter(lambda s: s.lower() not in ("not", "and", "or"))),
            filters(inner=True),
            st.just("") | st.builds(lambda sub, rest: f".{sub} {rest}", SUBS, OPERATION_AND_VALUE),
        )

    def extend(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        return st.one_of(
            st.builds(lambda a, k, b: f"{a} {k} {b}", children, cased("and") | cased("or"), children),
            st.builds(lambda k, a: f"{k} ({a})", cased("not"), children),
            children.map(lambda a: f"({a})"),
        )

    return st.recursive(base, extend, max_leaves=8)


JSON_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-(2**40), 2**40)
    | st.floats(allow_nan=False)
    | st.text(max_size=8)
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(SUBS | NAMES, children, max_size=3),
    max_leaves=10,
)
PATCH_PATHS = st.one_of(
    st.none(),
    st.sampled_from(openapi.attribute_paths(GENERIC_USER) + openapi.attribute_paths(GENERIC_GROUP)),
    st.sampled_from(
        [
            'emails[type eq "work"].value',
            'emails[type eq "work"]',
            'emails[value eq "a@example.com" or primary eq true]',
            'members[value eq "u1"]',
            "members",
            ENTERPRISE,
            f"{ENTERPRISE}:manager.value",
            "meta.lastModified",
            "id",
            "groups",
            'addresses[type eq "work"].locality',
        ]
    ),
    filters().map(lambda f: f.split(" ", 1)[0]),
    st.text(max_size=20),
)
ALICE = {
    "schemas": [USER, ENTERPRISE],
    "id": "u1",
    "userName": "alice",
    "name": {"givenName": "Alice", "familyName": "Smith"},
    "active": True,
    "emails": [{"value": "a@example.com", "type": "work", "primary": True}, {"value": "b@example.org"}],
    "phoneNumbers": [{"value": "+1 555", "type": "mobile"}],
    ENTERPRISE: {"department": "R&D", "manager": {"value": "u2"}},
    "meta": {"resourceType": "User", "created": "2026-01-01T00:00:00Z", "location": "http://x/Users/u1"},
}
TEAM = {"schemas": [GENERIC_GROUP.schema.id], "id": "g1", "displayName": "Team", "members": [{"value": "u1"}]}


# -- the filter parser --------------------------------------------------------------------------


def only_scim_errors(call: Callable[[], Any]) -> Any:
    """Run ``call``; a ScimError is an answer (None), anything else fails the test."""
    try:
        return call()
    except ScimError as error:
        assert 400 <= error.status < 500 and error.scim_type in ("invalidFilter", "invalidPath"), error.body()
        return None


@QUICK
@given(st.text(max_size=200))
def test_arbitrary_text_is_a_filter_or_a_scim_error(text: str) -> None:
    only_scim_errors(lambda: parse_filter(text))
    only_scim_errors(lambda: parse_path(text))


@QUICK
@given(
    st.lists(
        st.sampled_from(
            [
                '"',
                "(",
                ")",
                "[",
                "]",
                " ",
                "\\",
                "eq",
                "pr",
                "and",
                "not",
                "userName",
                "1",
                "-",
                ".",
                ":",
                "urn:a",
                "e5",
                "\\u",
            ]
        ),
        max_size=40,
    )
)
def test_token_soup_is_a_filter_or_a_scim_error(tokens: list[str]) -> None:
    text = "".join(tokens)
    only_scim_errors(lambda: parse_filter(text))
    only_scim_errors(lambda: parse_path(text))


@QUICK
@given(filters())
def test_grammar_shaped_text_parses_prints_and_parses_back_the_same(text: str) -> None:
    tree = only_scim_errors(lambda: parse_filter(text))
    assume(tree is not None)  # e.g. a value path after an attribute with a sub-attribute
    printed = to_string(tree)
    assert parse_filter(printed) == tree, printed
    assert to_string(parse_filter(printed)) == printed  # canonical text is a fixed point


@QUICK
@given(filters())
def test_evaluation_answers_or_refuses_with_invalid_filter(text: str) -> None:
    tree = only_scim_errors(lambda: parse_filter(text))
    assume(tree is not None)
    for resource, resource_type in ((ALICE, GENERIC_USER), (TEAM, GENERIC_GROUP)):
        only_scim_errors(lambda r=resource, t=resource_type: check_types(tree, t))
        result = only_scim_errors(lambda r=resource, t=resource_type: matches(tree, r, t))
        assert result in (True, False, None)


def value_for(attribute: Attribute) -> st.SearchStrategy[Any]:
    """Mostly well-typed values of ``attribute``, now and then a wrong one."""
    scalar: st.SearchStrategy[Any]
    if attribute.type == "complex":
        subs = {sub.name: value_for(sub) for sub in attribute.sub_attributes}
        scalar = st.fixed_dictionaries({}, optional=subs)
        if attribute.sub("type") is not None and attribute.sub("type").canonical_values:  # type: ignore[union-attr]
            kinds = attribute.sub("type").canonical_values + ("personal", "WORK")  # type: ignore[union-attr]
            scalar = st.builds(lambda d, k: {**d, "type": k}, scalar, st.sampled_from(kinds))
    elif attribute.type == "boolean":
        scalar = st.booleans()
    else:
        scalar = st.text(min_size=1, max_size=10)
    if attribute.multi_valued:
        good = st.lists(scalar, max_size=3)
    else:
        good = scalar
    return st.one_of(good, good, good, JSON_SCALARS)


def body_for(resource_type: ResourceType) -> st.SearchStrategy[dict[str, Any]]:
    """A POST body: the RFC schemas' attributes (inside and outside the vendor's table) and strangers."""
    full = rfc_type(resource_type)
    core = {a.name: value_for(a) for a in full.schema.writable}
    extensions = {
        e.id: st.fixed_dictionaries({}, optional={a.name: value_for(a) for a in e.attributes})
        for e in full.extensions
    }
    strangers = st.dictionaries(st.from_regex(r"[a-z]{3,8}", fullmatch=True), JSON_SCALARS, max_size=2)
    return st.builds(
        lambda known, ext, other: {"schemas": [full.schema.id, *ext], **known, **ext, **other},
        st.fixed_dictionaries({}, optional=core),
        st.fixed_dictionaries({}, optional=extensions),
        strangers,
    )


def targets(resource_type: ResourceType) -> list[tuple[str, Attribute]]:
    """Every (PATCH path, definition) of a resource type, sub-attributes and extensions included."""
    found: list[tuple[str, Attribute]] = []
    for schema in resource_type.schemas:
        prefix = "" if schema is resource_type.schema else schema.id + ":"
        for attribute in schema.writable:
            found.append((prefix + attribute.name, attribute))
            for sub in attribute.sub_attributes:
                single = Attribute(sub.name, sub.type, attribute.multi_valued, mutability=sub.mutability)
                found.append((f"{prefix}{attribute.name}.{sub.name}", single))
    return found


def operations_for(resource_type: ResourceType) -> st.SearchStrategy[list[Any]]:
    """PatchOp operations: mostly well-formed ones on the type's attributes, some on odd paths or garbage."""
    good = st.sampled_from(["add", "replace", "remove", "Add", "Replace"])
    ops = st.one_of(good, good, good, good, good, st.sampled_from(["delete", "", "ADD"]))
    on_path = st.sampled_from(targets(resource_type)).flatmap(
        lambda target: st.fixed_dictionaries(
            {"op": ops, "path": st.just(target[0]), "value": value_for(target[1])}
        )
    )
    pathless = st.fixed_dictionaries(
        {"op": st.sampled_from(["add", "replace"]), "value": body_for(resource_type)}
    )
    odd = st.fixed_dictionaries({"op": ops}, optional={"path": PATCH_PATHS, "value": JSON_VALUES})
    one = st.one_of(on_path, on_path, on_path, on_path, pathless, pathless, odd, JSON_VALUES)
    return st.lists(one, min_size=1, max_size=3)


# -- the PATCH engine ---------------------------------------------------------------------------


@QUICK
@given(
    st.sampled_from(["User", "Group"]).flatmap(lambda k: st.tuples(st.just(k), operations_for(TYPES[k]))),
    st.booleans(),
)
def test_patch_engine_answers_a_valid_resource_or_a_scim_error(
    kind_and_ops: tuple[str, list[Any]], strict: bool
) -> None:
    kind, operations = kind_and_ops
    resource_type = TYPES[kind]
    original = ALICE if kind == "User" else TEAM
    before = copy.deepcopy(original)
    try:
        changed = apply_patch(original, operations, resource_type, strict=strict)
        reader = Reader(resource_type, reject_unknown=False, strict=strict, max_length=MAX_LENGTH)
        document = reader.document(changed)
        reader.check_required(document)
    except ScimError as error:
        assert error.status == 400 and error.scim_type, error.body()
        event(f"refused: {error.scim_type}")
        return
    finally:
        assert original == before  # the engine works on a copy
    event("applied")
    problems = violations(validator(resource_type), {**document, "id": original["id"]})
    assert not problems, (operations, document, problems)


# -- generated POST bodies against every vendor ---------------------------------------------------


COUNTER = itertools.count()


def test_a_closed_type_is_accepted_in_any_case_and_conforms(make_tenant: Callable[..., ScimTenant]) -> None:
    tenant = make_tenant("britive", "cases")
    resource_type = VENDORS["britive"].resource_type("User")
    assert resource_type is not None
    user = tenant.create_user("a", emails=[{"value": "a@example.com", "type": "WORK"}])
    assert user["emails"] == [{"value": "a@example.com", "type": "WORK"}]
    assert not violations(validator(resource_type), user)
    assert violations(validator(resource_type), {**user, "emails": [{"value": "x", "type": "fax"}]})


def known_keys(resource_type: ResourceType) -> set[str]:
    """Top-level keys a tenant reads (lower-case); a key with a colon names an extension."""
    own = {a.name.lower() for a in resource_type.schema.writable}
    return own | {"id", "meta", "schemas"} | {e.id.lower() for e in resource_type.extensions}


@pytest.mark.parametrize("quirk", ["ignore", "reject"])
@pytest.mark.parametrize("vendor", sorted(VENDORS))
def test_generated_bodies_store_only_the_vendors_table(
    make_tenant: Callable[..., ScimTenant], vendor: str, quirk: str
) -> None:
    tenant = make_tenant(vendor, f"p-{quirk}", options={"unknown_attributes": quirk})
    resource_type = VENDORS[vendor].resource_type("User")
    assert resource_type is not None
    schema = validator(resource_type)
    known = known_keys(resource_type)

    @HTTP
    @given(body_for(resource_type))
    def post(body: dict[str, Any]) -> None:
        body = {**body, "userName": f"u{next(COUNTER)}"}
        if vendor == "jellyfish":
            body.setdefault("active", True)  # required by Jellyfish
        response = tenant.post("/Users", body)
        assert response.status_code < 500, response.get_data(as_text=True)
        assert response.mimetype == "application/scim+json"
        if response.status_code != 201:
            assert response.status_code == 400, response.get_data(as_text=True)
            return
        created = response.get_json()
        for shown in (created, tenant.get(f"/Users/{created['id']}").get_json()):
            problems = violations(schema, shown)  # additionalProperties: false at every level
            assert not problems, (body, shown, problems)
        if quirk == "reject":
            strangers = {
                k
                for k, v in body.items()
                if ":" not in k and k.lower() not in known and v not in (None, "", [], {})
            }
            assert not strangers, f"{vendor} with unknown_attributes=reject accepted {strangers}"

    post()
