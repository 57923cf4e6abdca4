"""The request journal: every request a tenant receives, bounded per tenant, queryable and verifiable.

Written once per request after the response is built, in a transaction of its own (after
rolling back whatever a failed request left pending), so it records exactly what the
client saw. Credentials are masked in headers and bodies before anything is stored.
"""

from __future__ import annotations

import fnmatch
import json
import re
import time
from datetime import datetime
from typing import Any

from flask import Flask, Request, Response, current_app, g, request
from sqlalchemy import delete, func, select, update

from . import tenants
from .errors import bad_request
from .extensions import db
from .models import JournalEntry, Tenant, utcnow
from .routing import TENANT_KEY

MASK = "********"
SECRET_HEADERS = frozenset({"authorization", "cookie", "proxy-authorization", "x-api-key"})
SECRET_FIELDS = frozenset(
    {"password", "client_secret", "code", "refresh_token", "access_token", "token", "key"}
)
SCIM_PREFIX = "/scim/v2"


def init_app(app: Flask) -> None:
    """Time every request and journal those addressed to a tenant."""
    app.before_request(start_clock)
    app.after_request(record)


def start_clock() -> None:
    g.journal_started = time.perf_counter()


def record(response: Response) -> Response:
    """Journal the request if it reached a tenant (never the control plane or the dashboard)."""
    key = request.environ.get(TENANT_KEY)
    if key is None or request.path.startswith("/_emulator") or not current_app.config["EMULATOR_JOURNAL"]:
        return response
    db.session.rollback()  # a failed request's pending changes must not ride along
    g.writes = True  # the journal transaction writes: SQLite takes its write lock at BEGIN
    tenant = tenants.find(*key)
    if tenant is None:
        return response
    started = g.get("journal_started", time.perf_counter())
    limit = current_app.config["EMULATOR_BODY_LOG_BYTES"]
    db.session.add(
        JournalEntry(
            tenant_id=tenant.id,
            at=utcnow(),
            method=request.method,
            path=request.path,
            query=request.query_string.decode("latin-1"),
            request_headers=masked_headers(request),
            request_body=masked_body(request_text(request), request.mimetype, limit),
            status=response.status_code,
            response_body=masked_body(response_text(response), response.mimetype, limit),
            duration_ms=round((time.perf_counter() - started) * 1000, 3),
            fault=g.get("fault_applied"),
        )
    )
    trim(tenant, current_app.config["EMULATOR_JOURNAL_MAX"])
    db.session.commit()
    return response


def request_text(req: Request) -> str | None:
    if req.content_length and req.content_length > current_app.config["MAX_CONTENT_LENGTH"]:
        return None  # refused with 413 before being read
    raw = req.get_data(cache=True)
    return raw.decode("utf-8", "replace") if raw else None


def response_text(response: Response) -> str | None:
    if response.direct_passthrough or response.is_streamed:
        return None
    raw = response.get_data()
    return raw.decode("utf-8", "replace") if raw else None


def masked_headers(req: Request) -> dict[str, str]:
    """Request headers with credentials masked; the scheme of an Authorization header stays."""
    out = {}
    for name, value in req.headers.items():
        if name.lower() in SECRET_HEADERS:
            scheme = value.split(" ", 1)[0] if " " in value else ""
            value = f"{scheme} {MASK}".strip()
        out[name] = value
    return out


def masked_body(text: str | None, mimetype: str, limit: int) -> str | None:
    """The body with secret fields masked (JSON and form bodies), cut at ``limit`` characters."""
    if text is None:
        return None
    if "json" in mimetype:
        try:
            text = json.dumps(mask_json(json.loads(text)), ensure_ascii=False)
        except ValueError:
            pass
    elif mimetype == "application/x-www-form-urlencoded":
        text = re.sub(
            r"(?i)(^|&)(" + "|".join(SECRET_FIELDS) + r")=[^&]*", lambda m: f"{m[1]}{m[2]}={MASK}", text
        )
    if len(text) > limit:
        return text[:limit] + f"... [{len(text) - limit} more characters not kept]"
    return text


def mask_json(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            k: MASK if k.lower() in SECRET_FIELDS and isinstance(v, str) else mask_json(v)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [mask_json(v) for v in value]
    return value


def trim(tenant: Tenant, limit: int) -> None:
    """Keep the newest ``limit`` entries; counted trims say how many were dropped.

    Trimming runs when a tenant is a tenth over its bound, so its cost is spread thin.
    """
    newest = db.session.execute(
        select(JournalEntry.id)
        .where(JournalEntry.tenant_id == tenant.id)
        .order_by(JournalEntry.id.desc())
        .offset(limit + max(limit // 10, 1))
        .limit(1)
    ).scalar_one_or_none()
    if newest is None:
        return
    cutoff = db.session.execute(
        select(JournalEntry.id)
        .where(JournalEntry.tenant_id == tenant.id)
        .order_by(JournalEntry.id.desc())
        .offset(limit)
        .limit(1)
    ).scalar_one()
    dropped = db.session.execute(
        delete(JournalEntry).where(JournalEntry.tenant_id == tenant.id, JournalEntry.id <= cutoff)
    ).rowcount
    db.session.execute(
        update(Tenant).where(Tenant.id == tenant.id).values(journal_dropped=Tenant.journal_dropped + dropped)
    )


# -- reading ----------------------------------------------------------------------------------


def path_pattern(pattern: str) -> str:
    """A pattern over the SCIM path (``/Users*``) or over the tenant's whole path (``/oauth/*``)."""
    if pattern.startswith(("/scim/", "/oauth")):
        return pattern
    return SCIM_PREFIX + (pattern if pattern.startswith("/") else "/" + pattern)


def status_matches(status: int, wanted: str) -> bool:
    """``201``, ``4xx`` or ``400-499``."""
    wanted = wanted.strip().lower()
    if re.fullmatch(r"\d{3}", wanted):
        return status == int(wanted)
    if re.fullmatch(r"\dxx", wanted):
        return status // 100 == int(wanted[0])
    if re.fullmatch(r"\d{3}-\d{3}", wanted):
        low, high = wanted.split("-")
        return int(low) <= status <= int(high)
    raise bad_request(f"status filter {wanted!r} must look like 201, 4xx or 400-499")


def since_time(value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise bad_request(f"since {value!r} must be an ISO 8601 time") from None
    if moment.tzinfo is not None:
        moment = moment.replace(tzinfo=None) - moment.utcoffset()  # type: ignore[operator]
    return moment


def entries(
    tenant: Tenant,
    method: str | None = None,
    path: str | None = None,
    status: str | None = None,
    since: str | None = None,
    limit: int | None = None,
) -> list[JournalEntry]:
    """Entries newest first, filtered."""
    query = select(JournalEntry).where(JournalEntry.tenant_id == tenant.id).order_by(JournalEntry.id.desc())
    if method:
        query = query.where(JournalEntry.method == method.upper())
    if since:
        query = query.where(JournalEntry.at >= since_time(since))
    found = list(db.session.execute(query).scalars())
    if path:
        pattern = path_pattern(path)
        found = [e for e in found if fnmatch.fnmatchcase(e.path, pattern)]
    if status:
        found = [e for e in found if status_matches(e.status, status)]
    return found[:limit] if limit is not None else found


def as_json(entry: JournalEntry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "at": entry.at.isoformat(timespec="milliseconds") + "Z",
        "method": entry.method,
        "path": entry.path,
        "scim_path": entry.path[len(SCIM_PREFIX) :] if entry.path.startswith(SCIM_PREFIX) else None,
        "query": entry.query,
        "request": {"headers": entry.request_headers, "body": parsed(entry.request_body)},
        "status": entry.status,
        "response": {"body": parsed(entry.response_body)},
        "duration_ms": entry.duration_ms,
        "fault": entry.fault,
    }


def parsed(body: str | None) -> Any:
    if body is None:
        return None
    try:
        return json.loads(body)
    except ValueError:
        return body


def bound(tenant: Tenant) -> dict[str, Any]:
    """How the journal is bounded, so a trimmed journal is never mistaken for a complete one."""
    total = db.session.execute(
        select(func.count()).select_from(JournalEntry).where(JournalEntry.tenant_id == tenant.id)
    ).scalar_one()
    return {
        "max_entries": current_app.config["EMULATOR_JOURNAL_MAX"],
        "kept": total,
        "dropped": tenant.journal_dropped,
        "complete": tenant.journal_dropped == 0,
    }


def clear(tenant: Tenant) -> None:
    db.session.execute(delete(JournalEntry).where(JournalEntry.tenant_id == tenant.id))
    tenant.journal_dropped = 0
    db.session.commit()


# -- verification -----------------------------------------------------------------------------


def contains(actual: Any, expected: Any) -> bool:
    """Whether ``expected`` is a JSON subset of ``actual`` (keys case-insensitive, as in SCIM)."""
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return False
        folded = {str(k).lower(): v for k, v in actual.items()}
        return all(
            str(k).lower() in folded and contains(folded[str(k).lower()], v) for k, v in expected.items()
        )
    if isinstance(expected, list):
        return isinstance(actual, list) and all(any(contains(a, e) for a in actual) for e in expected)
    if isinstance(expected, str) and isinstance(actual, str):
        return expected == actual
    return bool(expected == actual)


def closeness(entry: JournalEntry, method: str | None, pattern: str | None, body: Any) -> float:
    """How near an entry comes to the expectation (for showing why a verification failed)."""
    score = 0.0
    if method and entry.method == method.upper():
        score += 1
    if pattern and fnmatch.fnmatchcase(entry.path, pattern):
        score += 1
    if isinstance(body, dict) and body:
        actual = parsed(entry.request_body)
        keys = {str(k).lower() for k in actual} if isinstance(actual, dict) else set()
        score += sum(
            1 if contains(actual, {k: v}) else 0.5 * (str(k).lower() in keys) for k, v in body.items()
        ) / len(body)
    return score


def verify(tenant: Tenant, spec: dict[str, Any]) -> dict[str, Any]:
    """Count entries matching method, path pattern and a JSON subset of the request body."""
    method = spec.get("method")
    pattern = path_pattern(spec["path"]) if spec.get("path") else None
    body = spec.get("body")
    expected = spec.get("count")
    candidates = entries(tenant)
    matching = [
        e
        for e in candidates
        if (not method or e.method == method.upper())
        and (pattern is None or fnmatch.fnmatchcase(e.path, pattern))
        and (body is None or contains(parsed(e.request_body), body))
    ]
    ok = len(matching) == expected if expected is not None else bool(matching)
    result: dict[str, Any] = {
        "matched": len(matching),
        "expected": expected,
        "ok": ok,
        "bound": bound(tenant),
    }
    if not ok:
        ranked = sorted(
            (e for e in candidates if e not in matching),
            key=lambda e: (closeness(e, method, pattern, body), e.id),
            reverse=True,
        )
        result["nearest"] = [as_json(e) for e in ranked[:3]]
        result["matching"] = [as_json(e) for e in matching[:3]]
    return result
