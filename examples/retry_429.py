"""A SCIM client that honours Retry-After, tried against the emulator's injected 429s.

    python examples/retry_429.py [BASE_URL]        # default http://127.0.0.1:8000

1. creates a tenant (britive/retry-demo) through the control plane,
2. adds a fault rule: the next 2 POST /Users answer 429 with Retry-After: 1,
3. creates a user with a client that waits Retry-After seconds and tries again,
4. asks the journal to verify that exactly 3 POST /Users reached the emulator.

Exits 0 when the user was created on the third attempt and the journal agrees.
"""

from __future__ import annotations

import sys
import time
from typing import Any

import requests

USER = "urn:ietf:params:scim:schemas:core:2.0:User"


def create_with_retries(url: str, headers: dict[str, str], body: dict[str, Any], attempts: int = 5) -> Any:
    """POST, waiting out 429 and 503 answers as their Retry-After header says."""
    for attempt in range(1, attempts + 1):
        response = requests.post(url, json=body, headers=headers, timeout=30)
        if response.status_code not in (429, 503) or attempt == attempts:
            response.raise_for_status()
            return response.json()
        wait = float(response.headers.get("Retry-After", 1))
        detail = response.json().get("detail")
        print(f"attempt {attempt}: {response.status_code} {detail!r}; retrying in {wait:g} s")
        time.sleep(wait)
    raise AssertionError("unreachable")


def main(base: str = "http://127.0.0.1:8000", vendor: str = "britive", name: str = "retry-demo") -> int:
    control = f"{base}/_emulator"
    requests.delete(f"{control}/tenants/{vendor}/{name}", timeout=30)  # start afresh on a rerun
    tenant = requests.post(f"{control}/tenants", json={"vendor": vendor, "name": name}, timeout=30)
    tenant.raise_for_status()
    scim = f"{base}/t/{vendor}/{name}/scim/v2"  # the alias URL: works without *.localhost DNS
    headers = {"Authorization": tenant.json()["credentials"]["authorization"]}

    rule = requests.post(
        f"{control}/faults",
        json={
            "tenant": f"{vendor}/{name}",
            "method": "POST",
            "path": "/Users",
            "times": 2,
            "action": {"type": "status", "status": 429, "retry_after": 1},
        },
        timeout=30,
    )
    rule.raise_for_status()
    rule_id = rule.json()["id"]

    user = create_with_retries(f"{scim}/Users", headers, {"schemas": [USER], "userName": "ada@example.com"})
    print(f"created {user['userName']} with id {user['id']}")

    state = requests.get(f"{control}/faults/{rule_id}", timeout=30).json()
    print(f"rule {rule_id}: matched {state['matched']}, fired {state['fired']}, {state['state']}")
    verdict = requests.post(
        f"{control}/tenants/{vendor}/{name}/journal/verify",
        json={"method": "POST", "path": "/Users", "count": 3},
        timeout=30,
    ).json()
    print(f"journal: {verdict['matched']} POST /Users (expected 3): {'ok' if verdict['ok'] else 'MISMATCH'}")
    requests.delete(f"{control}/faults/{rule_id}", timeout=30)
    return 0 if verdict["ok"] and state["fired"] == 2 else 1


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:2]))
