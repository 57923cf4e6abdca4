"""The dashboard through the Flask test client: who may see it, what each page shows, what its forms do."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import GROUP, USER, ScimTenant

from .conftest import csrf_of, submit, text

REMOTE = {"REMOTE_ADDR": "203.0.113.9"}
TOKEN = "s3cret-admin-token"


# -- who may see it -------------------------------------------------------------------------


def test_loopback_clients_see_the_dashboard_without_a_token(client: FlaskClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert "Tenants" in text(response)


def test_remote_clients_are_refused_without_a_token(client: FlaskClient) -> None:
    response = client.get("/", environ_base=REMOTE)
    assert response.status_code == 403
    assert "loopback clients only" in text(response)
    assert client.get("/faults", environ_base=REMOTE).status_code == 403


def test_with_a_token_the_dashboard_asks_to_sign_in(build_app: Callable[..., Flask]) -> None:
    client = build_app(EMULATOR_ADMIN_TOKEN=TOKEN).test_client()
    response = client.get("/faults?tenant=generic/acme", environ_base=REMOTE)
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=/faults?tenant%3Dgeneric/acme"
    assert client.get("/tenants/generic/acme/live", environ_base=REMOTE).status_code == 401


def test_signing_in_keeps_the_token_in_the_session(build_app: Callable[..., Flask]) -> None:
    client = build_app(EMULATOR_ADMIN_TOKEN=TOKEN).test_client()
    login = client.get("/login?next=/faults", environ_base=REMOTE)
    assert login.status_code == 200

    wrong = client.post(
        "/login", data={"csrf": csrf_of(login), "token": "guess", "next": "/faults"}, environ_base=REMOTE
    )
    assert wrong.status_code == 401
    assert "not the admin token" in text(wrong)

    right = client.post(
        "/login", data={"csrf": csrf_of(login), "token": TOKEN, "next": "/faults"}, environ_base=REMOTE
    )
    assert right.status_code == 302
    assert right.headers["Location"] == "/faults"
    cookie = right.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert TOKEN not in cookie  # only a fingerprint of it
    assert client.get("/", environ_base=REMOTE).status_code == 200

    signed_in = client.get("/", environ_base=REMOTE)
    client.post("/logout", data={"csrf": csrf_of(signed_in)}, environ_base=REMOTE)
    assert client.get("/", environ_base=REMOTE).status_code == 302


def test_sign_in_only_redirects_within_the_site(build_app: Callable[..., Flask]) -> None:
    client = build_app(EMULATOR_ADMIN_TOKEN=TOKEN).test_client()
    login = client.get("/login")
    response = client.post("/login", data={"csrf": csrf_of(login), "token": TOKEN, "next": "//evil.example/"})
    assert response.headers["Location"] == "/"


def test_the_admin_bearer_header_also_opens_the_dashboard(build_app: Callable[..., Flask]) -> None:
    client = build_app(EMULATOR_ADMIN_TOKEN=TOKEN).test_client()
    headers = {"Authorization": f"Bearer {TOKEN}"}
    assert client.get("/", headers=headers, environ_base=REMOTE).status_code == 200
    created = client.post("/tenants", data={"vendor": "generic", "name": "acme"}, headers=headers)
    assert created.status_code == 200  # no CSRF token needed: browsers never send this header cross-site


def test_sessions_survive_another_worker(build_app: Callable[..., Flask]) -> None:
    """Two apps with the same settings (two gunicorn workers) accept each other's session cookies."""
    first = build_app(EMULATOR_ADMIN_TOKEN=TOKEN).test_client()
    second = build_app(EMULATOR_ADMIN_TOKEN=TOKEN).test_client()
    login = first.get("/login")
    first.post("/login", data={"csrf": csrf_of(login), "token": TOKEN})
    cookie = first.get_cookie("session")
    assert cookie is not None
    second.set_cookie("session", cookie.value)
    assert second.get("/").status_code == 200


def test_forms_rendered_by_one_worker_post_to_another_without_a_token(
    build_app: Callable[..., Flask],
) -> None:
    first, second = build_app().test_client(), build_app().test_client()
    token = csrf_of(first.get("/"))
    second.set_cookie("session", first.get_cookie("session").value)
    response = second.post("/tenants", data={"csrf": token, "vendor": "generic", "name": "acme"})
    assert response.status_code == 200


def test_a_different_admin_token_signs_everyone_out(build_app: Callable[..., Flask]) -> None:
    first = build_app(EMULATOR_ADMIN_TOKEN=TOKEN).test_client()
    first.post("/login", data={"csrf": csrf_of(first.get("/login")), "token": TOKEN})
    changed = build_app(EMULATOR_ADMIN_TOKEN="another-token").test_client()
    changed.set_cookie("session", first.get_cookie("session").value)
    assert changed.get("/").status_code == 302


def test_posts_without_the_csrf_token_are_refused(client: FlaskClient) -> None:
    client.get("/")  # a session exists
    missing = client.post("/tenants", data={"vendor": "generic", "name": "acme"})
    assert missing.status_code == 400
    assert "CSRF" in text(missing)
    stale = client.post("/tenants", data={"csrf": "forged", "vendor": "generic", "name": "acme"})
    assert stale.status_code == 400
    assert client.get("/_emulator/tenants").get_json()["tenants"] == []


def test_a_fresh_client_without_a_session_cannot_post(client: FlaskClient) -> None:
    assert client.post("/faults", data={"csrf": "", "action": "drop"}).status_code == 400


# -- tenant addresses never reach it --------------------------------------------------------


@pytest.mark.parametrize(
    "path, host",
    [
        ("/", "acme.generic.localhost"),
        ("/faults", "acme.generic.localhost:8000"),
        ("/t/generic/acme/", "localhost"),
        ("/t/generic/acme/faults", "localhost"),
        ("/t/generic/acme/static/dashboard/dashboard.js", "localhost"),
    ],
)
def test_a_tenant_address_does_not_serve_the_dashboard(
    client: FlaskClient, tenant: ScimTenant, path: str, host: str
) -> None:
    response = client.get(path, headers={"Host": host})
    assert response.status_code == 404
    assert response.mimetype == "application/scim+json"


# -- security headers -----------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/faults", "/login", "/static/dashboard/dashboard.js"])
def test_dashboard_responses_carry_security_headers(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code in (200, 302)
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "script-src 'self'" in policy
    assert "unsafe-inline" not in policy and "http" not in policy
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_pages_load_no_inline_script_and_nothing_from_outside(
    client: FlaskClient, tenant: ScimTenant
) -> None:
    for path in ("/", "/tenants/generic/acme", "/faults"):
        page = client.get(path).get_data(as_text=True)
        assert "<script>" not in page and "style=" not in page and "onclick" not in page
        assert "https://" not in page


def test_the_script_and_stylesheet_are_served(client: FlaskClient) -> None:
    script = client.get("/static/dashboard/dashboard.js")
    assert script.status_code == 200 and "fetch(" in script.get_data(as_text=True)
    assert client.get("/static/dashboard/dashboard.css").status_code == 200


# -- tenants --------------------------------------------------------------------------------


def test_the_tenants_page_shows_each_tenant(
    client: FlaskClient, make_tenant: Callable[..., ScimTenant]
) -> None:
    acme = make_tenant("generic", "acme")
    make_tenant("britive", "acme")
    make_tenant("jostle", "beta", options={"automation_user_active": False})
    acme.create_user("ada@example.org")
    group = acme.create_group("Engineering")
    acme.get(f"/Groups/{group['id']}")
    client.post("/_emulator/faults", json={"tenant": "generic/acme", "action": {"type": "drop"}})
    client.post("/_emulator/faults", json={"vendor": "britive", "action": {"type": "latency", "ms": 5}})

    page = text(client.get("/", base_url="http://localhost:8000"))
    assert "http://acme.generic.localhost:8000/scim/v2" in page
    assert "http://localhost:8000/t/generic/acme/scim/v2" in page
    assert "generic acme http://acme.generic.localhost:8000/scim/v2 copy" in page
    # users, groups, requests in the last minute (3 SCIM requests), active faults
    assert "no expiry 1 1 3 1" in page
    assert "expires" in page  # Britive's token lapses after 90 days without use
    assert "automation not activated" in page  # Jostle's Automation user is pending


def test_creating_a_tenant_shows_its_credential_once(client: FlaskClient) -> None:
    response = submit(client, "/tenants", {"vendor": "britive", "name": "acme", "options": ""})
    assert response.status_code == 200
    page = text(response)
    assert "Tenant britive/acme created" in page
    assert "shown this once" in page
    assert response.headers["Cache-Control"] == "no-store"
    token = next(word for word in page.split() if len(word) == 48)
    users = client.get("/t/britive/acme/scim/v2/Users", headers={"Authorization": f"Bearer {token}"})
    assert users.status_code == 200

    again = submit(client, "/tenants", {"vendor": "britive", "name": "acme"})
    assert again.status_code == 302
    assert "already exists" in text(client.get("/"))


def test_creating_a_tenant_with_options(client: FlaskClient) -> None:
    submit(client, "/tenants", {"vendor": "generic", "name": "acme", "options": '{"delete": "deactivate"}'})
    shown = client.get("/_emulator/tenants/generic/acme").get_json()
    assert shown["options"]["delete"] == "deactivate"

    submit(client, "/tenants", {"vendor": "generic", "name": "beta", "options": "{not json"})
    assert "options must be a JSON object" in text(client.get("/"))
    submit(client, "/tenants", {"vendor": "nobody", "name": "gamma"})
    assert "unknown vendor" in text(client.get("/"))


def test_reset_empties_a_tenant(client: FlaskClient, tenant: ScimTenant) -> None:
    tenant.create_user("ada@example.org")
    response = submit(client, "/tenants/generic/acme/reset", {"next": "/tenants/generic/acme"})
    assert response.headers["Location"] == "/tenants/generic/acme"
    shown = client.get("/_emulator/tenants/generic/acme").get_json()
    assert shown["counts"] == {"users": 0, "groups": 0}
    assert client.get("/_emulator/tenants/generic/acme/journal").get_json()["entries"] == []
    assert tenant.get("/Users").status_code == 200  # credentials kept


def test_delete_removes_a_tenant(client: FlaskClient, tenant: ScimTenant) -> None:
    response = submit(client, "/tenants/generic/acme/delete")
    assert response.status_code == 302
    assert client.get("/_emulator/tenants/generic/acme").status_code == 404
    assert "generic/acme deleted" in text(client.get("/"))


def test_rotate_issues_a_new_credential_and_revokes_the_old(client: FlaskClient, tenant: ScimTenant) -> None:
    response = submit(client, "/tenants/generic/acme/rotate")
    assert "New credential for generic/acme" in text(response)
    token = next(word for word in text(response).split() if len(word) == 48)
    assert tenant.get("/Users").status_code == 401
    assert (
        client.get("/t/generic/acme/scim/v2/Users", headers={"Authorization": f"Bearer {token}"}).status_code
        == 200
    )
    assert "1 revoked" in text(client.get("/"))


def test_activating_a_pending_automation_user(
    client: FlaskClient, make_tenant: Callable[..., ScimTenant]
) -> None:
    jostle = make_tenant("jostle", "acme", options={"automation_user_active": False})
    assert jostle.get("/Users").status_code == 401
    submit(client, "/tenants/jostle/acme/accounts/automation/activate")
    assert jostle.get("/Users").status_code == 200
    assert "not activated" not in text(client.get("/"))


def test_forms_for_unknown_tenants_answer_404(client: FlaskClient) -> None:
    response = submit(client, "/tenants/generic/nobody/reset")
    assert response.status_code == 404
    assert "no tenant generic/nobody" in text(response)


# -- one tenant -----------------------------------------------------------------------------


def test_the_tenant_page_lists_users_and_groups(client: FlaskClient, tenant: ScimTenant) -> None:
    ada = tenant.create_user(
        "ada@example.org", displayName="Ada Lovelace", emails=[{"value": "ada@example.org"}], active=True
    )
    tenant.create_user("alan@example.org")
    tenant.create_group("Engineering", members=[ada["id"]])

    users = text(client.get("/tenants/generic/acme"))
    assert "ada@example.org Ada Lovelace ada@example.org active" in users
    assert "alan@example.org" in users
    assert "page 1 of 1 · 2 users" in users

    groups = text(client.get("/tenants/generic/acme?show=groups"))
    assert "Engineering 1" in groups


def test_users_are_paged(client: FlaskClient, tenant: ScimTenant) -> None:
    for number in range(30):
        tenant.create_user(f"user{number:02d}@example.org")
    first = text(client.get("/tenants/generic/acme"))
    assert "user24@example.org" in first and "user25@example.org" not in first
    assert "page 1 of 2 · 30 users" in first
    second = text(client.get("/tenants/generic/acme?page=2"))
    assert "user25@example.org" in second and "user24@example.org" not in second


def test_search_takes_words_or_a_scim_filter(
    client: FlaskClient, make_tenant: Callable[..., ScimTenant]
) -> None:
    britive = make_tenant("britive", "acme")  # Britive filters userName eq only; the dashboard sees past it
    britive.create_user("ada@example.org")
    britive.create_user("alan@example.org")
    by_words = text(client.get("/tenants/britive/acme?q=ada"))
    assert "ada@example.org" in by_words and "alan@example.org" not in by_words
    by_filter = text(client.get('/tenants/britive/acme?q=userName sw "al"'))
    assert "alan@example.org" in by_filter and "ada@example.org" not in by_filter
    broken = client.get('/tenants/britive/acme?q=userName eq "unterminated')
    assert broken.status_code == 200
    assert 'class="flash error"' in broken.get_data(as_text=True)


def test_a_user_page_shows_its_scim_json(client: FlaskClient, tenant: ScimTenant) -> None:
    ada = tenant.create_user("ada@example.org", name={"givenName": "Ada"})
    page = text(client.get(f"/tenants/generic/acme/users/{ada['id']}"))
    assert f'"id": "{ada["id"]}"' in page
    assert f'"schemas": [ "{USER}" ]' in page
    assert '"givenName": "Ada"' in page


def test_a_group_page_lists_its_members(client: FlaskClient, tenant: ScimTenant) -> None:
    ada = tenant.create_user("ada@example.org")
    group = tenant.create_group("Engineering", members=[ada["id"]])
    response = client.get(f"/tenants/generic/acme/groups/{group['id']}")
    page = response.get_data(as_text=True)
    assert f"/tenants/generic/acme/users/{ada['id']}" in page
    assert GROUP in page
    assert client.get("/tenants/generic/acme/groups/nope").status_code == 404


def test_vendors_without_groups_have_no_groups_tab(
    client: FlaskClient, make_tenant: Callable[..., ScimTenant]
) -> None:
    make_tenant("jostle", "acme")
    page = text(client.get("/tenants/jostle/acme?show=groups"))
    assert "Groups (" not in page and "Users (0)" in page
    assert client.get("/tenants/jostle/acme/groups/x").status_code == 404


def test_the_journal_shows_requests_with_status_and_fault(client: FlaskClient, tenant: ScimTenant) -> None:
    tenant.create_user("ada@example.org")
    client.post(
        "/_emulator/faults",
        json={"tenant": "generic/acme", "method": "GET", "action": {"type": "status", "status": 503}},
    )
    assert tenant.get("/Users?filter=userName%20eq%20%22ada%22").status_code == 503
    page = client.get("/tenants/generic/acme").get_data(as_text=True)
    assert 'class="status s2xx">201' in page
    assert 'class="status s5xx">503' in page
    assert "status #1" in page  # the fault badge
    assert '?filter=userName eq "ada"' in text(client.get("/tenants/generic/acme"))


def test_a_journal_entry_shows_request_and_response(client: FlaskClient, tenant: ScimTenant) -> None:
    tenant.create_user("ada@example.org")
    entry = client.get("/_emulator/tenants/generic/acme/journal").get_json()["entries"][0]
    page = text(client.get(f"/tenants/generic/acme/journal/{entry['id']}"))
    assert "POST /scim/v2/Users" in page
    assert "Authorization Bearer ********" in page  # masked as the journal keeps it
    assert '"userName": "ada@example.org"' in page
    assert "201" in page
    assert client.get("/tenants/generic/acme/journal/999").status_code == 404


def test_the_live_endpoint_sends_only_new_rows(client: FlaskClient, tenant: ScimTenant) -> None:
    tenant.create_user("ada@example.org")
    first = client.get("/tenants/generic/acme/live").get_json()
    assert first["replace"] is True and "/scim/v2/Users" in first["rows"]
    assert "<svg" in first["chart"] and 'class="c2xx"' in first["chart"]
    last = first["last"]

    idle = client.get(f"/tenants/generic/acme/live?after={last}").get_json()
    assert idle["rows"].strip() == "" and idle["last"] == last and idle["replace"] is False

    tenant.get("/Users")
    fresh = client.get(f"/tenants/generic/acme/live?after={last}").get_json()
    assert fresh["rows"].count("<tr") == 1 and "GET" in fresh["rows"] and fresh["last"] > last


def test_the_live_endpoint_starts_over_after_a_reset(client: FlaskClient, tenant: ScimTenant) -> None:
    for number in range(3):
        tenant.create_user(f"user{number}@example.org")
    last = client.get("/tenants/generic/acme/live").get_json()["last"]
    client.post("/_emulator/tenants/generic/acme/reset")
    after_reset = client.get(f"/tenants/generic/acme/live?after={last}").get_json()
    assert after_reset["replace"] is True and after_reset["rows"].strip() == ""
    assert after_reset["last"] is None


def test_the_tenant_page_lists_faults_that_can_fire(client: FlaskClient, tenant: ScimTenant) -> None:
    client.post(
        "/_emulator/faults", json={"tenant": "generic/acme", "path": "/Users", "action": {"type": "drop"}}
    )
    client.post("/_emulator/faults", json={"vendor": "jive", "action": {"type": "drop"}})
    page = text(client.get("/tenants/generic/acme"))
    assert "generic/acme /Users → drop" in page
    assert "jive" not in page.split("Faults for this tenant")[1]


# -- faults and scenarios -------------------------------------------------------------------


def test_the_faults_page_lists_rules_with_their_counters(client: FlaskClient, tenant: ScimTenant) -> None:
    client.post("/_emulator/faults", json={"tenant": "generic/acme", "times": 1, "action": {"type": "auth"}})
    tenant.get("/Users")
    tenant.get("/Users")
    page = text(client.get("/faults"))
    assert "generic/acme auth 1 times exhausted 2 1" in page


def test_creating_a_fault_rule_from_the_form(client: FlaskClient, tenant: ScimTenant) -> None:
    form = {
        "tenant": "generic/acme",
        "method": "POST",
        "path": "/Users",
        "action": "status",
        "action_status": "429",
        "action_retry_after": "2",
        "times": "1",
        "probability": "",
        "next": "/faults?tenant=generic/acme",
    }
    response = submit(client, "/faults", form, page="/faults")
    assert response.headers["Location"] == "/faults?tenant=generic/acme"
    rules = client.get("/_emulator/faults").get_json()["faults"]
    assert [(r["tenant"], r["method"], r["path"], r["action"], r["times"]) for r in rules] == [
        ("generic/acme", "POST", "/Users", {"type": "status", "status": 429, "retry_after": 2}, 1)
    ]
    refused = tenant.post("/Users", {"schemas": [USER], "userName": "ada@example.org"})
    assert refused.status_code == 429
    assert "fault rule 1 created" in text(client.get("/faults"))


def test_an_invalid_fault_rule_is_refused_with_the_reason(client: FlaskClient) -> None:
    submit(client, "/faults", {"action": "status"}, page="/faults")
    assert "a status action needs 'status'" in text(client.get("/faults"))
    submit(client, "/faults", {"action": "latency", "action_ms": "soon"}, page="/faults")
    assert "ms must be a number" in text(client.get("/faults"))
    assert client.get("/_emulator/faults").get_json()["faults"] == []


def test_disabling_enabling_and_removing_a_fault_rule(client: FlaskClient, tenant: ScimTenant) -> None:
    client.post("/_emulator/faults", json={"tenant": "generic/acme", "action": {"type": "auth"}})
    submit(client, "/faults/1/disable", page="/faults")
    assert tenant.get("/Users").status_code == 200
    submit(client, "/faults/1/enable", page="/faults")
    assert tenant.get("/Users").status_code == 401
    submit(client, "/faults/1/delete", page="/faults")
    assert client.get("/_emulator/faults").get_json()["faults"] == []
    assert tenant.get("/Users").status_code == 200
    submit(client, "/faults/1/delete", page="/faults")
    assert "no fault rule 1" in text(client.get("/faults"))


def test_starting_and_stopping_a_scenario(client: FlaskClient, tenant: ScimTenant) -> None:
    page = text(client.get("/faults"))
    assert "quarantine" in page and "rate-limited-initial-sync" in page
    submit(
        client, "/scenarios/quarantine/start", {"tenant": "generic/acme", "time_scale": ""}, page="/faults"
    )
    runs = client.get("/_emulator/scenarios/runs").get_json()["runs"]
    assert [(r["scenario"], r["tenant"], r["state"]) for r in runs] == [
        ("quarantine", "generic/acme", "running")
    ]
    assert tenant.get("/Users").status_code == 401
    assert "quarantine generic/acme running" in text(client.get("/faults"))

    submit(client, f"/scenarios/runs/{runs[0]['id']}/stop", page="/faults")
    assert client.get("/_emulator/scenarios/runs").get_json()["runs"][0]["state"] == "stopped"
    assert tenant.get("/Users").status_code == 200


def test_starting_an_unknown_scenario_says_so(client: FlaskClient) -> None:
    submit(client, "/scenarios/nope/start", page="/faults")
    assert "no scenario 'nope'" in text(client.get("/faults"))
