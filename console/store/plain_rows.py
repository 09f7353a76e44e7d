"""Rows read as the audit trail records them (`audit.snapshot`, key for key), fast enough for millions.

`audit verify` and the demo's bulk digest read every row of the record. Going through each column
type's Python conversion and back to text costs most of the time, so timestamps and codes are read
as the text the database holds where that text already is the trail's (SQLite), and each column
gets its one conversion, chosen once per table.
"""

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, time
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Table
from sqlmodel import Session

from console.store.audit import CREDENTIAL, SECRET_COLUMNS, credential_fingerprint
from console.store.codes import Code
from console.store.timestamps import UTCDateTime, iso_utc

Convert = Callable[[Any], Any] | None


def _sqlite_stamp(text: str) -> str:
    """SQLite holds UTC as 'YYYY-MM-DD HH:MM:SS.ffffff': the trail's text is one character away."""
    if len(text) == 26:
        return f"{text[:10]}T{text[11:]}Z"
    return iso_utc(datetime.fromisoformat(text).replace(tzinfo=UTC))  # written some other way


def _sqlite_time(text: str) -> str:
    return time.fromisoformat(text).isoformat()


def _columns(table: Table, dialect: str) -> list[tuple[str, sa.ColumnElement, Convert]]:
    sqlite = dialect == "sqlite"
    chosen: list[tuple[str, sa.ColumnElement, Convert]] = []
    for column in table.columns:
        kind = column.type
        if isinstance(kind, Code):
            chosen.append((column.name, sa.type_coerce(column, sa.String()), None))
        elif isinstance(kind, UTCDateTime):
            if sqlite:
                chosen.append((column.name, sa.type_coerce(column, sa.String()), _sqlite_stamp))
            else:
                chosen.append((column.name, column, iso_utc))
        elif isinstance(kind, sa.Time):
            chosen.append((column.name, column, time.isoformat))
        elif isinstance(kind, sa.Date):
            chosen.append((column.name, column, date.isoformat))
        elif isinstance(kind, sa.Boolean):
            chosen.append((column.name, column, bool))
        else:
            chosen.append((column.name, column, None))
    return chosen


def read_plain(
    session: Session,
    table: Table,
    batch: int,
    where: sa.ColumnElement[bool] | None = None,
    order_by: tuple[sa.ColumnElement, ...] = (),
) -> Iterator[dict[str, Any]]:
    """Every row of `table` (or those `where` picks) in id order or `order_by`, as the trail records them."""
    columns = _columns(table, session.get_bind().dialect.name)
    names = [name for name, _, _ in columns]
    converts = [(index, convert) for index, (_, _, convert) in enumerate(columns) if convert is not None]
    query = sa.select(*(expression.label(name) for name, expression, _ in columns))
    query = query.order_by(*(order_by or (table.c.id,)))
    if where is not None:
        query = query.where(where)
    # The connection, not the ORM session: plain rows need none of its bookkeeping.
    for row in session.connection().execute(query.execution_options(yield_per=batch)):
        values = list(row)
        for index, convert in converts:
            if values[index] is not None:
                values[index] = convert(values[index])
        plain = dict(zip(names, values, strict=True))
        if "password_hash" in plain:  # secrets never enter the trail: their fingerprint does
            plain[CREDENTIAL] = credential_fingerprint(plain["password_hash"], plain.get("signing_pin_hash"))
            for secret in SECRET_COLUMNS:
                plain.pop(secret)
        yield plain
