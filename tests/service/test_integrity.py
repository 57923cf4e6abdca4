"""Concurrent clients over real gunicorn workers keep every acknowledged write (issue 22, points 1-4).

Each test makes the race the way it was found: parallel clients on their own connections, with a
barrier so they arrive together, on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import requests
import sqlalchemy

from emulator.config import sqlalchemy_url

from .live import USER, Server, create_tenant, http_json

PARALLEL = 16
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
TIMEOUT = 30


class Client:
    """A SCIM client of one tenant of a live server, each request on a connection of its own."""

    def __init__(self, server: Server, tenant: dict[str, Any]) -> None:
        self.base = server.url(f"/t/{tenant['vendor']}/{tenant['name']}/scim/v2")
        self.authorization = tenant["credentials"]["authorization"]

    def request(self, method: str, path: str, body: Any = None, **headers: str) -> requests.Response:
        sent = {"Authorization": self.authorization, "Content-Type": "application/scim+json", **headers}
        return requests.request(method, self.base + path, json=body, headers=sent, timeout=TIMEOUT)

    def patch(self, path: str, operations: list[dict[str, Any]], **headers: str) -> requests.Response:
        return self.request("PATCH", path, {"schemas": [PATCH_OP], "Operations": operations}, **headers)

    def create(self, endpoint: str, body: dict[str, Any]) -> dict[str, Any]:
        response = self.request("POST", endpoint, body)
        assert response.status_code == 201, response.text
        return response.json()  # type: ignore[no-any-return]

    def user(self, user_name: str) -> dict[str, Any]:
        return self.create("/Users", {"schemas": [USER], "userName": user_name})

    def group(self, display_name: str) -> dict[str, Any]:
        return self.create("/Groups", {"schemas": [GROUP], "displayName": display_name})


def together(count: int, action: Callable[[int], Any]) -> list[Any]:
    """Run ``action(0..count-1)`` on ``count`` threads released at once; their results in order."""
    barrier = threading.Barrier(count)

    def run(number: int) -> Any:
        barrier.wait(timeout=TIMEOUT)
        return action(number)

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(run, range(count)))


def email(number: int) -> dict[str, Any]:
    return {"value": f"e{number}@example.com", "type": "work"}


def emails_of(resource: dict[str, Any]) -> frozenset[str]:
    return frozenset(item["value"] for item in resource.get("emails", []))


# -- 1. read-modify-write ------------------------------------------------------------------------


def test_parallel_patches_each_adding_an_email_keep_every_one(
    database_url: str, serve: Callable[..., Server]
) -> None:
    """16 clients each add one email to one user at once: 16 answers 200, 16 emails, 16 versions."""
    server = serve(database_url, workers=4)
    client = Client(server, create_tenant(server))
    user = client.user("ada")

    answers = together(
        PARALLEL,
        lambda n: client.patch(
            f"/Users/{user['id']}", [{"op": "add", "path": "emails", "value": [email(n)]}]
        ),
    )

    assert Counter(a.status_code for a in answers) == {200: PARALLEL}, [a.text for a in answers]
    final = client.request("GET", f"/Users/{user['id']}").json()
    assert emails_of(final) == {email(n)["value"] for n in range(PARALLEL)}
    assert final["meta"]["version"] == f'W/"{1 + PARALLEL}"'
    # every answer names a version of its own
    assert len({a.headers["ETag"] for a in answers}) == PARALLEL


def test_if_match_lets_exactly_one_client_win_each_version(
    database_url: str, serve: Callable[..., Server]
) -> None:
    """Clients that GET the ETag then PATCH with If-Match (retrying on 412) lose nothing: each
    version is accepted once, and no version tag names two states."""
    server = serve(database_url, workers=4)
    client = Client(server, create_tenant(server))
    user = client.user("ada")
    accepted: list[str] = []  # the If-Match of each 200
    states: list[tuple[str, frozenset[str]]] = []  # (ETag answered, emails in the answer)

    def add_own_email(number: int) -> int:
        for attempt in range(200):
            tag = client.request("GET", f"/Users/{user['id']}").headers["ETag"]
            response = client.patch(
                f"/Users/{user['id']}",
                [{"op": "add", "path": "emails", "value": [email(number)]}],
                **{"If-Match": tag},
            )
            if response.status_code == 200:
                accepted.append(tag)
                states.append((response.headers["ETag"], emails_of(response.json())))
                return attempt
            assert response.status_code == 412, response.text
        raise AssertionError(f"client {number} never won a version")

    together(PARALLEL, add_own_email)

    final = client.request("GET", f"/Users/{user['id']}").json()
    assert emails_of(final) == {email(n)["value"] for n in range(PARALLEL)}
    assert [tag for tag, times in Counter(accepted).items() if times > 1] == []
    named: dict[str, set[frozenset[str]]] = {}
    for tag, emails in states:
        named.setdefault(tag, set()).add(emails)
    assert {tag: found for tag, found in named.items() if len(found) > 1} == {}


def test_parallel_puts_with_one_if_match_give_one_200(
    database_url: str, serve: Callable[..., Server]
) -> None:
    """16 PUTs carrying the same If-Match, three rounds: each round one is accepted and 15 answer
    412 (RFC 7644 §3.14)."""
    server = serve(database_url, workers=4)
    client = Client(server, create_tenant(server))
    user = client.user("ada")

    for round_number in range(3):
        tag = client.request("GET", f"/Users/{user['id']}").headers["ETag"]

        def put(number: int, tag: str = tag, round_number: int = round_number) -> int:
            body = {"schemas": [USER], "userName": "ada", "displayName": f"Ada {round_number}.{number}"}
            return client.request("PUT", f"/Users/{user['id']}", body, **{"If-Match": tag}).status_code

        statuses = Counter(together(PARALLEL, put))
        assert statuses == {200: 1, 412: PARALLEL - 1}, (round_number, statuses)


# -- 2. membership -------------------------------------------------------------------------------


def test_parallel_adds_of_one_member_answer_200_and_make_one_membership(
    database_url: str, serve: Callable[..., Server]
) -> None:
    server = serve(database_url, workers=4)
    client = Client(server, create_tenant(server))
    user, group = client.user("ada"), client.group("staff")

    answers = together(
        PARALLEL,
        lambda _: client.patch(
            f"/Groups/{group['id']}", [{"op": "add", "path": "members", "value": [{"value": user["id"]}]}]
        ),
    )

    assert Counter(a.status_code for a in answers) == {200: PARALLEL}, [a.text for a in answers]
    members = client.request("GET", f"/Groups/{group['id']}").json().get("members", [])
    assert [m["value"] for m in members] == [user["id"]]


def test_group_version_advances_once_for_every_membership_change(
    database_url: str, serve: Callable[..., Server]
) -> None:
    """16 parallel adds of 16 users: every member kept, and the group's version moved 16 times."""
    server = serve(database_url, workers=4)
    client = Client(server, create_tenant(server))
    users = [client.user(f"u{n}")["id"] for n in range(PARALLEL)]
    group = client.group("staff")

    answers = together(
        PARALLEL,
        lambda n: client.patch(
            f"/Groups/{group['id']}", [{"op": "add", "path": "members", "value": [{"value": users[n]}]}]
        ),
    )

    assert Counter(a.status_code for a in answers) == {200: PARALLEL}, [a.text for a in answers]
    final = client.request("GET", f"/Groups/{group['id']}").json()
    assert sorted(m["value"] for m in final["members"]) == sorted(users)
    assert final["meta"]["version"] == f'W/"{1 + PARALLEL}"'
    assert len({a.headers["ETag"] for a in answers}) == PARALLEL


def test_deleting_a_member_moves_its_groups_to_a_new_version(
    database_url: str, serve: Callable[..., Server]
) -> None:
    server = serve(database_url, workers=2)
    client = Client(server, create_tenant(server))
    user = client.user("ada")["id"]
    group = client.create(
        "/Groups", {"schemas": [GROUP], "displayName": "staff", "members": [{"value": user}]}
    )
    assert client.request("DELETE", f"/Users/{user}").status_code == 204
    after = client.request("GET", f"/Groups/{group['id']}")
    assert after.json().get("members", []) == []
    assert after.headers["ETag"] != group["meta"]["version"]


def delete_while_adding(client: Client, groups: list[str], user: str) -> list[requests.Response]:
    """DELETE a user while as many clients add it to a group each, all at once."""

    def act(number: int) -> requests.Response:
        if number == 0:
            return client.request("DELETE", f"/Users/{user}")
        add = [{"op": "add", "path": "members", "value": [{"value": user}]}]
        return client.patch(f"/Groups/{groups[number - 1]}", add)

    return together(1 + len(groups), act)


def test_deleting_a_user_while_it_is_added_to_a_group_never_answers_500(
    database_url: str, serve: Callable[..., Server]
) -> None:
    """A user deleted while other clients add it: the delete 204, each add 200 (the member is
    dropped, the tenant's ``unknown_members`` quirk) or 400 (reject); no group names it after."""
    server = serve(database_url, workers=4)
    for quirk, refused in (("ignore", 200), ("reject", 400)):
        status, tenant = http_json(
            "POST",
            server.url("/_emulator/tenants"),
            {"vendor": "generic", "name": f"race-{quirk}", "options": {"unknown_members": quirk}},
        )
        assert status == 201, tenant
        client = Client(server, tenant)
        groups = [client.group(f"g{n}")["id"] for n in range(4)]
        for round_number in range(6):
            user = client.user(f"u{round_number}")["id"]
            answers = delete_while_adding(client, groups, user)
            assert answers[0].status_code == 204, answers[0].text
            for answer in answers[1:]:
                assert answer.status_code in (200, refused), (quirk, answer.status_code, answer.text)
                if answer.status_code == 400:
                    assert answer.json()["scimType"] == "invalidValue" and user in answer.json()["detail"]
        for group in groups:
            members = client.request("GET", f"/Groups/{group}").json().get("members", [])
            assert members == [], (quirk, members)


# -- 3. tenant ids -------------------------------------------------------------------------------


def tenant_ids(database_url: str) -> dict[str, int]:
    engine = sqlalchemy.create_engine(sqlalchemy_url(database_url))
    try:
        with engine.connect() as connection:
            rows = connection.execute(sqlalchemy.text("SELECT vendor, name, id FROM tenant"))
            return {f"{vendor}/{name}": id_ for vendor, name, id_ in rows}
    finally:
        engine.dispose()


def test_a_deleted_tenants_id_is_never_given_again(database_url: str, serve: Callable[..., Server]) -> None:
    server = serve(database_url, workers=2)
    create_tenant(server, name="first")
    first = tenant_ids(database_url)["generic/first"]
    status, _ = http_json("DELETE", server.url("/_emulator/tenants/generic/first"))
    assert status in (200, 204)
    create_tenant(server, name="first")
    create_tenant(server, name="second")
    ids = tenant_ids(database_url)
    assert first not in ids.values(), (first, ids)


def test_a_write_in_flight_to_a_deleted_tenant_does_not_land_in_the_next_one(
    database_url: str, serve: Callable[..., Server]
) -> None:
    """A create held (a latency fault) while its tenant is deleted and re-created: 404, and the new
    tenant has neither the user nor the request in its journal."""
    server = serve(database_url, workers=2)
    client = Client(server, create_tenant(server, name="doomed"))
    rule = {"tenant": "generic/doomed", "method": "POST", "path": "/Users", "times": 1}
    status, created = http_json(
        "POST", server.url("/_emulator/faults"), {**rule, "action": {"type": "latency", "ms": 1500}}
    )
    assert status == 201, created
    with ThreadPoolExecutor(1) as pool:
        held = pool.submit(client.request, "POST", "/Users", {"schemas": [USER], "userName": "ghost"})
        time.sleep(0.5)  # the create is inside its latency
        status, _ = http_json("DELETE", server.url("/_emulator/tenants/generic/doomed"))
        assert status in (200, 204)
        again = Client(server, create_tenant(server, name="doomed"))
        answer = held.result(timeout=TIMEOUT)
    assert answer.status_code == 404, answer.text
    assert again.request("GET", "/Users").json()["totalResults"] == 0
    status, journal = http_json("GET", server.url("/_emulator/tenants/generic/doomed/journal"))
    assert status == 200, journal
    assert [e for e in journal["entries"] if e["method"] == "POST"] == []


# -- 4. fault rules ------------------------------------------------------------------------------


def add_rule(server: Server, **rule: Any) -> dict[str, Any]:
    status, created = http_json("POST", server.url("/_emulator/faults"), rule)
    assert status == 201, created
    return created  # type: ignore[no-any-return]


def rule_state(server: Server, rule_id: int) -> tuple[int, Any]:
    return http_json("GET", server.url(f"/_emulator/faults/{rule_id}"))


def test_fault_rules_go_with_their_tenant_and_count_only_its_clients_requests(
    database_url: str, serve: Callable[..., Server]
) -> None:
    server = serve(database_url, workers=2)
    client = Client(server, create_tenant(server, name="acme"))
    status_429 = {"type": "status", "status": 429, "retry_after": 1}

    # a re-created tenant inherits no rule of the one deleted
    old = add_rule(server, tenant="generic/acme", action=status_429)
    status, _ = http_json("DELETE", server.url("/_emulator/tenants/generic/acme"))
    assert status in (200, 204)
    assert rule_state(server, old["id"])[0] == 404
    client = Client(server, create_tenant(server, name="acme"))
    assert client.request("GET", "/Users").status_code == 200

    # an unauthenticated request does not spend a `times: 1` rule; the client's first request does
    once = add_rule(server, tenant="generic/acme", times=1, action=status_429)
    stranger = requests.get(
        client.base + "/Users", headers={"Authorization": "Bearer wrong"}, timeout=TIMEOUT
    )
    assert stranger.status_code == 401, stranger.text
    assert rule_state(server, once["id"])[1]["matched"] == 0
    assert client.request("GET", "/Users").status_code == 429
    assert client.request("GET", "/Users").status_code == 200

    # a vendor-wide rule is not spent by requests to tenants that do not exist
    first_two = add_rule(server, vendor="generic", method="POST", path="/Users", times=2, action=status_429)
    for number in range(3):
        missing = requests.post(
            server.url("/t/generic/nobody/scim/v2/Users"),
            json={"schemas": [USER], "userName": f"n{number}"},
            headers={"Authorization": client.authorization},
            timeout=TIMEOUT,
        )
        assert missing.status_code == 404, missing.text
    assert rule_state(server, first_two["id"])[1]["matched"] == 0
    statuses = [
        client.request("POST", "/Users", {"schemas": [USER], "userName": f"p{n}"}).status_code
        for n in range(3)
    ]
    assert statuses == [429, 429, 201]
