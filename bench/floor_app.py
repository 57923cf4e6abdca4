"""The floor: the least a Flask + Flask-SQLAlchemy app on this stack does per request.

One indexed SELECT by username, one INSERT, one UPDATE by primary key, each answered with a
small JSON body; the same database (SQLite tuned as the emulator tunes it, or PostgreSQL)
and the same gunicorn settings as the emulator. Nothing a real SCIM server must do (auth,
schemas, journal, faults) is here, so its throughput is the most this stack can give.

Run: ``BENCH_FLOOR_DATABASE_URL=sqlite:///floor.db gunicorn bench.floor_app:app``.
"""

from __future__ import annotations

import json
import os
from typing import Any

from flask import Flask, Response, abort, request
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import JSON, String, event, insert, select
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    """Declarative base of the floor's one table."""


db = SQLAlchemy(model_class=Base)


class FloorUser(db.Model):  # type: ignore[name-defined]
    """A user row: an indexed unique username and a JSON document."""

    __tablename__ = "floor_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(1024), unique=True, index=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)


def answer(payload: Any, status: int = 200) -> Response:
    return Response(json.dumps(payload), status=status, mimetype="application/json")


def tune_sqlite(app: Flask) -> None:
    """The emulator's SQLite settings: WAL, a busy timeout, synchronous NORMAL."""

    @event.listens_for(db.engine, "connect")
    def on_connect(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA busy_timeout = 30000")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()


def create_app() -> Flask:
    """The floor app over ``BENCH_FLOOR_DATABASE_URL``."""
    app = Flask(__name__)
    url = os.environ.get("BENCH_FLOOR_DATABASE_URL", "sqlite:///floor.db")
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    app.config["SQLALCHEMY_DATABASE_URI"] = url
    db.init_app(app)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            tune_sqlite(app)
            db.engine.dispose()
        db.create_all()

    @app.get("/users")
    def find_user() -> Response:
        row = db.session.execute(
            select(FloorUser).where(FloorUser.username == request.args.get("username", ""))
        ).scalar_one_or_none()
        found = [{"id": row.id, **row.data}] if row is not None else []
        return answer({"totalResults": len(found), "Resources": found})

    @app.post("/users")
    def create_user() -> Response:
        body = request.get_json(force=True)
        row = FloorUser(username=body["userName"], data=body)
        db.session.add(row)
        db.session.commit()
        return answer({"id": row.id, **row.data}, 201)

    @app.patch("/users/<int:user_id>")
    def update_user(user_id: int) -> Response:
        row = db.session.get(FloorUser, user_id)
        if row is None:
            abort(404)
        row.data = {**row.data, **request.get_json(force=True)}
        db.session.commit()
        return answer({"id": row.id, **row.data})

    @app.post("/_bench/seed")
    def seed() -> Response:
        """Bulk-insert ``users`` generated users named as the emulator's seeding names them."""
        spec = request.get_json(force=True)
        prefix, count = spec.get("prefix", "user"), int(spec["users"])
        rows = [
            {"username": f"{prefix}{i:06d}@example.com", "data": {"userName": f"{prefix}{i:06d}@example.com"}}
            for i in range(1, count + 1)
        ]
        for start in range(0, len(rows), 5000):
            db.session.execute(insert(FloorUser), rows[start : start + 5000])
        db.session.commit()
        return answer({"users": count}, 201)

    @app.get("/_bench/ids")
    def ids() -> Response:
        """Row ids from ``start`` (0-based), ``count`` of them: what the PATCH workload targets."""
        start, count = int(request.args.get("start", 0)), int(request.args.get("count", 1000))
        found = db.session.execute(select(FloorUser.id).order_by(FloorUser.id).offset(start).limit(count))
        return answer({"ids": [str(i) for i in found.scalars()]})

    return app


app = create_app()
