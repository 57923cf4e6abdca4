"""Statements every request runs, compiled once per dialect and run as driver SQL on the session's connection.

A tenant request runs the same few statements each time: its tenant and credential, a match
by key, the journal's insert. A ``Prepared`` statement is written in SQLAlchemy Core, and
SQLAlchemy compiles it once per dialect, with the bind and result processors of its column
types (JSON, DateTime); running it is then ``Connection.exec_driver_sql`` of that SQL with the
values already converted, on the connection the session holds, inside the session's
transaction. So it goes through SQLAlchemy's connection like any statement: its events fire
(the database module's deferred BEGIN, the tests' SQL capture) and a DBAPI error comes out as
SQLAlchemy's (IntegrityError, OperationalError). Rows are read from the result's DBAPI cursor
as the DBAPI's tuples: a SQLAlchemy ``Row`` each was 1.1 ms more for a group's 10,000 members.

What a statement costs on SQLite (one process, 2026-12-04): a read 14-24 µs, against 2-6 µs on
the bare DBAPI cursor this module used before and 17-23 µs through Core's ``execute`` (driver
SQL skips the cache key and SQLAlchemy's processing of the parameters, but its result's columns
are read from the cursor's description each time, where Core's are cached); the journal's
INSERT 16 µs, against 8 and 32 (and an ORM lookup about 140 µs, when this module was written).
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, CursorResult
from sqlalchemy.engine import Dialect
from sqlalchemy.sql import ClauseElement

Processor = Callable[[Any], Any] | None


@dataclass(frozen=True)
class Parameter:
    """One bound parameter: its name in the SQL, the caller's key, its value when none is given
    (a literal such as a LIMIT), and its type's bind processor."""

    name: str
    key: str
    default: Any
    process: Processor


NO_DEFAULT = object()


@dataclass(frozen=True)
class Compiled:
    """One statement's SQL for one dialect, with what turns values into parameters and back."""

    sql: str
    parameters_in_order: tuple[Parameter, ...]
    positional: bool
    results: tuple[Processor, ...] | None  # None: no column needs converting
    row: type | None  # a named tuple of the selected columns (else rows are plain tuples)
    returning: bool  # an INSERT that answers its primary key (PostgreSQL), else the cursor's lastrowid
    names: tuple[str, ...] = ()  # the parameters' names in the SQL, in order
    # when every parameter is the caller's (no defaults): what takes them from the values as a
    # tuple, and the positions whose type converts them
    take: Callable[[Mapping[str, Any]], tuple[Any, ...]] | None = None
    processed: tuple[tuple[int, Callable[[Any], Any]], ...] = ()

    def parameters(self, values: Mapping[str, Any]) -> tuple[Any, ...] | dict[str, Any]:
        """The DBAPI's parameters for ``values``: a tuple in the SQL's order (a positional
        paramstyle such as SQLite's), else a dict by name (psycopg's); ``exec_driver_sql`` would
        take a list for several executions."""
        if self.take is not None:  # every parameter is the caller's: taken in one C call
            taken = self.take(values)
            if not self.processed:
                return taken if self.positional else dict(zip(self.names, taken, strict=True))
            converted = list(taken)
            for index, process in self.processed:
                converted[index] = process(converted[index])
        else:
            converted = []
            for parameter in self.parameters_in_order:
                value = (
                    values[parameter.key]
                    if parameter.default is NO_DEFAULT
                    else values.get(parameter.key, parameter.default)
                )
                converted.append(value if parameter.process is None else parameter.process(value))
        if self.positional:
            return tuple(converted)
        return dict(zip(self.names, converted, strict=True))

    def convert(self, raw: Sequence[Any]) -> Any:
        if self.results is not None:
            raw = [value if p is None else p(value) for p, value in zip(self.results, raw, strict=True)]
        return self.row._make(raw) if self.row is not None else tuple(raw)

    def convert_all(self, rows: list[Any]) -> list[Any]:
        if self.row is None and self.results is None:
            return rows  # the DBAPI's tuples as they are (a big group's 10,000 members)
        return [self.convert(row) for row in rows]


class Prepared:
    """A Core statement run as driver SQL on the session's connection."""

    def __init__(
        self, statement: ClauseElement, keys: Sequence[str] | None = None, row: type | None = None
    ) -> None:
        self.statement = statement
        self.keys = keys  # an INSERT's columns (else every column would be a parameter)
        self.row = row  # a NamedTuple of the selected columns (plain tuples when None)
        self.compiled: dict[str, Compiled] = {}

    def compile(self, dialect: Dialect) -> Compiled:
        found = self.compiled.get(dialect.name)
        if found is not None:
            return found
        compiled = self.statement.compile(dialect=dialect, column_keys=list(self.keys) if self.keys else None)
        by_name = {}
        for bind, name in compiled.bind_names.items():
            default = NO_DEFAULT if bind.required else bind.effective_value
            process = bind.type.dialect_impl(dialect).bind_processor(dialect)
            by_name[name] = Parameter(name, bind.key, default, process)
        order = compiled.positiontup if dialect.positional else list(by_name)
        parameters = tuple(by_name[name] for name in order or [])
        columns = list(getattr(self.statement, "selected_columns", []))
        processors = tuple(c.type.dialect_impl(dialect).result_processor(dialect, None) for c in columns)
        selected = [c.key for c in columns]
        row = self.row
        if row is not None and list(row._fields) != selected:
            raise TypeError(f"{row.__name__} has fields {row._fields}, the statement selects {selected}")
        results = processors if any(processors) else None
        returning = bool(getattr(compiled, "effective_returning", None))
        take = None
        if len(parameters) > 1 and all(p.default is NO_DEFAULT for p in parameters):
            take = operator.itemgetter(*(p.key for p in parameters))
        processed = tuple((i, p.process) for i, p in enumerate(parameters) if p.process is not None)
        found = Compiled(
            compiled.string, parameters, dialect.positional, results, row, returning,
            tuple(p.name for p in parameters), take, processed,
        )  # fmt: skip
        self.compiled[dialect.name] = found
        return found

    def result(self, connection: Connection, values: Mapping[str, Any]) -> tuple[Compiled, CursorResult[Any]]:
        """Run the statement on ``connection``, through its events and its error handling."""
        compiled = self.compile(connection.dialect)
        return compiled, connection.exec_driver_sql(compiled.sql, compiled.parameters(values))

    def execute(self, connection: Connection, values: Mapping[str, Any]) -> int:
        """Run a write; the number of rows it changed."""
        _, result = self.result(connection, values)
        return int(result.rowcount)

    def insert(self, connection: Connection, values: Mapping[str, Any]) -> int:
        """Run an INSERT; the primary key of the row it added."""
        compiled, result = self.result(connection, values)
        if not compiled.returning:
            return int(result.lastrowid)
        key = result.cursor.fetchone()[0]
        result.close()
        return int(key)

    def all(self, connection: Connection, values: Mapping[str, Any]) -> list[Any]:
        compiled, result = self.result(connection, values)
        rows = result.cursor.fetchall()
        result.close()
        return compiled.convert_all(rows)

    def first(self, connection: Connection, values: Mapping[str, Any]) -> Any:
        compiled, result = self.result(connection, values)
        row = result.cursor.fetchone()
        result.close()
        return None if row is None else compiled.convert(row)
