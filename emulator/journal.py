"""The request journal: every request a tenant receives, bounded per tenant, queryable and verifiable.

Written once per request after the response is built, so it records exactly what the client
saw: on a SQLite file into its worker's spool, written into the database in batches (and by
every reader first); elsewhere in a transaction of its own (after rolling back whatever a
failed request left pending). Credentials are masked in headers and bodies before anything is
stored.
"""

from __future__ import annotations

import fnmatch
import functools
import json
import operator
import re
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import Flask, Request, Response, current_app, g, request
from sqlalchemy import Connection, bindparam, delete, exists, func, insert, select, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import IntegrityError

from . import database, tenants
from .errors import ScimError, bad_request
from .extensions import db
from .models import JournalEntry, JournalSpool, Tenant, utcnow
from .prepared import Compiled, Prepared
from .routing import TENANT_KEY
from .spool import Spool, Spooled

MASK = "********"
SECRET_HEADERS = frozenset({"authorization", "cookie", "proxy-authorization", "x-api-key"})
SECRET_FIELDS = frozenset(
    {"password", "client_secret", "code", "refresh_token", "access_token", "token", "key"}
)
SCIM_PREFIX = "/scim/v2"
SECRET_PARAMETER = re.compile(r"(?i)(^|[?&;])(" + "|".join(sorted(SECRET_FIELDS)) + r")=[^&\"'\s<>]*")
# a JSON key that may hold a secret: only a body that has one is parsed and masked
SECRET_NAME = re.compile(r'"(?:' + "|".join(sorted(SECRET_FIELDS)) + r')"')  # in case-folded text
SECRET_KEY = re.compile(r'(?i)"(?:' + "|".join(sorted(SECRET_FIELDS)) + r')"\s*:')
ENTRY_COLUMNS = (
    "tenant_id", "at", "method", "path", "query", "request_headers", "request_body",
    "status", "response_body", "duration_ms", "fault",
)  # fmt: skip
# written on every tenant request: run as driver SQL (emulator/prepared.py)
JOURNAL_INSERT = Prepared(insert(JournalEntry.__table__), ENTRY_COLUMNS)


def init_app(app: Flask) -> None:
    """Time every request and journal those addressed to a tenant; spool entries on a SQLite file."""
    app.before_request(start_clock)
    app.after_request(record)
    with app.app_context():
        engine = db.engine
        path = database.database_file(engine) if engine in database.TUNED else None
        if path and app.config["EMULATOR_JOURNAL_BATCH"] > 1:
            spool = Spool(path, app.config["EMULATOR_JOURNAL_BATCH"])
            app.extensions[SPOOL] = Spooling.of(spool, engine.dialect)


def start_clock() -> None:
    g.journal_started = time.perf_counter()


def record(response: Response) -> Response:
    """Journal the request if it reached a tenant (never the control plane or the dashboard).

    On a SQLite file the entry goes to this process's spool (emulator/spool.py), and every
    ``EMULATOR_JOURNAL_BATCH`` entries the spools are written in one transaction. Elsewhere
    (PostgreSQL, or a batch of 1) most entries go in a short transaction of their own
    (``database.write_alone``): a read's, a failed request's (rolled back first), and a SCIM
    write's, which committed as its write phase ended. A write outside a SCIM write phase that
    succeeded (the OAuth endpoints') gets its entry in its own transaction, committed with it by
    ``database.finish_request``.

    This runs on every tenant request, so the request, the app and ``g`` are looked up once
    each (every look through a Flask proxy costs a context-variable lookup).
    """
    req: Request = request._get_current_object()  # type: ignore[attr-defined]
    key = req.environ.get(TENANT_KEY)
    config = current_app.config
    if key is None or not config["EMULATOR_JOURNAL"] or req.path.startswith("/_emulator"):
        return response
    context = g._get_current_object()  # type: ignore[attr-defined]
    writes = database.request_writes()
    joins = writes and response.status_code < 400
    if writes and not joins:
        db.session.rollback()  # a failed write: the session forgets what it flushed
    tenant_id = context.get("tenant_id")  # resolved by the SCIM views: no second tenant lookup
    if tenant_id is None:
        tenant = tenants.find(*key)
        if tenant is None:
            return response
        tenant_id = tenant.id
    entry = entry_of(tenant_id, req, response, context, config["EMULATOR_BODY_LOG_BYTES"])
    limit = config["EMULATOR_JOURNAL_MAX"]
    spooling = current_app.extensions.get(SPOOL)
    if spooling is not None:
        due = spooling.spool.append(spooling.insert.parameters(entry))
        # a write that succeeded is still to be committed: a drain now would roll it back
        if due and not joins:
            write_spooled(db.session.connection(), spooling, limit)
        return response
    connection = db.session.connection()
    try:
        if joins:  # the request's transaction, committed by database.finish_request
            insert_entry(connection, entry, limit)
        else:
            database.write_alone(connection, lambda c: insert_entry(c, entry, limit))
    except IntegrityError:  # the tenant was deleted while its request ran: nothing of it is kept
        db.session.rollback()
    return response


def insert_entry(connection: Connection, entry: dict[str, Any], limit: int) -> None:
    """Insert the entry and keep the tenant's journal bounded."""
    JOURNAL_INSERT.execute(connection, entry)
    trim(entry["tenant_id"], limit, connection)


# -- the spool (SQLite files): entries written in batches -----------------------------------------

SPOOL = "emulator.journal_spool"  # app.extensions: the app's Spooling, when it spools


# an entry whose tenant was deleted while it waited in a spool is not written
SPOOLED_INSERT = insert(JournalEntry.__table__).from_select(
    ENTRY_COLUMNS,
    select(*(bindparam(f"spooled_{c}") for c in ENTRY_COLUMNS)).where(
        exists().where(Tenant.id == bindparam("spooled_tenant_id"))
    ),
)
# how far each spool file has been written into the journal
SPOOL_PROGRESS = Prepared(select(JournalSpool.name, JournalSpool.drained))
SPOOL_ADVANCE_INSERT = sqlite_insert(JournalSpool.__table__)
SPOOL_ADVANCE = Prepared(
    SPOOL_ADVANCE_INSERT.on_conflict_do_update(
        index_elements=["name"], set_={"drained": SPOOL_ADVANCE_INSERT.excluded.drained}
    ),
    ("name", "drained"),
)
SPOOL_FORGET = Prepared(delete(JournalSpool.__table__).where(JournalSpool.name == bindparam("name")))

Row = list[Any]  # a spooled entry: JOURNAL_INSERT's parameters, in its order


@dataclass(frozen=True)
class Spooling:
    """A SQLite file's spool, and the statements its entries go through, compiled once."""

    spool: Spool
    insert: Compiled  # JOURNAL_INSERT: turns an entry into a spooled row
    insert_spooled: str  # SPOOLED_INSERT's SQL
    parameters: Callable[[Row], tuple[Any, ...]]  # a row's values in SPOOLED_INSERT's order
    answered_at: Callable[[Row], Any]
    tenant_of: Callable[[Row], Any]

    @classmethod
    def of(cls, spool: Spool, dialect: Dialect) -> Spooling:
        insert = JOURNAL_INSERT.compile(dialect)
        spooled = SPOOLED_INSERT.compile(dialect=dialect)
        order = [insert.names.index(name.removeprefix("spooled_")) for name in spooled.positiontup or []]
        return cls(
            spool,
            insert,
            spooled.string,
            operator.itemgetter(*order),
            operator.itemgetter(insert.names.index("at")),
            operator.itemgetter(insert.names.index("tenant_id")),
        )


def drain() -> None:
    """Write every process's spooled entries into the journal: each reader of it calls this first.

    The drain is a writer transaction of its own, so it comes before anything the caller
    writes; the caller's next statement begins a transaction again.
    """
    spooling = current_app.extensions.get(SPOOL)
    if spooling is None or not spooling.spool.names():
        return
    connection = db.session.connection()
    write_spooled(connection, spooling, current_app.config["EMULATOR_JOURNAL_MAX"])
    database.begin_again(connection)


def write_spooled(connection: Connection, spooling: Spooling, limit: int) -> None:
    """Write the spools' entries in one transaction; after its commit, remove the files drained."""
    spooled: list[Spooled] = []  # filled by the transaction, released whatever becomes of it
    committed = False
    try:
        database.write_alone(connection, lambda c: insert_spooled(c, spooling, limit, spooled))
        committed = True
    finally:
        spooling.spool.release(spooled, remove_drained=committed)


def insert_spooled(connection: Connection, spooling: Spooling, limit: int, spooled: list[Spooled]) -> None:
    """Insert what the spools hold past their drained offsets, oldest answer first, and record
    the new offsets; the files read go in ``spooled``. Entries of a tenant deleted since its
    request are left out."""
    drained = dict(SPOOL_PROGRESS.all(connection, {}))
    spooled.extend(spooling.spool.read(drained))
    rows = sorted((row for file in spooled for row in file.rows), key=spooling.answered_at)
    if rows:  # one executemany (a list of tuples is several executions)
        connection.exec_driver_sql(spooling.insert_spooled, list(map(spooling.parameters, rows)))
    for tenant_id, written in Counter(map(spooling.tenant_of, rows)).items():
        trim(tenant_id, limit, connection, written)
    for file in spooled:
        if file.offset != drained.get(file.name, 0):
            SPOOL_ADVANCE.execute(connection, {"name": file.name, "drained": file.offset})
    for name in drained.keys() - {file.name for file in spooled}:  # removed after an earlier drain
        SPOOL_FORGET.execute(connection, {"name": name})


def entry_of(tenant_id: int, req: Request, response: Response, context: Any, limit: int) -> dict[str, Any]:
    """The journal row of a request and its response, masked and cut to ``limit`` characters."""
    started = context.get("journal_started") or time.perf_counter()
    sent, answered = request_text(req), response_text(response)
    return {
        "tenant_id": tenant_id,
        "at": utcnow(),
        "method": req.method,
        # cut to the columns' sizes (PostgreSQL refuses longer values); NUL escaped (no text holds one)
        "path": req.path.replace("\x00", "\\x00")[:2048],
        "query": req.query_string.decode("latin-1").replace("\x00", "\\x00")[:4096],
        "request_headers": masked_headers(req.environ),
        "request_body": None if sent is None else masked_body(sent, req.mimetype, limit),
        "status": response.status_code,
        "response_body": None if answered is None else masked_body(answered, response.mimetype, limit),
        "duration_ms": round((time.perf_counter() - started) * 1000, 3),
        "fault": context.get("fault_applied"),
    }


def request_text(req: Request) -> str | None:
    environ = req.environ
    if environ.get("CONTENT_LENGTH", "0") in ("", "0") and "HTTP_TRANSFER_ENCODING" not in environ:
        return None  # no body was sent (a GET, a DELETE): nothing to read
    if req.content_length and req.content_length > current_app.config["MAX_CONTENT_LENGTH"]:
        return None  # refused with 413 before being read
    raw = req.get_data(cache=True)
    return raw.decode("utf-8", "replace") if raw else None


def response_text(response: Response) -> str | None:
    if response.direct_passthrough or response.is_streamed:
        return None
    raw = response.get_data()
    return raw.decode("utf-8", "replace") if raw else None


def masked_headers(environ: dict[str, Any]) -> dict[str, str]:
    """Request headers with credentials masked; the scheme of an Authorization header stays.

    Read from the WSGI environ with werkzeug's names (``HTTP_X_API_KEY`` is ``X-Api-Key``), as
    ``request.headers`` lists them. A client sends the same headers request after request, so
    which environ keys are headers, and what each is called, is worked out once per set of keys.
    """
    out = {}
    for key, name, secret in headers_among(tuple(environ)):
        value = environ[key]
        if not value and key in BODY_HEADERS:
            continue
        if secret:
            scheme = value.split(" ", 1)[0] if " " in value else ""
            value = f"{scheme} {MASK}".strip()
        out[name] = value
    return out


BODY_HEADERS = frozenset({"CONTENT_TYPE", "CONTENT_LENGTH"})  # CGI names: listed only when not empty


@functools.lru_cache(maxsize=256)
def headers_among(keys: tuple[str, ...]) -> tuple[tuple[str, str, bool], ...]:
    """The environ keys that carry headers: each with its header's name, and whether it is secret."""
    found = []
    for key in keys:
        if key.startswith("HTTP_") and key[5:] not in BODY_HEADERS:
            name = key[5:].replace("_", "-").title()
        elif key in BODY_HEADERS:
            name = key.replace("_", "-").title()
        else:
            continue
        found.append((key, name, name.lower() in SECRET_HEADERS))
    return tuple(found)


def masked_body(text: str | None, mimetype: str, limit: int) -> str | None:
    """The body with secret fields masked (JSON and form bodies), cut at ``limit`` characters.

    Only what is kept must be masked: a JSON body is parsed and masked whole when its first
    ``limit`` characters may hold a secret field, and any other text is cut before its
    parameters are masked (a 600 KB group answer costs no scan past what is stored).
    """
    if text is None:
        return None
    masked = False
    if "json" in mimetype and may_hold_secret(text[:limit]):
        try:
            text = json.dumps(mask_json(json.loads(text)), ensure_ascii=False)
            masked = True
        except (ValueError, RecursionError):  # kept as sent: the SCIM view answers 400 for it
            pass
        # an escaped lone surrogate is now a character, which no database can store as text
        text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    dropped = len(text) - limit
    if dropped > 0:
        text = text[:limit]
    if not masked and "=" in text:  # form bodies, and URLs in any other text (an OAuth redirect's ?code=)
        text = SECRET_PARAMETER.sub(lambda m: f"{m[1]}{m[2]}={MASK}", text)
    text = text.replace("\x00", "\\x00")
    return text + f"... [{dropped} more characters not kept]" if dropped > 0 else text


def may_hold_secret(text: str) -> bool:
    """Whether a JSON text may have a secret field: one named so, or any key spelled with escapes.

    Most bodies (SCIM resources, list responses) have neither and are stored without being
    parsed and written again. The case-blind expression runs only on a text whose case-folded
    form holds one of the names in quotes (a third of its cost on a body without one).
    """
    if "\\u" in text:
        return True
    return SECRET_NAME.search(text.casefold()) is not None and SECRET_KEY.search(text) is not None


def mask_json(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            k: MASK if k.lower() in SECRET_FIELDS and isinstance(v, str) else mask_json(v)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [mask_json(v) for v in value]
    return value


# a trim's statements, run on every few dozen entries a tenant is written (emulator/prepared.py)
_entries = JournalEntry.__table__
ENTRY_AT_DEPTH = Prepared(  # the id at a given depth of a tenant's journal, newest first
    select(_entries.c.id)
    .where(_entries.c.tenant_id == bindparam("tenant_id"))
    .order_by(_entries.c.id.desc())
    .limit(1)
    .offset(bindparam("depth"))
)
TRIM_ENTRIES = Prepared(
    delete(_entries).where(
        _entries.c.tenant_id == bindparam("tenant_id"), _entries.c.id <= bindparam("cutoff")
    )
)
COUNT_DROPPED = Prepared(
    update(Tenant.__table__)
    .where(Tenant.__table__.c.id == bindparam("tenant_id"))
    .values(journal_dropped=Tenant.__table__.c.journal_dropped + bindparam("dropped"))
)


# entries a worker writes for a tenant between two looks at its bound
TRIM_EVERY = 64
written_since_trim: dict[int, int] = {}  # tenant id -> entries this worker wrote since it last looked


def trim(tenant_id: int, limit: int, connection: Connection, written: int = 1) -> None:
    """Keep the newest ``limit`` entries; counted trims say how many were dropped.

    Trimming runs when a tenant is a tenth over its bound, so its cost is spread thin; each
    worker looks at the bound every ``limit // 10`` entries it writes for a tenant (at most
    every 64), so the look's index walk is not paid on every request either.
    """
    every = max(1, min(TRIM_EVERY, limit // 10))
    written += written_since_trim.get(tenant_id, 0)
    if written < every:
        written_since_trim[tenant_id] = written
        return
    written_since_trim[tenant_id] = 0
    over = ENTRY_AT_DEPTH.first(connection, {"tenant_id": tenant_id, "depth": limit + max(limit // 10, 1)})
    if over is None:
        return
    (cutoff,) = ENTRY_AT_DEPTH.first(connection, {"tenant_id": tenant_id, "depth": limit})
    dropped = TRIM_ENTRIES.execute(connection, {"tenant_id": tenant_id, "cutoff": cutoff})
    COUNT_DROPPED.execute(connection, {"tenant_id": tenant_id, "dropped": dropped})


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
    after: int | None = None,
) -> list[JournalEntry]:
    """Entries newest first, filtered; ``after`` keeps those newer than an entry id (for following)."""
    drain()
    query = select(JournalEntry).where(JournalEntry.tenant_id == tenant.id).order_by(JournalEntry.id.desc())
    if after is not None:
        query = query.where(JournalEntry.id > after)
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
    """How the journal is bounded, so a trimmed journal is never mistaken for a complete one.

    Kept and dropped are read in one statement, as a trim writes them in one transaction: the
    tenant as loaded earlier in the request could predate a trim whose deletions the count sees
    (PostgreSQL's read-committed snapshot is per statement), showing entries gone and not counted.
    """
    drain()
    kept, dropped = db.session.execute(
        select(
            select(func.count()).where(JournalEntry.tenant_id == tenant.id).scalar_subquery(),
            select(Tenant.journal_dropped).where(Tenant.id == tenant.id).scalar_subquery(),
        )
    ).one()
    return {
        "max_entries": current_app.config["EMULATOR_JOURNAL_MAX"],
        "kept": kept,
        "dropped": dropped,
        "complete": dropped == 0,
    }


def clear(tenant: Tenant) -> None:
    drain()
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
    drain()
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


# -- live views (the dashboard polls these; the control plane may too) ----------------------

STATUS_CLASSES = ("2xx", "3xx", "4xx", "5xx")


def newest(tenant: Tenant, after_id: int | None = None, limit: int = 50) -> list[JournalEntry]:
    """The newest entries, newest first, optionally only those after ``after_id``: one indexed query."""
    drain()
    query = select(JournalEntry).where(JournalEntry.tenant_id == tenant.id)
    if after_id is not None:
        query = query.where(JournalEntry.id > after_id)
    return list(db.session.execute(query.order_by(JournalEntry.id.desc()).limit(limit)).scalars())


def entry(tenant: Tenant, entry_id: int) -> JournalEntry:
    """One entry of a tenant's journal, or a 404."""
    drain()
    found = db.session.get(JournalEntry, entry_id)
    if found is None or found.tenant_id != tenant.id:
        raise ScimError(404, f"no journal entry {entry_id} in tenant {tenant.key}")
    return found


def status_class(status: int) -> str:
    """``201`` -> ``2xx``; 1xx counts with 2xx and a dropped connection (499) with 4xx."""
    return f"{min(max(status // 100, 2), 5)}xx"


def traffic(tenant: Tenant, seconds: int = 300, now: datetime | None = None) -> dict[str, Any]:
    """Requests per second by status class over the last ``seconds``, oldest second first."""
    drain()
    end = (now or utcnow()).replace(microsecond=0) + timedelta(seconds=1)
    start = end - timedelta(seconds=seconds)
    buckets = [dict.fromkeys(STATUS_CLASSES, 0) for _ in range(seconds)]
    rows = db.session.execute(
        select(JournalEntry.at, JournalEntry.status).where(
            JournalEntry.tenant_id == tenant.id, JournalEntry.at >= start, JournalEntry.at < end
        )
    )
    for at, status in rows:
        buckets[int((at - start).total_seconds())][status_class(status)] += 1
    return {
        "start": start.isoformat() + "Z",
        "seconds": seconds,
        "classes": list(STATUS_CLASSES),
        "buckets": buckets,
    }


def recent_counts(seconds: int = 60, now: datetime | None = None) -> dict[int, int]:
    """Requests per tenant id over the last ``seconds``, in one query."""
    drain()
    since = (now or utcnow()) - timedelta(seconds=seconds)
    rows = db.session.execute(
        select(JournalEntry.tenant_id, func.count())
        .where(JournalEntry.at >= since)
        .group_by(JournalEntry.tenant_id)
    )
    return {tenant_id: count for tenant_id, count in rows}
