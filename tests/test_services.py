"""The service layer without any UI: the whole chair flow, role checks, refusals and conflicts."""

from datetime import timedelta

import pytest
from sqlmodel import col, select

from console.chair import charting, sessions
from console.chair.board import day_sessions
from console.clinic import patients, users
from console.domain.actors import Actor
from console.domain.clock import FixedClock
from console.domain.errors import AuthenticationFailed, Conflict, InvalidInput, NotAllowed, NotFound
from console.domain.vocab import SessionStatus
from console.store.database import Database
from console.store.models import AuditEvent, DoseAdministration, PainScore
from tests.factories import (
    checked_in_session,
    discharge_checked,
    iv_dose_data,
    nasal_dose_data,
    patient_data,
    rems_enrolled,
    scheduled_session,
    vitals_data,
)


def audit_actions(db: Database) -> list[str]:
    with db.read() as session:
        return list(session.exec(select(AuditEvent.action).order_by(col(AuditEvent.id))))


def test_whole_iv_session_is_recorded_and_audited(db: Database, staff: dict[str, Actor]) -> None:
    nurse = staff["nina"]
    row = checked_in_session(db, nurse)
    assert row.status == SessionStatus.CHECKED_IN and row.nurse_id == nurse.user_id
    charting.record_vitals(db, nurse, row.id, vitals_data(db))
    row = sessions.get_session(db, row.id)
    charting.record_pain(
        db, nurse, row.id, {"kind": "before", "score": 7, "scored_at": db.clock.now()}, row.version
    )
    dose = charting.record_dose(db, nurse, row.id, iv_dose_data(db))
    assert dose.mg_per_kg == pytest.approx(0.5) and dose.route == "intravenous"
    row = sessions.get_session(db, row.id)
    assert row.status == SessionStatus.IN_TREATMENT and row.started_at == dose.administered_at
    assert isinstance(db.clock, FixedClock)
    db.clock.advance(minutes=60)
    row = sessions.end_treatment(db, nurse, row.id, row.version)
    db.clock.advance(minutes=45)
    charting.record_vitals(db, nurse, row.id, vitals_data(db))
    charting.record_pain(
        db, nurse, row.id, {"kind": "after", "score": 3, "scored_at": db.clock.now()}, row.version
    )
    discharge_checked(db, nurse, row.id)
    row = sessions.get_session(db, row.id)
    row = sessions.discharge(db, nurse, row.id, row.version)
    assert row.status == SessionStatus.DISCHARGED
    assert (row.pain_before, row.pain_after) == (7, 3)
    board = day_sessions(db, db.clock.now().date())
    assert [(b.status, b.pain_before, b.pain_after) for b in board] == [(SessionStatus.DISCHARGED, 7, 3)]
    actions = audit_actions(db)
    assert actions[-8:] == [
        "session.end_treatment",
        "vitals.record",
        "pain.record",
        "session.pain_after",
        *["checklist.tick"] * 3,  # each item of the discharge checklist
        "session.discharge",
    ]
    for expected in (
        "session.check_in",
        "vitals.record",
        "dose.record",
        "session.start",
        "session.discharge",
    ):
        assert expected in actions


def test_nasal_dose_needs_devices_and_gets_nasal_route(db: Database, staff: dict[str, Actor]) -> None:
    nurse = staff["nina"]
    row = checked_in_session(db, nurse, method="nasal_spray")
    rems_enrolled(db, nurse, row.id)
    nasal = nasal_dose_data(db)
    with pytest.raises(InvalidInput) as refused:
        charting.record_dose(db, nurse, row.id, {k: v for k, v in nasal.items() if k != "device_count"})
    assert refused.value.field == "device_count"
    dose = charting.record_dose(db, nurse, row.id, nasal)
    assert dose.route == "nasal" and dose.rate_mg_per_kg_h is None


def test_status_flow_refuses_steps_out_of_order(db: Database, staff: dict[str, Actor]) -> None:
    nurse = staff["nina"]
    row = scheduled_session(db, nurse)
    with pytest.raises(NotAllowed, match="must be checked in"):
        sessions.start_treatment(db, nurse, row.id, row.version)
    with pytest.raises(NotAllowed, match="check the patient in first"):
        charting.record_vitals(db, nurse, row.id, vitals_data(db))
    row = sessions.mark_no_show(db, nurse, row.id, row.version)
    with pytest.raises(NotAllowed):
        sessions.check_in(db, nurse, row.id, row.version)


def test_cancel_needs_a_reason_and_keeps_it(db: Database, staff: dict[str, Actor]) -> None:
    row = scheduled_session(db, staff["nina"])
    with pytest.raises(InvalidInput) as refused:
        sessions.cancel(db, staff["nina"], row.id, row.version, " ")
    assert refused.value.field == "reason"
    row = sessions.cancel(db, staff["nina"], row.id, row.version, "Patient has a fever")
    assert row.status == SessionStatus.CANCELLED and "fever" in row.notes


def test_stale_version_is_a_conflict_and_changes_nothing(db: Database, staff: dict[str, Actor]) -> None:
    nurse, other = staff["nina"], staff["marcus"]
    row = checked_in_session(db, nurse)
    stale = row.version
    sessions.update_notes(db, other, row.id, stale, "Escort: daughter, phone 555-0100")
    events_before = len(audit_actions(db))
    with pytest.raises(Conflict, match="another workstation"):
        sessions.update_notes(db, nurse, row.id, stale, "overwriting attempt")
    with pytest.raises(Conflict):
        charting.record_pain(
            db, nurse, row.id, {"kind": "before", "score": 4, "scored_at": db.clock.now()}, stale
        )
    fresh = sessions.get_session(db, row.id)
    assert fresh.notes == "Escort: daughter, phone 555-0100" and fresh.pain_before is None
    assert len(audit_actions(db)) == events_before  # the refused writes left no trace but the refusal
    with db.read() as session:
        assert session.exec(select(PainScore)).all() == []


def test_admin_cannot_record_clinical_data_and_nurse_cannot_add_users(
    db: Database, staff: dict[str, Actor]
) -> None:
    row = checked_in_session(db, staff["nina"])
    with pytest.raises(NotAllowed, match="only nurses and physicians"):
        charting.record_vitals(db, staff["office"], row.id, vitals_data(db))
    with pytest.raises(NotAllowed, match="only an administrator"):
        users.create_user(
            db,
            staff["nina"],
            {"username": "eve", "display_name": "Eve", "role": "admin", "password": "long enough pw"},
        )
    created = users.create_user(
        db,
        staff["office"],
        {"username": "newnurse", "display_name": "New Nurse", "role": "nurse", "password": "long enough pw"},
    )
    assert created.role == "nurse"


def test_physician_can_record_clinical_data(db: Database, staff: dict[str, Actor]) -> None:
    row = checked_in_session(db, staff["priya"])
    assert (
        charting.record_vitals(db, staff["priya"], row.id, vitals_data(db)).taken_by == staff["priya"].user_id
    )


def test_dose_refusals_name_the_field(db: Database, staff: dict[str, Actor]) -> None:
    nurse = staff["nina"]
    row = checked_in_session(db, nurse)
    cases = {
        "witness": iv_dose_data(db, witness="nina"),
        "drawn_mg": iv_dose_data(db, drawn_mg=10, wasted_mg=15),
        "rate_mg_per_kg_h": iv_dose_data(db, rate_mg_per_kg_h=None),
        "administered_at": iv_dose_data(db, administered_at=db.clock.now() - timedelta(hours=3)),
        "dose_mg": iv_dose_data(db, dose_mg=0),
    }
    for field, data in cases.items():
        with pytest.raises(InvalidInput) as refused:
            charting.record_dose(db, nurse, row.id, data)
        assert refused.value.field == field, str(refused.value)
    unknown_witness = iv_dose_data(db, witness="nobody")
    with pytest.raises(InvalidInput, match="not another active nurse or physician"):
        charting.record_dose(db, nurse, row.id, unknown_witness)
    with db.read() as session:
        assert session.exec(select(DoseAdministration)).all() == []


def test_dose_needs_a_recorded_weight(db: Database, staff: dict[str, Actor]) -> None:
    nurse = staff["nina"]
    patients.create_patient(db, nurse, patient_data(mrn="NOWEIGHT1", weight_kg=None, weight_measured_on=None))
    row = checked_in_session(db, nurse, mrn="NOWEIGHT1")
    with pytest.raises(InvalidInput) as refused:
        charting.record_dose(db, nurse, row.id, iv_dose_data(db))
    assert refused.value.field == "weight_kg"


def test_future_reading_is_refused(db: Database, staff: dict[str, Actor]) -> None:
    row = checked_in_session(db, staff["nina"])
    with pytest.raises(InvalidInput) as refused:
        charting.record_vitals(
            db, staff["nina"], row.id, vitals_data(db, measured_at=db.clock.now() + timedelta(hours=1))
        )
    assert refused.value.field == "measured_at"


def test_side_effect_other_needs_text_and_can_be_resolved(db: Database, staff: dict[str, Actor]) -> None:
    nurse = staff["nina"]
    row = checked_in_session(db, nurse)
    onset = db.clock.now() - timedelta(minutes=10)
    with pytest.raises(InvalidInput) as refused:
        charting.record_side_effect(db, nurse, row.id, {"effect": "other", "grade": 1, "onset_at": onset})
    assert refused.value.field == "other_text"
    effect = charting.record_side_effect(
        db, nurse, row.id, {"effect": "nausea", "grade": 2, "onset_at": onset}
    )
    resolved = charting.resolve_side_effect(
        db, nurse, effect.id, effect.version, db.clock.now(), "Ondansetron 4 mg"
    )
    assert resolved.resolved_at == db.clock.now() and resolved.version == 2
    with pytest.raises(Conflict):
        charting.resolve_side_effect(db, nurse, effect.id, effect.version, db.clock.now(), "again")


def test_patient_mrn_is_unique_normalised_and_updates_are_versioned(
    db: Database, staff: dict[str, Actor]
) -> None:
    nurse = staff["nina"]
    patient = patients.create_patient(db, nurse, patient_data(mrn=" mrn-77 "))
    assert patient.mrn == "MRN-77"
    found = patients.find_by_mrn(db, "mrn-77")
    assert found is not None
    assert found.id == patient.id
    with pytest.raises(InvalidInput) as refused:
        patients.create_patient(db, nurse, patient_data(mrn="MRN-77"))
    assert refused.value.field == "mrn"
    updated = patients.update_patient(db, nurse, patient.id, 1, patient_data(mrn="MRN-77", weight_kg=72.5))
    assert updated.weight_kg == 72.5 and updated.version == 2
    with pytest.raises(Conflict):
        patients.update_patient(db, nurse, patient.id, 1, patient_data(mrn="MRN-77", weight_kg=80))
    with pytest.raises(NotFound):
        patients.get_patient(db, 9999)


def test_future_birth_date_refused(db: Database, staff: dict[str, Actor]) -> None:
    with pytest.raises(InvalidInput) as refused:
        patients.create_patient(
            db, staff["nina"], patient_data(date_of_birth=db.clock.now().date() + timedelta(days=2))
        )
    assert refused.value.field == "date_of_birth"


def test_sign_in_counts_failures_audits_them_and_locks(db: Database, staff: dict[str, Actor]) -> None:
    assert users.authenticate(db, "Nina ", "long enough pw").user_id == staff["nina"].user_id
    for _ in range(users.MAX_FAILED_ATTEMPTS - 1):
        with pytest.raises(AuthenticationFailed, match="Wrong username or password"):
            users.authenticate(db, "nina", "wrong")
    with pytest.raises(AuthenticationFailed, match="locked"):
        users.authenticate(db, "nina", "wrong")
    with pytest.raises(AuthenticationFailed, match="locked"):
        users.authenticate(db, "nina", "long enough pw")  # even the right password, until unlocked
    with pytest.raises(AuthenticationFailed, match="Wrong username or password"):
        users.authenticate(db, "ghost", "whatever")
    assert audit_actions(db).count("login.failed") == users.MAX_FAILED_ATTEMPTS + 2
    with pytest.raises(NotAllowed):
        users.unlock_user(db, staff["nina"], "nina")
    users.unlock_user(db, staff["office"], "nina")
    assert users.authenticate(db, "nina", "long enough pw").username == "nina"


def test_audit_snapshot_never_holds_password_hashes(db: Database, staff: dict[str, Actor]) -> None:
    with db.read() as session:
        texts = [e.after_json or "" for e in session.exec(select(AuditEvent))]
    assert texts and not any("argon2" in text or '"password' in text for text in texts)


def test_board_lists_the_day_in_time_order(db: Database, staff: dict[str, Actor]) -> None:
    nurse = staff["nina"]
    today = db.clock.now().date()
    for mrn, at in (("MRN-2", "11:00"), ("MRN-3", "08:30"), ("MRN-4", "09:15")):
        patient = patients.create_patient(db, nurse, patient_data(mrn=mrn))
        sessions.schedule_session(
            db,
            nurse,
            {
                "patient_id": patient.id,
                "clinic_date": today,
                "scheduled_time": at,
                "chair": "1",
                "method": "nasal_spray",
            },
        )
    rows = day_sessions(db, today)
    assert [f"{r.scheduled_time:%H:%M}" for r in rows] == ["08:30", "09:15", "11:00"]
    assert day_sessions(db, today + timedelta(days=1)) == []


def test_system_actor_cannot_chart(db: Database, staff: dict[str, Actor]) -> None:
    row = checked_in_session(db, staff["nina"])
    with pytest.raises(NotAllowed):
        charting.record_vitals(db, Actor.system("script"), row.id, vitals_data(db))


def test_pre_assessment_records_screen_and_escort(db: Database, staff: dict[str, Actor]) -> None:
    nurse = staff["nina"]
    row = scheduled_session(db, nurse)
    with pytest.raises(NotAllowed):
        sessions.record_pre_assessment(
            db, nurse, row.id, row.version, escort_confirmed=True, contraindications=[]
        )
    row = checked_in_session(db, nurse, mrn="MRN-PRE")
    with pytest.raises(InvalidInput) as refused:
        sessions.record_pre_assessment(
            db, nurse, row.id, row.version, escort_confirmed=True, contraindications=["flu"]
        )
    assert refused.value.field == "contraindications"
    row = sessions.record_pre_assessment(
        db, nurse, row.id, row.version, escort_confirmed=True, contraindications=["psychosis", "pregnancy"]
    )
    assert row.contraindications_found == "pregnancy,psychosis" and row.escort_confirmed
    assert row.contraindications_screened_at == db.clock.now()


def test_witness_found_by_unique_start_of_username_or_name(db: Database, staff: dict[str, Actor]) -> None:
    nurse = staff["nina"]
    row = checked_in_session(db, nurse)
    assert (
        charting.record_dose(db, nurse, row.id, iv_dose_data(db, witness="M")).witness_id
        == staff["marcus"].user_id
    )
    assert (
        charting.record_dose(db, nurse, row.id, iv_dose_data(db, witness="pri")).witness_id
        == staff["priya"].user_id
    )
    users.create_user(
        db,
        staff["office"],
        {"username": "mary", "display_name": "Mary Poe", "role": "nurse", "password": "long enough pw"},
    )
    with pytest.raises(InvalidInput, match="could be marcus, mary"):
        charting.record_dose(db, nurse, row.id, iv_dose_data(db, witness="ma"))
    with pytest.raises(InvalidInput, match="not another active"):
        charting.record_dose(db, nurse, row.id, iv_dose_data(db, witness="office"))
    with pytest.raises(InvalidInput, match="different user"):
        charting.record_dose(db, nurse, row.id, iv_dose_data(db, witness="nina"))


def test_weight_is_recorded_today_and_refused_out_of_range(db: Database, staff: dict[str, Actor]) -> None:
    patient = patients.create_patient(
        db, staff["nina"], patient_data(mrn="W-1", weight_kg=None, weight_measured_on=None)
    )
    with pytest.raises(InvalidInput) as refused:
        patients.record_weight(db, staff["nina"], patient.id, patient.version, "1.5")
    assert refused.value.field == "weight_kg" and "2 to 400" in str(refused.value)
    weighed = patients.record_weight(db, staff["nina"], patient.id, patient.version, "64.2")
    assert (weighed.weight_kg, weighed.weight_measured_on) == (64.2, db.clock.now().date())
    with pytest.raises(Conflict):
        patients.record_weight(db, staff["nina"], patient.id, patient.version, "65")


def test_correcting_a_reading_keeps_the_original_in_the_audit_trail(
    db: Database, staff: dict[str, Actor]
) -> None:
    import json

    row = checked_in_session(db, staff["nina"])
    reading = charting.record_vitals(db, staff["nina"], row.id, vitals_data(db, systolic=182))
    corrected = charting.correct_vitals(
        db, staff["marcus"], reading.id, reading.version, vitals_data(db, systolic=128)
    )
    assert (corrected.systolic, corrected.version) == (128, 2)
    with db.read() as session:
        event = session.exec(select(AuditEvent).where(AuditEvent.action == "vitals.correct")).one()
    assert event.actor == "marcus"
    assert event.before_json is not None and event.after_json is not None
    assert (
        json.loads(event.before_json)["systolic"] == 182 and json.loads(event.after_json)["systolic"] == 128
    )
    with pytest.raises(Conflict):
        charting.correct_vitals(db, staff["nina"], reading.id, reading.version, vitals_data(db, systolic=130))
    with pytest.raises(InvalidInput):
        charting.correct_vitals(
            db, staff["nina"], reading.id, corrected.version, vitals_data(db, systolic=300)
        )


def test_correcting_a_side_effect_keeps_the_original_in_the_audit_trail(
    db: Database, staff: dict[str, Actor]
) -> None:
    import json

    row = checked_in_session(db, staff["nina"])
    onset = db.clock.now() - timedelta(minutes=5)
    effect = charting.record_side_effect(
        db, staff["nina"], row.id, {"effect": "nausea", "grade": 3, "onset_at": onset}
    )
    fixed = charting.correct_side_effect(
        db, staff["nina"], effect.id, effect.version, {"effect": "dizziness", "grade": 1, "onset_at": onset}
    )
    assert (fixed.effect, fixed.grade, fixed.version) == ("dizziness", 1, 2)
    with db.read() as session:
        event = session.exec(select(AuditEvent).where(AuditEvent.action == "side_effect.correct")).one()
    assert event.before_json is not None and event.after_json is not None
    assert (
        json.loads(event.before_json)["grade"] == 3 and json.loads(event.after_json)["effect"] == "dizziness"
    )
    with pytest.raises(Conflict):
        charting.correct_side_effect(
            db, staff["nina"], effect.id, effect.version, {"effect": "nausea", "grade": 2, "onset_at": onset}
        )


def test_correcting_a_dose_recomputes_mg_per_kg_and_is_audited(db: Database, staff: dict[str, Actor]) -> None:
    import json

    row = checked_in_session(db, staff["nina"])
    dose = charting.record_dose(db, staff["nina"], row.id, iv_dose_data(db, lot_number="KET-WRONG"))
    fixed = charting.correct_dose(
        db,
        staff["nina"],
        dose.id,
        dose.version,
        iv_dose_data(
            db, lot_number="KET-2026-41", dose_mg=42, rate_mg_per_kg_h=0.6, drawn_mg=50, wasted_mg=8
        ),
    )
    assert (fixed.lot_number, fixed.dose_mg, fixed.version) == ("KET-2026-41", 42, 2)
    assert fixed.mg_per_kg == pytest.approx(0.6) and fixed.route == "intravenous"
    with db.read() as session:
        event = session.exec(select(AuditEvent).where(AuditEvent.action == "dose.correct")).one()
    assert event.before_json is not None
    assert json.loads(event.before_json)["lot_number"] == "KET-WRONG"
    with pytest.raises(Conflict):
        charting.correct_dose(db, staff["nina"], dose.id, dose.version, iv_dose_data(db))
    with pytest.raises(InvalidInput) as refused:
        charting.correct_dose(db, staff["nina"], dose.id, fixed.version, iv_dose_data(db, drawn_mg=10))
    assert refused.value.field == "drawn_mg"


def test_a_dose_that_leaves_drug_unaccounted_for_is_refused_whatever_the_screen_sent(
    db: Database, staff: dict[str, Actor]
) -> None:
    """Typed fast: drawn 30 mg for a 23.3 mg dose, no waste and no witness, must never be stored."""
    nurse = staff["nina"]
    row = checked_in_session(db, nurse, minutes_ago=20)
    charting.record_vitals(db, nurse, row.id, vitals_data(db))
    fast = iv_dose_data(db, dose_mg=23.3, planned_duration_min=40, drawn_mg=30, wasted_mg=0, witness=None)
    with pytest.raises(
        InvalidInput, match=r"Amount wasted: 30 mg drawn for a 23.3 mg dose leaves 6.7 mg"
    ) as refused:
        charting.record_dose(db, nurse, row.id, fast)
    assert refused.value.field == "wasted_mg"
    stored = charting.record_dose(db, nurse, row.id, fast | {"wasted_mg": 6.7, "witness": "marcus"})
    assert (stored.drawn_mg, stored.wasted_mg) == (30, 6.7)
    with pytest.raises(InvalidInput, match="Amount wasted"):  # a correction is held to the same rule
        charting.correct_dose(
            db, nurse, stored.id, stored.version, fast | {"administered_at": stored.administered_at}
        )


def _audit_count(db: Database) -> int:
    with db.read() as session:
        return len(session.exec(select(AuditEvent)).all())


def test_a_dose_correction_that_changes_nothing_stores_nothing(db: Database, staff: dict[str, Actor]) -> None:
    """A dose correction with no change still wrote a dose.correct event."""
    row = checked_in_session(db, staff["nina"])
    data = iv_dose_data(db)
    dose = charting.record_dose(db, staff["nina"], row.id, data)
    events = _audit_count(db)
    same = charting.correct_dose(db, staff["nina"], dose.id, dose.version, data)
    assert same.version == dose.version and _audit_count(db) == events


def test_enter_again_on_the_same_pain_after_stores_one_score(db: Database, staff: dict[str, Actor]) -> None:
    """Each Enter in pain-after stored another score: four on one session."""
    from console.store.models import PainScore

    nurse = staff["nina"]
    row = checked_in_session(db, nurse)
    version = sessions.get_session(db, row.id).version
    for _ in range(4):
        charting.record_pain(
            db, nurse, row.id, {"kind": "after", "score": 3, "scored_at": db.clock.now()}, version
        )
        version = sessions.get_session(db, row.id).version
    with db.read() as session:
        scores = session.exec(select(PainScore).where(PainScore.session_id == row.id)).all()
    assert [s.score for s in scores] == [3]
    charting.record_pain(
        db, nurse, row.id, {"kind": "after", "score": 2, "scored_at": db.clock.now()}, version
    )
    assert sessions.get_session(db, row.id).pain_after == 2  # a new score is a new entry
    with pytest.raises(Conflict):  # a stale screen is told, even when its score is the same
        charting.record_pain(db, nurse, row.id, {"kind": "after", "score": 2, "scored_at": db.clock.now()}, 1)


def test_discharge_asks_for_each_open_side_effect_to_be_resolved_or_confirmed_as_continuing(
    db: Database, staff: dict[str, Actor]
) -> None:
    """Nausea grade 1 and dizziness grade 2, unresolved, were discharged without a word."""
    from tests.factories import ready_for_discharge

    nurse = staff["nina"]
    row = ready_for_discharge(db, nurse)
    onset = db.clock.now() - timedelta(minutes=20)
    nausea = charting.record_side_effect(
        db, nurse, row.id, {"effect": "nausea", "grade": 1, "onset_at": onset}
    )
    dizzy = charting.record_side_effect(
        db, nurse, row.id, {"effect": "dizziness", "grade": 2, "onset_at": onset}
    )
    version = sessions.get_session(db, row.id).version
    with pytest.raises(NotAllowed, match=r"side effects still open \(nausea grade 1, dizziness grade 2\)"):
        sessions.discharge(db, nurse, row.id, version)
    with pytest.raises(NotAllowed, match=r"still open \(dizziness grade 2\)"):
        sessions.discharge(db, nurse, row.id, version, continuing=[nausea.id])
    charting.resolve_side_effect(db, nurse, dizzy.id, dizzy.version, db.clock.now(), "rested, gone")
    done = sessions.discharge(db, nurse, row.id, version, continuing=[nausea.id])
    assert done.status == "discharged"
    with db.read() as session:
        confirmed = session.exec(
            select(AuditEvent).where(AuditEvent.action == "side_effect.continues_at_discharge")
        ).all()
    assert [(e.entity_id, e.actor) for e in confirmed] == [(str(nausea.id), "nina")]


def test_a_reading_outside_its_sessions_time_in_the_chair_is_refused_whatever_the_screen_sent(
    db: Database, staff: dict[str, Actor]
) -> None:
    nurse = staff["nina"]
    row = checked_in_session(db, nurse, minutes_ago=30)
    before = vitals_data(db, measured_at=db.clock.now() - timedelta(hours=2))
    with pytest.raises(InvalidInput, match="outside this session") as refused:
        charting.record_vitals(db, nurse, row.id, before)
    assert refused.value.field == "measured_at"
    late_entry = charting.record_vitals(
        db, nurse, row.id, vitals_data(db, measured_at=db.clock.now() - timedelta(minutes=20))
    )
    with pytest.raises(InvalidInput, match="outside this session"):
        charting.correct_vitals(db, nurse, late_entry.id, late_entry.version, before)


def test_a_headline_pain_score_replaces_only_the_one_the_nurse_saw(
    db: Database, staff: dict[str, Actor]
) -> None:
    nurse, other = staff["nina"], staff["marcus"]
    row = checked_in_session(db, nurse)
    seen = sessions.get_session(db, row.id)
    charting.record_pain(
        db, other, row.id, {"kind": "before", "score": 6, "scored_at": db.clock.now()}, seen.version
    )
    fresh = sessions.get_session(db, row.id).version  # a screen re-read: the version alone is current
    with pytest.raises(
        Conflict, match="Pain before: 6 was stored at another workstation while this screen showed none"
    ):
        charting.record_pain(
            db,
            nurse,
            row.id,
            {"kind": "before", "score": 5, "scored_at": db.clock.now()},
            fresh,
            replacing=None,
        )
    assert sessions.get_session(db, row.id).pain_before == 6
    charting.record_pain(
        db, nurse, row.id, {"kind": "before", "score": 5, "scored_at": db.clock.now()}, fresh, replacing=6
    )
    assert sessions.get_session(db, row.id).pain_before == 5


def test_a_dose_recorded_elsewhere_since_the_screen_showed_none_is_not_recorded_twice(
    db: Database, staff: dict[str, Actor]
) -> None:
    """Two nurses confirming the first dose stored two controlled-substance doses."""
    nurse, other = staff["nina"], staff["marcus"]
    row = checked_in_session(db, nurse)
    charting.record_vitals(db, nurse, row.id, vitals_data(db))
    charting.record_dose(db, other, row.id, iv_dose_data(db, witness="nina"), doses_seen=0)
    events = len(audit_actions(db))
    with pytest.raises(Conflict, match="another workstation recorded a dose"):
        charting.record_dose(db, nurse, row.id, iv_dose_data(db), doses_seen=0)
    with db.read() as session:
        assert len(session.exec(select(DoseAdministration)).all()) == 1
    assert len(audit_actions(db)) == events


def test_a_pre_assessment_recorded_elsewhere_is_not_overwritten_by_a_stale_screen(
    db: Database, staff: dict[str, Actor]
) -> None:
    nurse, other = staff["nina"], staff["marcus"]
    row = sessions.check_in(db, nurse, scheduled_session(db, nurse).id, 1)
    row = sessions.record_pre_assessment(
        db,
        other,
        row.id,
        row.version,
        escort_confirmed=True,
        contraindications=["pregnancy"],
        screened_seen=None,
    )
    with pytest.raises(Conflict, match="another workstation recorded the screen"):
        sessions.record_pre_assessment(
            db, nurse, row.id, row.version, escort_confirmed=True, contraindications=[], screened_seen=None
        )
    assert sessions.get_session(db, row.id).contraindications_found == "pregnancy"
    again = sessions.record_pre_assessment(  # answered again, having seen the other one
        db,
        nurse,
        row.id,
        row.version,
        escort_confirmed=True,
        contraindications=[],
        screened_seen=row.contraindications_screened_at,
    )
    assert again.contraindications_found == ""


def test_notes_from_two_workstations_are_both_kept_with_date_time_and_author(
    db: Database, staff: dict[str, Actor]
) -> None:
    from zoneinfo import ZoneInfo

    nurse, other = staff["nina"], staff["marcus"]
    row = checked_in_session(db, nurse)
    sessions.add_note(db, nurse, row.id, "Escort arrived early", ZoneInfo("America/Chicago"))
    sessions.add_note(db, other, row.id, "Asked for water", ZoneInfo("America/Chicago"))
    notes = sessions.get_session(db, row.id).notes.splitlines()
    assert notes == [
        "26 Nov 2026 09:00 Nina: Escort arrived early",
        "26 Nov 2026 09:00 Marcus: Asked for water",
    ]
    with pytest.raises(InvalidInput, match="Note: one line"):
        sessions.add_note(db, nurse, row.id, "two\nlines", ZoneInfo("America/Chicago"))


def test_a_waste_witness_proves_who_they_are_and_a_name_alone_stores_nothing(
    db: Database, staff: dict[str, Actor]
) -> None:
    """Typing `m` Enter recorded "Marcus Okafor, RN" as the witness of the waste."""
    nurse = staff["nina"]
    row = checked_in_session(db, nurse)
    charting.record_vitals(db, nurse, row.id, vitals_data(db))
    for secret, says in ((None, "confirms with their password or PIN"), ("guess", "wrong password or PIN")):
        with pytest.raises(InvalidInput, match=says) as refused:
            charting.record_dose(db, nurse, row.id, iv_dose_data(db, witness_secret=secret))
        assert refused.value.field == "witness_secret"
    with db.read() as session:
        assert session.exec(select(DoseAdministration)).all() == []
    witness = users.find_user(db, "marcus")
    assert witness is not None
    assert witness.failed_attempts == 1  # a wrong guess counts towards the lockout
    dose = charting.record_dose(db, nurse, row.id, iv_dose_data(db))
    assert dose.witness_id == staff["marcus"].user_id
    assert audit_actions(db)[-4:-2] == ["witness.failed", "witness"]
    # A correction that keeps the waste and its witness needs no new proof; one that changes it does.
    lot = charting.correct_dose(
        db, nurse, dose.id, dose.version, iv_dose_data(db, lot_number="KET-2026-42", witness_secret=None)
    )
    with pytest.raises(InvalidInput, match="confirms with their password or PIN"):
        charting.correct_dose(
            db, nurse, dose.id, lot.version, iv_dose_data(db, drawn_mg=60, wasted_mg=25, witness_secret=None)
        )


def test_medications_and_history_are_stored_versioned_and_refused_when_they_cannot_be_true(
    db: Database, staff: dict[str, Actor]
) -> None:
    from console.clinic.patients import record_medications

    patient = patients.create_patient(db, staff["nina"], patient_data())
    data = {
        "medications": " lorazepam 1 mg ;; tramadol 50 mg ",
        "relevant_history": ["psychosis", "pregnancy"],
    }
    stored = record_medications(db, staff["nina"], patient.id, patient.version, data)
    assert (stored.medications, stored.relevant_history) == (
        "lorazepam 1 mg; tramadol 50 mg",
        "pregnancy,psychosis",
    )
    with pytest.raises(Conflict):
        record_medications(db, staff["marcus"], patient.id, patient.version, {"medications": ""})
    with pytest.raises(InvalidInput, match="Relevant history"):
        record_medications(db, staff["nina"], patient.id, stored.version, {"relevant_history": ["gout"]})
    with pytest.raises(InvalidInput, match="Medications"):
        record_medications(db, staff["nina"], patient.id, stored.version, {"medications": "x" * 1001})


def test_a_service_takes_its_input_model_as_it_takes_the_raw_values(
    db: Database, staff: dict[str, Actor]
) -> None:
    """A screen passes raw values, a program may pass the validated input: stored alike."""
    from console.domain.inputs import DoseIn, PainIn, PatientIn, SideEffectIn, VitalsIn

    nurse = staff["nina"]
    patient = patients.create_patient(db, nurse, PatientIn.model_validate(patient_data(mrn="mrn-7")))
    assert patient.mrn == "MRN-7"  # normalised whichever way it came
    row = checked_in_session(db, nurse)
    reading = charting.record_vitals(db, nurse, row.id, VitalsIn.model_validate(vitals_data(db)))
    assert charting.get_reading(db, reading.id).systolic == 128
    fixed = charting.correct_vitals(
        db, nurse, reading.id, reading.version, VitalsIn.model_validate(vitals_data(db, systolic=131))
    )
    assert fixed.systolic == 131
    # The route is the session's whatever the input says (a nasal dose's figures are refused in an IV
    # session); the witness proves it with the secret it holds.
    nasal = DoseIn.model_validate(nasal_dose_data(db) | {"route": "nasal"})
    with pytest.raises(InvalidInput, match="Drug: intravenous is ketamine here"):
        charting.record_dose(db, nurse, row.id, nasal)
    given = DoseIn.model_validate(iv_dose_data(db) | {"route": "intravenous"})
    dose = charting.record_dose(db, nurse, row.id, given)
    assert dose.route == "intravenous" and dose.witness_id == staff["marcus"].user_id
    effect = charting.record_side_effect(
        db, nurse, row.id, SideEffectIn(effect="nausea", grade=1, onset_at=db.clock.now())
    )
    assert effect.grade == 1
    row = sessions.get_session(db, row.id)
    pain = PainIn(kind="before", score=6, scored_at=db.clock.now())
    assert charting.record_pain(db, nurse, row.id, pain, row.version).score == 6


def test_a_mapping_is_refused_as_before_and_an_input_is_taken_as_it_is(
    db: Database, staff: dict[str, Actor]
) -> None:
    from console.domain.inputs import VitalsIn, parse

    with pytest.raises(InvalidInput, match=r"^SpO2: percent, a whole number from 50 to 100 \(got 101\)\.$"):
        parse(VitalsIn, vitals_data(db, spo2=101))
    given = VitalsIn.model_validate(vitals_data(db))
    assert parse(VitalsIn, given) is given
