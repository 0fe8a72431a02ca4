"""Bulk inserts: a plan load writes hundreds of thousands of rows at once.

SQLite takes one executemany. On PostgreSQL, executemany (SQLAlchemy's multi-row VALUES) made
psycopg parse a statement of thousands of placeholders per page, which cost more than the
database's work; COPY (psycopg's `cursor.copy`) streams the rows instead, into a temporary
table, from which one INSERT ... SELECT adds them (skipping keys that exist, when asked).
"""

from __future__ import annotations

import json
from itertools import count

from sqlalchemy import JSON, Table
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session

CHUNK = 2000  # rows per SQLite statement: under its bound-parameter limit for our widest rows
_names = count()  # temporary tables named per call: two bulk inserts may share a transaction


def insert_rows(session: Session, table: Table, rows: list[dict], *, unique: str | None = None) -> int:
    """Insert `rows` into `table`; with `unique`, rows whose `unique` column value exists are skipped.
    Returns how many rows were inserted. A key a row leaves out takes its column's Python default."""
    if not rows:
        return 0
    keys = list(dict.fromkeys(k for r in rows for k in r))
    defaults = _defaults(table)
    keys += [k for k in defaults if k not in keys]
    # every row gets every key (executemany binds the first row's keys; COPY needs whole rows)
    values = [[r.get(k, defaults.get(k)) for k in keys] for r in rows]
    if session.get_bind().dialect.name == "postgresql":
        return _copy(session, table, keys, values, unique)
    return _executemany(session, table, keys, values, unique)


def _defaults(table: Table) -> dict:
    """The columns' Python-side defaults (created_at, status ...), evaluated once for the batch."""
    found = {}
    for column in table.columns:
        default = column.default
        if default is None or not (default.is_scalar or default.is_callable):
            continue
        found[column.name] = default.arg(None) if default.is_callable else default.arg
    return found


def _executemany(session: Session, table: Table, keys: list[str], values: list[list], unique: str | None) -> int:
    stmt = sqlite_insert(table)
    if unique:  # RETURNING counts the rows really inserted (executemany's rowcount does not)
        stmt = stmt.on_conflict_do_nothing(index_elements=[unique]).returning(*table.primary_key)
    added = 0
    for i in range(0, len(values), CHUNK):
        chunk = [dict(zip(keys, v, strict=True)) for v in values[i:i + CHUNK]]
        result = session.connection().execute(stmt, chunk)
        added += len(result.all()) if unique else len(chunk)
    return added


def _to_copy(column_type, dialect):
    """What a value needs before COPY: JSON as its text; a type's own bind step (UTC datetimes
    are checked and converted); None when the value goes as it is."""
    if isinstance(column_type, JSON):
        return lambda v: json.dumps(v, ensure_ascii=False)
    return column_type.bind_processor(dialect)


def _copy(session: Session, table: Table, keys: list[str], values: list[list], unique: str | None) -> int:
    dialect = session.get_bind().dialect
    convert = [(i, f) for i, k in enumerate(keys) if (f := _to_copy(table.c[k].type, dialect))]
    for row in values if convert else ():
        for i, f in convert:
            row[i] = None if row[i] is None else f(row[i])
    columns = ", ".join(f'"{k}"' for k in keys)
    scratch = f"bulk_{table.name}_{next(_names)}"
    # The session's own connection and transaction: the rows commit or roll back with the rest.
    driver = session.connection().connection.driver_connection
    with driver.cursor() as cur:
        cur.execute(f'CREATE TEMPORARY TABLE "{scratch}" ON COMMIT DROP AS '
                    f'SELECT {columns} FROM "{table.name}" WITH NO DATA')
        with cur.copy(f'COPY "{scratch}" ({columns}) FROM STDIN') as copy:
            for row in values:
                copy.write_row(row)
        skip = f' ON CONFLICT ("{unique}") DO NOTHING' if unique else ""
        cur.execute(f'INSERT INTO "{table.name}" ({columns}) SELECT {columns} FROM "{scratch}"{skip}')
        added = cur.rowcount
        cur.execute(f'DROP TABLE "{scratch}"')
    return added
