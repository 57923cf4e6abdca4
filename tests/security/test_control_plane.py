"""The control plane's security: who may call it, what it never shows, how it keeps and compares secrets.

- Every /_emulator route but health wants the admin token when one is set (401 without it or
  with a wrong one) and serves loopback clients only when none is set (403 otherwise,
  X-Forwarded-For notwithstanding).
- A credential is shown once, in the answer that creates it (each vendor's docs say so:
  docs/vendors/*.md "shown once"); listings, tenant pages, the journal, the dashboard and the
  database never hold it again (tokens, keys, passwords, OAuth codes and tokens).
- Secrets are compared with hmac.compare_digest and made with ``secrets`` (read from the source).
- Bodies are bounded on every surface (413), SQL is never built from strings, and the
  dashboard sends its security headers.
"""

from __future__ import annotations

import ast
import base64
import hashlib
import io
import json
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import MetaData, select

from emulator import create_app
from emulator.extensions import db
from tests.conftest import USER, assert_scim_error

ADMIN = "control-admin-s3cret-token"
ROOT = Path(__file__).resolve().parents[2]
EMULATOR = ROOT / "emulator"
MIB = 1024 * 1024
ARGUMENT = re.compile(r"<(?:(?P<converter>\w+)(?:\([^)]*\))?:)?(?P<name>\w+)>")
SAMPLE_ARGUMENTS = {"vendor": "generic", "name": "acme", "username": "admin"}


@pytest.fixture
def secured(database_url: str) -> Iterator[Flask]:
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": database_url,
            "EMULATOR_TENANTS_DIR": "",
            "EMULATOR_ADMIN_TOKEN": ADMIN,
        }
    )
    yield app
    with app.app_context():
        for engine in db.engines.values():
            engine.dispose()


def control_routes(app: Flask) -> list[tuple[str, str]]:
    """(method, concrete path) of every control-plane route except health, arguments filled in."""
    found = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/_emulator/") or rule.endpoint == "control.health":
            continue

        def concrete(match: re.Match[str]) -> str:
            if match["converter"] == "int":
                return "1"
            return SAMPLE_ARGUMENTS.get(match["name"], "x")

        path = ARGUMENT.sub(concrete, rule.rule)
        found += [(method, path) for method in sorted(rule.methods - {"HEAD", "OPTIONS"})]
    assert len(found) > 20, found  # the whole control plane, not a stub
    return sorted(found)


# -- who may call the control plane ------------------------------------------------------------


def test_every_route_wants_the_admin_token_when_one_is_set(secured: Flask) -> None:
    client = secured.test_client()
    assert client.post("/_emulator/tenants", json={"vendor": "generic", "name": "acme"}).status_code == 401
    wrong_headers = [
        {},
        {"Authorization": "Bearer wrong"},
        {"Authorization": f"Bearer {ADMIN}x"},
        {"Authorization": f"Bearer {ADMIN[:-1]}"},
        {"Authorization": ADMIN},
        {"Authorization": f"Basic {base64.b64encode(f'admin:{ADMIN}'.encode()).decode()}"},
        {"Authorization": "Bearer "},
        {"X-Admin-Token": ADMIN},
    ]
    for method, path in control_routes(secured):
        for headers in wrong_headers:
            response = client.open(path, method=method, json={}, headers=headers)
            body = assert_scim_error(response, 401)
            assert "ADMIN_TOKEN" in body["detail"]
            assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert client.get("/_emulator/health").status_code == 200  # compose health checks need none
    allowed = client.get("/_emulator/tenants", headers={"Authorization": f"Bearer {ADMIN}"})
    assert allowed.status_code == 200


def test_a_set_token_is_wanted_from_loopback_clients_too(secured: Flask) -> None:
    client = secured.test_client()
    for address in ("127.0.0.1", "::1"):
        response = client.get("/_emulator/tenants", environ_base={"REMOTE_ADDR": address})
        assert_scim_error(response, 401)


def test_without_a_token_only_loopback_clients_are_served(app: Flask, client: FlaskClient) -> None:
    for method, path in control_routes(app):
        for address in ("10.0.0.5", "192.168.1.20", "172.17.0.1", "8.8.8.8", "::ffff:10.0.0.5", "fe80::1"):
            response = client.open(
                path,
                method=method,
                json={},
                environ_base={"REMOTE_ADDR": address},
                headers={
                    "X-Forwarded-For": "127.0.0.1",
                    "X-Real-IP": "127.0.0.1",
                    "Authorization": "Bearer x",
                },
            )
            assert_scim_error(response, 403)
    for address in ("127.0.0.1", "::1"):
        assert client.get("/_emulator/tenants", environ_base={"REMOTE_ADDR": address}).status_code == 200
    remote = client.get("/_emulator/health", environ_base={"REMOTE_ADDR": "10.0.0.5"})
    assert remote.status_code == 200


# -- secrets are shown once ----------------------------------------------------------------------


def oauth_tokens(client: FlaskClient, password: str) -> dict[str, str]:
    """Jellyfish's Authorize: sign in, take the code, trade it for tokens (and a refresh)."""
    base = "/t/jellyfish/fish/oauth"
    query = {
        "response_type": "code",
        "client_id": "entra",
        "redirect_uri": "https://idp.example/cb",
        "state": "s",
    }
    signed_in = client.post(f"{base}/authorize", data={**query, "username": "admin", "password": password})
    assert signed_in.status_code == 302, signed_in.get_data(as_text=True)
    code = parse_qs(urlsplit(signed_in.headers["Location"]).query)["code"][0]
    tokens = client.post(
        f"{base}/token",
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": "https://idp.example/cb"},
    ).get_json()
    refreshed = client.post(
        f"{base}/token", data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    ).get_json()
    return {
        "code": code,
        "access": tokens["access_token"],
        "refresh": tokens["refresh_token"],
        "access2": refreshed["access_token"],
        "refresh2": refreshed["refresh_token"],
    }


@pytest.fixture
def secrets_issued(client: FlaskClient) -> dict[str, str]:
    """Tenants of every vendor, extra credentials and an OAuth grant; every secret handed out, by name."""
    found: dict[str, str] = {}
    for vendor, name in (
        ("generic", "acme"),
        ("britive", "brit"),
        ("jive", "jiv"),
        ("jostle", "jos"),
        ("jellyfish", "fish"),
        ("thrive", "thr"),
    ):
        created = client.post("/_emulator/tenants", json={"vendor": vendor, "name": name})
        assert created.status_code == 201, created.get_json()
        credentials = created.get_json()["credentials"]
        for field in ("token", "key", "password"):
            if field in credentials:
                found[f"{vendor} {field}"] = credentials[field]
        found[f"{vendor} authorization"] = credentials["authorization"].split(" ", 1)[1]
        again = client.post(f"/_emulator/tenants/{vendor}/{name}/credentials", json={})
        if again.status_code == 201:
            for field in ("token", "key", "password"):
                if field in again.get_json():
                    found[f"{vendor} second {field}"] = again.get_json()[field]
        # use every credential, so the journal has seen each of them
        for secret_name in list(found):
            if secret_name.startswith(vendor) and secret_name.endswith("authorization"):
                client.post(
                    f"/t/{vendor}/{name}/scim/v2/Users",
                    json={
                        "schemas": [USER],
                        "userName": f"u-{name}",
                        "active": True,
                        "password": "user-pw-123456",
                    },
                    headers={"Authorization": credentials["authorization"]},
                )
    for key, value in oauth_tokens(client, found["jellyfish password"]).items():
        found[f"oauth {key}"] = value
    response = client.get(
        "/t/jellyfish/fish/scim/v2/Users", headers={"Authorization": f"Bearer {found['oauth access2']}"}
    )
    assert response.status_code == 200
    found["a user's password"] = "user-pw-123456"
    assert all(len(v) >= 8 for v in found.values()), found
    return found


def leaks(text: str, secrets: dict[str, str]) -> list[str]:
    return [name for name, secret in secrets.items() if secret in text]


def test_no_secret_is_ever_shown_again(
    client: FlaskClient, app: Flask, secrets_issued: dict[str, str]
) -> None:
    pages = ["/_emulator/tenants", "/_emulator/vendors", "/_emulator/faults", "/_emulator/openapi.json"]
    for vendor, name in (
        ("generic", "acme"),
        ("britive", "brit"),
        ("jive", "jiv"),
        ("jostle", "jos"),
        ("jellyfish", "fish"),
        ("thrive", "thr"),
    ):
        base = f"/_emulator/tenants/{vendor}/{name}"
        pages += [base, f"{base}/credentials", f"{base}/journal?limit=1000"]
        pages += [f"/_emulator/openapi-scim.json?vendor={vendor}"]
        if "dashboard" in app.blueprints:
            pages += ["/", f"/tenants/{vendor}/{name}", "/faults"]
    for page in pages:
        response = client.get(page)
        assert response.status_code == 200, (page, response.status_code)
        text = response.get_data(as_text=True)
        assert not leaks(text, secrets_issued), (page, leaks(text, secrets_issued))
        assert not leaks(json.dumps(text), secrets_issued)  # not even JSON-escaped
    journal = client.get("/_emulator/tenants/jellyfish/fish/journal?limit=1000").get_json()["entries"]
    assert any(
        e["path"].endswith("/oauth/token") for e in journal
    )  # the token exchange was journaled, masked


def test_the_database_holds_digests_never_secrets(app: Flask, secrets_issued: dict[str, str]) -> None:
    with app.app_context():
        metadata = MetaData()
        metadata.reflect(bind=db.engine)
        dump = []
        for table in metadata.sorted_tables:
            for row in db.session.execute(select(table)).all():
                dump.append(f"{table.name}: {row!r}")
        text = "\n".join(dump)
        assert not leaks(text, secrets_issued), leaks(text, secrets_issued)
        digests = {hashlib.sha256(secret.encode()).hexdigest() for secret in secrets_issued.values()}
        stored = {
            value
            for table in ("credential", "account")
            for (value,) in db.session.execute(
                select(metadata.tables[table].c["secret_hash" if table == "credential" else "password_hash"])
            ).all()
            if value
        }
        assert stored, "no credential stored"
        assert all(re.fullmatch(r"[0-9a-f]{64}", value) for value in stored)
        for name in (
            "generic token",
            "britive token",
            "jostle key",
            "jellyfish key",
            "jive second password",
            "oauth access",
        ):
            assert hashlib.sha256(secrets_issued[name].encode()).hexdigest() in stored, name
        assert stored <= digests | stored  # every stored secret is a digest (checked above)


# -- how secrets are made and compared (read from the source) -------------------------------------


def parsed(relative: str) -> ast.Module:
    return ast.parse((EMULATOR / relative).read_text())


def calls_in(node: ast.AST) -> set[str]:
    """Names of the functions a piece of code calls (``hmac.compare_digest`` -> ``compare_digest``)."""
    names = set()
    for call in ast.walk(node):
        if isinstance(call, ast.Call):
            func = call.func
            names.add(func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", ""))
    return names


def function(module: ast.Module, name: str) -> ast.FunctionDef:
    for node in ast.walk(module):
        if isinstance(node, ast.FunctionDef) and node.name == name:
            return node
    raise AssertionError(f"no function {name}")


CONSTANT_TIME = {"compare_digest", "same", "find_secret", "presented"}


@pytest.mark.parametrize(
    ("module", "functions"),
    [
        ("auth/secrets.py", ["same"]),
        ("auth/styles.py", ["find_secret", "presented", "recognise"]),
        ("auth/oauth.py", ["authorize"]),
        ("control/views.py", ["admin_allowed"]),
        ("dashboard/access.py", ["token_matches", "signed_in", "csrf_valid"]),
    ],
)
def test_presented_secrets_are_compared_in_constant_time(module: str, functions: list[str]) -> None:
    if not (EMULATOR / module).exists():
        pytest.skip(f"{module} is not part of this build")
    tree = parsed(module)
    for name in functions:
        bodies = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name == name]
        assert bodies, f"{module}: no function {name}"
        for body in bodies:  # every credential style's recognise()
            assert calls_in(body) & CONSTANT_TIME, f"{module}:{name} compares without compare_digest"
    assert "compare_digest" in calls_in(function(parsed("auth/secrets.py"), "same"))
    assert "same" in calls_in(function(parsed("auth/styles.py"), "find_secret"))
    assert "find_secret" in calls_in(function(parsed("auth/styles.py"), "presented"))


def test_secrets_come_from_the_secrets_module() -> None:
    new_secret = function(parsed("auth/secrets.py"), "new_secret")
    assert "token_hex" in calls_in(new_secret)
    for path in (EMULATOR / "auth").glob("*.py"):
        imports = {
            alias.name
            for node in ast.walk(ast.parse(path.read_text()))
            if isinstance(node, ast.Import)
            for alias in node.names
        }
        assert "random" not in imports, f"{path.name} imports random for secrets"


# -- SQL is never built from strings ---------------------------------------------------------------

# every SQL statement the emulator writes out as text, each a literal with bound parameters for
# its values: PostgreSQL's schema-creation lock (database.schema_lock), SQLite's connection
# set-up (database.tune_sqlite) and SQLite's planner hint for indexed filters (query.Lister.narrowed)
ALLOWED_SQL = re.compile(
    r"^(SELECT pg_advisory_(un)?lock\(\d+\)|PRAGMA \w+ = \w+|PRAGMA wal_checkpoint\(PASSIVE\)|BEGIN( IMMEDIATE)?"
    r"|likely\(resource\.tenant_id = :likely_tenant\))$"
)
SQL_CALLS = ("text", "execute", "exec_driver_sql", "executescript", "literal_column")


def literal_strings(node: ast.AST) -> list[str] | None:
    """The constant strings an expression can be (``a if c else b`` of constants), or None."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):
        body, orelse = literal_strings(node.body), literal_strings(node.orelse)
        return body + orelse if body is not None and orelse is not None else None
    return None


def built_at_run_time(node: ast.AST) -> bool:
    """An f-string, a concatenation or %-formatting, or ``.format()``/``.join()``: text made from values."""
    if isinstance(node, (ast.JoinedStr, ast.BinOp)):
        return True
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in ("format", "join")
    )


def test_no_sql_is_built_from_strings() -> None:
    problems = []
    for path in sorted(EMULATOR.rglob("*.py")):
        tree = ast.parse(path.read_text())
        local = {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}  # e.g. views' own text()
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name not in SQL_CALLS or (isinstance(func, ast.Name) and name in local):
                continue
            first = node.args[0]
            where = f"{path.relative_to(ROOT)}:{node.lineno}"
            if built_at_run_time(first):
                problems.append(f"{where}: {name}() of a string built at run time")
            strings = literal_strings(first)
            if strings is not None and not all(ALLOWED_SQL.match(s) for s in strings):
                problems.append(f"{where}: {name}({strings}) is not one of the documented statements")
            if name == "text" and strings is None:
                problems.append(f"{where}: text() of something other than a literal")
    assert not problems, "\n".join(problems)


# -- bounded bodies ------------------------------------------------------------------------------


def test_bodies_over_a_mebibyte_are_413_on_every_surface(client: FlaskClient) -> None:
    created = client.post("/_emulator/tenants", json={"vendor": "generic", "name": "acme"}).get_json()
    auth = {"Authorization": created["credentials"]["authorization"]}
    big = json.dumps({"vendor": "generic", "name": "big", "schemas": [USER], "pad": "x" * (MIB + 1)})
    posts = [
        ("/_emulator/tenants", {}),
        ("/_emulator/faults", {}),
        ("/_emulator/tenants/generic/acme/credentials", {}),
        ("/_emulator/tenants/generic/acme/journal/verify", {}),
        ("/_emulator/tenants/generic/acme/seed", {}),
        ("/t/generic/acme/scim/v2/Users", auth),
        ("/t/generic/acme/scim/v2/.search", auth),
    ]
    for path, headers in posts:
        response = client.post(path, data=big, content_type="application/json", headers=headers)
        assert_scim_error(response, 413)
        streamed = client.post(
            path,
            input_stream=io.BytesIO(big.encode()),
            headers={"Content-Type": "application/json", "Transfer-Encoding": "chunked", **headers},
            environ_overrides={"wsgi.input_terminated": True},  # what gunicorn says for a chunked body
        )
        assert_scim_error(streamed, 413)
    assert [t["name"] for t in client.get("/_emulator/tenants").get_json()["tenants"]] == ["acme"]


@pytest.mark.parametrize(
    "data",
    [
        '{"vendor": "generic", "name": "x", "credentials": {"token": "\\ud800"}}',
        '{"vendor": "generic", "name": "x", "options": NaN}',
        '{"vendor": "generic", "name": "x", "credentials": {"validity_days": 1e400}}',
        "[" * 100_000 + "]" * 100_000,
        '{"a":' * 100_000 + "1" + "}" * 100_000,
    ],
)
@pytest.mark.parametrize(
    "path", ["/_emulator/tenants", "/_emulator/faults", "/_emulator/tenants/generic/acme/credentials"]
)
def test_hostile_json_on_the_control_plane_is_a_400(client: FlaskClient, path: str, data: str) -> None:
    client.post("/_emulator/tenants", json={"vendor": "generic", "name": "acme"})
    assert_scim_error(client.post(path, data=data, content_type="application/json"), 400, "invalidSyntax")


# -- the dashboard ---------------------------------------------------------------------------------


def test_dashboard_pages_send_security_headers(app: Flask, client: FlaskClient) -> None:
    if "dashboard" not in app.blueprints:
        pytest.skip("no dashboard in this build (emulator/dashboard is not registered)")
    client.post("/_emulator/tenants", json={"vendor": "generic", "name": "acme"})
    for page in ("/", "/tenants/generic/acme", "/faults", "/login"):
        response = client.get(page)
        assert response.status_code in (200, 302), (page, response.status_code)
        headers = response.headers
        policy = headers.get("Content-Security-Policy", "")
        assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy, page
        assert "unsafe-inline" not in policy and "unsafe-eval" not in policy, page
        assert headers.get("X-Frame-Options") == "DENY", page
        assert headers.get("X-Content-Type-Options") == "nosniff", page
        assert headers.get("Referrer-Policy") in ("same-origin", "no-referrer", "strict-origin"), page
        assert "no-store" in headers.get("Cache-Control", ""), page


def test_dashboard_refuses_remote_clients_without_a_token(app: Flask, client: FlaskClient) -> None:
    if "dashboard" not in app.blueprints:
        pytest.skip("no dashboard in this build (emulator/dashboard is not registered)")
    for page in ("/", "/faults"):
        response = client.get(
            page, environ_base={"REMOTE_ADDR": "10.0.0.5"}, headers={"X-Forwarded-For": "127.0.0.1"}
        )
        assert response.status_code == 403, (page, response.status_code)


def test_dashboard_forms_need_a_csrf_token(secured: Flask) -> None:
    if "dashboard" not in secured.blueprints:
        pytest.skip("no dashboard in this build (emulator/dashboard is not registered)")
    client = secured.test_client()
    page = client.get("/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf" value="([^"]+)"', page)
    assert csrf, page
    signed_in = client.post("/login", data={"token": ADMIN, "csrf": csrf[1]})
    assert signed_in.status_code in (302, 303), signed_in.status_code
    assert client.get("/").status_code == 200  # signed in by the session cookie
    response = client.post("/tenants", data={"vendor": "generic", "name": "csrf"})
    assert response.status_code == 400
    listed = client.get("/_emulator/tenants", headers={"Authorization": f"Bearer {ADMIN}"}).get_json()
    assert listed["tenants"] == []
