"""The audit trail: append-only events linked by a hash chain.

Each event's hash is HMAC-SHA256(clinic key, previous hash + canonical event); events written
before the clinic had a key are plain SHA-256 of the same text. Changing, removing or inserting an
event anywhere breaks every later link, which `verify_chain` finds and names; without the key,
nobody can write a keyed event that verifies.
"""

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import date, datetime, time
from enum import Enum
from typing import Any

from sqlalchemy import insert, text
from sqlmodel import Session, SQLModel, col, select

from console.store.models import AuditEvent
from console.store.timestamps import iso_utc

GENESIS = "0" * 64
# Any constant shared by every Chairside process: serialises chain appends on PostgreSQL.
CHAIN_LOCK_KEY = 7_204_112
KEY_INFO = "audit_key"  # where a write session carries the clinic key
KEY_ACTION = "audit.key"  # the event from which the chain is keyed (see console.store.audit_key)


SECRET_COLUMNS = ("password_hash", "signing_pin_hash")  # never in the trail: their fingerprint is
CREDENTIAL = "credential"


def credential_fingerprint(password_hash: str, pin_hash: str | None) -> str:
    """Names a user's password and PIN hashes without revealing them: a hash swapped behind the
    services' back no longer matches the trail."""
    return hashlib.sha256(f"{password_hash}|{pin_hash or ''}".encode()).hexdigest()[:32]


def snapshot(row: SQLModel, fields: set[str] | None = None) -> dict[str, Any]:
    """The row's column values as plain JSON-able data (optionally only some columns)."""
    data = row.model_dump(include=fields)
    if "password_hash" in data:
        data[CREDENTIAL] = credential_fingerprint(data["password_hash"], data.get("signing_pin_hash"))
    for secret in SECRET_COLUMNS:
        data.pop(secret, None)
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


# One encoder for every canonical text: json.dumps with options builds a new one per call, and the
# trail and the signatures encode hundreds of thousands of rows.
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def canonical_json(data: Any) -> str:
    return _CANONICAL.encode(data)


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
    return canonical_json(fields)  # text and integers only: the same text json.dumps gave


def chain_hash(prev_hash: str, event: AuditEvent, key: bytes | None = None) -> str:
    message = (prev_hash + canonical_event(event)).encode()
    if key is None:
        return hashlib.sha256(message).hexdigest()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def lock_chain(session: Session) -> None:
    """Serialise appends to the chain (SQLite's write transactions already are)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": CHAIN_LOCK_KEY})


def _last_hash(session: Session) -> str:
    """The chain's head, under the chain lock: the hash the next event links to."""
    lock_chain(session)
    previous = session.exec(select(AuditEvent.hash).order_by(col(AuditEvent.id).desc()).limit(1)).first()
    return previous or GENESIS


def _chained(
    previous: str,
    key: bytes | None,
    *,
    at: datetime,
    actor: str,
    action: str,
    entity: str,
    entity_id: object,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> AuditEvent:
    """One event linked to `previous` and hashed (keyed with the clinic key, when there is one)."""
    event = AuditEvent(
        at=at,
        actor=actor,
        action=action,
        entity=entity,
        entity_id=str(entity_id),
        before_json=None if before is None else canonical_json(before),
        after_json=None if after is None else canonical_json(after),
        prev_hash=previous,
        hash="",
    )
    event.hash = chain_hash(previous, event, key)
    return event


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
    """Append one event in the caller's transaction, so the change and its trail commit together.

    The event is keyed with the clinic key the session carries (see `Database.write`).
    """
    event = _chained(
        _last_hash(session),
        session.info.get(KEY_INFO),
        at=at,
        actor=actor,
        action=action,
        entity=entity,
        entity_id=entity_id,
        before=before,
        after=after,
    )
    session.add(event)
    session.flush()
    return event


def record_many(
    session: Session,
    *,
    at: datetime,
    actor: str,
    action: str,
    entity: str,
    created: list[tuple[object, dict]],
) -> None:
    """Append one create event per (entity id, values), chained in order, in one statement: what
    `record` does for each, for a batch of rows written together."""
    if not created:
        return
    previous, key, events = _last_hash(session), session.info.get(KEY_INFO), []
    for entity_id, after in created:
        event = _chained(
            previous,
            key,
            at=at,
            actor=actor,
            action=action,
            entity=entity,
            entity_id=entity_id,
            before=None,
            after=after,
        )
        previous = event.hash
        events.append(event.model_dump(exclude={"id"}))
    session.execute(insert(AuditEvent), events)


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
    # Events whose content could not be checked: keyed, and verified without the key.
    unchecked: int = 0

    @property
    def intact(self) -> bool:
        return self.broken_at is None


def verify_chain(
    session: Session, key: bytes | None = None, batch: int = 5000, after: tuple[int, str] | None = None
) -> ChainReport:
    """Walk every event in order; report the first whose link or content does not match.

    Events before the chain was keyed (its `audit.key` event, or its first keyed event) are plain
    SHA-256, written before the clinic had a key; every event from there on must be keyed. Without
    the key, links are still checked, and a plain event where a keyed one belongs is still found,
    but a keyed event's content cannot be checked: those are counted as unchecked.

    `after` (event id, its hash): check only the events after one already proved, such as the
    last anchor's (an incremental check, fast enough for every start).
    """
    expected_prev, count, keyed, unchecked = GENESIS, 0, False, 0
    query = select(AuditEvent).order_by(col(AuditEvent.id))
    if after is not None:
        expected_prev = after[1]
        query = query.where(col(AuditEvent.id) > after[0])
        keyed = key is not None and _keyed_by(session, after[0])
    rows = session.exec(query.execution_options(yield_per=batch))
    for event in rows:
        count += 1
        if event.prev_hash != expected_prev:
            return ChainReport(count, expected_prev, event.id, "its link to the previous event is broken")
        keyed = keyed or event.action == KEY_ACTION
        if key is not None and hmac.compare_digest(chain_hash(event.prev_hash, event, key), event.hash):
            keyed = True
        elif not keyed:
            if chain_hash(event.prev_hash, event) != event.hash:
                return ChainReport(count, expected_prev, event.id, "its content does not match its hash")
        elif key is not None:
            return ChainReport(
                count,
                expected_prev,
                event.id,
                "its content does not match its keyed hash (changed or forged)",
            )
        elif chain_hash(event.prev_hash, event) == event.hash:
            return ChainReport(
                count,
                expected_prev,
                event.id,
                "it was written without the clinic key after the chain was keyed",
            )
        else:
            unchecked += 1
        expected_prev = event.hash
    return ChainReport(count, expected_prev, unchecked=unchecked)


def _keyed_by(session: Session, event_id: int) -> bool:
    """Whether the chain was keyed at or before `event_id`."""
    keyed = select(AuditEvent.id).where(AuditEvent.action == KEY_ACTION, col(AuditEvent.id) <= event_id)
    return session.exec(keyed.limit(1)).first() is not None


def head(session: Session) -> str:
    """The hash of the newest event (the genesis value for an empty trail)."""
    return (
        session.exec(select(AuditEvent.hash).order_by(col(AuditEvent.id).desc()).limit(1)).first() or GENESIS
    )
