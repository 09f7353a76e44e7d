"""The audit trail: append-only events linked by a SHA-256 hash chain.

Each event's hash is sha256(previous hash + canonical event). Changing, removing or inserting
an event anywhere breaks every later link, which `verify_chain` finds and names.
"""

import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime, time
from enum import Enum
from typing import Any

from sqlalchemy import text
from sqlmodel import Session, SQLModel, col, select

from console.store.models import AuditEvent
from console.store.timestamps import iso_utc

GENESIS = "0" * 64
# Any constant shared by every Chairside process: serialises chain appends on PostgreSQL.
CHAIN_LOCK_KEY = 7_204_112


def snapshot(row: SQLModel, fields: set[str] | None = None) -> dict[str, Any]:
    """The row's column values as plain JSON-able data (optionally only some columns)."""
    data = row.model_dump(include=fields)
    data.pop("password_hash", None)  # secrets never enter the trail
    return {key: plain(value) for key, value in data.items()}


def plain(value: Any) -> Any:
    """A column value as the trail holds it: timestamps in canonical UTC text, dates and times ISO."""
    if isinstance(value, datetime):
        return iso_utc(value)
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    return value


def canonical_json(data: Any) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def canonical_event(event: AuditEvent) -> str:
    fields = {
        "at": iso_utc(event.at),
        "actor": event.actor,
        "action": event.action,
        "entity": event.entity,
        "entity_id": event.entity_id,
        "before": event.before_json,
        "after": event.after_json,
    }
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def chain_hash(prev_hash: str, event: AuditEvent) -> str:
    return hashlib.sha256((prev_hash + canonical_event(event)).encode()).hexdigest()


def record(
    session: Session,
    *,
    at: datetime,
    actor: str,
    action: str,
    entity: str,
    entity_id: object,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event in the caller's transaction, so the change and its trail commit together."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": CHAIN_LOCK_KEY})
    previous = session.exec(select(AuditEvent.hash).order_by(col(AuditEvent.id).desc()).limit(1)).first()
    event = AuditEvent(
        at=at,
        actor=actor,
        action=action,
        entity=entity,
        entity_id=str(entity_id),
        before_json=None if before is None else canonical_json(before),
        after_json=None if after is None else canonical_json(after),
        prev_hash=previous or GENESIS,
        hash="",
    )
    event.hash = chain_hash(event.prev_hash, event)
    session.add(event)
    session.flush()
    return event


def changes(before: dict[str, Any] | None, after: dict[str, Any] | None) -> tuple[dict, dict]:
    """Only the fields that differ, so the trail shows exactly what changed."""
    before, after = before or {}, after or {}
    keys = {key for key in before.keys() | after.keys() if before.get(key) != after.get(key)}
    return {k: before.get(k) for k in keys}, {k: after.get(k) for k in keys}


@dataclass(frozen=True)
class ChainReport:
    events: int
    head: str
    broken_at: int | None = None
    problem: str = ""

    @property
    def intact(self) -> bool:
        return self.broken_at is None


def verify_chain(session: Session, batch: int = 5000) -> ChainReport:
    """Walk every event in order; report the first whose link or content does not match."""
    expected_prev = GENESIS
    count = 0
    rows = session.exec(select(AuditEvent).order_by(col(AuditEvent.id)).execution_options(yield_per=batch))
    for event in rows:
        count += 1
        if event.prev_hash != expected_prev:
            return ChainReport(count, expected_prev, event.id, "its link to the previous event is broken")
        if chain_hash(event.prev_hash, event) != event.hash:
            return ChainReport(count, expected_prev, event.id, "its content does not match its hash")
        expected_prev = event.hash
    return ChainReport(count, expected_prev)


def head(session: Session) -> str:
    """The hash of the newest event (the genesis value for an empty trail)."""
    return (
        session.exec(select(AuditEvent.hash).order_by(col(AuditEvent.id).desc()).limit(1)).first() or GENESIS
    )
