"""Signing: only physicians sign, a password opens a sitting and a PIN continues it, a signature locks."""

from datetime import timedelta

import pytest

from console import charting, sessions, users
from console.errors import AuthenticationFailed, NotAllowed
from console.signing import Proof, SigningSitting, add_addendum, sign_session
from tests.factories import discharged_session, vitals_data

PASSWORD = "long enough pw"


def sitting(actor, minutes: int = 10) -> SigningSitting:
    return SigningSitting(actor.username, timedelta(minutes=minutes))


def test_a_physician_signs_with_password_then_pin_and_the_signature_names_them(db, staff):
    doctor = staff["priya"]
    first = discharged_session(db, staff["nina"])
    second = discharged_session(db, staff["nina"], mrn="MRN-2002")
    users.set_signing_pin(db, doctor, PASSWORD, "2468")
    seat = sitting(doctor)
    assert seat.needs_password(db.clock.now())
    signature = sign_session(db, doctor, first.id, "approved", Proof("priya", PASSWORD), seat)
    assert (signature.signer_name, signature.meaning, signature.signed_at) == (
        "Priya",
        "approved",
        db.clock.now(),
    )
    assert len(signature.record_hash) == 64
    db.clock.advance(minutes=3)
    assert not seat.needs_password(db.clock.now())
    sign_session(db, doctor, second.id, "reviewed", Proof(pin="2468"), seat)


def test_a_nurse_cannot_sign(db, staff):
    row = discharged_session(db, staff["nina"])
    with pytest.raises(NotAllowed, match="only a physician"):
        sign_session(db, staff["nina"], row.id, "approved", Proof("nina", PASSWORD), sitting(staff["nina"]))


def test_the_idle_timeout_ends_the_sitting(db, staff):
    doctor = staff["priya"]
    users.set_signing_pin(db, doctor, PASSWORD, "2468")
    seat = sitting(doctor, minutes=10)
    sign_session(
        db, doctor, discharged_session(db, staff["nina"]).id, "approved", Proof("priya", PASSWORD), seat
    )
    db.clock.advance(minutes=11)
    assert seat.needs_password(db.clock.now())
    later = discharged_session(db, staff["nina"], mrn="MRN-2002")
    with pytest.raises(AuthenticationFailed, match="needs your username and password"):
        sign_session(db, doctor, later.id, "approved", Proof(pin="2468"), seat)
    sign_session(db, doctor, later.id, "approved", Proof("priya", PASSWORD), seat)


def test_five_wrong_pins_lock_the_account_and_every_failure_is_audited(db, staff):
    from sqlmodel import select

    from console.models import AuditEvent

    doctor = staff["priya"]
    users.set_signing_pin(db, doctor, PASSWORD, "2468")
    seat = sitting(doctor)
    row = discharged_session(db, staff["nina"])
    second = discharged_session(db, staff["nina"], mrn="MRN-2002")
    sign_session(db, doctor, row.id, "approved", Proof("priya", PASSWORD), seat)
    for attempt in range(4):
        with pytest.raises(AuthenticationFailed, match=f"{4 - attempt} attempts left"):
            sign_session(db, doctor, second.id, "approved", Proof(pin="0000"), seat)
    with pytest.raises(AuthenticationFailed, match="locked"):
        sign_session(db, doctor, second.id, "approved", Proof(pin="0000"), seat)
    with pytest.raises(AuthenticationFailed, match="locked"):
        sign_session(db, doctor, second.id, "approved", Proof(pin="2468"), seat)
    with db.read() as session:
        failures = session.exec(
            select(AuditEvent).where(AuditEvent.action == "signature.authorise.failed")
        ).all()
    assert len(failures) == 6
    users.unlock_user(db, staff["office"], "priya")
    sign_session(db, doctor, second.id, "approved", Proof(pin="2468"), seat)


def test_signing_as_someone_else_is_refused(db, staff):
    row = discharged_session(db, staff["nina"])
    with pytest.raises(AuthenticationFailed, match="sign as yourself"):
        sign_session(db, staff["priya"], row.id, "approved", Proof("nina", PASSWORD), sitting(staff["priya"]))


def test_a_signed_session_refuses_every_change_and_accepts_a_signed_addendum(db, staff):
    nurse, doctor = staff["nina"], staff["priya"]
    row = discharged_session(db, nurse)
    sign_session(db, doctor, row.id, "approved", Proof("priya", PASSWORD), sitting(doctor))
    current = sessions.get_session(db, row.id)
    with pytest.raises(NotAllowed, match="signed and locked"):
        charting.record_vitals(db, nurse, row.id, vitals_data(db))
    with pytest.raises(NotAllowed, match="signed and locked"):
        sessions.update_notes(db, nurse, row.id, current.version, "changed afterwards")
    with pytest.raises(NotAllowed, match="already signed"):
        sign_session(db, doctor, row.id, "approved", Proof("priya", PASSWORD), sitting(doctor))
    addendum = add_addendum(
        db,
        nurse,
        row.id,
        {"reason": "Late entry", "text": "Patient phoned: home safely."},
        Proof("nina", PASSWORD),
        sitting(nurse),
    )
    assert (addendum.author_name, addendum.reason) == ("Nina", "Late entry")


def test_an_unfinished_session_or_one_with_open_alerts_is_not_signed(db, staff):
    from tests.factories import checked_in_session

    nurse, doctor = staff["nina"], staff["priya"]
    row = checked_in_session(db, nurse)
    with pytest.raises(NotAllowed, match="only discharged"):
        sign_session(db, doctor, row.id, "approved", Proof("priya", PASSWORD), sitting(doctor))
    alerting = discharged_session(db, nurse, mrn="MRN-2002")
    charting.record_vitals(db, nurse, alerting.id, vitals_data(db, spo2=85))
    with pytest.raises(NotAllowed, match="not acknowledged"):
        sign_session(db, doctor, alerting.id, "approved", Proof("priya", PASSWORD), sitting(doctor))


def test_the_hand_written_record_text_is_canonical_json(db, staff):
    import json

    from console.audit import canonical_json
    from console.signing import load_record, record_json

    row = discharged_session(db, staff["nina"])
    charting.record_side_effect(
        db, staff["nina"], row.id, {"effect": "nausea", "grade": 1, "onset_at": db.clock.now()}
    )
    with db.read() as session:
        text = record_json(*load_record(session, row.id))
    assert canonical_json(json.loads(text)) == text
    assert len(json.loads(text)["vitals"]) == 2 and json.loads(text)["session"]["id"] == row.id
