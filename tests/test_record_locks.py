"""The database itself keeps signed records locked and proves them unchanged, on both backends."""

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from console.clinic import users
from console.domain.actors import Actor
from console.domain.errors import NotAllowed
from console.review import returns
from console.review.integrity import verify_record
from console.review.signature_check import verify_signatures
from console.review.signing import Proof, SigningSitting, add_addendum
from console.store.database import Database
from console.store.models import TreatmentSession
from tests.factories import discharged_session, sign_as_shown
from tests.test_signing import PASSWORD, sitting


def _signed(db: Database, staff: dict[str, Actor]) -> TreatmentSession:
    row = discharged_session(db, staff["nina"])
    sign_as_shown(db, staff["priya"], row.id, "approved", Proof("priya", PASSWORD), sitting(staff["priya"]))
    return row


def _raw(db: Database, sql: str, **params: object) -> None:
    with db.engine.begin() as connection:
        connection.execute(text(sql), params)


@pytest.mark.slow
@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE treatment_session SET pain_after = 0 WHERE id = :id",
        "DELETE FROM treatment_session WHERE id = :id",
        "UPDATE vital_signs SET systolic = 120 WHERE session_id = :id",
        "DELETE FROM pain_score WHERE session_id = :id",
        "UPDATE dose_administration SET dose_mg = 1 WHERE session_id = :id",
        "INSERT INTO side_effect (session_id, effect, other_text, grade, onset_at, action_taken, recorded_by,"
        " recorded_at, version) SELECT :id, 'nausea', '', 1, discharged_at, '', nurse_id, discharged_at, 1"
        " FROM treatment_session WHERE id = :id",
        "UPDATE session_signature SET meaning = 'reviewed' WHERE session_id = :id",
        "DELETE FROM session_signature WHERE session_id = :id",
        "INSERT INTO override (session_id, rule, details, reason, overridden_by, role, at)"
        " SELECT :id, 'discharge', '', 'late', nurse_id, 'physician', discharged_at FROM treatment_session"
        " WHERE id = :id",
    ],
)
def test_the_database_refuses_changes_to_a_signed_session(
    db: Database, staff: dict[str, Actor], sql: str
) -> None:
    row = _signed(db, staff)
    with pytest.raises(DBAPIError, match=r"locked|append-only"):
        _raw(db, sql, id=row.id)


def test_the_database_refuses_a_signature_by_a_nurse(db: Database, staff: dict[str, Actor]) -> None:
    row = discharged_session(db, staff["nina"])
    with pytest.raises(DBAPIError, match="only a physician"):
        _raw(
            db,
            "INSERT INTO session_signature"
            " (session_id, signer_id, signer_name, meaning, signed_at, record_hash)"
            " VALUES (:id, :nurse, 'Nina', 'approved', '2026-11-26 15:00:00.000000', :h)",
            id=row.id,
            nurse=staff["nina"].user_id,
            h="a" * 64,
        )


def test_an_unsigned_session_can_still_be_corrected_at_the_database(
    db: Database, staff: dict[str, Actor]
) -> None:
    row = discharged_session(db, staff["nina"])
    _raw(db, "UPDATE vital_signs SET systolic = 121 WHERE session_id = :id", id=row.id)


def _drop_lock_triggers(db: Database) -> None:
    with db.engine.begin() as connection:
        if db.backend == "sqlite":
            names = connection.execute(
                text("SELECT name FROM sqlite_master WHERE type = 'trigger' AND name NOT LIKE 'audit_event%'")
            ).scalars()
            for name in list(names):
                connection.execute(text(f"DROP TRIGGER {name}"))
        else:
            connection.execute(text("DROP FUNCTION chairside_signed_lock() CASCADE"))
            connection.execute(text("DROP FUNCTION chairside_append_only() CASCADE"))


@pytest.mark.slow
@pytest.mark.parametrize(
    "tamper",
    [
        "UPDATE vital_signs SET systolic = systolic - 10 WHERE session_id = :id",
        "DELETE FROM side_effect WHERE session_id = :id",
        "UPDATE treatment_session SET pain_after = 0 WHERE id = :id",
        "UPDATE dose_administration SET wasted_mg = 0, drawn_mg = dose_mg WHERE session_id = :id",
        "UPDATE session_signature SET meaning = 'reviewed' WHERE session_id = :id",
    ],
)
def test_verify_names_a_signed_record_altered_behind_the_triggers(
    db: Database, staff: dict[str, Actor], tamper: str
) -> None:
    from console.chair import charting
    from tests.factories import vitals_data

    row = discharged_session(db, staff["nina"])
    charting.record_side_effect(
        db, staff["nina"], row.id, {"effect": "nausea", "grade": 1, "onset_at": db.clock.now()}
    )
    charting.record_vitals(db, staff["nina"], row.id, vitals_data(db))
    signature = sign_as_shown(
        db, staff["priya"], row.id, "approved", Proof("priya", PASSWORD), sitting(staff["priya"])
    )
    with db.read() as session:
        assert verify_signatures(session).intact
    _drop_lock_triggers(db)
    _raw(db, tamper, id=row.id)
    report = verify_record(db)
    assert not report.intact
    named = (f"signature {signature.id} (session {row.id})", f"session_signature {signature.id}:")
    assert any(name in line for line in report.problems() for name in named), report.problems()


def test_verify_names_an_altered_addendum(db: Database, staff: dict[str, Actor]) -> None:
    row = _signed(db, staff)
    addendum = add_addendum(
        db,
        staff["nina"],
        row.id,
        {"reason": "Late entry", "text": "Home safely."},
        Proof("nina", PASSWORD),
        sitting(staff["nina"]),
    )
    _drop_lock_triggers(db)
    _raw(db, "UPDATE addendum SET text = 'Something else' WHERE id = :id", id=addendum.id)
    with db.read() as session:
        report = verify_signatures(session)
    assert f"addendum {addendum.id}" in report.problem


def test_return_for_correction_and_resubmission(db: Database, staff: dict[str, Actor]) -> None:
    nurse, doctor = staff["nina"], staff["priya"]
    row = discharged_session(db, nurse)
    with pytest.raises(NotAllowed, match="only a physician"):
        returns.return_for_correction(db, nurse, row.id, "Please fix")
    returns.return_for_correction(db, doctor, row.id, "Dose lot number looks wrong")
    assert [r.comment for r in returns.returned_sessions(db)] == ["Dose lot number looks wrong"]
    with pytest.raises(NotAllowed, match="back with the nurse"):
        sign_as_shown(db, doctor, row.id, "approved", Proof("priya", PASSWORD), sitting(doctor))
    returns.resubmit(db, nurse, row.id, "Lot corrected to KET-2026-42")
    assert returns.returned_sessions(db) == []
    sign_as_shown(db, doctor, row.id, "approved", Proof("priya", PASSWORD), sitting(doctor))
    with pytest.raises(NotAllowed, match="signed and locked"):
        returns.return_for_correction(db, doctor, row.id, "Too late")


def test_setting_a_pin_needs_the_password_and_digits(db: Database, staff: dict[str, Actor]) -> None:
    from console.domain.errors import AuthenticationFailed, InvalidInput

    with pytest.raises(InvalidInput, match="Signing PIN: 4 to 8 digits"):
        users.set_signing_pin(db, staff["priya"], PASSWORD, "12ab")
    with pytest.raises(AuthenticationFailed):
        users.set_signing_pin(db, staff["priya"], "wrong password", "2468")
    users.set_signing_pin(db, staff["priya"], PASSWORD, "2468")
    seat = SigningSitting("priya", sitting(staff["priya"]).idle)
    row = discharged_session(db, staff["nina"])
    seat.last_active = db.clock.now()
    sign_as_shown(db, staff["priya"], row.id, "reviewed", Proof(pin="2468"), seat)
