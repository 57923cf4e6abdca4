"""The dashboard in a real headless Chromium (Debian's ``chromium`` driven by Playwright).

Skipped, saying why, where Playwright's Python package or a Chromium binary is missing.
``EMULATOR_SCREENSHOTS=1`` also rewrites ``docs/screenshots/*.png`` (CI leaves them alone).
"""

from __future__ import annotations

import os
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from flask import Flask
from werkzeug.serving import make_server

sync_api = pytest.importorskip(
    "playwright.sync_api",
    reason="Playwright's Python package is not installed (pip install playwright; no `playwright install` needed)",
)

CHROMIUM = os.environ.get("EMULATOR_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
USER = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
WAIT_MS = 10_000


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One headless Chromium for the module; skipped with the reason when none can be had."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM}: apt-get install -y chromium (or set EMULATOR_CHROMIUM)")
    with sync_api.sync_playwright() as playwright:
        try:
            launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        except sync_api.Error as error:
            pytest.skip(f"Chromium at {CHROMIUM} does not start: {str(error).splitlines()[0]}")
        yield launched
        launched.close()


@pytest.fixture
def server(app: Flask) -> Iterator[str]:
    """The emulator on a real port in a background thread; yields its root URL."""
    http = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{http.server_port}"
    http.shutdown()
    thread.join(5)


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh browser tab that accepts confirmation dialogs and fails on script errors."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    tab = context.new_page()
    errors: list[str] = []
    tab.on("dialog", lambda dialog: dialog.accept())
    tab.on("pageerror", lambda error: errors.append(str(error)))
    tab.on("console", lambda message: message.type == "error" and errors.append(message.text))
    tab.set_default_timeout(WAIT_MS)
    yield tab
    context.close()
    assert not errors, f"the page logged errors (a CSP violation shows up here too): {errors}"


@pytest.fixture
def control(server: str) -> Callable[..., dict[str, Any]]:
    """Call the control plane over HTTP: ``control("POST", "/tenants", json=...)``."""

    def call(method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        response = requests.request(method, f"{server}/_emulator{path}", timeout=10, **kwargs)
        assert response.ok, response.text
        return response.json() if response.content else {}

    return call


def scim(server: str, created: dict[str, Any], method: str, path: str, body: Any = None) -> requests.Response:
    """A SCIM request to a tenant's alias URL with its credential."""
    return requests.request(
        method,
        f"{server}/t/{created['vendor']}/{created['name']}/scim/v2{path}",
        json=body,
        headers={"Authorization": created["credentials"]["authorization"]},
        timeout=10,
    )


def test_create_a_tenant_from_the_page(page: Any, server: str) -> None:
    page.goto(server + "/")
    page.select_option("#create-tenant select[name=vendor]", "britive")
    page.fill("#create-tenant input[name=name]", "acme")
    page.click("#create-tenant button.primary")

    page.get_by_text("Tenant britive/acme created").wait_for()
    assert page.locator("dd code").filter(has_text="Bearer ").count() == 1  # the token, shown once
    page.click("text=All tenants")
    row = page.locator("#tenant-britive-acme")
    row.wait_for()
    assert "acme.britive.localhost" in row.inner_text()
    assert "expires" in row.inner_text()


def test_a_request_appears_in_the_live_journal(
    page: Any, server: str, control: Callable[..., dict[str, Any]]
) -> None:
    created = control("POST", "/tenants", json={"vendor": "generic", "name": "acme"})
    page.goto(server + "/tenants/generic/acme")
    page.get_by_text("No requests yet").wait_for()

    response = scim(server, created, "POST", "/Users", {"schemas": [USER], "userName": "ada@example.org"})
    assert response.status_code == 201

    row = page.locator("#journal tbody tr").filter(has_text="/scim/v2/Users")
    row.wait_for()  # polled in, without reloading the page
    assert "POST" in row.inner_text() and "201" in row.inner_text()
    page.locator("#traffic rect.c2xx").first.wait_for()  # the chart counted it

    row.click()
    page.get_by_text("ada@example.org").first.wait_for()
    assert " ".join(page.locator("h1").inner_text().split()) == "POST /scim/v2/Users"


def test_add_and_remove_a_fault(page: Any, server: str, control: Callable[..., dict[str, Any]]) -> None:
    created = control("POST", "/tenants", json={"vendor": "generic", "name": "acme"})
    page.goto(server + "/faults")
    form = page.locator("#new-rule")
    form.locator("select[name=tenant]").select_option("generic/acme")
    form.locator("select[name=method]").select_option("POST")
    form.locator("input[name=path]").fill("/Users")
    form.locator("select[name=action]").select_option("status")
    form.locator("input[name=action_status]").fill("429")
    form.locator("input[name=action_retry_after]").fill("2")
    form.locator("button.primary").click()

    page.get_by_text("fault rule 1 created").wait_for()
    rule = page.locator("#rule-1")
    assert "generic/acme POST /Users" in rule.inner_text()
    assert control("GET", "/faults")["faults"][0]["action"] == {
        "type": "status",
        "status": 429,
        "retry_after": 2,
    }

    refused = scim(server, created, "POST", "/Users", {"schemas": [USER], "userName": "ada@example.org"})
    assert refused.status_code == 429
    page.reload()
    assert page.locator("#rule-1 td.fired").inner_text() == "1"

    page.locator("#rule-1 button", has_text="Remove").click()
    page.get_by_text("fault rule 1 removed").wait_for()
    assert page.locator("#rule-1").count() == 0
    accepted = scim(server, created, "POST", "/Users", {"schemas": [USER], "userName": "ada@example.org"})
    assert accepted.status_code == 201


@pytest.mark.skipif(
    not os.environ.get("EMULATOR_SCREENSHOTS"), reason="set EMULATOR_SCREENSHOTS=1 to rewrite them"
)
def test_screenshots(page: Any, server: str, control: Callable[..., dict[str, Any]]) -> None:
    """docs/screenshots/{tenants,tenant,faults}.png from a small, busy emulator."""
    acme = control("POST", "/tenants", json={"vendor": "generic", "name": "acme"})
    control("POST", "/tenants", json={"vendor": "britive", "name": "acme"})
    control(
        "POST",
        "/tenants",
        json={"vendor": "jostle", "name": "acme", "options": {"automation_user_active": False}},
    )
    control("POST", "/tenants", json={"vendor": "jive", "name": "globex"})
    control("POST", "/tenants/generic/acme/seed", json={"fixture": "small-org"})
    control(
        "POST",
        "/faults",
        json={
            "tenant": "generic/acme",
            "method": "PATCH",
            "probability": 0.3,
            "seed": 3,
            "action": {"type": "status", "status": 503, "retry_after": 1},
        },
    )
    control(
        "POST",
        "/faults",
        json={
            "tenant": "generic/acme",
            "method": "POST",
            "path": "/Users",
            "times": 2,
            "action": {"type": "status", "status": 429, "retry_after": 2},
        },
    )
    control("POST", "/scenarios/slow-vendor/start", json={"tenant": "britive/acme"})
    users = scim(server, acme, "GET", "/Users?count=5").json()["Resources"]
    for second in range(8):
        for index, user in enumerate(users):
            scim(server, acme, "GET", f'/Users?filter=userName eq "{user["userName"]}"')
            patch = {
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                "Operations": [{"op": "replace", "path": "active", "value": index % 2 == 0}],
            }
            scim(server, acme, "PATCH", f"/Users/{user['id']}", patch)
        scim(server, acme, "POST", "/Users", {"schemas": [USER], "userName": f"new{second}@example.org"})
        scim(server, acme, "GET", "/Users/no-such-id")
        time.sleep(0.5)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.goto(server + "/")
    page.screenshot(path=str(SCREENSHOTS / "tenants.png"), full_page=True)
    page.goto(server + "/tenants/generic/acme")
    page.wait_for_timeout(1500)
    page.screenshot(path=str(SCREENSHOTS / "tenant.png"), full_page=True)
    page.goto(server + "/faults")
    page.screenshot(path=str(SCREENSHOTS / "faults.png"), full_page=True)
