"""The vendor listing (GET /_emulator/vendors) and each vendor's discovery, filters and options."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.conftest import ENTERPRISE, GROUP, USER, ScimTenant, assert_scim_error

MakeTenant = Callable[..., ScimTenant]
JOSTLE = "urn:ietf:params:scim:schemas:extension:jostle:2.0:User"
VENDORS = ("generic", "jive", "jostle", "britive", "jellyfish", "thrive")
WITH_GROUPS = ("generic", "britive", "thrive")
MULTI = ["value", "display", "type", "primary"]
ADDRESS = ["formatted", "streetAddress", "locality", "region", "postalCode", "country", "type", "primary"]
MANAGER = ["value", "$ref", "displayName"]
MEMBERS = ["value", "$ref", "display", "type"]
ENTERPRISE_ALL: dict[str, list[str]] = {
    "employeeNumber": [],
    "costCenter": [],
    "organization": [],
    "division": [],
    "department": [],
    "manager": MANAGER,
}
GROUP_CORE: dict[str, list[str]] = {"displayName": [], "members": MEMBERS}

# what each tenant's /Schemas serves: schema -> attribute -> sub-attributes, from the seed tables
SERVED: dict[str, dict[str, dict[str, list[str]]]] = {
    "generic": {
        USER: {
            "userName": [],
            "name": [
                "formatted",
                "familyName",
                "givenName",
                "middleName",
                "honorificPrefix",
                "honorificSuffix",
            ],
            "displayName": [],
            "nickName": [],
            "profileUrl": [],
            "title": [],
            "userType": [],
            "preferredLanguage": [],
            "locale": [],
            "timezone": [],
            "active": [],
            "password": [],
            "emails": MULTI,
            "phoneNumbers": MULTI,
            "ims": MULTI,
            "photos": MULTI,
            "addresses": ADDRESS,
            "groups": ["value", "$ref", "display", "type"],
            "entitlements": MULTI,
            "roles": MULTI,
            "x509Certificates": MULTI,
        },
        ENTERPRISE: ENTERPRISE_ALL,
        GROUP: GROUP_CORE,
    },
    "jive": {
        USER: {
            "userName": [],
            "name": ["familyName", "givenName"],
            "displayName": [],
            "active": [],
            "emails": ["value", "type", "primary"],
        },
    },
    "jostle": {
        USER: {
            "userName": [],
            "name": ["familyName", "givenName"],
            "active": [],
            "emails": ["value", "type", "primary"],
        },
        JOSTLE: {"alternateEmail1Label": [], "alternateEmail2Label": []},
    },
    "britive": {
        USER: {
            "userName": [],
            "name": ["familyName", "givenName"],
            "displayName": [],
            "nickName": [],
            "title": [],
            "userType": [],
            "preferredLanguage": [],
            "locale": [],
            "timezone": [],
            "active": [],
            "emails": ["value", "type", "primary"],
            "phoneNumbers": ["value", "type", "primary"],
            "addresses": ADDRESS,
        },
        ENTERPRISE: ENTERPRISE_ALL,
        GROUP: GROUP_CORE,
    },
    "jellyfish": {
        USER: {
            "userName": [],
            "name": ["familyName", "givenName"],
            "title": [],
            "active": [],
            "emails": ["value", "type", "primary"],
        },
    },
    "thrive": {
        USER: {
            "userName": [],
            "name": ["familyName", "givenName"],
            "title": [],
            "preferredLanguage": [],
            "timezone": [],
            "active": [],
            "emails": ["value", "type", "primary"],
        },
        ENTERPRISE: {"manager": MANAGER},
        GROUP: GROUP_CORE,
    },
}

# the types a multi-valued attribute takes (canonicalValues of its "type")
TYPES: dict[str, dict[str, list[str]]] = {
    "generic": {
        "emails": ["work", "home", "other"],
        "phoneNumbers": ["work", "home", "mobile", "fax", "pager", "other"],
        "addresses": ["work", "home", "other"],
    },
    "jive": {"emails": ["work"]},
    "jostle": {"emails": ["work", "personal", "alternate1", "alternate2"]},
    "britive": {
        "emails": ["home", "other", "work"],
        "phoneNumbers": ["home", "other", "pager", "work", "mobile", "fax"],
        "addresses": ["work", "home", "other"],
    },
    "jellyfish": {"emails": ["work"]},
    "thrive": {"emails": ["work"]},
}

REQUIRED: dict[str, set[str]] = {
    "generic": {"userName", "displayName"},
    "jive": {"userName"},
    "jostle": {"userName"},
    "britive": {"userName", "displayName"},
    "jellyfish": {"userName", "active"},
    "thrive": {"userName", "displayName"},
}

QUIRK_DEFAULTS: dict[str, dict[str, Any]] = {
    vendor: {
        "unknown_attributes": "ignore",
        "unsupported_filters": "reject",
        "patch_dialect": "lenient",
        "unknown_members": "ignore",
        "patch_response": "resource",
        "delete": "deactivate" if vendor == "jive" else "remove",
        **({"automation_user_active": True} if vendor == "jostle" else {}),
        **({"scim_provider": "Azure"} if vendor == "britive" else {}),
    }
    for vendor in VENDORS
}

AUTH_SCHEMES: dict[str, list[str]] = {
    "generic": ["oauthbearertoken"],
    "jive": ["httpbasic", "oauthbearertoken"],
    "jostle": ["oauthbearertoken"],
    "britive": ["oauthbearertoken"],
    "jellyfish": ["oauthbearertoken"],
    "thrive": ["oauthbearertoken"],
}


def served_tree(schema: dict[str, Any]) -> dict[str, list[str]]:
    """A served schema as attribute -> sub-attribute names."""
    return {a["name"]: [s["name"] for s in a.get("subAttributes", [])] for a in schema["attributes"]}


@pytest.fixture
def vendors(client: FlaskClient) -> dict[str, dict[str, Any]]:
    """GET /_emulator/vendors, by vendor name."""
    response = client.get("/_emulator/vendors")
    assert response.status_code == 200
    return {v["vendor"]: v for v in response.get_json()["vendors"]}


# -- the listing ---------------------------------------------------------------------------------


def test_listing_names_every_vendor(client: FlaskClient) -> None:
    body = client.get("/_emulator/vendors").get_json()
    assert [v["vendor"] for v in body["vendors"]] == list(VENDORS)
    titles = {v["vendor"]: v["title"] for v in body["vendors"]}
    assert titles == {
        "generic": "Generic RFC 7643/7644 SCIM 2.0 service provider",
        "jive": "Jive",
        "jostle": "Jostle",
        "britive": "Britive",
        "jellyfish": "Jellyfish",
        "thrive": "Thrive LXP",
    }


@pytest.mark.parametrize("vendor", VENDORS)
def test_listing_entry_is_the_vendors_profile(
    client: FlaskClient, vendors: dict[str, dict[str, Any]], vendor: str
) -> None:
    entry = vendors[vendor]
    assert client.get(f"/_emulator/vendors/{vendor}").get_json() == entry
    assert set(entry) == {
        "vendor",
        "title",
        "auth",
        "resource_types",
        "username_case_sensitive",
        "quirks",
        "notes",
    }
    assert {q["name"]: q["default"] for q in entry["quirks"]} == QUIRK_DEFAULTS[vendor]
    for quirk in entry["quirks"]:
        assert quirk["description"] and quirk["source"]
        assert quirk["default"] in quirk["choices"]
    assert entry["username_case_sensitive"] is (vendor == "thrive")
    assert entry["notes"] and all(isinstance(n, str) for n in entry["notes"])
    assert sorted(entry["resource_types"]) == (["Group", "User"] if vendor in WITH_GROUPS else ["User"])


@pytest.mark.parametrize("vendor", VENDORS)
def test_listing_attributes_are_the_served_schemas(vendors: dict[str, dict[str, Any]], vendor: str) -> None:
    """The listing's attribute names are exactly what /Schemas serves (extensions prefixed with their URN)."""
    listed_names = {
        name: sorted(a["name"] for a in body["attributes"])
        for name, body in vendors[vendor]["resource_types"].items()
    }
    expected: dict[str, list[str]] = {"User": []}
    for schema_id, attributes in SERVED[vendor].items():
        resource_type = "Group" if schema_id == GROUP else "User"
        prefix = "" if schema_id in (USER, GROUP) else schema_id + ":"
        expected.setdefault(resource_type, []).extend(prefix + a for a in attributes)
    assert listed_names == {k: sorted(v) for k, v in expected.items()}


def test_britive_listing_details(vendors: dict[str, dict[str, Any]]) -> None:
    entry = vendors["britive"]
    assert entry["auth"] == [
        {
            "type": "BearerTokens",
            "label": "token",
            "name": "bearer",
            "scheme": "Bearer",
            "kind": "bearer",
            "validity_days": [1, 90],
            "default_validity_days": 90,
            "recreate_revokes": True,
        }
    ]
    (provider,) = [q for q in entry["quirks"] if q["name"] == "scim_provider"]
    assert provider["choices"] == ["Azure", "Generic"]
    assert provider["implies"] == {"Generic": {"patch_dialect": "strict"}}
    assert entry["resource_types"]["User"]["filterable"] == {"username": ["eq"]}
    assert entry["resource_types"]["Group"]["filterable"] == {"displayname": ["eq"]}


def test_thrive_listing_details(vendors: dict[str, dict[str, Any]]) -> None:
    entry = vendors["thrive"]
    assert [(a["type"], a["label"], a["validity_days"]) for a in entry["auth"]] == [
        ("BearerTokens", "SCIM token", None)
    ]
    assert entry["resource_types"]["User"]["filterable"] == {"username": ["eq"]}
    assert entry["resource_types"]["Group"]["filterable"] == {"displayname": ["eq"]}
    user_name = entry["resource_types"]["User"]["attributes"][0]
    assert user_name == {"name": "userName", "required": True}


def test_generic_listing_filters_everything(vendors: dict[str, dict[str, Any]]) -> None:
    for resource_type in vendors["generic"]["resource_types"].values():
        assert resource_type["filterable"] == "all (RFC 7644 grammar)"


# -- each vendor's discovery -----------------------------------------------------------------------


@pytest.mark.parametrize("vendor", VENDORS)
def test_resource_types_describe_the_vendor(
    make_tenant: MakeTenant, client: FlaskClient, vendor: str
) -> None:
    tenant = make_tenant(vendor, "acme")
    body = client.get(tenant.base + "/ResourceTypes").get_json()
    found = {
        r["name"]: (r["endpoint"], r["schema"], [e["schema"] for e in r["schemaExtensions"]])
        for r in body["Resources"]
    }
    extensions = {"jostle": [JOSTLE], "jive": [], "jellyfish": []}.get(vendor, [ENTERPRISE])
    expected = {"User": ("/Users", USER, extensions)}
    if vendor in WITH_GROUPS:
        expected["Group"] = ("/Groups", GROUP, [])
    assert found == expected
    assert body["totalResults"] == len(expected)
    assert client.get(tenant.base + "/ResourceTypes/User").get_json()["schema"] == USER
    group = client.get(tenant.base + "/ResourceTypes/Group")
    assert group.status_code == (200 if vendor in WITH_GROUPS else 404)


@pytest.mark.parametrize("vendor", VENDORS)
def test_schemas_serve_the_attribute_table(make_tenant: MakeTenant, client: FlaskClient, vendor: str) -> None:
    tenant = make_tenant(vendor, "acme")
    body = client.get(tenant.base + "/Schemas").get_json()
    served = {s["id"]: served_tree(s) for s in body["Resources"]}
    assert {k: {a: sorted(s) for a, s in v.items()} for k, v in served.items()} == {
        k: {a: sorted(s) for a, s in v.items()} for k, v in SERVED[vendor].items()
    }
    for schema in body["Resources"]:
        single = client.get(f"{tenant.base}/Schemas/{schema['id']}")
        assert single.status_code == 200
        assert single.get_json() == schema
    required = {a["name"] for s in body["Resources"] for a in s["attributes"] if a["required"]}
    assert required == REQUIRED[vendor]
    (user_name,) = [
        a
        for a in next(s for s in body["Resources"] if s["id"] == USER)["attributes"]
        if a["name"] == "userName"
    ]
    assert user_name["caseExact"] is (vendor == "thrive")
    assert user_name["uniqueness"] == "server"


@pytest.mark.parametrize("vendor", list(VENDORS))
def test_schemas_serve_the_tables_types(make_tenant: MakeTenant, client: FlaskClient, vendor: str) -> None:
    tenant = make_tenant(vendor, "acme")
    body = client.get(tenant.base + f"/Schemas/{USER}").get_json()
    types = {
        a["name"]: next(s for s in a["subAttributes"] if s["name"] == "type").get("canonicalValues")
        for a in body["attributes"]
        if a["name"] in ("emails", "phoneNumbers", "addresses")
    }
    assert types == TYPES[vendor]


@pytest.mark.parametrize("vendor", VENDORS)
def test_service_provider_config_describes_the_vendor(
    make_tenant: MakeTenant, client: FlaskClient, vendor: str
) -> None:
    tenant = make_tenant(vendor, "acme")
    body = client.get(tenant.base + "/ServiceProviderConfig").get_json()
    assert body["patch"] == {"supported": True}
    assert body["filter"] == {"supported": True, "maxResults": 1000}
    assert body["bulk"]["supported"] is False
    assert body["changePassword"] == {"supported": False}
    assert body["sort"] == {"supported": True}
    assert body["etag"] == {"supported": True}
    assert [s["type"] for s in body["authenticationSchemes"]] == AUTH_SCHEMES[vendor]


@pytest.mark.parametrize("vendor", VENDORS)
def test_filter_support(make_tenant: MakeTenant, vendor: str) -> None:
    tenant = make_tenant(vendor, "acme")
    tenant.create_user("ada", active=True)
    found = tenant.get('/Users?filter=userName eq "ada"')
    assert found.status_code == 200
    assert found.get_json()["totalResults"] == 1
    for query in ("/Users?filter=active eq true", '/Users?filter=userName co "a"'):
        response = tenant.get(query)
        if vendor == "generic":
            assert response.status_code == 200
            assert response.get_json()["totalResults"] == 1
        else:
            assert_scim_error(response, 400, "invalidFilter")
    groups = tenant.get('/Groups?filter=displayName eq "Engineers"')
    if vendor in WITH_GROUPS:
        assert groups.status_code == 200
        assert groups.get_json()["totalResults"] == 0
        externally = tenant.get('/Groups?filter=externalId eq "x"')
        assert externally.status_code == (200 if vendor == "generic" else 400)
    else:
        assert_scim_error(groups, 404)
        assert_scim_error(tenant.post("/Groups", {"schemas": [GROUP], "displayName": "Engineers"}), 404)


# -- options: validation and implication ------------------------------------------------------------


BAD_OPTIONS: dict[str, dict[str, Any]] = {
    "unknown option": {"no_such_option": True},
    "unknown_attributes outside choices": {"unknown_attributes": "explode"},
    "unsupported_filters outside choices": {"unsupported_filters": "maybe"},
    "patch_dialect outside choices": {"patch_dialect": "entra"},
    "unknown_members outside choices": {"unknown_members": "keep"},
    "delete outside choices": {"delete": "archive"},
    "patch_response outside choices": {"patch_response": "empty"},
}
VENDOR_BAD_OPTIONS: dict[str, list[dict[str, Any]]] = {
    "britive": [{"scim_provider": "Okta"}, {"scim_provider": "azure"}],
    "jostle": [{"automation_user_active": "yes"}],
    # a quirk of another vendor is unknown here
    "thrive": [{"scim_provider": "Azure"}],
    "generic": [{"automation_user_active": False}],
}


@pytest.mark.parametrize("vendor", VENDORS)
@pytest.mark.parametrize("options", BAD_OPTIONS.values(), ids=BAD_OPTIONS.keys())
def test_bad_options_refuse_tenant_creation(
    client: FlaskClient, vendor: str, options: dict[str, Any]
) -> None:
    response = client.post("/_emulator/tenants", json={"vendor": vendor, "name": "acme", "options": options})
    assert_scim_error(response, 400, "invalidValue")
    assert client.get(f"/_emulator/tenants/{vendor}/acme").status_code == 404


@pytest.mark.parametrize(
    ("vendor", "options"), [(v, o) for v, options in VENDOR_BAD_OPTIONS.items() for o in options]
)
def test_vendor_specific_bad_options(client: FlaskClient, vendor: str, options: dict[str, Any]) -> None:
    response = client.post("/_emulator/tenants", json={"vendor": vendor, "name": "acme", "options": options})
    body = assert_scim_error(response, 400, "invalidValue")
    assert next(iter(options)) in body["detail"]


@pytest.mark.parametrize("vendor", VENDORS)
def test_good_options_are_shown_as_effective(client: FlaskClient, vendor: str) -> None:
    options = {"unknown_attributes": "reject", "delete": "deactivate"}
    response = client.post("/_emulator/tenants", json={"vendor": vendor, "name": "acme", "options": options})
    assert response.status_code == 201
    assert response.get_json()["options"] == {**QUIRK_DEFAULTS[vendor], **options}
    assert client.get(f"/_emulator/tenants/{vendor}/acme").get_json()["options"] == {
        **QUIRK_DEFAULTS[vendor],
        **options,
    }


@pytest.mark.parametrize(
    ("options", "dialect"),
    [
        ({}, "lenient"),
        ({"scim_provider": "Azure"}, "lenient"),
        ({"scim_provider": "Generic"}, "strict"),
        ({"scim_provider": "Generic", "patch_dialect": "lenient"}, "lenient"),
        ({"scim_provider": "Azure", "patch_dialect": "strict"}, "strict"),
        ({"patch_dialect": "strict"}, "strict"),
    ],
)
def test_britive_scim_provider_implies_the_patch_dialect(
    make_tenant: MakeTenant, client: FlaskClient, options: dict[str, Any], dialect: str
) -> None:
    tenant = make_tenant("britive", "acme", options=options)
    effective = client.get("/_emulator/tenants/britive/acme").get_json()["options"]
    assert effective["patch_dialect"] == dialect
    assert effective["scim_provider"] == options.get("scim_provider", "Azure")
    # and the tenant behaves accordingly
    user = tenant.create_user("ada", active=True)
    response = tenant.patch(f"/Users/{user['id']}", [{"op": "Replace", "path": "active", "value": "False"}])
    assert response.status_code == (200 if dialect == "lenient" else 400)


def test_unknown_vendor_is_404(client: FlaskClient) -> None:
    assert_scim_error(client.get("/_emulator/vendors/nope"), 404)
