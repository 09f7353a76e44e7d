"""Each side-effect term is graded within its own CTCAE v5.0 range (nausea stops at grade 3), by the
service, the database and the dialog; grades recorded before a term had its range are kept."""

from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from console.chair import charting, sessions
from console.domain.actors import Actor
from console.domain.ctcae import grade_scale, highest_grade
from console.domain.errors import InvalidInput
from console.domain.protocol import Protocol
from console.domain.vocab import SideEffectType
from console.review.record_rules import broken_rules
from console.store import schema
from console.store.database import Database
from console.store.models import SideEffect
from tests.factories import approved_by, checked_in_session, ready_for_discharge


@pytest.mark.parametrize(
    "effect, highest",
    [
        ("nausea", 3),
        ("vomiting", 5),
        ("dysgeusia", 2),
        ("blurred_vision", 4),
        ("dissociation", 5),
        ("other", 5),
    ],
)
def test_each_term_has_its_own_highest_grade(effect: str, highest: int) -> None:
    assert highest_grade(effect) == highest


def test_a_grade_the_term_does_not_have_is_refused_naming_the_terms_grades(
    db: Database, staff: dict[str, Actor]
) -> None:
    row = checked_in_session(db, staff["nina"])
    onset = db.clock.now() - timedelta(minutes=5)
    with pytest.raises(InvalidInput, match=r"Nausea has grades 1 mild, 2 moderate, 3 severe") as refused:
        charting.record_side_effect(
            db, staff["nina"], row.id, {"effect": "nausea", "grade": 4, "onset_at": onset}
        )
    assert refused.value.field == "grade"
    stored = charting.record_side_effect(
        db, staff["nina"], row.id, {"effect": "urinary_symptoms", "grade": 4, "onset_at": onset}
    )
    assert stored.grade == 4


def test_other_naming_a_listed_term_is_sent_to_that_term_and_its_grades(
    db: Database, staff: dict[str, Actor]
) -> None:
    """ "Other: nausea" grade 5 stepped around nausea's grades 1-3 and read as nausea everywhere."""
    row = checked_in_session(db, staff["nina"])
    onset = db.clock.now() - timedelta(minutes=5)
    for named in ("nausea", " Nausea ", "diplopia"):
        with pytest.raises(InvalidInput, match="is on the list: pick it there") as refused:
            charting.record_side_effect(
                db,
                staff["nina"],
                row.id,
                {"effect": "other", "other_text": named, "grade": 5, "onset_at": onset},
            )
        assert refused.value.field == "other_text"
    kept = charting.record_side_effect(
        db, staff["nina"], row.id, {"effect": "other", "other_text": "itching", "grade": 1, "onset_at": onset}
    )
    assert kept.other_text == "itching"


def test_every_new_term_is_a_choice_with_a_scale() -> None:
    for effect in ("dysgeusia", "vertigo", "paraesthesia", "nasal_discomfort", "urinary_symptoms"):
        assert grade_scale(SideEffectType(effect)).startswith("1 mild")


def _as_an_older_version_recorded(db: Database, effect_id: int) -> None:
    """Nausea grade 4 on a signed session, as written before grades had ranges."""
    update = text("UPDATE side_effect SET grade = 4 WHERE id = :id")
    with db.engine.begin() as connection:
        if db.backend == "postgresql":
            connection.exec_driver_sql("ALTER TABLE side_effect DISABLE TRIGGER side_effect_locked")
            connection.execute(update, {"id": effect_id})
            connection.exec_driver_sql("ALTER TABLE side_effect ENABLE TRIGGER side_effect_locked")
            return
        lock = connection.exec_driver_sql(
            "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'side_effect_locked_update'"
        ).scalar_one()
        connection.exec_driver_sql("DROP TRIGGER side_effect_locked_update")
        connection.execute(update, {"id": effect_id})
        connection.exec_driver_sql(lock)


@pytest.mark.breaks_rules  # a grade an older version let through: audit rules names it
def test_a_grade_recorded_before_the_ranges_is_kept_through_the_upgrade_and_the_lock_holds(
    db: Database, staff: dict[str, Actor]
) -> None:
    """A clinic's signed nausea grade 4 from before this version stays exactly as recorded (audit
    rules names it); new rows are checked, and the signed session is still locked."""
    from alembic import command

    nurse = staff["nina"]
    row = ready_for_discharge(db, nurse)
    onset = db.clock.now() - timedelta(minutes=30)
    effect = charting.record_side_effect(
        db, nurse, row.id, {"effect": "nausea", "grade": 2, "onset_at": onset, "resolved_at": onset}
    )
    sessions.discharge(db, nurse, row.id, sessions.get_session(db, row.id).version)
    # Signed by today's code (it reads today's tables), then taken back to 0016 with the grade an
    # older version let a nurse record: the lock is stepped round for that write alone.
    approved_by(db, staff["priya"], row.id)
    with db.engine.connect() as connection:
        if db.backend == "sqlite":
            assert connection.connection.driver_connection is not None
            connection.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")
        with connection.begin():
            command.downgrade(schema.alembic_config(connection), "0016")
    _as_an_older_version_recorded(db, effect.id)
    db.dispose()
    schema.ensure_schema(db)
    assert schema.current_revision(db) == schema.SCHEMA_HEAD
    with db.read() as session:
        kept = session.exec(select(SideEffect).where(SideEffect.id == effect.id)).one()
    assert (kept.effect, kept.grade) == ("nausea", 4)
    found = [
        str(broken)
        for broken in broken_rules(db, Protocol())
        if broken.rule == "side effect graded beyond its term"
    ]
    assert found == [
        f"session {row.id} (2026-11-26): side effect graded beyond its term: nausea grade 4: its CTCAE term "
        "has grades 1 mild, 2 moderate, 3 severe"
    ]
    with pytest.raises(Exception, match="signed and locked"), db.engine.begin() as connection:
        connection.execute(text("UPDATE side_effect SET grade = 3 WHERE id = :id"), {"id": effect.id})
    fresh = checked_in_session(db, nurse, mrn="MRN-1002")
    with pytest.raises(IntegrityError), db.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO side_effect (session_id, effect, other_text, grade, onset_at, action_taken,"
                " recorded_by, recorded_at, version) VALUES (:s, 'nausea', '', 4, :t, '', :u, :t, 1)"
            ),
            {"s": fresh.id, "t": db.clock.now(), "u": nurse.user_id},
        )
