"""Matching fault rules to a request and applying their effects.

The request flow (emulator/request_flow.py) runs ``before`` once the addressed tenant is
resolved and a SCIM request authenticated (discovery is public; the OAuth endpoints check their
client in the view, after it), and ``after`` on the finished response (malformed and truncated
bodies). So a rule counts only the tenant's own clients' requests: one to a tenant that does not
exist is a 404, and one that fails authentication a 401, before any rule sees it. Counters are
taken with atomic ``UPDATE ... RETURNING`` statements, so ``times`` and ``after`` are exact
across workers and containers; a seeded probability draws from the match number, so the same
seed gives the same sequence however requests are spread over workers.
"""

from __future__ import annotations

import fnmatch
import random
import socket
import struct
import time
from dataclasses import dataclass
from typing import Any

from flask import Flask, Response, request
from sqlalchemy import or_, select, update

from .. import auth, database
from ..clock import utcnow
from ..errors import ScimError, conflict
from ..extensions import db
from ..models import FaultRule
from ..request_state import RequestState
from ..scim.filter import PatchPath
from ..scim.patchop import read_lenient
from ..tenancy import TenantScope

SCIM_PREFIX = "/scim/v2"
NO_RESPONSE = 499  # what the journal records when the connection was closed instead
AFTER_ACTIONS = frozenset({"malformed", "truncate"})
DEFAULT_DETAILS = {
    429: "too many requests: rate limit exceeded",
    500: "internal server error",
    502: "bad gateway",
    503: "service unavailable, try again later",
    504: "gateway timeout",
}


def init_app(app: Flask) -> None:
    """A dropped connection is answered by closing the client's socket."""
    app.register_error_handler(Dropped, lambda error: drop_connection())


def scim_path(path: str) -> str:
    return path[len(SCIM_PREFIX) :] or "/" if path.startswith(SCIM_PREFIX) else path


def in_force(vendor: str, name: str, exhausted: bool = False) -> list[FaultRule]:
    """Enabled rules whose scope takes in this tenant and whose time window is open now.

    Cheap: one indexed query on a small table. ``exhausted`` keeps rules that have fired
    their ``times``: they fire no more but still count matches.
    """
    now = utcnow()
    query = select(FaultRule).where(
        FaultRule.enabled.is_(True),
        or_(FaultRule.tenant.is_(None), FaultRule.tenant == f"{vendor}/{name}"),
        or_(FaultRule.vendor.is_(None), FaultRule.vendor == vendor),
        or_(FaultRule.expires_at.is_(None), FaultRule.expires_at > now),
        or_(FaultRule.starts_at.is_(None), FaultRule.starts_at <= now),
    )
    if not exhausted:
        query = query.where(or_(FaultRule.times.is_(None), FaultRule.fired < FaultRule.times))
    return list(db.session.execute(query.order_by(FaultRule.id)).scalars())


def candidates(vendor: str, name: str) -> list[FaultRule]:
    """Rules that could still fire now for this tenant (what the dashboard shows)."""
    return in_force(vendor, name)


def attribute_of(path: str | PatchPath) -> str:
    """The attribute a PATCH path names, lower-cased, without a value filter or schema URN.

    ``members[value eq "x"]`` -> ``members``; ``name.givenName`` -> ``name.givenname``;
    ``urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager`` -> ``manager``.
    A parsed path is read as parsed; text (a rule's attribute, a path-less value's key, a path
    that does not parse) by the same rules.
    """
    if isinstance(path, PatchPath):
        named = path.attr.attr if path.attr.sub is None else f"{path.attr.attr}.{path.attr.sub}"
        return named.lower()
    path = path.split("[", 1)[0].strip().lower()
    if path.startswith("urn:"):
        path = path.rsplit(":", 1)[1]
    return path


def operations_of(body: Any) -> list[tuple[str, str]]:
    """(op, attribute) pairs of a PatchOp body, lower-cased; path-less ops yield their value's keys.

    The body is read by the PATCH view's parser, leniently: keys in any case, and any body,
    however malformed, yields what can be made out of it without raising.
    """
    found: list[tuple[str, str]] = []
    for operation in read_lenient(body):
        if operation.raw_path is not None:
            found.append((operation.op, attribute_of(operation.path or operation.raw_path)))
        elif isinstance(operation.value, dict):
            found += [(operation.op, attribute_of(str(key))) for key in operation.value]
        else:
            found.append((operation.op, ""))
    return found


def names(attribute: str, wanted: str) -> bool:
    """Whether a PATCH on ``attribute`` touches ``wanted`` (itself or one of its sub-attributes)."""
    return not wanted or attribute == wanted or attribute.startswith(wanted + ".")


def creates(method: str, path: str) -> bool:
    """Whether a request (its SCIM path) creates a resource: POST /Users, POST /Groups, ..."""
    segments = path.strip("/").split("/")
    return method == "POST" and len(segments) == 1 and segments[0] not in ("", "Bulk", ".search")


def in_scope(rule: FaultRule, method: str, path: str, operations: list[tuple[str, str]]) -> bool:
    """Whether a request is within the rule's method, path and PATCH-operation scope.

    A ``conflict`` answers a create, so it only ever matches one (not a search, Bulk or token POST).
    """
    if rule.method and rule.method != method:
        return False
    if rule.action.get("type") == "conflict" and not creates(method, path):
        return False
    if rule.path and not fnmatch.fnmatchcase(path, rule.path):
        return False
    if rule.operation:
        op, _, attribute = rule.operation.partition(":")
        wanted = attribute_of(attribute) if attribute else ""
        return any(o == op.lower() and names(a, wanted) for o, a in operations)
    return True


@dataclass(frozen=True)
class Chosen:
    """What the request needs of a rule, read before its counters are taken.

    Plain values: the rule row may be changed or deleted by then, and a committed ORM
    object would be reloaded (and fail if it is gone) on first use.
    """

    id: int
    action: dict[str, Any]
    after: int
    probability: float | None
    seed: int | None

    @classmethod
    def of(cls, rule: FaultRule) -> Chosen:
        return cls(rule.id, dict(rule.action), rule.after, rule.probability, rule.seed)


def draw(rule: Chosen, match: int) -> float:
    """The rule's random number for its ``match``-th match: reproducible when it has a seed."""
    if rule.seed is None:
        return random.random()
    return random.Random(f"{rule.seed}:{match}").random()


def take(rule: Chosen) -> bool:
    """Count a match and, if the rule's when-conditions allow, a firing; atomically.

    A rule deleted or disabled since it was read counts nothing and does not fire.
    """
    match = db.session.execute(
        update(FaultRule)
        .where(FaultRule.id == rule.id, FaultRule.enabled.is_(True))
        .values(matched=FaultRule.matched + 1)
        .returning(FaultRule.matched)
    ).scalar_one_or_none()
    if match is None or match <= rule.after:
        return False
    if rule.probability is not None and draw(rule, match) >= rule.probability:
        return False
    fired = db.session.execute(
        update(FaultRule)
        .where(FaultRule.id == rule.id, or_(FaultRule.times.is_(None), FaultRule.fired < FaultRule.times))
        .values(fired=FaultRule.fired + 1)
        .returning(FaultRule.fired)
    ).scalar_one_or_none()
    return fired is not None


def choose(state: RequestState, vendor: str, name: str) -> Chosen | None:
    """The first in-scope rule that fires for this request, counters taken.

    Exhausted rules are read too, so that ``matched`` counts every in-scope request exactly,
    however many raced a rule's last firing; ``take`` never fires them again.
    """
    # the usual case: no rule for this tenant, known from reading the tenant (no statement here)
    if state.tenant is None or not state.tenant.rules_in_scope:
        return None
    rules = in_force(vendor, name, exhausted=True)
    if not rules:
        return None
    body = request.get_json(silent=True) if request.method == "PATCH" else None
    operations = operations_of(body)
    path = scim_path(request.path)
    matching = [Chosen.of(r) for r in rules if in_scope(r, request.method, path, operations)]
    if not matching:
        return None
    with database.write_apart(state):  # the counters, in a writer transaction of their own
        return next((rule for rule in matching if take(rule)), None)


def before(state: RequestState) -> None:
    """Apply a firing rule's effect to an authenticated (or public) request before it is served."""
    assert state.scope is not None, "faults apply to a resolved tenant's requests"
    tenant = state.scope.tenant
    rule = choose(state, tenant.vendor, tenant.name)
    if rule is None:
        return
    action = rule.action
    state.fault = {"rule": rule.id, "action": action["type"]}
    if action["type"] in AFTER_ACTIONS:
        state.fault_after = action
        return
    apply(action, state.scope)


def apply(action: dict[str, Any], scope: TenantScope) -> None:
    kind = action["type"]
    if kind == "latency":
        jitter = action.get("jitter_ms", 0)
        time.sleep(max(0.0, action["ms"] + (random.uniform(-jitter, jitter) if jitter else 0)) / 1000)
        return
    if kind == "status":
        headers = {"Retry-After": str(action["retry_after"])} if "retry_after" in action else {}
        detail = action.get("detail") or DEFAULT_DETAILS.get(action["status"], "injected failure")
        raise ScimError(action["status"], detail, headers=headers)
    if kind == "auth":
        raise revoked(scope, action)
    if kind == "conflict":
        raise conflict(action.get("detail") or conflict_detail(scope))
    if kind == "timeout":
        time.sleep(action.get("seconds", 30))
    raise Dropped()


def revoked(scope: TenantScope, action: dict[str, Any]) -> ScimError:
    """A 401 as the vendor answers an expired or revoked credential of the kind presented.

    The style is the vendor's one whose scheme the request's Authorization header uses (its
    first otherwise), so Jive answers a Basic request as Basic and a token request as a token.
    """
    profile = scope.profile
    presented = request.headers.get("Authorization", "").partition(" ")[0].lower()
    style = next((s for s in profile.auth if s.scheme.lower() == presented), profile.auth[0])
    if style.revoked_detail is None:  # refused like a wrong password
        refusal = auth.unauthenticated(scope.tenant, profile)
        return ScimError(401, action.get("detail") or refusal.detail, headers=refusal.headers)
    realm = scope.tenant.key
    return ScimError(
        401,
        action.get("detail") or style.revoked_detail,
        headers={"WWW-Authenticate": f'Bearer realm="{realm}"'},
    )


def conflict_detail(scope: TenantScope) -> str:
    """The uniqueness error the vendor gives when this create's user or group already exists."""
    kind, unique = (
        ("Group", "displayName") if scim_path(request.path).startswith("/Groups") else ("User", "userName")
    )
    messages = scope.profile.messages
    if kind == "User" and "uniqueness" in messages:
        return messages["uniqueness"]
    return f"a {kind} with this {unique} already exists"


class Dropped(Exception):
    """The connection is to be closed without a response."""


def client_socket() -> socket.socket | None:
    """The client's socket, which gunicorn and werkzeug's server put in the environ."""
    sock = request.environ.get("gunicorn.socket") or request.environ.get("werkzeug.socket")
    return sock if isinstance(sock, socket.socket) else None


def close_socket(sock: socket.socket | None, reset: bool = False) -> None:
    """End the connection; ``reset`` discards anything unsent and answers the client with a RST."""
    if sock is None:
        return
    try:
        if reset:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


def drop_connection() -> Response:
    """Close the client's connection with nothing sent."""
    close_socket(client_socket(), reset=True)
    response = Response(b"", status=NO_RESPONSE)
    response.headers["Connection"] = "close"
    return response


def after(state: RequestState, response: Response) -> Response:
    """Corrupt a served response: a body that is not JSON, or one cut short of its Content-Length."""
    action = state.fault_after
    if action is None:
        return response
    if action["type"] == "malformed":
        garbage = b'<html><body>Gateway error</body></html>{"schemas": ["urn:ietf:params:scim:api:mess'
        broken = Response(garbage, status=200, mimetype="application/scim+json")
        return broken
    body = response.get_data()
    cut = Response(body[: len(body) // 2], status=response.status_code, headers=dict(response.headers))
    cut.headers["Content-Length"] = str(len(body))  # kept as is: werkzeug only fills in a missing one
    cut.headers["Connection"] = "close"
    # gunicorn drops the Connection header and would keep the connection open, leaving the client
    # waiting for the missing bytes until the keep-alive timeout: close it once the cut body is out
    sock = client_socket()
    cut.call_on_close(lambda: close_socket(sock))
    return cut
