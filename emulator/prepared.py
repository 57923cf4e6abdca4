"""Statements every request runs, compiled once per dialect and run through the session's connection.

A tenant request runs the same few statements each time: its tenant and credential, a match
by key, the journal's insert. A ``Prepared`` statement is written in SQLAlchemy Core, and
SQLAlchemy compiles it once per dialect, with the bind and result processors of its column
types (JSON, DateTime); running it is then that SQL with the values already converted, on the
connection the session holds, inside the session's transaction.

It runs through ``Connection._cursor_execute``: SQLAlchemy's own path for a statement on a
cursor (its dialects use it for sequences and defaults). So its events fire (the database
module's deferred BEGIN, the tests' SQL capture), ``echo`` logs it, and a DBAPI error comes out
as SQLAlchemy's (IntegrityError, OperationalError), with the connection invalidated when the
database went away. It builds no ``Result``: ``exec_driver_sql`` rebuilt one's columns from
the cursor's description on every execution, 15% of a match's function calls
(cProfile, 2026-12-04: 2,506 calls a match that way, 2,117 this way, 2,188 on the bare DBAPI
cursor before). Rows are the DBAPI's tuples: a SQLAlchemy ``Row`` each was 1.1 ms more for a
group's 10,000 members. ``_cursor_execute`` is private: SQLAlchemy is pinned
(requirements.txt), and the SQL capture tests (tests/scim) fail if it stops sending events.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection
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
    """A Core statement, compiled once per dialect, run through the session's connection."""

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

    def cursor(self, connection: Connection, values: Mapping[str, Any]) -> tuple[Compiled, Any]:
        """Run the statement on a cursor of ``connection``, through its events and error handling."""
        compiled = self.compile(connection.dialect)
        cursor = connection.connection.cursor()
        try:
            connection._cursor_execute(cursor, compiled.sql, compiled.parameters(values))
        except BaseException:
            cursor.close()
            raise
        return compiled, cursor

    def execute(self, connection: Connection, values: Mapping[str, Any]) -> int:
        """Run a write; the number of rows it changed."""
        _, cursor = self.cursor(connection, values)
        count = int(cursor.rowcount)
        cursor.close()
        return count

    def insert(self, connection: Connection, values: Mapping[str, Any]) -> int:
        """Run an INSERT; the primary key of the row it added."""
        compiled, cursor = self.cursor(connection, values)
        key = cursor.fetchone()[0] if compiled.returning else cursor.lastrowid
        cursor.close()
        return int(key)

    def all(self, connection: Connection, values: Mapping[str, Any]) -> list[Any]:
        compiled, cursor = self.cursor(connection, values)
        rows = cursor.fetchall()
        cursor.close()
        return compiled.convert_all(rows)

    def first(self, connection: Connection, values: Mapping[str, Any]) -> Any:
        compiled, cursor = self.cursor(connection, values)
        row = cursor.fetchone()
        cursor.close()
        return None if row is None else compiled.convert(row)
