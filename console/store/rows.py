"""Shared write mechanics: find a row, insert it with its audit event, update it under a version check."""

from datetime import datetime
from typing import Any, TypeVar, cast

from sqlalchemy import CursorResult, inspect, update
from sqlmodel import Session, SQLModel

from console.domain.actors import Actor
from console.domain.errors import Conflict, NotFound
from console.store import audit
from console.store.models import table_of

T = TypeVar("T", bound=SQLModel)


def row_id(row: SQLModel) -> int:
    """A stored row's key: every table's key is its one integer `id` column."""
    return int(inspect(row).identity[0])


def get_or_refuse(session: Session, model: type[T], row_id: int, what: str) -> T:
    row = session.get(model, row_id)
    if row is None:
        raise NotFound(f"{what} {row_id} does not exist")
    return row


def insert(session: Session, row: T, *, actor: Actor, action: str, at: datetime) -> T:
    """Add a new row and append its audit event in the same transaction."""
    return insert_many(session, [row], actor=actor, action=action, at=at)[0]


def insert_many(session: Session, rows: list[T], *, actor: Actor, action: str, at: datetime) -> list[T]:
    """Add new rows of one table and their audit events in the caller's transaction, in a few
    statements rather than two per row."""
    if not rows:
        return rows
    session.add_all(rows)
    session.flush()
    audit.record_many(
        session,
        at=at,
        actor=actor.username,
        action=action,
        entity=table_of(type(rows[0])).name,
        created=[(row_id(row), audit.snapshot(row)) for row in rows],
    )
    return rows


def _changed_elsewhere(row: SQLModel) -> Conflict:
    name = table_of(type(row)).name.replace("_", " ")
    return Conflict(
        f"{name} {row_id(row)} was changed at another workstation since it was shown here; nothing was saved"
    )


def require_version(row: SQLModel, expected_version: int) -> None:
    """Refuse a change made from a screen that showed an older version of `row`."""
    if getattr(row, "version", None) != expected_version:  # every versioned table has the column
        raise _changed_elsewhere(row)


def update_versioned(
    session: Session,
    row: T,
    *,
    expected_version: int,
    values: dict[str, Any],
    actor: Actor,
    action: str,
    at: datetime,
) -> T:
    """Change `row` only if nobody else changed it since `expected_version` was read.

    Values equal to those stored change nothing: no write, no new version, no audit event.

    The version test is inside the UPDATE itself, so two stations racing on the same
    record cannot both succeed: the second gets a Conflict and nothing is overwritten.
    """
    table, key = table_of(type(row)), row_id(row)
    before = audit.snapshot(row, set(values))
    if before == audit.snapshot(row.model_copy(update=values), set(values)):
        require_version(row, expected_version)
        return row  # nothing would change: nothing is written, no version, no audit event
    result = cast(  # an UPDATE's result is a cursor result, which counts the rows it changed
        CursorResult[Any],
        session.execute(
            update(table)
            .where(table.c.id == key, table.c.version == expected_version)
            .values(**values, version=expected_version + 1)
        ),
    )
    if result.rowcount != 1:
        raise _changed_elsewhere(row)
    session.refresh(row)
    old, new = audit.changes(before, audit.snapshot(row, set(values)))
    old["version"], new["version"] = expected_version, expected_version + 1
    audit.record(
        session,
        at=at,
        actor=actor.username,
        action=action,
        entity=table.name,
        entity_id=key,
        before=old,
        after=new,
    )
    return row
