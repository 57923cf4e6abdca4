"""Statements every request runs, compiled once per dialect and run on the DBAPI cursor.

A tenant request runs the same few statements each time: its tenant and credential, a match
by key, the journal's insert. Through SQLAlchemy each costs about 50 µs of Python (140 µs
through the ORM) around a query that SQLite answers in 4 µs, which made the library, not
the database, most of a request. A ``Prepared`` statement is still written in SQLAlchemy
Core, and SQLAlchemy still compiles it, once per dialect, with the bind and result
processors of its column types (JSON, DateTime); running it is then one DBAPI call on the
connection the session already holds, inside the session's transaction.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, exc
from sqlalchemy.engine import Dialect
from sqlalchemy.sql import ClauseElement

from .database import TUNED

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

    def parameters(self, values: Mapping[str, Any]) -> Any:
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
            return converted  # the DBAPI takes any sequence
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
    """A Core statement run on the session connection's DBAPI cursor."""

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
        compiled = self.compile(connection.dialect)
        fairy = connection.connection  # the pool's proxy of the DBAPI connection
        cursor = fairy.cursor()
        transactions = TUNED.get(connection.engine)
        if transactions is not None:
            transactions.begin_pending(fairy.info, cursor, compiled.sql)
        parameters = compiled.parameters(values)
        dbapi = connection.dialect.loaded_dbapi
        try:
            cursor.execute(compiled.sql, parameters)
        except dbapi.Error as error:  # as SQLAlchemy would raise it (IntegrityError, OperationalError, ...)
            cursor.close()
            raise exc.DBAPIError.instance(
                compiled.sql, parameters, error, dbapi.Error, dialect=connection.dialect
            ) from error
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
