"""An example SCIM sync client, run beside the emulator by docker-compose.override.example.yml.

    docker compose -f docker-compose.yml -f docker-compose.override.example.yml up --build --exit-code-from sync-client

Standard library only. It talks to the tenant at SCIM_BASE_URL with SCIM_TOKEN, as a client
talks to the real vendor, and to the emulator's control plane at EMULATOR_URL with
EMULATOR_ADMIN_TOKEN, to script a fault and read the journal. In order, it

1. creates a user (a name unique to this run, so reruns on the same volume do not collide),
2. finds it again with ``filter=userName eq "..."``,
3. patches it (displayName, active) and reads the change back,
4. scripts a fault: the next PATCH of that user answers 429 with Retry-After: 1,
   and patches again, waiting as Retry-After says before its one retry,
5. asks the journal to verify what reached the emulator: one POST with that userName,
   three PATCHes of that user (one of them the 429), and that the rule fired once,
6. deletes the user and the rule.

Each check prints one line; the exit code is 0 only when every check passed, 1 otherwise
(the failed check says what it expected and what it got).

Run by hand against a local emulator (EMULATOR_ADMIN_TOKEN as the emulator was started with):

    SCIM_BASE_URL=http://127.0.0.1:8000/t/generic/acme/scim/v2 SCIM_TOKEN=generic-acme-token \\
    EMULATOR_URL=http://127.0.0.1:8000 EMULATOR_ADMIN_TOKEN=emulator-admin-token python sync_client.py
"""

from __future__ import annotations

import json
import os
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from typing import Any

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
RETRY_AFTER = 1  # seconds, as the scripted 429 says


class CheckFailed(Exception):
    """One check did not hold."""


class Response:
    def __init__(self, status: int, headers: dict[str, str], body: Any) -> None:
        self.status, self.headers, self.body = status, headers, body


def request(method: str, url: str, token: str, body: Any = None, timeout: float = 30) -> Response:
    """One JSON request; HTTP errors are answers too (their status is checked by the caller)."""
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method)
    req.add_header("Authorization", f"Bearer {token}")
    req.add_header("Accept", "application/scim+json, application/json")
    if data is not None:
        req.add_header("Content-Type", "application/scim+json")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as answer:
            status, headers, raw = answer.status, dict(answer.headers), answer.read()
    except urllib.error.HTTPError as error:
        status, headers, raw = error.code, dict(error.headers), error.read()
    try:
        decoded = json.loads(raw) if raw else None
    except ValueError:
        decoded = raw.decode(errors="replace")
    return Response(status, headers, decoded)


def check(condition: bool, what: str, got: Any = None) -> None:
    if not condition:
        raise CheckFailed(f"{what}; got {got!r}" if got is not None else what)
    print(f"ok   {what}", flush=True)


def wait_until_reachable(url: str, token: str, timeout: float = 60) -> None:
    """depends_on already waits for a healthy emulator; this only rides out a slow network start."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            answer = request("GET", url, token, timeout=5)
            if answer.status == 200:
                return
            raise CheckFailed(f"GET {url} answered {answer.status}: {answer.body!r}")
        except OSError as error:
            if time.monotonic() > deadline:
                raise CheckFailed(f"{url} unreachable for {timeout:g} s: {error}") from error
            time.sleep(1)


def patch_with_retries(url: str, token: str, body: Any, attempts: int = 3) -> tuple[Response, list[float]]:
    """PATCH, waiting out 429/503 answers as long as their Retry-After says; also the waits taken."""
    waits: list[float] = []
    for attempt in range(1, attempts + 1):
        answer = request("PATCH", url, token, body)
        if answer.status not in (429, 503) or attempt == attempts:
            return answer, waits
        wait = float(answer.headers.get("Retry-After", "1"))
        print(f"     attempt {attempt}: {answer.status}, Retry-After {wait:g} s: waiting", flush=True)
        started = time.monotonic()
        time.sleep(wait)
        waits.append(time.monotonic() - started)
    raise AssertionError("unreachable")


def run(scim: str, token: str, control: str, admin: str, tenant: str) -> None:
    vendor, name = tenant.split("/", 1)
    wait_until_reachable(f"{control}/_emulator/tenants/{vendor}/{name}", admin)
    check(True, f"control plane answers at {control} with the admin token")

    user_name = f"sync-client-{uuid.uuid4().hex[:12]}@example.com"
    created = request(
        "POST", f"{scim}/Users", token, {"schemas": [USER], "userName": user_name, "active": True}
    )
    check(created.status == 201, f"POST /Users {user_name}: 201", (created.status, created.body))
    user_id = created.body["id"]
    rule_id = None
    try:
        query = urllib.parse.urlencode({"filter": f'userName eq "{user_name}"'})
        found = request("GET", f"{scim}/Users?{query}", token)
        check(found.status == 200, "GET /Users?filter=userName eq: 200", (found.status, found.body))
        ids = [r["id"] for r in found.body.get("Resources", [])]
        check(
            found.body.get("totalResults") == 1 and ids == [user_id],
            "the filter finds exactly that user",
            ids,
        )

        patch = {
            "schemas": [PATCH_OP],
            "Operations": [{"op": "replace", "value": {"displayName": "Sync Client", "active": False}}],
        }
        patched = request("PATCH", f"{scim}/Users/{user_id}", token, patch)
        check(patched.status in (200, 204), "PATCH /Users/<id>: 200 or 204", (patched.status, patched.body))
        read = request("GET", f"{scim}/Users/{user_id}", token)
        got = (read.status, read.body.get("displayName"), read.body.get("active"))
        check(got == (200, "Sync Client", False), "the patch reads back: displayName and active changed", got)

        rule = request(
            "POST",
            f"{control}/_emulator/faults",
            admin,
            {
                "tenant": tenant,
                "method": "PATCH",
                "path": "/Users/*",
                "times": 1,
                "action": {"type": "status", "status": 429, "retry_after": RETRY_AFTER},
            },
        )
        check(
            rule.status == 201, "POST /_emulator/faults: a 429 for the next PATCH", (rule.status, rule.body)
        )
        rule_id = rule.body["id"]
        patch["Operations"] = [{"op": "replace", "path": "displayName", "value": "Sync Client (retried)"}]
        retried, waits = patch_with_retries(f"{scim}/Users/{user_id}", token, patch)
        check(retried.status in (200, 204), "PATCH after the 429: 200 or 204", (retried.status, retried.body))
        check(
            len(waits) == 1 and waits[0] >= RETRY_AFTER * 0.95,
            f"exactly one retry, after waiting Retry-After ({RETRY_AFTER} s)",
            waits,
        )

        journal = f"{control}/_emulator/tenants/{vendor}/{name}/journal/verify"
        posts = request(
            "POST",
            journal,
            admin,
            {"method": "POST", "path": "/Users", "body": {"userName": user_name}, "count": 1},
        )
        check(
            posts.status == 200 and posts.body["ok"],
            "journal: exactly 1 POST /Users with that userName",
            posts.body,
        )
        patches = request(
            "POST", journal, admin, {"method": "PATCH", "path": f"/Users/{user_id}", "count": 3}
        )
        check(
            patches.status == 200 and patches.body["ok"],
            "journal: exactly 3 PATCH /Users/<id> (one a 429)",
            patches.body,
        )
        state = request("GET", f"{control}/_emulator/faults/{rule_id}", admin)
        check(state.status == 200 and state.body.get("fired") == 1, "the fault rule fired once", state.body)
    finally:
        if rule_id is not None:
            request("DELETE", f"{control}/_emulator/faults/{rule_id}", admin)
        gone = request("DELETE", f"{scim}/Users/{user_id}", token)
    check(gone.status == 204, "DELETE /Users/<id>: 204", (gone.status, gone.body))


def main() -> int:
    missing = [
        v
        for v in ("SCIM_BASE_URL", "SCIM_TOKEN", "EMULATOR_URL", "EMULATOR_ADMIN_TOKEN")
        if not os.environ.get(v)
    ]
    if missing:
        print(f"sync-client: set {', '.join(missing)}", file=sys.stderr)
        return 2
    try:
        run(
            os.environ["SCIM_BASE_URL"].rstrip("/"),
            os.environ["SCIM_TOKEN"],
            os.environ["EMULATOR_URL"].rstrip("/"),
            os.environ["EMULATOR_ADMIN_TOKEN"],
            os.environ.get("SCIM_TENANT", "generic/acme"),
        )
    except (CheckFailed, OSError, KeyError, TypeError, AttributeError) as error:
        print(f"FAIL {type(error).__name__}: {error}", file=sys.stderr, flush=True)
        return 1
    print("sync-client: all checks passed", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
