"""Matching fault rules to a request and applying their effects.

Runs after the tenant is resolved and before its authentication (``before``), and on the
finished response (``after``: malformed and truncated bodies). Counters are taken with
atomic ``UPDATE ... RETURNING`` statements, so ``times`` and ``after`` are exact across
workers and containers; a seeded probability draws from the match number, so the same
seed gives the same sequence however requests are spread over workers.
"""

from __future__ import annotations

import fnmatch
import random
import socket
import struct
import time
from typing import Any

from flask import Flask, Response, g, request
from sqlalchemy import or_, select, update

from .. import tenants
from ..auth.styles import BasicAccounts
from ..errors import ScimError, conflict
from ..extensions import db
from ..models import FaultRule, utcnow
from ..routing import TENANT_KEY

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
    """Register after the journal so a corrupted body is what the journal records."""
    app.before_request(before)
    app.after_request(after)
    app.register_error_handler(Dropped, lambda error: drop_connection())


def scim_path(path: str) -> str:
    return path[len(SCIM_PREFIX) :] or "/" if path.startswith(SCIM_PREFIX) else path


def candidates(vendor: str, name: str) -> list[FaultRule]:
    """Rules that could fire now for this tenant (cheap: one indexed query on a small table)."""
    now = utcnow()
    return list(
        db.session.execute(
            select(FaultRule)
            .where(
                FaultRule.enabled.is_(True),
                or_(FaultRule.tenant.is_(None), FaultRule.tenant == f"{vendor}/{name}"),
                or_(FaultRule.vendor.is_(None), FaultRule.vendor == vendor),
                or_(FaultRule.times.is_(None), FaultRule.fired < FaultRule.times),
                or_(FaultRule.expires_at.is_(None), FaultRule.expires_at > now),
                or_(FaultRule.starts_at.is_(None), FaultRule.starts_at <= now),
            )
            .order_by(FaultRule.id)
        ).scalars()
    )


def operations_of(body: Any) -> list[tuple[str, str]]:
    """(op, attribute) pairs of a PatchOp body, lower-cased; path-less ops yield their value's keys."""
    found: list[tuple[str, str]] = []
    items = body.get("Operations") if isinstance(body, dict) else None
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, dict):
            continue
        op = str(item.get("op", "")).lower()
        path = item.get("path")
        if isinstance(path, str):
            found.append((op, path.split("[", 1)[0].split(".", 1)[0].lower()))
        elif isinstance(item.get("value"), dict):
            found += [(op, str(key).lower()) for key in item["value"]]
        else:
            found.append((op, ""))
    return found


def in_scope(rule: FaultRule, method: str, path: str, operations: list[tuple[str, str]]) -> bool:
    if rule.method and rule.method != method:
        return False
    if rule.path and not fnmatch.fnmatchcase(path, rule.path):
        return False
    if rule.operation:
        op, _, attribute = rule.operation.lower().partition(":")
        return any(o == op and (not attribute or a == attribute) for o, a in operations)
    return True


def draw(rule: FaultRule, match: int) -> float:
    """The rule's random number for its ``match``-th match: reproducible when it has a seed."""
    if rule.seed is None:
        return random.random()
    return random.Random(f"{rule.seed}:{match}").random()


def take(rule: FaultRule) -> bool:
    """Count a match and, if the rule's when-conditions allow, a firing; atomically."""
    match = db.session.execute(
        update(FaultRule)
        .where(FaultRule.id == rule.id)
        .values(matched=FaultRule.matched + 1)
        .returning(FaultRule.matched)
    ).scalar_one()
    if match <= rule.after:
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


def choose(vendor: str, name: str) -> FaultRule | None:
    """The first in-scope rule that fires for this request, counters taken."""
    rules = candidates(vendor, name)
    if not rules:
        return None
    body = request.get_json(silent=True) if request.method == "PATCH" else None
    operations = operations_of(body)
    path = scim_path(request.path)
    matching = [r for r in rules if in_scope(r, request.method, path, operations)]
    if not matching:
        return None
    reads = not g.get("writes", False)
    db.session.commit()  # end the lookup's transaction: the counters are taken in one of their own
    g.writes = True
    chosen = next((rule for rule in matching if take(rule)), None)
    db.session.commit()
    g.writes = not reads
    return chosen


def before() -> None:
    """Apply a firing rule's effect before the request is authenticated or served."""
    key = request.environ.get(TENANT_KEY)
    if key is None or request.path.startswith("/_emulator"):
        return
    rule = choose(*key)
    if rule is None:
        return
    action = rule.action
    g.fault_applied = {"rule": rule.id, "action": action["type"]}
    if action["type"] in AFTER_ACTIONS:
        g.fault_after = action
        return
    apply(action, key)


def apply(action: dict[str, Any], key: tuple[str, str]) -> None:
    kind = action["type"]
    if kind == "latency":
        jitter = action.get("jitter_ms", 0)
        time.sleep((action["ms"] + (random.uniform(-jitter, jitter) if jitter else 0)) / 1000)
        return
    if kind == "status":
        headers = {"Retry-After": str(action["retry_after"])} if "retry_after" in action else {}
        detail = action.get("detail") or DEFAULT_DETAILS.get(action["status"], "injected failure")
        raise ScimError(action["status"], detail, headers=headers)
    if kind == "auth":
        raise revoked(key, action)
    if kind == "conflict":
        raise conflict(action.get("detail") or conflict_detail(key))
    if kind == "timeout":
        time.sleep(action.get("seconds", 30))
    raise Dropped()


def revoked(key: tuple[str, str], action: dict[str, Any]) -> ScimError:
    """A 401 as the vendor answers an expired or revoked credential."""
    tenant = tenants.find(*key)
    style = tenants.scope_of(tenant).profile.auth[0] if tenant else None
    if isinstance(style, BasicAccounts):
        detail, scheme = "the account's credentials are no longer valid", "Basic"
    else:
        label = getattr(style, "label", None) or getattr(style, "account_label", None) or "token"
        detail, scheme = (
            f"the {'API key' if getattr(style, 'kind', '') == 'api_key' else label} has been revoked",
            "Bearer",
        )
    return ScimError(
        401,
        action.get("detail") or detail,
        headers={"WWW-Authenticate": f'{scheme} realm="{key[0]}/{key[1]}"'},
    )


def conflict_detail(key: tuple[str, str]) -> str:
    tenant = tenants.find(*key)
    messages = tenants.scope_of(tenant).profile.messages if tenant else {}
    return messages.get("uniqueness", "a resource with this userName already exists")


class Dropped(Exception):
    """The connection is to be closed without a response."""


def drop_connection() -> Response:
    """Close the client's connection with nothing sent (gunicorn and werkzeug expose the socket)."""
    sock = request.environ.get("gunicorn.socket") or request.environ.get("werkzeug.socket")
    if isinstance(sock, socket.socket):
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
    response = Response(b"", status=NO_RESPONSE)
    response.headers["Connection"] = "close"
    return response


def after(response: Response) -> Response:
    """Corrupt a served response: a body that is not JSON, or one cut short of its Content-Length."""
    action = g.pop("fault_after", None)
    if action is None:
        return response
    if action["type"] == "malformed":
        garbage = b'<html><body>Gateway error</body></html>{"schemas": ["urn:ietf:params:scim:api:mess'
        broken = Response(garbage, status=200, mimetype="application/scim+json")
        return broken
    body = response.get_data()
    cut = Response(
        iter([body[: len(body) // 2]]), status=response.status_code, headers=dict(response.headers)
    )
    cut.headers["Content-Length"] = str(len(body))
    cut.headers["Connection"] = "close"
    return cut
