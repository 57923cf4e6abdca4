"""ETags (RFC 7644 §3.14): the header is meta.version; If-Match guards writes, If-None-Match saves reads."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import GROUP, USER, ScimTenant, assert_scim_error


@pytest.fixture
def alice(tenant: ScimTenant) -> dict[str, Any]:
    return tenant.create_user("alice", title="Dev")


def test_etag_header_is_meta_version_on_every_answer(tenant: ScimTenant) -> None:
    created = tenant.post("/Users", {"schemas": [USER], "userName": "alice"})
    assert created.headers["ETag"] == created.get_json()["meta"]["version"]
    assert created.headers["ETag"].startswith('W/"')
    location = f"/Users/{created.get_json()['id']}"
    fetched = tenant.get(location)
    assert fetched.headers["ETag"] == fetched.get_json()["meta"]["version"] == created.headers["ETag"]
    replaced = tenant.put(location, {"schemas": [USER], "userName": "alice", "title": "x"})
    assert replaced.headers["ETag"] == replaced.get_json()["meta"]["version"]
    patched = tenant.patch(location, [{"op": "replace", "path": "title", "value": "y"}])
    assert patched.headers["ETag"] == patched.get_json()["meta"]["version"]
    assert len({created.headers["ETag"], replaced.headers["ETag"], patched.headers["ETag"]}) == 3


def test_version_changes_on_write_only(tenant: ScimTenant, alice: dict[str, Any]) -> None:
    version = alice["meta"]["version"]
    tenant.get(f"/Users/{alice['id']}")
    tenant.get("/Users")
    assert tenant.get(f"/Users/{alice['id']}").headers["ETag"] == version
    tenant.patch(f"/Users/{alice['id']}", [{"op": "replace", "path": "title", "value": "Ops"}])
    assert tenant.get(f"/Users/{alice['id']}").headers["ETag"] != version


def test_listed_resources_carry_the_same_version(tenant: ScimTenant, alice: dict[str, Any]) -> None:
    listed = tenant.get("/Users").get_json()["Resources"][0]
    assert listed["meta"]["version"] == tenant.get(f"/Users/{alice['id']}").headers["ETag"]


def test_group_member_patch_changes_the_version(tenant: ScimTenant, alice: dict[str, Any]) -> None:
    group = tenant.create_group("Team")
    response = tenant.patch(
        f"/Groups/{group['id']}", [{"op": "add", "path": "members", "value": [{"value": alice["id"]}]}]
    )
    assert response.status_code == 200
    assert response.headers["ETag"] != group["meta"]["version"]
    assert response.headers["ETag"] == tenant.get(f"/Groups/{group['id']}").headers["ETag"]


# -- If-Match ------------------------------------------------------------------------------------


def test_if_match_current_version_allows_writes(tenant: ScimTenant, alice: dict[str, Any]) -> None:
    location = f"/Users/{alice['id']}"
    response = tenant.patch(
        location,
        [{"op": "replace", "path": "title", "value": "A"}],
        headers={"If-Match": alice["meta"]["version"]},
    )
    assert response.status_code == 200
    response = tenant.put(
        location, {"schemas": [USER], "userName": "alice"}, headers={"If-Match": response.headers["ETag"]}
    )
    assert response.status_code == 200
    assert tenant.delete(location, headers={"If-Match": response.headers["ETag"]}).status_code == 204


def test_if_match_accepts_star_lists_and_the_strong_form(tenant: ScimTenant, alice: dict[str, Any]) -> None:
    location = f"/Users/{alice['id']}"
    version = alice["meta"]["version"]
    ops = [{"op": "replace", "path": "title", "value": "B"}]
    assert tenant.patch(location, ops, headers={"If-Match": "*"}).status_code == 200
    current = tenant.get(location).headers["ETag"]
    assert tenant.patch(location, ops, headers={"If-Match": f"{version}, {current}"}).status_code == 200
    current = tenant.get(location).headers["ETag"]
    assert tenant.patch(location, ops, headers={"If-Match": current.removeprefix("W/")}).status_code == 200


def test_stale_if_match_on_patch_is_412_and_changes_nothing(
    tenant: ScimTenant, alice: dict[str, Any]
) -> None:
    location = f"/Users/{alice['id']}"
    stale = alice["meta"]["version"]
    tenant.patch(location, [{"op": "replace", "path": "title", "value": "Newer"}])
    current = tenant.get(location).get_json()
    response = tenant.patch(
        location, [{"op": "replace", "path": "title", "value": "Lost update"}], headers={"If-Match": stale}
    )
    body = assert_scim_error(response, 412)
    assert body["detail"]
    assert tenant.get(location).get_json() == current


def test_stale_if_match_on_put_is_412_and_changes_nothing(tenant: ScimTenant, alice: dict[str, Any]) -> None:
    location = f"/Users/{alice['id']}"
    response = tenant.put(
        location, {"schemas": [USER], "userName": "renamed"}, headers={"If-Match": 'W/"999"'}
    )
    assert_scim_error(response, 412)
    assert tenant.get(location).get_json() == alice


def test_stale_if_match_on_delete_is_412_and_keeps_the_resource(
    tenant: ScimTenant, alice: dict[str, Any]
) -> None:
    location = f"/Users/{alice['id']}"
    assert_scim_error(tenant.delete(location, headers={"If-Match": 'W/"999"'}), 412)
    assert tenant.get(location).get_json() == alice


def test_stale_if_match_on_a_group(tenant: ScimTenant, alice: dict[str, Any]) -> None:
    group = tenant.create_group("Team")
    location = f"/Groups/{group['id']}"
    ops = [{"op": "add", "path": "members", "value": [{"value": alice["id"]}]}]
    assert_scim_error(tenant.patch(location, ops, headers={"If-Match": 'W/"0"'}), 412)
    assert_scim_error(
        tenant.put(location, {"schemas": [GROUP], "displayName": "X"}, headers={"If-Match": 'W/"0"'}), 412
    )
    assert tenant.get(location).get_json() == group


def test_if_match_on_a_missing_resource_is_404(tenant: ScimTenant) -> None:
    assert_scim_error(tenant.delete("/Users/nope", headers={"If-Match": 'W/"1"'}), 404)


# -- If-None-Match -------------------------------------------------------------------------------


def test_if_none_match_current_version_is_304(tenant: ScimTenant, alice: dict[str, Any]) -> None:
    response = tenant.get(f"/Users/{alice['id']}", headers={"If-None-Match": alice["meta"]["version"]})
    assert response.status_code == 304
    assert response.get_data() == b""
    assert response.headers["ETag"] == alice["meta"]["version"]


def test_if_none_match_stale_version_is_200(tenant: ScimTenant, alice: dict[str, Any]) -> None:
    tenant.patch(f"/Users/{alice['id']}", [{"op": "replace", "path": "title", "value": "x"}])
    response = tenant.get(f"/Users/{alice['id']}", headers={"If-None-Match": alice["meta"]["version"]})
    assert response.status_code == 200
    assert response.get_json()["title"] == "x"
    assert response.headers["ETag"] != alice["meta"]["version"]


@pytest.mark.parametrize("header", ["*", 'W/"999", {current}', "{strong}", " {current} "])
def test_if_none_match_uses_weak_comparison_over_a_list(
    tenant: ScimTenant, alice: dict[str, Any], header: str
) -> None:
    current = alice["meta"]["version"]
    value = header.format(current=current, strong=current.removeprefix("W/"))
    response = tenant.get(f"/Users/{alice['id']}", headers={"If-None-Match": value})
    assert response.status_code == 304
    assert response.headers["ETag"] == current


def test_if_none_match_on_a_group(tenant: ScimTenant) -> None:
    group = tenant.create_group("Team")
    response = tenant.get(f"/Groups/{group['id']}", headers={"If-None-Match": group["meta"]["version"]})
    assert response.status_code == 304


def test_service_provider_config_advertises_etags(tenant: ScimTenant) -> None:
    assert tenant.get("/ServiceProviderConfig").get_json()["etag"] == {"supported": True}
