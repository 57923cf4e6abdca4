"""RFC 7644 filter and PATCH path grammar: parsing, canonical printing, evaluation."""

from __future__ import annotations

from typing import Any

import pytest

from emulator.errors import ScimError
from emulator.scim.filter import (
    And,
    AttrPath,
    Compare,
    Not,
    Or,
    PatchPath,
    Present,
    ValuePath,
    matches,
    parse_filter,
    parse_path,
    referenced,
    to_string,
)
from emulator.scim.schema import ENTERPRISE_USER, GROUP, USER, Attribute, ResourceType, Schema

ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
CORE_USER = "urn:ietf:params:scim:schemas:core:2.0:User"

USERS = ResourceType("User", "/Users", USER, (ENTERPRISE_USER,))
GROUPS = ResourceType("Group", "/Groups", GROUP)
THINGS = ResourceType(
    "Thing",
    "/Things",
    Schema(
        "urn:example:Thing",
        "Thing",
        "numbers and simple multi-valued strings",
        (
            Attribute("count", type="integer"),
            Attribute("score", type="decimal"),
            Attribute("tags", multi_valued=True),
        ),
    ),
)

ALICE: dict[str, Any] = {
    "schemas": [CORE_USER, ENTERPRISE],
    "id": "2819c223-7f76-453a-919d-413861904646",
    "externalId": "Alice-EXT",
    "userName": "Alice@Example.com",
    "name": {"givenName": "Alice", "familyName": "Jensen"},
    "displayName": "Alice Jensen",
    "title": "",
    "active": True,
    "emails": [
        {"value": "alice@work.example", "type": "work", "primary": True},
        {"value": "alice@home.example", "type": "home"},
    ],
    "phoneNumbers": [],
    ENTERPRISE: {"department": "Sales", "employeeNumber": "701984", "manager": {"value": "boss-id"}},
    "meta": {
        "resourceType": "User",
        "created": "2024-01-10T08:00:00Z",
        "lastModified": "2024-03-15T12:30:00.123Z",
        "version": 'W/"3"',
    },
}

ADMINS: dict[str, Any] = {
    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
    "id": "g1",
    "displayName": "Admins",
    "members": [
        {"value": "u1", "type": "User", "$ref": "https://example.com/v2/Users/u1"},
        {"value": "u2", "type": "Group"},
    ],
    "meta": {
        "resourceType": "Group",
        "created": "2023-12-31T23:59:59Z",
        "lastModified": "2024-01-01T00:00:00Z",
    },
}

THING: dict[str, Any] = {"count": 5, "score": 2.5, "tags": ["red", "Green"]}


def p(attr: str, sub: str | None = None, urn: str | None = None) -> AttrPath:
    return AttrPath(urn, attr, sub)


# ---------------------------------------------------------------------------
# Parsing.


@pytest.mark.parametrize("op", ["eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le"])
def test_every_comparison_operator_any_case(op: str) -> None:
    expected = Compare(p("userName"), op, "x")
    assert parse_filter(f'userName {op} "x"') == expected
    assert parse_filter(f'userName {op.upper()} "x"') == expected
    assert parse_filter(f'userName {op[0].upper()}{op[1]} "x"') == expected


@pytest.mark.parametrize("text", ["title pr", "title PR", "title Pr"])
def test_present(text: str) -> None:
    assert parse_filter(text) == Present(p("title"))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a pr or b pr and c pr", Or(Present(p("a")), And(Present(p("b")), Present(p("c"))))),
        ("a pr and b pr or c pr", Or(And(Present(p("a")), Present(p("b"))), Present(p("c")))),
        ("a pr or b pr or c pr", Or(Or(Present(p("a")), Present(p("b"))), Present(p("c")))),
        ("a pr and b pr and c pr", And(And(Present(p("a")), Present(p("b"))), Present(p("c")))),
        ("not (a pr) and b pr", And(Not(Present(p("a"))), Present(p("b")))),
        ("not (a pr or b pr)", Not(Or(Present(p("a")), Present(p("b"))))),
        ("(a pr or b pr) and c pr", And(Or(Present(p("a")), Present(p("b"))), Present(p("c")))),
        ("a pr and (b pr or c pr)", And(Present(p("a")), Or(Present(p("b")), Present(p("c"))))),
        ("((a pr))", Present(p("a"))),
        ("A PR AND NOT (B PR) OR C PR", Or(And(Present(p("A")), Not(Present(p("B")))), Present(p("C")))),
    ],
)
def test_precedence_and_parentheses(text: str, expected: object) -> None:
    assert parse_filter(text) == expected


def test_value_path() -> None:
    assert parse_filter('emails[type eq "work" and primary eq true]') == ValuePath(
        p("emails"), And(Compare(p("type"), "eq", "work"), Compare(p("primary"), "eq", True))
    )


def test_entra_value_path_with_trailing_sub_attribute() -> None:
    node = parse_filter('emails[type eq "work"].value eq "x@example.com"')
    assert node == ValuePath(
        p("emails"), And(Compare(p("type"), "eq", "work"), Compare(p("value"), "eq", "x@example.com"))
    )
    assert to_string(node) == 'emails[type eq "work" and value eq "x@example.com"]'


def test_entra_form_combines_with_other_terms() -> None:
    node = parse_filter('emails[type eq "work" or type eq "home"].value pr and active eq true')
    inner = Or(Compare(p("type"), "eq", "work"), Compare(p("type"), "eq", "home"))
    assert node == And(
        ValuePath(p("emails"), And(inner, Present(p("value")))), Compare(p("active"), "eq", True)
    )
    assert to_string(node) == 'emails[(type eq "work" or type eq "home") and value pr] and active eq true'


def test_value_path_with_ref_sub_attribute() -> None:
    assert parse_filter('members[$ref eq "x"]') == ValuePath(p("members"), Compare(p("$ref"), "eq", "x"))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f'{ENTERPRISE}:manager.value eq "1"', p("manager", "value", ENTERPRISE)),
        (f'{ENTERPRISE}:department eq "1"', p("department", None, ENTERPRISE)),
        (f'{CORE_USER}:userName eq "1"', p("userName", None, CORE_USER)),
        (f'{CORE_USER}:name.givenName eq "1"', p("name", "givenName", CORE_USER)),
        ('members.$ref eq "1"', p("members", "$ref")),
        ('name.familyName eq "1"', p("name", "familyName")),
        ('x-y_z9 eq "1"', p("x-y_z9")),
    ],
)
def test_attribute_paths(text: str, expected: AttrPath) -> None:
    node = parse_filter(text)
    assert isinstance(node, Compare)
    assert node.path == expected


def test_urn_value_path() -> None:
    assert parse_filter(f'{CORE_USER}:emails[type eq "work"]') == ValuePath(
        p("emails", None, CORE_USER), Compare(p("type"), "eq", "work")
    )


@pytest.mark.parametrize(
    ("literal", "expected"),
    [
        (r'"plain"', "plain"),
        (r'""', ""),
        (r'"say \"hi\""', 'say "hi"'),
        (r'"back\\slash"', "back\\slash"),
        (r'"line\nbreak\ttab"', "line\nbreak\ttab"),
        (r'"caf\u00e9"', "café"),
        (r'"\ud83d\ude00"', "\U0001f600"),
        (r'"\/ \b \f \r"', "/ \b \f \r"),
        ('"ünïcødé ok"', "ünïcødé ok"),
        ('"and or not ) ] ["', "and or not ) ] ["),
    ],
)
def test_string_escapes(literal: str, expected: str) -> None:
    assert parse_filter(f"displayName eq {literal}") == Compare(p("displayName"), "eq", expected)


@pytest.mark.parametrize(
    ("literal", "expected"),
    [
        ("42", 42),
        ("-7", -7),
        ("0", 0),
        ("1.5", 1.5),
        ("-0.25", -0.25),
        ("1e3", 1000.0),
        ("2.5E-2", 0.025),
        ("6E+2", 600.0),
        ("12345678901234567890", 12345678901234567890),
    ],
)
def test_numbers(literal: str, expected: float) -> None:
    node = parse_filter(f"count eq {literal}")
    assert isinstance(node, Compare)
    assert node.value == expected
    assert type(node.value) is type(expected)


@pytest.mark.parametrize(
    ("literal", "expected"),
    [("true", True), ("false", False), ("null", None), ("TRUE", True), ("False", False), ("NULL", None)],
)
def test_literals(literal: str, expected: bool | None) -> None:
    node = parse_filter(f"active eq {literal}")
    assert isinstance(node, Compare)
    assert node.value is expected


def test_whitespace_is_flexible() -> None:
    assert parse_filter('  userName   eq\t"x"  ') == Compare(p("userName"), "eq", "x")
    assert parse_filter('( userName eq "x" )') == Compare(p("userName"), "eq", "x")


# ---------------------------------------------------------------------------
# Canonical printing.

ROUND_TRIP = [
    'userName eq "bjensen"',
    'userName Eq "bjensen"',
    'name.familyName co "O\'Malley"',
    'userName sw "J"',
    'title ew "er"',
    "title pr",
    "TITLE PR",
    'meta.lastModified gt "2011-05-13T04:42:34Z"',
    'meta.lastModified ge "2011-05-13T04:42:34Z"',
    'meta.lastModified lt "2011-05-13T04:42:34Z"',
    'meta.lastModified le "2011-05-13T04:42:34Z"',
    'title pr and userType eq "Employee"',
    'title pr or userType eq "Intern"',
    'schemas eq "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"',
    'userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")',
    'userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")',
    'userType eq "Employee" and (emails.type eq "work")',
    'userType eq "Employee" and emails[type eq "work" and value co "@example.com"]',
    'emails[type eq "work" and value co "@example.com"] or ims[type eq "xmpp" and value co "@foo.com"]',
    'emails[type eq "work"].value eq "x@example.com"',
    f'{ENTERPRISE}:manager.value eq "26118915-6090-4610-87e4-49d8ca9f808d"',
    f'{CORE_USER}:userName ne "x"',
    "a pr and (b pr and c pr)",
    "a pr or (b pr or c pr)",
    "(a pr or b pr) and (c pr or d pr)",
    "not (not (a pr))",
    "not (a pr and b pr) or c pr",
    'x eq "q\\"uote\\\\back\\nline\\u0001"',
    "n eq -1.25e-7",
    "n eq 12345678901234567890",
    "n ge 0.5 and n le 1e3",
    "active eq TRUE or active eq false or nickName eq null",
    'members[value eq "u1" and not (type eq "Group")]',
    'members[$ref co "/Users/"]',
]


@pytest.mark.parametrize("text", ROUND_TRIP)
def test_round_trip(text: str) -> None:
    node = parse_filter(text)
    canonical = to_string(node)
    assert parse_filter(canonical) == node
    assert to_string(parse_filter(canonical)) == canonical


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ('USERNAME EQ "x"', 'USERNAME eq "x"'),
        ("a PR AND ((b pr) OR c pr)", "a pr and (b pr or c pr)"),
        ("(a pr and b pr) or c pr", "a pr and b pr or c pr"),
        ("active eq TRUE", "active eq true"),
        ("n eq 1E2", "n eq 100.0"),
        (r'x eq "caf\u00e9"', 'x eq "café"'),
        ("not(a pr)", "not (a pr)"),
    ],
)
def test_canonical_text(text: str, canonical: str) -> None:
    assert to_string(parse_filter(text)) == canonical


# ---------------------------------------------------------------------------
# Malformed input.

MALFORMED = [
    "",
    "   ",
    "userName",
    'userName eq "x" extra',
    'userName eq "x" and',
    'or userName eq "x"',
    'userName xx "x"',
    "userName eq",
    "userName eq )",
    "userName eq bjensen",
    'userName pr "x"',
    '(userName eq "x"',
    'userName eq "x")',
    'emails[type eq "work"',
    'emails type eq "work"]',
    'userName eq "unterminated',
    'userName eq "bad \\q escape"',
    'userName eq "bad \\u12 escape"',
    'userName eq "raw\ncontrol"',
    'not userName eq "x"',
    "not ()",
    'emails[type eq "work" and phoneNumbers[type eq "mobile"]]',
    'emails[type.value eq "work"]',
    'emails[urn:x:y:type eq "work"]',
    'emails[type eq "work"].',
    'emails[type eq "work"].value',
    'emails[type eq "work"].1value eq "x"',
    'name.givenName[type eq "x"]',
    "emails[]",
    "count eq 01",
    "count eq 1.",
    "count eq -",
    "count eq 1e",
    "count eq 1e999",
    "count eq 12abc",
    'user#Name eq "x"',
    '1userName eq "x"',
    '$ref eq "x"',
    'userName:x eq "y"',
    "urn:x eq 1",
    'name.givenName.x eq "y"',
    "userName eq 'single'",
    'userName eq "x" && title pr',
    "x" * 10_001,
    "(" * 51 + "a pr" + ")" * 51,
    " or ".join(["a pr"] * 202),
]


@pytest.mark.parametrize("text", MALFORMED)
def test_malformed_filters(text: str) -> None:
    with pytest.raises(ScimError) as caught:
        parse_filter(text)
    assert caught.value.status == 400
    assert caught.value.scim_type == "invalidFilter"
    assert caught.value.detail


def test_limits_are_inclusive() -> None:
    deep = "(" * 50 + "a pr" + ")" * 50
    assert parse_filter(deep) == Present(p("a"))
    long_chain = parse_filter(" or ".join(["a pr"] * 201))
    assert parse_filter(to_string(long_chain)) == long_chain
    nots = "not (" * 50 + "a pr" + ")" * 50
    assert parse_filter(to_string(parse_filter(nots))) == parse_filter(nots)
    padded = 'userName eq "' + "x" * (10_000 - 14) + '"'
    assert len(padded) == 10_000
    assert isinstance(parse_filter(padded), Compare)


# ---------------------------------------------------------------------------
# PATCH paths.


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("userName", PatchPath(p("userName"))),
        ("name.givenName", PatchPath(p("name", "givenName"))),
        ("members", PatchPath(p("members"))),
        (f"{ENTERPRISE}:manager", PatchPath(p("manager", None, ENTERPRISE))),
        (f"{ENTERPRISE}:manager.value", PatchPath(p("manager", "value", ENTERPRISE))),
        (f"{CORE_USER}:name.familyName", PatchPath(p("name", "familyName", CORE_USER))),
        ('members[value eq "2819c223"]', PatchPath(p("members"), Compare(p("value"), "eq", "2819c223"))),
        (
            'emails[type eq "work"].value',
            PatchPath(p("emails"), Compare(p("type"), "eq", "work"), "value"),
        ),
        (
            'addresses[type eq "work" and primary eq true].streetAddress',
            PatchPath(
                p("addresses"),
                And(Compare(p("type"), "eq", "work"), Compare(p("primary"), "eq", True)),
                "streetAddress",
            ),
        ),
        ('members[value eq "x"].$ref', PatchPath(p("members"), Compare(p("value"), "eq", "x"), "$ref")),
        (
            f'{CORE_USER}:emails[type EQ "work"].display',
            PatchPath(p("emails", None, CORE_USER), Compare(p("type"), "eq", "work"), "display"),
        ),
        ("  userName  ", PatchPath(p("userName"))),
    ],
)
def test_patch_paths(text: str, expected: PatchPath) -> None:
    assert parse_path(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "name.givenName.x",
        'name.givenName[type eq "x"]',
        'emails[type eq "work"',
        'emails[type eq "work"].',
        'emails[type eq "work"].value.x',
        'emails[type eq "work"] value',
        "emails[type eq]",
        "emails[]",
        'emails[type eq "work"][value pr]',
        "emails[phoneNumbers[type pr]]",
        'userName eq "x"',
        "user name",
        "1userName",
        "urn:x",
        '"userName"',
        "(userName)",
        "x" * 10_001,
    ],
)
def test_invalid_patch_paths(text: str) -> None:
    with pytest.raises(ScimError) as caught:
        parse_path(text)
    assert caught.value.status == 400
    assert caught.value.scim_type == "invalidPath"


# ---------------------------------------------------------------------------
# Evaluation.

USER_CASES = [
    # userName is case-insensitive; id and externalId are caseExact.
    ('userName eq "alice@example.com"', True),
    ('USERNAME EQ "ALICE@EXAMPLE.COM"', True),
    ('externalId eq "Alice-EXT"', True),
    ('externalId eq "alice-ext"', False),
    ('externalId ne "alice-ext"', True),
    ('id eq "2819c223-7f76-453a-919d-413861904646"', True),
    ('id eq "2819C223-7F76-453A-919D-413861904646"', False),
    ('id sw "2819c223"', True),
    ('id sw "2819C223"', False),
    # substring operators
    ('userName sw "ALICE"', True),
    ('userName ew "example.COM"', True),
    ('userName co "@EXAMPLE"', True),
    ('userName co "bob"', False),
    ('displayName sw "Jensen"', False),
    ('displayName ew "jensen"', True),
    # eq / ne, missing attributes
    ('displayName ne "Bob"', True),
    ('displayName ne "alice jensen"', False),
    ('nickName eq "x"', False),
    ('nickName ne "x"', True),
    ('nickName co "x"', False),
    ('nickName gt "a"', False),
    # ordering on strings
    ('displayName gt "Alice"', True),
    ('displayName lt "alice"', False),
    ('displayName ge "ALICE JENSEN"', True),
    ('displayName le "alice jensen"', True),
    ('displayName lt "bob"', True),
    # pr
    ("title pr", False),
    ("phoneNumbers pr", False),
    ("nickName pr", False),
    ("emails pr", True),
    ("emails.type pr", True),
    ("name pr", True),
    ("name.givenName pr", True),
    ("name.middleName pr", False),
    # booleans
    ("active eq true", True),
    ("active eq false", False),
    ("active ne false", True),
    ("active eq TRUE", True),
    ('active eq "true"', False),
    ('active ne "true"', True),
    ("active eq 1", False),
    # null
    ("nickName eq null", True),
    ("nickName ne null", False),
    ("displayName eq null", False),
    ("displayName ne null", True),
    ("title eq null", True),
    # multi-valued complex compares by "value"; any value may match
    ('emails eq "alice@home.example"', True),
    ('emails co "HOME.example"', True),
    ('emails sw "bob"', False),
    ('emails.value ew "@work.example"', True),
    ('emails.type eq "home"', True),
    ('emails.type eq "other"', False),
    ('emails.type ne "work"', True),
    ('emails.type eq "home" and emails.primary eq true', True),
    # value paths need one element to satisfy the whole inner filter
    ('emails[type eq "work" and primary eq true]', True),
    ('emails[type eq "home" and primary eq true]', False),
    ('emails[type eq "home" and not (primary eq true)]', True),
    ('emails[TYPE eq "WORK"]', True),
    ('emails[type eq "work" or type eq "other"]', True),
    ("emails[primary pr]", True),
    ("emails[display pr]", False),
    ('emails[bogus eq "x"]', False),
    ('phoneNumbers[type eq "work"]', False),
    ('ims[type eq "xmpp"]', False),
    # the Entra form
    ('emails[type eq "work"].value eq "alice@work.example"', True),
    ('emails[type eq "work"].value eq "ALICE@WORK.EXAMPLE"', True),
    ('emails[type eq "home"].value eq "alice@work.example"', False),
    ('emails[type eq "home"].value co "home"', True),
    # dateTimes compare chronologically
    ('meta.lastModified gt "2024-03-01T00:00:00Z"', True),
    ('meta.lastModified gt "2024-03-15T12:30:00.123Z"', False),
    ('meta.lastModified ge "2024-03-15T12:30:00.123Z"', True),
    ('meta.lastModified lt "2024-03-15T12:30:00.124Z"', True),
    ('meta.lastModified le "2024-03-15T12:30:00Z"', False),
    ('meta.lastModified gt "2024-03-15T13:00:00+01:00"', True),
    ('meta.created eq "2024-01-10T09:00:00+01:00"', True),
    ('meta.created eq "2024-01-10T08:00:00.000Z"', True),
    ('meta.created ne "2024-01-10T08:00:00Z"', False),
    ('meta.created lt "2024-01-10"', False),
    ('meta.created gt "2024-01-10"', True),
    ('meta.created lt "2024-01-10T08:00:01"', True),
    ('meta.resourceType eq "User"', True),
    ('meta.resourceType eq "user"', False),
    ('meta.version eq "W/\\"3\\""', True),
    # enterprise extension and URN-qualified core attributes
    (f'{ENTERPRISE}:department eq "sales"', True),
    (f'{ENTERPRISE}:department ne "sales"', False),
    (f'{ENTERPRISE}:employeeNumber eq "701984"', True),
    (f'{ENTERPRISE}:manager.value eq "boss-id"', True),
    (f'{ENTERPRISE}:manager eq "boss-id"', True),
    (f"{ENTERPRISE}:manager.displayName pr", False),
    (f"{ENTERPRISE}:costCenter pr", False),
    (f'{ENTERPRISE.upper()}:DEPARTMENT eq "Sales"', True),
    (f'{CORE_USER}:userName sw "alice"', True),
    (f'{CORE_USER}:name.familyName eq "JENSEN"', True),
    (f'{CORE_USER}:emails[type eq "home"]', True),
    ('department eq "Sales"', False),
    # unknown attributes behave as missing
    ('foo eq "x"', False),
    ('foo ne "x"', True),
    ("foo pr", False),
    ("name.bogus pr", False),
    ('name.bogus ne "x"', True),
    ('urn:example:other:foo eq "x"', False),
    ('bogus[type eq "x"]', False),
    # a complex attribute without a "value" sub-attribute matches nothing
    ('name eq "Alice"', False),
    ('name ne "Alice"', True),
    # type mismatches are unequal, never errors
    ("userName eq 5", False),
    ("userName ne 5", True),
    ("userName eq true", False),
    # logic
    ('not (userName eq "x")', True),
    ('not (userName eq "alice@example.com")', False),
    ('userName eq "nope" and active eq true or displayName pr', True),
    ('userName eq "nope" and (active eq true or displayName pr)', False),
    ('userName eq "alice@example.com" and not (title pr)', True),
    ('userName eq "nope" or emails[type eq "home"]', True),
]


@pytest.mark.parametrize(("text", "expected"), USER_CASES)
def test_matches_user(text: str, expected: bool) -> None:
    assert matches(parse_filter(text), ALICE, USERS) is expected


def test_keys_are_looked_up_case_insensitively() -> None:
    shouty = {
        "USERNAME": "Alice",
        "Emails": [{"VALUE": "a@b.c", "Type": "work"}],
        ENTERPRISE.lower(): {"DEPARTMENT": "Sales"},
    }
    assert matches(parse_filter('userName eq "alice"'), shouty, USERS)
    assert matches(parse_filter('emails[type eq "work" and value eq "a@b.c"]'), shouty, USERS)
    assert matches(parse_filter(f'{ENTERPRISE}:department eq "sales"'), shouty, USERS)


def test_malformed_resource_values_do_not_crash() -> None:
    odd = {
        "userName": 7,
        "active": "true",
        "emails": ["not-an-object", None, {"value": None}],
        "name": "flat",
        "meta": {"lastModified": "not a date"},
    }
    assert not matches(parse_filter('userName eq "7"'), odd, USERS)
    assert not matches(parse_filter("active eq true"), odd, USERS)
    assert not matches(parse_filter('emails[type eq "work"]'), odd, USERS)
    assert not matches(parse_filter('emails.value eq "x"'), odd, USERS)
    assert not matches(parse_filter("name.givenName pr"), odd, USERS)
    assert not matches(parse_filter('meta.lastModified gt "2024-01-01T00:00:00Z"'), odd, USERS)
    assert matches(parse_filter('meta.lastModified ne "2024-01-01T00:00:00Z"'), odd, USERS)
    assert not matches(parse_filter('userName eq "x"'), {}, USERS)


GROUP_CASES = [
    ('displayName eq "admins"', True),
    ('members eq "u1"', True),
    ('members eq "U1"', True),
    ('members eq "u3"', False),
    ('members.value eq "u2"', True),
    ('members[value eq "u2" and type eq "Group"]', True),
    ('members[value eq "u2" and type eq "User"]', False),
    ("members[$ref pr]", True),
    ('members[$ref co "/Users/"]', True),
    ("members.$ref pr", True),
    ('id eq "g1" and members eq "u2"', True),
    ('id eq "G1" and members eq "u2"', False),
    ('userName eq "x"', False),
    ('meta.created lt "2024-01-01T00:00:00Z"', True),
]


@pytest.mark.parametrize(("text", "expected"), GROUP_CASES)
def test_matches_group(text: str, expected: bool) -> None:
    assert matches(parse_filter(text), ADMINS, GROUPS) is expected


THING_CASES = [
    ("count eq 5", True),
    ("count eq 5.0", True),
    ("count gt 4", True),
    ("count gt 5", False),
    ("count ge 5", True),
    ("count lt 10", True),
    ("count le 4", False),
    ('count eq "5"', False),
    ("score le 2.5", True),
    ("score lt 2.5", False),
    ("score gt -1e1", True),
    ("score eq 25e-1", True),
    ('tags eq "green"', True),
    ('tags eq "blue"', False),
    ('tags sw "r"', True),
    ('tags ne "red"', True),
]


@pytest.mark.parametrize(("text", "expected"), THING_CASES)
def test_matches_numbers_and_simple_multi_valued(text: str, expected: bool) -> None:
    assert matches(parse_filter(text), THING, THINGS) is expected


@pytest.mark.parametrize(
    "text",
    [
        "active gt true",
        "active lt false",
        "active ge true",
        'active le "x"',
        'active co "t"',
        'active sw "t"',
        'meta.lastModified gt "yesterday"',
        'meta.created eq "2024-13-45"',
        'meta.created sw "2024"',
        "userName gt null",
        "userName gt true",
        "userName co 5",
        "userName sw null",
        'emails[primary ew "e"]',
        'emails[type eq "work"].primary gt false',
    ],
)
def test_type_misuse_is_invalid_filter(text: str) -> None:
    with pytest.raises(ScimError) as caught:
        matches(parse_filter(text), ALICE, USERS)
    assert caught.value.status == 400
    assert caught.value.scim_type == "invalidFilter"


def test_numeric_substring_is_invalid_filter() -> None:
    with pytest.raises(ScimError) as caught:
        matches(parse_filter('count co "5"'), THING, THINGS)
    assert caught.value.scim_type == "invalidFilter"


# ---------------------------------------------------------------------------
# referenced().


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('userName eq "x"', [(p("userName"), "eq")]),
        ("title pr", [(p("title"), "pr")]),
        (
            'emails[type eq "work"]',
            [(p("emails", "type"), "eq")],
        ),
        (
            'emails[type eq "work"].value co "x"',
            [(p("emails", "type"), "eq"), (p("emails", "value"), "co")],
        ),
        (
            f'{ENTERPRISE}:manager.value eq "1" or not ({CORE_USER}:emails[primary eq true and type pr])',
            [
                (p("manager", "value", ENTERPRISE), "eq"),
                (p("emails", "primary", CORE_USER), "eq"),
                (p("emails", "type", CORE_USER), "pr"),
            ],
        ),
        (
            'userName eq "a" or userName eq "b" or userName sw "c"',
            [(p("userName"), "eq"), (p("userName"), "sw")],
        ),
    ],
)
def test_referenced(text: str, expected: list[tuple[AttrPath, str]]) -> None:
    assert referenced(parse_filter(text)) == expected
