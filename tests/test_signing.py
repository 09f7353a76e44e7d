"""Signing: only physicians sign, a password opens a sitting and a PIN continues it, a signature locks."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlmodel import Session, select

from console.chair import alerts, charting, sessions
from console.chair.session_view import SessionView
from console.clinic import users
from console.domain.actors import Actor
from console.domain.clock import FixedClock
from console.domain.errors import AuthenticationFailed, NotAllowed
from console.review.signing import Proof, SigningSitting, add_addendum
from console.store.database import Database
from tests.factories import discharged_session, sign_as_shown, vitals_data

PASSWORD = "long enough pw"


def sitting(actor: Actor, minutes: int = 10) -> SigningSitting:
    return SigningSitting(actor.username, timedelta(minutes=minutes))


def test_a_physician_signs_with_password_then_pin_and_the_signature_names_them(
    db: Database, staff: dict[str, Actor]
) -> None:
    doctor = staff["priya"]
    first = discharged_session(db, staff["nina"])
    second = discharged_session(db, staff["nina"], mrn="MRN-2002")
    users.set_signing_pin(db, doctor, PASSWORD, "2468")
    seat = sitting(doctor)
    assert seat.needs_password(db.clock.now())
    signature = sign_as_shown(db, doctor, first.id, "approved", Proof("priya", PASSWORD), seat)
    assert (signature.signer_name, signature.meaning, signature.signed_at) == (
        "Priya",
        "approved",
        db.clock.now(),
    )
    assert len(signature.record_hash) == 64
    assert isinstance(db.clock, FixedClock)
    db.clock.advance(minutes=3)
    assert not seat.needs_password(db.clock.now())
    sign_as_shown(db, doctor, second.id, "reviewed", Proof(pin="2468"), seat)


def test_a_nurse_cannot_sign(db: Database, staff: dict[str, Actor]) -> None:
    row = discharged_session(db, staff["nina"])
    with pytest.raises(NotAllowed, match="only a physician"):
        sign_as_shown(db, staff["nina"], row.id, "approved", Proof("nina", PASSWORD), sitting(staff["nina"]))


def test_the_idle_timeout_ends_the_sitting(db: Database, staff: dict[str, Actor]) -> None:
    doctor = staff["priya"]
    users.set_signing_pin(db, doctor, PASSWORD, "2468")
    seat = sitting(doctor, minutes=10)
    sign_as_shown(
        db, doctor, discharged_session(db, staff["nina"]).id, "approved", Proof("priya", PASSWORD), seat
    )
    assert isinstance(db.clock, FixedClock)
    db.clock.advance(minutes=11)
    assert seat.needs_password(db.clock.now())
    later = discharged_session(db, staff["nina"], mrn="MRN-2002")
    with pytest.raises(AuthenticationFailed, match="needs your username and password"):
        sign_as_shown(db, doctor, later.id, "approved", Proof(pin="2468"), seat)
    sign_as_shown(db, doctor, later.id, "approved", Proof("priya", PASSWORD), seat)


@pytest.mark.slow
def test_five_wrong_pins_lock_the_account_and_every_failure_is_audited(
    db: Database, staff: dict[str, Actor]
) -> None:
    from sqlmodel import select

    from console.store.models import AuditEvent

    doctor = staff["priya"]
    users.set_signing_pin(db, doctor, PASSWORD, "2468")
    seat = sitting(doctor)
    row = discharged_session(db, staff["nina"])
    second = discharged_session(db, staff["nina"], mrn="MRN-2002")
    sign_as_shown(db, doctor, row.id, "approved", Proof("priya", PASSWORD), seat)
    for attempt in range(4):
        with pytest.raises(AuthenticationFailed, match=f"{4 - attempt} attempts left"):
            sign_as_shown(db, doctor, second.id, "approved", Proof(pin="0000"), seat)
    with pytest.raises(AuthenticationFailed, match="locked"):
        sign_as_shown(db, doctor, second.id, "approved", Proof(pin="0000"), seat)
    with pytest.raises(AuthenticationFailed, match="locked"):
        sign_as_shown(db, doctor, second.id, "approved", Proof(pin="2468"), seat)
    with db.read() as session:
        failures = session.exec(
            select(AuditEvent).where(AuditEvent.action == "signature.authorise.failed")
        ).all()
    assert len(failures) == 6
    users.unlock_user(db, staff["office"], "priya")
    sign_as_shown(db, doctor, second.id, "approved", Proof(pin="2468"), seat)


def test_signing_as_someone_else_is_refused(db: Database, staff: dict[str, Actor]) -> None:
    row = discharged_session(db, staff["nina"])
    with pytest.raises(AuthenticationFailed, match="sign as yourself"):
        sign_as_shown(
            db, staff["priya"], row.id, "approved", Proof("nina", PASSWORD), sitting(staff["priya"])
        )


def test_a_signed_session_refuses_every_change_and_accepts_a_signed_addendum(
    db: Database, staff: dict[str, Actor]
) -> None:
    nurse, doctor = staff["nina"], staff["priya"]
    row = discharged_session(db, nurse)
    sign_as_shown(db, doctor, row.id, "approved", Proof("priya", PASSWORD), sitting(doctor))
    current = sessions.get_session(db, row.id)
    with pytest.raises(NotAllowed, match="signed and locked"):
        charting.record_vitals(db, nurse, row.id, vitals_data(db))
    with pytest.raises(NotAllowed, match="signed and locked"):
        sessions.update_notes(db, nurse, row.id, current.version, "changed afterwards")
    with pytest.raises(NotAllowed, match="already signed"):
        sign_as_shown(db, doctor, row.id, "approved", Proof("priya", PASSWORD), sitting(doctor))
    addendum = add_addendum(
        db,
        nurse,
        row.id,
        {"reason": "Late entry", "text": "Patient phoned: home safely."},
        Proof("nina", PASSWORD),
        sitting(nurse),
    )
    assert (addendum.author_name, addendum.reason) == ("Nina", "Late entry")


def test_an_unfinished_session_or_one_with_open_alerts_is_not_signed(
    db: Database, staff: dict[str, Actor]
) -> None:
    from tests.factories import checked_in_session

    nurse, doctor = staff["nina"], staff["priya"]
    row = checked_in_session(db, nurse)
    with pytest.raises(NotAllowed, match="only discharged"):
        sign_as_shown(db, doctor, row.id, "approved", Proof("priya", PASSWORD), sitting(doctor))
    alerting = discharged_session(db, nurse, mrn="MRN-2002")
    charting.record_vitals(db, nurse, alerting.id, vitals_data(db, spo2=85))
    with pytest.raises(NotAllowed, match="not acknowledged"):
        sign_as_shown(db, doctor, alerting.id, "approved", Proof("priya", PASSWORD), sitting(doctor))


def test_the_hand_written_record_text_is_canonical_json(db: Database, staff: dict[str, Actor]) -> None:
    import json

    from console.review.signing import load_record, record_json
    from console.store.audit import canonical_json

    row = discharged_session(db, staff["nina"])
    charting.record_side_effect(
        db, staff["nina"], row.id, {"effect": "nausea", "grade": 1, "onset_at": db.clock.now()}
    )
    with db.read() as session:
        text = record_json(*load_record(session, row.id))
    assert canonical_json(json.loads(text)) == text
    assert len(json.loads(text)["vitals"]) == 2 and json.loads(text)["session"]["id"] == row.id


# A signed record's hash must never change with the code: these values were computed when the
# canonical form was first written; a different result would break every stored signature.
GOLDEN_RECORD_HASH = "6775ba5468f8df71372af9d11fa1bd0684fd0fb20e87b97c78338f6c58fe59a6"
GOLDEN_ADDENDUM_HASH = "94e8bbd0e567f913b5553bd452e4eb4a9b8a62e40ebec56104ad847ef27ea2ca"


def test_the_canonical_record_hashes_as_it_always_has() -> None:
    from datetime import UTC, date, datetime, time, timezone

    from console.review.signing import addendum_hash, record_hash

    at = datetime(2026, 11, 26, 9, 30, 15, 123456, tzinfo=UTC)
    session_row = {
        "id": 7,
        "patient_id": 3,
        "clinic_date": date(2026, 11, 26),
        "scheduled_time": time(9, 0),
        "chair": "3",
        "method": "iv_infusion",
        "status": "discharged",
        "nurse_id": 1,
        "checked_in_at": at,
        "started_at": at + timedelta(minutes=10),
        "ended_at": at + timedelta(minutes=70),
        "discharged_at": at + timedelta(minutes=100),
        "pain_before": 7,
        "pain_after": 3,
        "version": 9,
        "notes": "Tolerated well; \u00e9l\u00e8ve",
        "escort_confirmed": True,
    }
    local = timezone(timedelta(hours=-6))
    children = {
        "doses": [
            {
                "id": 11,
                "session_id": 7,
                "drug": "ketamine",
                "route": "intravenous",
                "dose_mg": 35,
                "mg_per_kg": 0.5,
                "weight_kg_used": 70,
                "rate_mg_per_kg_h": 0.5,
                "planned_duration_min": 60,
                "administered_at": at.astimezone(local),
                "lot_number": "KET-1",
                "concentration_mg_per_ml": 10,
                "drawn_mg": 50,
                "wasted_mg": 15,
                "witness_id": 2,
                "administered_by": 1,
                "recorded_at": at,
                "version": 1,
            }
        ],
        "vitals": [
            {
                "id": 21,
                "session_id": 7,
                "measured_at": at,
                "systolic": 128,
                "diastolic": 82,
                "heart_rate": 76,
                "spo2": 98,
                "resp_rate": 14,
                "temperature_c": 36.8,
                "moaas": 5,
                "taken_by": 1,
                "recorded_at": at,
                "version": 1,
            },
            {
                "id": 22,
                "session_id": 7,
                "measured_at": at + timedelta(minutes=15),
                "systolic": 131,
                "diastolic": 80,
                "heart_rate": 70,
                "spo2": 97,
                "resp_rate": 15,
                "temperature_c": None,
                "moaas": 4,
                "taken_by": 2,
                "recorded_at": at,
                "version": 2,
            },
        ],
        "side_effects": [
            {
                "id": 31,
                "session_id": 7,
                "effect": "nausea",
                "other_text": "",
                "grade": 2,
                "onset_at": at,
                "action_taken": "ondansetron",
                "resolved_at": None,
                "recorded_by": 1,
                "recorded_at": at,
                "version": 1,
            }
        ],
        "pain_scores": [
            {
                "id": 41,
                "session_id": 7,
                "kind": "before",
                "score": 7,
                "scored_at": at,
                "recorded_by": 1,
                "recorded_at": at,
            }
        ],
    }

    addendum = {
        "id": 1,
        "session_id": 7,
        "author_id": 3,
        "author_name": "Dr. Priya Raman",
        "author_role": "physician",
        "reason": "late entry",
        "text": "=cmd",
        "written_at": at,
        "content_hash": "x",
    }
    assert record_hash(session_row, children) == GOLDEN_RECORD_HASH
    assert addendum_hash(addendum) == GOLDEN_ADDENDUM_HASH


@given(st.datetimes(datetime(1000, 1, 2), datetime(9999, 12, 30), timezones=st.timezones()))
def test_the_canonical_time_text_is_the_strftime_form(moment: datetime) -> None:
    from console.store.timestamps import iso_utc

    assert iso_utc(moment) == moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


# The correction after discharge makes the record say the patient left on 196/118 SpO2 86: true,
# and what `audit rules` names ("discharged on a reading outside the limits") for the physician.
@pytest.mark.breaks_rules
def test_a_signature_covers_only_the_record_as_shown_a_change_since_is_refused(
    db: Database, staff: dict[str, Actor]
) -> None:
    """The physician opened 117/73 SpO2 98; a nurse corrected it to 196/118 SpO2 86; F2 signed the
    changed record. Now the signature carries the hash of what was shown, and a change since is refused."""
    from console.domain.errors import Conflict
    from console.review.signing import load_for_review, sign_session
    from console.store.models import SessionSignature, UserAccount

    doctor, nurse = staff["priya"], staff["nina"]
    row = discharged_session(db, nurse)
    users.set_signing_pin(db, doctor, PASSWORD, "2468")
    seat = sitting(doctor)
    shown = load_for_review(db, row.id)
    reading = shown.view.vitals[-1]
    corrected = vitals_data(db) | {
        "measured_at": reading.measured_at,
        "systolic": 196,
        "diastolic": 118,
        "spo2": 86,
    }
    charting.correct_vitals(db, nurse, reading.id, reading.version, corrected)
    with pytest.raises(Conflict, match="changed since it was shown"):
        sign_session(db, doctor, row.id, "approved", Proof("priya", PASSWORD), seat, shown.record_hash)
    with db.read() as session:
        assert session.exec(select(SessionSignature)).all() == []
        account = session.exec(select(UserAccount).where(UserAccount.username == "priya")).one()
        assert account.failed_attempts == 0  # the stale try never reached the password check
    for alert in load_for_review(db, row.id).view.alerts:  # the corrected reading raised its alerts
        if alert.acknowledged_at is None:
            alerts.acknowledge(db, doctor, alert.id, alert.version, "Rechecked, physician informed")
    again = load_for_review(db, row.id)
    assert again.record_hash != shown.record_hash
    signature = sign_session(
        db, doctor, row.id, "approved", Proof("priya", PASSWORD), seat, again.record_hash
    )
    assert signature.record_hash == again.record_hash


def test_a_correction_made_while_the_record_is_read_for_review_is_never_signed_unseen(
    db: Database, staff: dict[str, Actor], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The record shown and the hash a signature carries are read at one moment: a nurse's
    correction committed between reading the one and the other (on another workstation) is neither
    shown nor hashed, so signing what was shown is refused as changed, on PostgreSQL as on SQLite."""
    from console.domain.errors import Conflict
    from console.review import signing

    doctor, nurse = staff["priya"], staff["nina"]
    row = discharged_session(db, nurse)
    users.set_signing_pin(db, doctor, PASSWORD, "2468")
    read_view = signing.read_session_view

    def view_read_then_a_nurse_corrects(session: Session, session_id: int) -> SessionView:
        view = read_view(session, session_id)
        reading = view.vitals[-1]
        corrected = vitals_data(db) | {"measured_at": reading.measured_at, "systolic": 136, "diastolic": 84}
        charting.correct_vitals(db, nurse, reading.id, reading.version, corrected)
        return view

    monkeypatch.setattr(signing, "read_session_view", view_read_then_a_nurse_corrects)
    shown = signing.load_for_review(db, row.id)
    assert shown.view.vitals[-1].systolic != 136  # the physician saw the reading before the correction
    with pytest.raises(Conflict, match="changed since it was shown"):
        signing.sign_session(
            db, doctor, row.id, "approved", Proof("priya", PASSWORD), sitting(doctor), shown.record_hash
        )
