"""The RFC 7644 §3.5.2 PATCH engine, including the Entra and Okta dialects."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from emulator.errors import ScimError
from emulator.scim.patch import apply_patch
from emulator.scim.schema import (
    ENTERPRISE_USER,
    ENTERPRISE_USER_SCHEMA,
    GROUP,
    GROUP_SCHEMA,
    USER,
    USER_SCHEMA,
    ResourceType,
)

USER_TYPE = ResourceType("User", "/Users", USER, (ENTERPRISE_USER,))
GROUP_TYPE = ResourceType("Group", "/Groups", GROUP)
EXT = ENTERPRISE_USER_SCHEMA


def user() -> dict[str, Any]:
    """A stored user with a work and a home email, no enterprise extension."""
    return {
        "schemas": [USER_SCHEMA],
        "id": "u1",
        "userName": "alice",
        "name": {"givenName": "Alice", "familyName": "Smith"},
        "active": True,
        "emails": [
            {"value": "alice@work.example", "type": "work", "primary": True},
            {"value": "alice@home.example", "type": "home"},
        ],
        "meta": {"resourceType": "User", "created": "2024-01-01T00:00:00Z"},
    }


def enterprise_user() -> dict[str, Any]:
    """A stored user with enterprise attributes."""
    resource = user()
    resource["schemas"].append(EXT)
    resource[EXT] = {"employeeNumber": "42", "manager": {"value": "5", "$ref": "../Users/5"}}
    return resource


def group() -> dict[str, Any]:
    """A stored group with members a and b."""
    return {
        "schemas": [GROUP_SCHEMA],
        "id": "g1",
        "displayName": "Engineers",
        "members": [{"value": "a", "display": "A"}, {"value": "b", "display": "B"}],
        "meta": {"resourceType": "Group"},
    }


def patch_user(operations: Any, resource: dict[str, Any] | None = None, **kw: Any) -> dict[str, Any]:
    """Apply operations to a user (the default one unless given)."""
    return apply_patch(user() if resource is None else resource, operations, USER_TYPE, **kw)


def patch_group(operations: Any, **kw: Any) -> dict[str, Any]:
    """Apply operations to the default group."""
    return apply_patch(group(), operations, GROUP_TYPE, **kw)


def fails(scim_type: str, operations: Any, resource_type: ResourceType = USER_TYPE, **kw: Any) -> ScimError:
    """Assert that the operations fail with a 400 of ``scim_type``; return the error."""
    resource = user() if resource_type is USER_TYPE else group()
    with pytest.raises(ScimError) as caught:
        apply_patch(resource, operations, resource_type, **kw)
    assert caught.value.status == 400
    assert caught.value.scim_type == scim_type, caught.value.detail
    return caught.value


# ---------------------------------------------------------------------------
# Operation syntax.


@pytest.mark.parametrize("operations", [None, {}, "ops", 1, {"op": "add"}])
def test_operations_must_be_a_list(operations: Any) -> None:
    fails("invalidSyntax", operations)


@pytest.mark.parametrize("operation", [1, "add", None, [], {"path": "active", "value": False}, {"op": 3}])
def test_each_operation_must_be_an_object_with_op(operation: Any) -> None:
    fails("invalidSyntax", [operation])


def test_unknown_op() -> None:
    error = fails("invalidSyntax", [{"op": "copy", "path": "active", "value": False}])
    assert "copy" in error.detail


def test_add_and_replace_need_a_value() -> None:
    fails("invalidSyntax", [{"op": "add", "path": "title"}])
    fails("invalidSyntax", [{"op": "replace", "path": "title"}])


def test_path_must_be_a_string() -> None:
    fails("invalidSyntax", [{"op": "replace", "path": 7, "value": "x"}])


def test_op_names_are_case_insensitive_by_default() -> None:
    result = patch_user(
        [
            {"op": "Add", "path": "title", "value": "Dev"},
            {"op": "REPLACE", "path": "nickName", "value": "Al"},
            {"op": "Remove", "path": "title"},
        ]
    )
    assert "title" not in result
    assert result["nickName"] == "Al"


@pytest.mark.parametrize("op", ["Add", "Replace", "Remove", "ADD"])
def test_strict_mode_accepts_only_lower_case_ops(op: str) -> None:
    error = fails("invalidSyntax", [{"op": op, "path": "title", "value": "x"}], strict=True)
    assert op in error.detail


def test_strict_mode_accepts_lower_case_ops() -> None:
    result = patch_user([{"op": "replace", "path": "title", "value": "x"}], strict=True)
    assert result["title"] == "x"


# ---------------------------------------------------------------------------
# Entra dialect.


def test_entra_string_boolean_is_coerced() -> None:
    result = patch_user([{"op": "Replace", "path": "active", "value": "False"}])
    assert result["active"] is False
    assert patch_user([{"op": "replace", "path": "active", "value": "true"}])["active"] is True


def test_string_boolean_inside_complex_values_is_coerced() -> None:
    result = patch_user(
        [
            {"op": "Replace", "path": 'emails[type eq "work"].primary', "value": "False"},
            {"op": "Add", "path": "emails", "value": [{"value": "x@other.example", "primary": "True"}]},
        ]
    )
    assert result["emails"][0]["primary"] is False
    assert result["emails"][2] == {"value": "x@other.example", "primary": True}


def test_strict_mode_rejects_string_booleans() -> None:
    fails("invalidValue", [{"op": "replace", "path": "active", "value": "False"}], strict=True)
    fails(
        "invalidValue",
        [{"op": "add", "path": "emails", "value": [{"value": "x@y.z", "primary": "true"}]}],
        strict=True,
    )


def test_non_boolean_string_for_boolean_is_invalid() -> None:
    fails("invalidValue", [{"op": "replace", "path": "active", "value": "yes"}])


def test_entra_replace_of_filtered_sub_attribute() -> None:
    result = patch_user([{"op": "Replace", "path": 'emails[type eq "work"].value', "value": "a@b.c"}])
    assert result["emails"] == [
        {"value": "a@b.c", "type": "work", "primary": True},
        {"value": "alice@home.example", "type": "home"},
    ]


def test_entra_manager_as_list() -> None:
    value = [{"$ref": "../Users/7", "value": "7"}]
    result = patch_user([{"op": "Add", "path": f"{EXT}:manager", "value": value}])
    assert result[EXT] == {"manager": {"$ref": "../Users/7", "value": "7"}}
    assert result["schemas"] == [USER_SCHEMA, EXT]


def test_entra_manager_as_string_replaces_whole_manager() -> None:
    result = patch_user([{"op": "Replace", "path": f"{EXT}:manager", "value": "7"}], enterprise_user())
    assert result[EXT]["manager"] == {"value": "7"}


def test_entra_manager_null_ref_is_dropped() -> None:
    value = [{"$ref": None, "value": "7"}]
    result = patch_user([{"op": "Add", "path": f"{EXT}:manager", "value": value}], enterprise_user())
    assert result[EXT]["manager"] == {"value": "7"}


def test_manager_shorthand_is_rejected_in_strict_mode() -> None:
    fails("invalidValue", [{"op": "add", "path": f"{EXT}:manager", "value": "7"}], strict=True)


def test_remove_manager_with_value() -> None:
    resource = enterprise_user()
    del resource[EXT]["employeeNumber"]
    result = patch_user(
        [{"op": "Remove", "path": f"{EXT}:manager", "value": [{"$ref": None, "value": "5"}]}], resource
    )
    assert EXT not in result
    assert result["schemas"] == [USER_SCHEMA]


def test_entra_remove_members_by_value_leaves_others() -> None:
    result = patch_group([{"op": "Remove", "path": "members", "value": [{"value": "a"}]}])
    assert result["members"] == [{"value": "b", "display": "B"}]


def test_remove_members_by_value_not_present_is_a_no_op() -> None:
    result = patch_group([{"op": "Remove", "path": "members", "value": [{"value": "zzz"}]}])
    assert result == group()


def test_entra_add_member_with_null_ref() -> None:
    result = patch_group([{"op": "Add", "path": "members", "value": [{"$ref": None, "value": "c"}]}])
    assert result["members"][-1] == {"value": "c"}
    assert len(result["members"]) == 3


def test_add_skips_exact_duplicates() -> None:
    result = patch_group(
        [
            {
                "op": "add",
                "path": "members",
                "value": [{"value": "a", "display": "A"}, {"value": "c"}, {"value": "c"}],
            }
        ]
    )
    assert result["members"] == [
        {"value": "a", "display": "A"},
        {"value": "b", "display": "B"},
        {"value": "c"},
    ]


def test_add_single_object_to_multi_valued_appends() -> None:
    result = patch_user([{"op": "add", "path": "emails", "value": {"value": "x@y.z", "type": "other"}}])
    assert result["emails"][-1] == {"value": "x@y.z", "type": "other"}
    assert len(result["emails"]) == 3


def test_remove_filtered_member() -> None:
    result = patch_group([{"op": "remove", "path": 'members[value eq "b"]'}])
    assert result["members"] == [{"value": "a", "display": "A"}]


def test_removing_the_last_member_drops_the_attribute() -> None:
    result = patch_group([{"op": "remove", "path": 'members[value eq "a" or value eq "b"]'}])
    assert "members" not in result


def test_remove_all_members() -> None:
    assert "members" not in patch_group([{"op": "remove", "path": "members"}])


# ---------------------------------------------------------------------------
# Path-less add/replace.


def test_pathless_dotted_and_urn_keys_are_expanded() -> None:
    value = {"name.givenName": "x", f"{EXT}:employeeNumber": "7"}
    result = patch_user([{"op": "replace", "value": value}])
    assert result["name"] == {"givenName": "x", "familyName": "Smith"}
    assert result[EXT] == {"employeeNumber": "7"}
    assert result["schemas"] == [USER_SCHEMA, EXT]
    assert "name.givenName" not in result
    assert f"{EXT}:employeeNumber" not in result


def test_pathless_extension_object() -> None:
    value = {EXT: {"department": "R&D", "manager": {"value": "9"}}}
    result = patch_user([{"op": "add", "value": value}], enterprise_user())
    assert result[EXT] == {
        "employeeNumber": "42",
        "department": "R&D",
        "manager": {"value": "9", "$ref": "../Users/5"},
    }


def test_extension_urn_as_path() -> None:
    result = patch_user([{"op": "add", "path": EXT, "value": {"costCenter": "CC1"}}])
    assert result[EXT] == {"costCenter": "CC1"}
    assert EXT in result["schemas"]
    removed = patch_user([{"op": "remove", "path": EXT}], enterprise_user())
    assert EXT not in removed
    assert removed["schemas"] == [USER_SCHEMA]


def test_okta_pathless_active() -> None:
    result = patch_user([{"op": "replace", "value": {"active": False}}])
    assert result["active"] is False


def test_okta_group_rename_ignores_id() -> None:
    result = patch_group([{"op": "replace", "value": {"id": "g1", "displayName": "New"}}])
    assert result["displayName"] == "New"
    assert result["id"] == "g1"


def test_pathless_ignores_id_meta_and_schemas() -> None:
    value = {"id": "other", "meta": {"created": "x"}, "schemas": ["x"], "title": "T"}
    result = patch_user([{"op": "replace", "value": value}])
    assert result["id"] == "u1"
    assert result["meta"] == user()["meta"]
    assert result["schemas"] == [USER_SCHEMA]
    assert result["title"] == "T"


def test_pathless_value_must_be_an_object() -> None:
    fails("invalidValue", [{"op": "replace", "value": "x"}])
    fails("invalidValue", [{"op": "add", "value": [{"active": True}]}])
    fails("invalidValue", [{"op": "add", "value": {EXT: "x"}}])


def test_pathless_complex_merge() -> None:
    result = patch_user([{"op": "add", "value": {"name": {"middleName": "M", "givenName": "Al"}}}])
    assert result["name"] == {"givenName": "Al", "familyName": "Smith", "middleName": "M"}


def test_pathless_multi_valued_replace_and_add() -> None:
    new = [{"value": "n@x.y", "type": "work"}]
    assert patch_user([{"op": "replace", "value": {"emails": new}}])["emails"] == new
    assert patch_user([{"op": "add", "value": {"emails": new}}])["emails"][-1] == new[0]
    assert len(patch_user([{"op": "add", "value": {"emails": new}}])["emails"]) == 3


def test_pathless_null_unassigns_on_replace() -> None:
    result = patch_user([{"op": "replace", "value": {"name": {"familyName": None}, "active": None}}])
    assert result["name"] == {"givenName": "Alice"}
    assert "active" not in result


# ---------------------------------------------------------------------------
# Paths, canonical names and RFC semantics.


def test_attribute_names_are_case_insensitive_and_written_canonically() -> None:
    result = patch_user(
        [
            {"op": "replace", "path": "NAME.GIVENNAME", "value": "Al"},
            {"op": "replace", "path": 'EMAILS[TYPE eq "home"].VALUE', "value": "h@x.y"},
            {"op": "add", "path": "DisplayName", "value": "Alice S"},
            {"op": "add", "path": "phonenumbers", "value": [{"VALUE": "123", "Type": "work"}]},
            {"op": "add", "path": f"{EXT.lower()}:EMPLOYEENUMBER", "value": "9"},
        ]
    )
    assert result["name"]["givenName"] == "Al"
    assert "GIVENNAME" not in result["name"]
    assert result["emails"][1]["value"] == "h@x.y"
    assert result["displayName"] == "Alice S"
    assert result["phoneNumbers"] == [{"value": "123", "type": "work"}]
    assert result[EXT] == {"employeeNumber": "9"}
    assert result["schemas"] == [USER_SCHEMA, EXT]


def test_core_urn_prefixed_path() -> None:
    result = patch_user([{"op": "replace", "path": f"{USER_SCHEMA}:name.familyName", "value": "Jones"}])
    assert result["name"]["familyName"] == "Jones"


def test_replace_multi_valued_replaces_all() -> None:
    result = patch_user([{"op": "replace", "path": "emails", "value": [{"value": "only@x.y"}]}])
    assert result["emails"] == [{"value": "only@x.y"}]


def test_replace_filtered_element_replaces_it_whole() -> None:
    result = patch_user([{"op": "replace", "path": 'emails[type eq "home"]', "value": {"value": "h@x.y"}}])
    assert result["emails"][1] == {"value": "h@x.y"}


def test_add_with_filter_sets_sub_attribute_on_matches() -> None:
    result = patch_user([{"op": "add", "path": 'emails[type eq "home"].display', "value": "Home"}])
    assert result["emails"][1]["display"] == "Home"
    merged = patch_user([{"op": "add", "path": 'emails[type eq "home"]', "value": {"display": "H"}}])
    assert merged["emails"][1] == {"value": "alice@home.example", "type": "home", "display": "H"}


def test_add_to_complex_path_merges() -> None:
    result = patch_user([{"op": "add", "path": "name", "value": {"middleName": "M"}}])
    assert result["name"] == {"givenName": "Alice", "familyName": "Smith", "middleName": "M"}


def test_replace_complex_path_merges_per_rfc() -> None:
    result = patch_user([{"op": "replace", "path": "name", "value": {"givenName": "Al"}}])
    assert result["name"] == {"givenName": "Al", "familyName": "Smith"}


def test_remove_sub_attribute_and_empty_parent() -> None:
    result = patch_user(
        [{"op": "remove", "path": "name.givenName"}, {"op": "remove", "path": "name.familyName"}]
    )
    assert "name" not in result


def test_remove_filtered_sub_attribute() -> None:
    result = patch_user([{"op": "remove", "path": 'emails[type eq "work"].primary'}])
    assert result["emails"][0] == {"value": "alice@work.example", "type": "work"}


def test_remove_absent_attribute_is_a_no_op() -> None:
    assert patch_user([{"op": "remove", "path": "title"}]) == user()
    assert patch_user([{"op": "remove", "path": f"{EXT}:department"}]) == user()


def test_emptied_extension_is_dropped_with_its_urn() -> None:
    resource = enterprise_user()
    result = patch_user(
        [{"op": "remove", "path": f"{EXT}:employeeNumber"}, {"op": "remove", "path": f"{EXT}:manager"}],
        resource,
    )
    assert EXT not in result
    assert result["schemas"] == [USER_SCHEMA]


def test_replace_with_null_unassigns() -> None:
    assert "active" not in patch_user([{"op": "replace", "path": "active", "value": None}])


def test_input_is_never_mutated() -> None:
    resource = enterprise_user()
    before = copy.deepcopy(resource)
    result = patch_user(
        [
            {"op": "add", "path": "emails", "value": [{"value": "n@x.y"}]},
            {"op": "replace", "path": "name.givenName", "value": "X"},
            {"op": "remove", "path": f"{EXT}:manager"},
        ],
        resource,
    )
    assert resource == before
    assert result is not resource


def test_atomic_when_a_later_operation_fails() -> None:
    resource = user()
    before = copy.deepcopy(resource)
    with pytest.raises(ScimError) as caught:
        patch_user(
            [
                {"op": "replace", "path": "name.givenName", "value": "Changed"},
                {"op": "add", "path": "emails", "value": [{"value": "n@x.y"}]},
                {"op": "replace", "path": "noSuchAttribute", "value": "x"},
            ],
            resource,
        )
    assert caught.value.scim_type == "invalidPath"
    assert "operation 2" in caught.value.detail
    assert resource == before


# ---------------------------------------------------------------------------
# noTarget, invalidPath, mutability, invalidValue.


@pytest.mark.parametrize("op", ["Add", "Replace"])
def test_sub_attribute_on_an_eq_filter_with_no_match_creates_the_element(op: str) -> None:
    """Entra sets a user's first work email (or phone) this way."""
    result = patch_user(
        [{"op": op, "path": 'phoneNumbers[type eq "mobile"].value', "value": "+1 555"}], user()
    )
    assert {"type": "mobile", "value": "+1 555"} in result["phoneNumbers"]


def test_no_target_cases() -> None:
    fails("noTarget", [{"op": "remove"}])
    fails("noTarget", [{"op": "remove", "value": {"title": "x"}}])
    fails("noTarget", [{"op": "replace", "path": 'emails[type co "oth"].value', "value": "x"}])
    fails("noTarget", [{"op": "replace", "path": 'emails[type eq "other"]', "value": {"value": "x"}}])
    fails("noTarget", [{"op": "remove", "path": 'emails[type eq "other"]'}])
    fails("noTarget", [{"op": "add", "path": 'emails[type eq "other" or type eq "x"].value', "value": "x"}])
    fails("noTarget", [{"op": "remove", "path": 'members[value eq "zzz"]'}], GROUP_TYPE)


@pytest.mark.parametrize(
    "path",
    [
        "noSuchAttribute",
        "name.noSuchSub",
        "urn:example:unknown:1.0:User:title",
        f"{EXT}:noSuch",
        'name[givenName eq "x"]',
        'emails[type eq "work"].noSuch',
        'emails[noSuch eq "work"].value',
        "emails[",
        "",
        "   ",
        "a b c",
    ],
)
def test_invalid_paths(path: str) -> None:
    fails("invalidPath", [{"op": "replace", "path": path, "value": "x"}])
    fails("invalidPath", [{"op": "remove", "path": path}])


def test_pathless_unknown_key_is_invalid_path() -> None:
    fails("invalidPath", [{"op": "replace", "value": {"noSuch": 1}}])
    fails("invalidPath", [{"op": "add", "value": {EXT: {"noSuch": 1}}}])


@pytest.mark.parametrize(
    "operation",
    [
        {"op": "replace", "path": "id", "value": "x"},
        {"op": "remove", "path": "id"},
        {"op": "replace", "path": "meta.created", "value": "2020-01-01T00:00:00Z"},
        {"op": "add", "path": "meta", "value": {"version": "x"}},
        {"op": "add", "path": "groups", "value": [{"value": "g"}]},
        {"op": "remove", "path": "groups"},
        {"op": "add", "value": {"groups": [{"value": "g"}]}},
        {"op": "replace", "path": f"{EXT}:manager.displayName", "value": "Boss"},
        {"op": "replace", "value": {f"{EXT}:manager.displayName": "Boss"}},
        {"op": "remove", "path": "userName"},
        {"op": "replace", "path": "userName", "value": None},
    ],
)
def test_mutability_errors(operation: dict[str, Any]) -> None:
    error = fails("mutability", [operation])
    assert error.detail


def test_removing_required_group_display_name() -> None:
    fails("mutability", [{"op": "remove", "path": "displayName"}], GROUP_TYPE)


def test_immutable_sub_attribute_cannot_change() -> None:
    fails(
        "mutability",
        [{"op": "replace", "path": 'members[value eq "a"].display', "value": "Other"}],
        GROUP_TYPE,
    )
    fails("mutability", [{"op": "remove", "path": 'members[value eq "a"].display'}], GROUP_TYPE)
    same = patch_group([{"op": "replace", "path": 'members[value eq "a"].display', "value": "A"}])
    assert same == group()


def test_readonly_sub_attribute_inside_a_value_is_ignored() -> None:
    result = patch_user(
        [{"op": "add", "path": f"{EXT}:manager", "value": {"value": "7", "displayName": "Boss"}}]
    )
    assert result[EXT]["manager"] == {"value": "7"}


@pytest.mark.parametrize(
    "operation",
    [
        {"op": "replace", "path": "name", "value": "x"},
        {"op": "replace", "path": "name", "value": ["x"]},
        {"op": "add", "path": "emails", "value": "x@y.z"},
        {"op": "add", "path": "emails", "value": ["x@y.z"]},
        {"op": "replace", "path": 'emails[type eq "work"]', "value": "x"},
        {"op": "add", "path": 'emails[type eq "work"]', "value": 3},
        {"op": "add", "path": "emails", "value": [{"noSuch": 1}]},
        {"op": "add", "path": f"{EXT}:manager", "value": 7},
        {"op": "add", "path": f"{EXT}:manager", "value": [{"value": "1"}, {"value": "2"}]},
        {"op": "remove", "path": "emails", "value": ["x"]},
    ],
)
def test_invalid_values(operation: dict[str, Any]) -> None:
    fails("invalidValue", [operation])


# ---------------------------------------------------------------------------
# Junk never escapes as anything but ScimError.

JUNK: list[Any] = [
    None,
    0,
    1.5,
    "",
    "add",
    {},
    {"Operations": []},
    [None],
    [0],
    [[]],
    [[{"op": "add"}]],
    ["remove"],
    [{}],
    [{"op": None}],
    [{"op": ["add"]}],
    [{"op": {"add": 1}}],
    [{"op": "add"}],
    [{"op": "add", "value": None, "path": None}],
    [{"op": "add", "value": 1}],
    [{"op": "add", "value": [1, 2]}],
    [{"op": "add", "value": {"": 1}}],
    [{"op": "add", "value": {"name": [[]]}}],
    [{"op": "add", "value": {"emails": [None, 1]}}],
    [{"op": "add", "value": {"emails": [{"value": {"x": []}}, 7]}}],
    [{"op": "replace", "path": ["active"], "value": True}],
    [{"op": "replace", "path": {"a": 1}, "value": True}],
    [{"op": "replace", "path": "active[", "value": True}],
    [{"op": "replace", "path": "emails[type eq]", "value": True}],
    [{"op": "replace", "path": "emails[type gt true].value", "value": "x"}],
    [{"op": "replace", "path": "emails[value co 3]", "value": {}}],
    [{"op": "replace", "path": "emails]", "value": True}],
    [{"op": "replace", "path": "\x00", "value": True}],
    [{"op": "replace", "path": "name.givenName.x", "value": "y"}],
    [{"op": "replace", "path": "urn:", "value": "y"}],
    [{"op": "replace", "path": f"{EXT}:manager", "value": [None]}],
    [{"op": "replace", "path": f"{EXT}:manager", "value": {"value": {"$ref": []}, "x": 1}}],
    [{"op": "remove", "path": "members", "value": [{"value": "a"}]}],
    [{"op": "remove", "path": "emails", "value": [[{"value": "a"}]]}],
    [{"op": "remove", "path": 'emails[type eq "work"]', "value": 5}, {"op": "bogus"}],
    [{"op": "add", "path": "name", "value": {"givenName": "x"}}, 42],
    [{"op": "remove", "path": "", "value": None}],
    [{"op": "replace", "value": {"urn:ietf:params:scim:schemas:core:2.0:User": {"title": "x"}}}],
    [{"op": "add", "value": {EXT: {"manager": "x"}}}, {"op": "add", "value": {EXT: [1]}}],
    [{"op": "replace", "path": "x" * 20_000, "value": 1}],
    [{"op": "replace", "path": "[" * 100, "value": 1}],
]


@pytest.mark.parametrize("operations", JUNK)
def test_junk_raises_only_scim_error(operations: Any) -> None:
    resource = user()
    before = copy.deepcopy(resource)
    with pytest.raises(ScimError) as caught:
        apply_patch(resource, operations, USER_TYPE)
    assert caught.value.status == 400
    assert caught.value.scim_type in {
        "invalidSyntax",
        "invalidPath",
        "invalidValue",
        "invalidFilter",
        "noTarget",
        "mutability",
    }
    assert resource == before
