"""The database is the last guard: CHECK constraints refuse invalid rows even when code is bypassed."""

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlmodel import SQLModel, col

from console.chair import charting
from console.domain.actors import Actor
from console.store import audit
from console.store.database import Database
from console.store.models import AuditEvent, SideEffect, TreatmentSession, VitalSigns, table_of
from tests.factories import checked_in_session, vitals_data


def _insert_raw(db: Database, row: SQLModel) -> None:
    """Bypass every pydantic model: straight to the database."""
    with db.engine.begin() as connection:
        values = {c.name: getattr(row, c.name) for c in table_of(type(row)).columns if c.name != "id"}
        connection.execute(table_of(type(row)).insert().values(**values))


@pytest.mark.parametrize(
    "field, value",
    [
        ("systolic", 300),
        ("systolic", 49),
        ("diastolic", 19),
        ("heart_rate", 251),
        ("spo2", 101),
        ("spo2", 49),
        ("resp_rate", 3),
        ("moaas", 6),
        ("moaas", -1),
        ("temperature_c", 45.0),
        ("diastolic", 140),
    ],
)
def test_vitals_checks_refuse_raw_rows(
    db: Database, staff: dict[str, Actor], field: str, value: float
) -> None:
    row = checked_in_session(db, staff["nina"])
    assert staff["nina"].user_id is not None
    reading = VitalSigns(
        **vitals_data(db), session_id=row.id, taken_by=staff["nina"].user_id, recorded_at=db.clock.now()
    )
    setattr(reading, field, value)
    with pytest.raises(IntegrityError):
        _insert_raw(db, reading)


@pytest.mark.parametrize(
    "field, value",
    [("pain_before", 11), ("pain_after", -1), ("method", "oral"), ("status", "lost"), ("series_number", 0)],
)
def test_session_checks_refuse_raw_rows(
    db: Database, staff: dict[str, Actor], field: str, value: int | str
) -> None:
    row = checked_in_session(db, staff["nina"])
    with pytest.raises(IntegrityError), db.engine.begin() as connection:
        connection.execute(
            table_of(TreatmentSession)
            .update()
            .where(col(TreatmentSession.id) == row.id)
            .values({field: value})
        )


def test_side_effect_grade_and_vocabulary_checked(db: Database, staff: dict[str, Actor]) -> None:
    row = checked_in_session(db, staff["nina"])
    base: dict[str, Any] = {
        "session_id": row.id,
        "onset_at": db.clock.now(),
        "recorded_by": staff["nina"].user_id,
        "recorded_at": db.clock.now(),
    }
    refused: tuple[dict[str, Any], ...] = (
        {"effect": "nausea", "grade": 6},
        {"effect": "nausea", "grade": 0},
        {"effect": "itching", "grade": 1},
        {"effect": "other", "grade": 1, "other_text": ""},
        {"effect": "nausea", "grade": 4},  # CTCAE v5.0 nausea stops at 3
        {"effect": "dysgeusia", "grade": 3},
        {"effect": "blurred_vision", "grade": 5},
    )
    for bad in refused:
        with pytest.raises(IntegrityError):
            _insert_raw(db, SideEffect(**base, **bad))
    accepted: tuple[dict[str, Any], ...] = (
        {"effect": "vomiting", "grade": 2},
        {"effect": "dysgeusia", "grade": 2},
    )
    for good in accepted:
        _insert_raw(db, SideEffect(**base, **good))


def test_foreign_keys_are_enforced(db: Database, staff: dict[str, Actor]) -> None:
    assert staff["nina"].user_id is not None
    reading = VitalSigns(
        **vitals_data(db), session_id=424242, taken_by=staff["nina"].user_id, recorded_at=db.clock.now()
    )
    with pytest.raises(IntegrityError):
        _insert_raw(db, reading)


def test_audit_events_cannot_be_updated_or_deleted(db: Database, staff: dict[str, Actor]) -> None:
    for statement in ("UPDATE audit_event SET actor = 'mallory'", "DELETE FROM audit_event"):
        with pytest.raises(DBAPIError, match="append-only"), db.engine.begin() as connection:
            connection.execute(text(statement))
    if db.backend == "postgresql":
        with pytest.raises(DBAPIError, match="append-only"), db.engine.begin() as connection:
            connection.execute(text("TRUNCATE audit_event"))


def test_every_write_appends_a_chained_event(db: Database, staff: dict[str, Actor]) -> None:
    row = checked_in_session(db, staff["nina"])
    charting.record_vitals(db, staff["nina"], row.id, vitals_data(db))
    with db.read() as session:
        report = audit.verify_chain(session, db.audit_key)
        events = session.execute(text("SELECT count(*) FROM audit_event")).one()[0]
    assert report.intact and report.events == events >= 8


def _drop_audit_triggers(db: Database) -> None:
    with db.engine.begin() as connection:
        if db.backend == "sqlite":
            connection.execute(text("DROP TRIGGER audit_event_no_update"))
            connection.execute(text("DROP TRIGGER audit_event_no_delete"))
        else:
            connection.execute(text("DROP TRIGGER audit_event_no_change ON audit_event"))


@pytest.mark.parametrize("tamper", ["edit", "delete", "rehash"])
def test_tampering_is_found_and_named(db: Database, staff: dict[str, Actor], tamper: str) -> None:
    row = checked_in_session(db, staff["nina"])
    for minutes in (3, 2, 1):
        charting.record_vitals(
            db,
            staff["nina"],
            row.id,
            vitals_data(db, measured_at=db.clock.now() - timedelta(minutes=minutes)),
        )
    with db.read() as session:
        first = session.execute(
            text("SELECT id FROM audit_event WHERE action = 'vitals.record' ORDER BY id")
        ).first()
    assert first is not None
    target = first[0]
    _drop_audit_triggers(db)
    with db.engine.begin() as connection:
        if tamper == "edit":
            connection.execute(
                text("UPDATE audit_event SET after_json = replace(after_json, '128', '118') WHERE id = :id"),
                {"id": target},
            )
        elif tamper == "delete":
            connection.execute(text("DELETE FROM audit_event WHERE id = :id"), {"id": target})
        else:  # a forger recomputes the event's hash, but without the clinic key it cannot be keyed
            with db.read() as session:
                stored = session.get(AuditEvent, target)
                assert stored is not None
                forged = stored.model_copy(update={"actor": "mallory"})
            connection.execute(
                text("UPDATE audit_event SET actor = 'mallory', hash = :h WHERE id = :id"),
                {"id": target, "h": audit.chain_hash(forged.prev_hash, forged)},
            )
    with db.read() as session:
        report = audit.verify_chain(session, db.audit_key)
    assert not report.intact
    assert report.broken_at == (target + 1 if tamper == "delete" else target)


def test_audit_event_hash_covers_every_field(db: Database, staff: dict[str, Actor]) -> None:
    checked_in_session(db, staff["nina"])
    with db.read() as session:
        last = session.execute(text("SELECT id FROM audit_event ORDER BY id DESC")).first()
        assert last is not None
        event = last[0]
        row = session.get(AuditEvent, event)
    assert row is not None
    original = audit.chain_hash(row.prev_hash, row)
    for field, value in (
        ("actor", "x"),
        ("action", "y"),
        ("entity", "z"),
        ("entity_id", "0"),
        ("after_json", "{}"),
    ):
        changed = row.model_copy(update={field: value})
        assert audit.chain_hash(row.prev_hash, changed) != original, field
