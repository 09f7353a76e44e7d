"""The audit trail of one session or one patient, as a person reads it: who did what, when, old → new."""

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import and_, or_
from sqlmodel import Session, col, select

from console.store.database import Database
from console.store.models import (
    Addendum,
    Alert,
    AuditEvent,
    DoseAdministration,
    InfusionEvent,
    Override,
    PainScore,
    ReviewReturn,
    SessionSignature,
    SideEffect,
    TreatmentSession,
    VitalSigns,
    table_of,
)

# Columns every row has that say nothing a reader needs in a trail entry.
QUIET = frozenset({"id", "version", "created_at", "updated_at", "recorded_at"})
CHILDREN = (
    VitalSigns,
    DoseAdministration,
    SideEffect,
    PainScore,
    Alert,
    Override,
    SessionSignature,
    Addendum,
    ReviewReturn,
)


@dataclass(frozen=True)
class Change:
    field: str
    old: Any
    new: Any


@dataclass(frozen=True)
class TrailEntry:
    event_id: int
    at: datetime
    actor: str
    action: str
    entity: str
    entity_id: str
    changes: tuple[Change, ...]

    def summary(self) -> str:
        """The changes on one line: `field: old → new`, or the values of a new record."""
        parts = []
        for change in self.changes:
            if change.old is None and self.action.endswith(
                (".record", ".schedule", ".add", ".raise", ".sign")
            ):
                parts.append(f"{change.field}={_show(change.new)}")
            else:
                parts.append(f"{change.field}: {_show(change.old)} → {_show(change.new)}")
        return ", ".join(parts)


def _show(value: Any) -> str:
    return "—" if value is None or value == "" else str(value)


def _entry(event: AuditEvent) -> TrailEntry:
    before = json.loads(event.before_json) if event.before_json else {}
    after = json.loads(event.after_json) if event.after_json else {}
    fields = [key for key in {**before, **after} if key not in QUIET]
    changes = tuple(Change(key, before.get(key), after.get(key)) for key in sorted(fields))
    return TrailEntry(event.id, event.at, event.actor, event.action, event.entity, event.entity_id, changes)


def _session_keys(session: Session, session_ids: list[int]) -> dict[str, list[str]]:
    keys = {table_of(TreatmentSession).name: [str(i) for i in session_ids]}
    dose_ids: Sequence[int] = []
    for model in CHILDREN:
        table = table_of(model)
        ids = (
            session.execute(sa.select(table.c.id).where(table.c.session_id.in_(session_ids))).scalars().all()
        )
        keys[table.name] = [str(i) for i in ids]
        if model is DoseAdministration:
            dose_ids = ids
    events = session.exec(select(col(InfusionEvent.id)).where(col(InfusionEvent.dose_id).in_(dose_ids))).all()
    keys[table_of(InfusionEvent).name] = [str(i) for i in events]
    return keys


def _trail(session: Session, keys: dict[str, list[str]]) -> list[TrailEntry]:
    wanted = [
        and_(col(AuditEvent.entity) == entity, col(AuditEvent.entity_id).in_(ids))
        for entity, ids in keys.items()
        if ids
    ]
    if not wanted:
        return []
    events = session.exec(select(AuditEvent).where(or_(*wanted)).order_by(col(AuditEvent.id)))
    return [_entry(event) for event in events]


def session_trail(db: Database, session_id: int) -> list[TrailEntry]:
    with db.read() as session:
        return _trail(session, _session_keys(session, [session_id]))


def patient_trail(db: Database, patient_id: int) -> list[TrailEntry]:
    """The patient's own record and every one of their sessions, oldest first."""
    with db.read() as session:
        session_ids = list(
            session.exec(select(TreatmentSession.id).where(TreatmentSession.patient_id == patient_id)).all()
        )
        keys = _session_keys(session, session_ids) if session_ids else {}
        keys["patient"] = [str(patient_id)]
        return _trail(session, keys)
