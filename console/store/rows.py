"""Shared write mechanics: find a row, insert it with its audit event, update it under a version check."""

from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import update
from sqlmodel import Session, SQLModel

from console.domain.actors import Actor
from console.domain.errors import Conflict, NotFound
from console.store import audit

T = TypeVar("T", bound=SQLModel)


def get_or_refuse(session: Session, model: type[T], row_id: int, what: str) -> T:
    row = session.get(model, row_id)
    if row is None:
        raise NotFound(f"{what} {row_id} does not exist")
    return row


def insert(session: Session, row: T, *, actor: Actor, action: str, at: datetime) -> T:
    """Add a new row and append its audit event in the same transaction."""
    session.add(row)
    session.flush()
    audit.record(
        session,
        at=at,
        actor=actor.username,
        action=action,
        entity=row.__tablename__,
        entity_id=row.id,
        after=audit.snapshot(row),
    )
    return row


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

    The version test is inside the UPDATE itself, so two stations racing on the same
    record cannot both succeed: the second gets a Conflict and nothing is overwritten.
    """
    model = type(row)
    before = audit.snapshot(row, set(values))
    result = session.execute(
        update(model)
        .where(model.id == row.id, model.version == expected_version)
        .values(**values, version=expected_version + 1)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise Conflict(
            f"{model.__tablename__.replace('_', ' ')} {row.id} was changed at another workstation: "
            "reload it; nothing was saved"
        )
    session.refresh(row)
    old, new = audit.changes(before, audit.snapshot(row, set(values)))
    old["version"], new["version"] = expected_version, expected_version + 1
    audit.record(
        session,
        at=at,
        actor=actor.username,
        action=action,
        entity=model.__tablename__,
        entity_id=row.id,
        before=old,
        after=new,
    )
    return row
