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
from datetime import datetime, timedelta
from typing import Any

from flask import Flask, Request, Response, current_app, request
from marshmallow import fields, validate
from sqlalchemy import Connection, bindparam, delete, exists, func, insert, select, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import IntegrityError

from . import clock, database
from .clock import utcnow
from .errors import ScimError, bad_request
from .extensions import db
from .inputs import Input
from .models import JournalEntry, JournalSpool, Tenant
from .prepared import Compiled, Prepared
from .request_state import RequestState
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
    """Choose the journal's writer once: a spool on a SQLite file, an entry per request elsewhere."""
    with app.app_context():
        engine = db.engine
        path = database.sqlite_file(engine)
        batch = app.config["EMULATOR_JOURNAL_BATCH"]
        writer = SpoolWriter(Spool(path, batch), engine.dialect) if path and batch > 1 else EntryWriter()
    app.extensions[WRITER] = writer


WRITER = "emulator.journal"  # app.extensions: the app's JournalWriter


def record(state: RequestState, response: Response) -> None:
    """Journal the request if it reached a tenant (never the control plane or the dashboard).

    The entry goes in the request's transaction when that is a write that succeeded (committed
    with it by ``database.finish_request``), and otherwise after it: a failed write is rolled
    back first, so none of its half-work rides along. The writer decides when it reaches the
    database. This runs on every tenant request, so the request and the app are looked up once
    each (every look through a Flask proxy costs a context-variable lookup).
    """
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    config = app.config
    if state.tenant is None or not config["EMULATOR_JOURNAL"]:
        return
    writes = database.request_writes(state)
    joins = writes and response.status_code < 400
    if writes and not joins:
        db.session.rollback()  # a failed write: the session forgets what it flushed
    req: Request = request._get_current_object()  # type: ignore[attr-defined]
    entry = entry_of(state, req, response, config["EMULATOR_BODY_LOG_BYTES"])
    app.extensions[WRITER].write(entry, joins, config["EMULATOR_JOURNAL_MAX"])


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


class Trimmer:
    """Keeps each tenant's journal bounded, looking at the bound every few dozen entries a writer
    writes for it (its count is the writer's own, so each app keeps its own)."""

    EVERY = 64  # entries a writer writes for a tenant between two looks at its bound

    def __init__(self) -> None:
        self.written_since: dict[int, int] = {}  # tenant id -> entries written since the last look

    def trim(self, connection: Connection, tenant_id: int, limit: int, written: int = 1) -> None:
        """Keep the newest ``limit`` entries; counted trims say how many were dropped.

        Trimming runs when a tenant is a tenth over its bound, so its cost is spread thin; the
        bound is looked at every ``limit // 10`` entries (at most every 64), so the look's index
        walk is not paid on every request either.
        """
        every = max(1, min(self.EVERY, limit // 10))
        written += self.written_since.get(tenant_id, 0)
        if written < every:
            self.written_since[tenant_id] = written
            return
        self.written_since[tenant_id] = 0
        over = ENTRY_AT_DEPTH.first(
            connection, {"tenant_id": tenant_id, "depth": limit + max(limit // 10, 1)}
        )
        if over is None:
            return
        (cutoff,) = ENTRY_AT_DEPTH.first(connection, {"tenant_id": tenant_id, "depth": limit})
        dropped = TRIM_ENTRIES.execute(connection, {"tenant_id": tenant_id, "cutoff": cutoff})
        COUNT_DROPPED.execute(connection, {"tenant_id": tenant_id, "dropped": dropped})


class EntryWriter:
    """Each entry as its request ends (PostgreSQL: a server other hosts may share; or a batch of 1)."""

    def __init__(self) -> None:
        self.trimmer = Trimmer()

    def write(self, entry: dict[str, Any], joins: bool, limit: int) -> None:
        """In the request's own transaction when it ``joins`` one, else in a short one of its own."""
        connection = db.session.connection()
        try:
            if joins:
                self.insert(connection, entry, limit)
            else:
                database.write_alone(connection, lambda c: self.insert(c, entry, limit))
        except IntegrityError:  # the tenant was deleted while its request ran: nothing of it is kept
            db.session.rollback()

    def insert(self, connection: Connection, entry: dict[str, Any], limit: int) -> None:
        JOURNAL_INSERT.execute(connection, entry)
        self.trimmer.trim(connection, entry["tenant_id"], limit)

    def flush(self) -> None:
        """Nothing waits: every entry is in the database as its request ends."""


# -- the spool (SQLite files): entries written in batches -----------------------------------------


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


class SpoolWriter:
    """A SQLite file's entries through this process's spool (emulator/spool.py), written into the
    database every ``EMULATOR_JOURNAL_BATCH`` entries, and by every reader first (``flush``)."""

    def __init__(self, spool: Spool, dialect: Dialect) -> None:
        self.spool = spool
        self.trimmer = Trimmer()
        self.insert: Compiled = JOURNAL_INSERT.compile(dialect)  # turns an entry into a spooled row
        spooled = SPOOLED_INSERT.compile(dialect=dialect)
        self.insert_spooled: str = spooled.string
        order = [self.insert.names.index(name.removeprefix("spooled_")) for name in spooled.positiontup or []]
        self.parameters: Callable[[Row], tuple[Any, ...]] = operator.itemgetter(*order)  # SPOOLED_INSERT's
        self.answered_at: Callable[[Row], Any] = operator.itemgetter(self.insert.names.index("at"))
        self.tenant_of: Callable[[Row], Any] = operator.itemgetter(self.insert.names.index("tenant_id"))

    def write(self, entry: dict[str, Any], joins: bool, limit: int) -> None:
        """Append the entry; a full batch is written now, unless a write that succeeded is still to
        be committed (a drain now would roll it back: the next request's turn)."""
        due = self.spool.append(self.insert.parameters(entry))
        if due and not joins:
            self.write_spooled(db.session.connection(), limit)

    def flush(self) -> None:
        """Write every process's spooled entries into the journal, in a writer transaction of its
        own; the caller's next statement begins a transaction again."""
        if not self.spool.names():
            return
        connection = db.session.connection()
        self.write_spooled(connection, current_app.config["EMULATOR_JOURNAL_MAX"])
        database.begin_again(connection)

    def write_spooled(self, connection: Connection, limit: int) -> None:
        """Write the spools' entries in one transaction; after its commit, remove the files drained."""
        spooled: list[Spooled] = []  # filled by the transaction, released whatever becomes of it
        committed = False
        try:
            database.write_alone(connection, lambda c: self.insert_spooled_rows(c, limit, spooled))
            committed = True
        finally:
            self.spool.release(spooled, remove_drained=committed)

    def insert_spooled_rows(self, connection: Connection, limit: int, spooled: list[Spooled]) -> None:
        """Insert what the spools hold past their drained offsets, oldest answer first, and record
        the new offsets; the files read go in ``spooled``. Entries of a tenant deleted since its
        request are left out."""
        drained = dict(SPOOL_PROGRESS.all(connection, {}))
        spooled.extend(self.spool.read(drained))
        rows = sorted((row for file in spooled for row in file.rows), key=self.answered_at)
        if rows:  # one executemany (a list of tuples is several executions)
            connection.exec_driver_sql(self.insert_spooled, list(map(self.parameters, rows)))
        for tenant_id, written in Counter(map(self.tenant_of, rows)).items():
            self.trimmer.trim(connection, tenant_id, limit, written)
        for file in spooled:
            if file.offset != drained.get(file.name, 0):
                SPOOL_ADVANCE.execute(connection, {"name": file.name, "drained": file.offset})
        for name in drained.keys() - {file.name for file in spooled}:  # removed after an earlier drain
            SPOOL_FORGET.execute(connection, {"name": name})


JournalWriter = EntryWriter | SpoolWriter


def entry_of(state: RequestState, req: Request, response: Response, limit: int) -> dict[str, Any]:
    """The journal row of a request and its response, masked and cut to ``limit`` characters."""
    sent, answered = request_text(req), response_text(response)
    assert state.tenant is not None
    return {
        "tenant_id": state.tenant.id,
        "at": utcnow(),
        "method": req.method,
        # cut to the columns' sizes (PostgreSQL refuses longer values); NUL escaped (no text holds one)
        "path": req.path.replace("\x00", "\\x00")[:2048],
        "query": req.query_string.decode("latin-1").replace("\x00", "\\x00")[:4096],
        "request_headers": masked_headers(req.environ),
        "request_body": None if sent is None else masked_body(sent, req.mimetype, limit),
        "status": response.status_code,
        "response_body": None if answered is None else masked_body(answered, response.mimetype, limit),
        "duration_ms": round((time.perf_counter() - state.started) * 1000, 3),
        "fault": state.fault,
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


# -- reading ----------------------------------------------------------------------------------


class VerifyRequestSchema(Input):
    """POST .../journal/verify."""

    method = fields.String(metadata={"example": "POST"})
    path = fields.String(
        metadata={"description": "pattern, as the journal's path filter", "example": "/Users"}
    )
    body = fields.Raw(metadata={"description": "a JSON subset the request body must contain"})
    count = fields.Integer(
        strict=True,
        allow_none=True,
        validate=validate.Range(min=0),
        metadata={"description": "exactly this many; absent: at least one"},
    )


def flush() -> None:
    """Write what the journal's writer holds back, so every request answered so far is in it."""
    current_app.extensions[WRITER].flush()


def read() -> JournalReader:
    """The journal to read, with every request answered so far in it: the one way in for readers."""
    flush()
    return JournalReader()


class JournalReader:
    """Queries of the journal (the control plane, the dashboard, the CLI, the pytest plugin); made
    by ``read()``, which first writes what the writer holds back, so no reader can miss an entry."""

    def entries(
        self,
        tenant: Tenant,
        method: str | None = None,
        path: str | None = None,
        status: str | None = None,
        since: str | None = None,
        limit: int | None = None,
        after: int | None = None,
    ) -> list[JournalEntry]:
        """Entries newest first, filtered; ``after`` keeps those newer than an entry id (for following)."""
        query = (
            select(JournalEntry).where(JournalEntry.tenant_id == tenant.id).order_by(JournalEntry.id.desc())
        )
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

    def page(self, tenant: Tenant, **filters: Any) -> dict[str, Any]:
        """What ``GET .../journal`` answers: the entries ``entries`` finds, as JSON, and the bound."""
        found = self.entries(tenant, **filters)
        return {"bound": self.bound(tenant), "entries": [as_json(e) for e in found]}

    def bound(self, tenant: Tenant) -> dict[str, Any]:
        """How the journal is bounded, so a trimmed journal is never mistaken for a complete one.

        Kept and dropped are read in one statement, as a trim writes them in one transaction: the
        tenant as loaded earlier in the request could predate a trim whose deletions the count sees
        (PostgreSQL's read-committed snapshot is per statement), showing entries gone and not counted.
        """
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

    def clear(self, tenant: Tenant) -> None:
        db.session.execute(delete(JournalEntry).where(JournalEntry.tenant_id == tenant.id))
        tenant.journal_dropped = 0
        db.session.commit()

    def verify(self, tenant: Tenant, spec: dict[str, Any]) -> dict[str, Any]:
        """Count entries matching method, path pattern and a JSON subset of the request body."""
        spec = VerifyRequestSchema().load(spec)
        method = spec.get("method")
        pattern = path_pattern(spec["path"]) if spec.get("path") else None
        body = spec.get("body")
        expected = spec.get("count")
        candidates = self.entries(tenant)
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
            "bound": self.bound(tenant),
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

    def newest(self, tenant: Tenant, after_id: int | None = None, limit: int = 50) -> list[JournalEntry]:
        """The newest entries, newest first, optionally only those after ``after_id``: one indexed query."""
        query = select(JournalEntry).where(JournalEntry.tenant_id == tenant.id)
        if after_id is not None:
            query = query.where(JournalEntry.id > after_id)
        return list(db.session.execute(query.order_by(JournalEntry.id.desc()).limit(limit)).scalars())

    def entry(self, tenant: Tenant, entry_id: int) -> JournalEntry:
        """One entry of a tenant's journal, or a 404."""
        found = db.session.get(JournalEntry, entry_id)
        if found is None or found.tenant_id != tenant.id:
            raise ScimError(404, f"no journal entry {entry_id} in tenant {tenant.key}")
        return found

    def traffic(self, tenant: Tenant, seconds: int = 300, now: datetime | None = None) -> dict[str, Any]:
        """Requests per second by status class over the last ``seconds``, oldest second first."""
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
            "start": clock.shown(start),
            "seconds": seconds,
            "classes": list(STATUS_CLASSES),
            "buckets": buckets,
        }

    def recent_counts(self, seconds: int = 60, now: datetime | None = None) -> dict[int, int]:
        """Requests per tenant id over the last ``seconds``, in one query."""
        since = (now or utcnow()) - timedelta(seconds=seconds)
        rows = db.session.execute(
            select(JournalEntry.tenant_id, func.count())
            .where(JournalEntry.at >= since)
            .group_by(JournalEntry.tenant_id)
        )
        return {tenant_id: count for tenant_id, count in rows}


# -- what the reader shows ---------------------------------------------------------------


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
        return clock.from_iso(value)
    except ValueError:
        raise bad_request(f"since {value!r} must be an ISO 8601 time") from None


def as_json(entry: JournalEntry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "at": clock.shown(entry.at),
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


# -- live views (the dashboard polls these; the control plane may too) ----------------------

STATUS_CLASSES = ("2xx", "3xx", "4xx", "5xx")


def status_class(status: int) -> str:
    """``201`` -> ``2xx``; 1xx counts with 2xx and a dropped connection (499) with 4xx."""
    return f"{min(max(status // 100, 2), 5)}xx"
