"""Valid example records; tests override just the field they are about."""

from collections.abc import Callable
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any, TypeVar

from console.chair import charting, checklists, sessions
from console.clinic import patients
from console.domain.actors import Actor
from console.domain.clock import FixedClock
from console.domain.protocol import Protocol
from console.domain.vocab import Checklist
from console.store.database import Database
from console.store.models import SessionSignature, TreatmentSession, VitalSigns

if TYPE_CHECKING:
    from console.review.signing import Proof, SigningSitting

T = TypeVar("T")


def patient_data(**changes: Any) -> dict[str, Any]:
    return {
        "mrn": "MRN-1001",
        "family_name": "Doe",
        "given_name": "Jane",
        "date_of_birth": date(1970, 5, 17),
        "sex": "female",
        "weight_kg": 70.0,
        "weight_measured_on": date(2026, 11, 1),
        "allergies": "Penicillin",
        "diagnosis_code": "G90.512",
        "diagnosis_label": "CRPS type I of left upper limb",
    } | changes


def vitals_data(db: Database, **changes: Any) -> dict[str, Any]:
    return {
        "measured_at": db.clock.now() - timedelta(minutes=1),
        "systolic": 128,
        "diastolic": 82,
        "heart_rate": 76,
        "spo2": 98,
        "resp_rate": 14,
        "moaas": 5,
    } | changes


def iv_dose_data(db: Database, **changes: Any) -> dict[str, Any]:
    return {
        "drug": "ketamine",
        "dose_mg": 35,
        "rate_mg_per_kg_h": 0.5,
        "planned_duration_min": 60,
        "administered_at": db.clock.now(),
        "lot_number": "KET-2026-41",
        "concentration_mg_per_ml": 10,
        "drawn_mg": 50,
        "wasted_mg": 15,
        "witness": "marcus",
        "witness_secret": "long enough pw",  # marcus's password, typed by him at the chair
    } | changes


def nasal_dose_data(db: Database, **changes: Any) -> dict[str, Any]:
    return {
        "drug": "esketamine",
        "dose_mg": 56,
        "device_count": 2,
        "administered_at": db.clock.now(),
        "lot_number": "ESK7",
        "concentration_mg_per_ml": 140,
        "drawn_mg": 56,
    } | changes


def scheduled_session(
    db: Database,
    nurse: Actor,
    method: str = "iv_infusion",
    mrn: str = "MRN-1001",
    at: str = "09:00",
    series: tuple[int, int] = (2, 6),
) -> TreatmentSession:
    patient = patients.find_by_mrn(db, mrn) or patients.create_patient(db, nurse, patient_data(mrn=mrn))
    today = db.clock.now().date()
    return sessions.schedule_session(
        db,
        nurse,
        {
            "patient_id": patient.id,
            "clinic_date": today,
            "scheduled_time": at,
            "chair": "3",
            "method": method,
            "series_number": series[0],
            "series_length": series[1],
        },
    )


def checked_in_session(
    db: Database,
    nurse: Actor,
    method: str = "iv_infusion",
    mrn: str = "MRN-1001",
    minutes_ago: int = 30,
    protocol: Protocol | None = None,
    at: str = "09:00",
    checklist_ticked: bool = True,
    series: tuple[int, int] = (2, 6),
) -> TreatmentSession:
    """Checked in `minutes_ago`, with the pre-assessment screen done (nothing found, escort confirmed,
    the pre-infusion checklist ticked unless `checklist_ticked` is False); under `protocol` when
    given (the caller has made it the clinic's)."""
    row = scheduled_session(db, nurse, method, mrn, at, series)
    assert isinstance(db.clock, FixedClock)
    db.clock.advance(minutes=-minutes_ago)
    try:
        row = sessions.check_in(db, nurse, row.id, row.version, protocol=protocol)
        lists = (protocol or Protocol()).checklists
        if checklist_ticked:
            checklists.tick(db, nurse, row.id, Checklist.PRE_INFUSION, lists.before_dose(method), lists)
        return sessions.record_pre_assessment(
            db, nurse, row.id, row.version, escort_confirmed=True, contraindications=[]
        )
    finally:
        db.clock.advance(minutes=minutes_ago)


def pre_infusion_ticked(db: Database, nurse: Actor, session_id: int) -> None:
    """The default protocol's list before the first dose (the session's method's) ticked whole."""
    lists = Protocol().checklists
    method = sessions.get_session(db, session_id).method
    checklists.tick(db, nurse, session_id, Checklist.PRE_INFUSION, lists.before_dose(method), lists)


def rems_enrolled(db: Database, nurse: Actor, session_id: int) -> None:
    """The REMS enrolment and medication questions answered, as before any esketamine dose."""
    from console.chair import rems

    answers: dict[str, object] = {"enrolment_id": "REMS-100234"}
    answers |= dict.fromkeys(
        ("benzodiazepines", "sedative_hypnotics", "psychostimulants", "maois", "opioids"), False
    )
    rems.ask_questions(db, nurse, session_id, answers)


def record_baseline(db: Database, nurse: Actor, session_id: int) -> VitalSigns:
    return charting.record_vitals(db, nurse, session_id, vitals_data(db))


def at_minutes_ago(db: Database, minutes: int, action: Callable[[], T]) -> T:
    """Run `action()` with the clock `minutes` earlier, then put it back."""
    assert isinstance(db.clock, FixedClock)
    db.clock.advance(minutes=-minutes)
    try:
        return action()
    finally:
        db.clock.advance(minutes=minutes)


def discharged_session(
    db: Database, nurse: Actor, mrn: str = "MRN-1001", series: tuple[int, int] = (2, 6)
) -> TreatmentSession:
    """A complete IV session ready for review, every discharge criterion met.

    Checked in 100 min ago, dosed 90 min ago (60 min), dosing ended 30 min ago, a reading 5 min
    ago, pain after now.
    """
    current = ready_for_discharge(db, nurse, mrn, series=series)
    return sessions.discharge(db, nurse, current.id, current.version)


def ready_for_discharge(
    db: Database, nurse: Actor, mrn: str = "MRN-1001", series: tuple[int, int] = (2, 6), **dose: object
) -> TreatmentSession:
    """`discharged_session` up to the moment before discharge; `dose`: changes to its dose's data."""
    row = checked_in_session(db, nurse, mrn=mrn, minutes_ago=100, series=series)

    def before_dose() -> None:
        charting.record_pain(
            db, nurse, row.id, {"kind": "before", "score": 7, "scored_at": db.clock.now()}, row.version
        )
        record_baseline(db, nurse, row.id)
        charting.record_dose(db, nurse, row.id, iv_dose_data(db, **dose))

    at_minutes_ago(db, 90, before_dose)
    at_minutes_ago(
        db, 30, lambda: sessions.end_treatment(db, nurse, row.id, sessions.get_session(db, row.id).version)
    )
    at_minutes_ago(db, 5, lambda: record_baseline(db, nurse, row.id))
    current = sessions.get_session(db, row.id)
    charting.record_pain(
        db, nurse, row.id, {"kind": "after", "score": 3, "scored_at": db.clock.now()}, current.version
    )
    discharge_checked(db, nurse, row.id)
    return sessions.get_session(db, row.id)


def discharge_checked(db: Database, nurse: Actor, session_id: int) -> None:
    """Every item of the default discharge checklist ticked."""
    from console.chair import checklists
    from console.domain.protocol import Protocol

    every = Protocol().checklists
    checklists.tick(db, nurse, session_id, "discharge", every.discharge, every)


def sign_as_shown(
    db: Database, actor: Actor, session_id: int, meaning: str, proof: "Proof", sitting: "SigningSitting"
) -> SessionSignature:
    """Sign the record as it is now, as a physician does who has just read it."""
    from console.review.signing import load_for_review, sign_session

    return sign_session(
        db, actor, session_id, meaning, proof, sitting, load_for_review(db, session_id).record_hash
    )


def approved_by(db: Database, doctor: Actor, session_id: int) -> SessionSignature:
    """The staff fixture's physician (`priya`) approves the session as shown, with her password."""
    from console.review.signing import Proof, SigningSitting

    return sign_as_shown(
        db,
        doctor,
        session_id,
        "approved",
        Proof("priya", "long enough pw"),
        SigningSitting("priya", timedelta(10)),
    )


def a_nurses_reading(db: Database) -> TreatmentSession:
    """A clinic's first nurse, created by the system, checks a patient in and records one reading."""
    from console.clinic.users import create_user
    from console.domain.vocab import Role

    user = create_user(
        db,
        Actor.system("test"),
        {"username": "nina", "display_name": "Nina", "role": "nurse", "password": "long enough pw"},
    )
    nurse = Actor("nina", Role.NURSE, user.id, "Nina")
    row = checked_in_session(db, nurse)
    charting.record_vitals(db, nurse, row.id, vitals_data(db))
    return row


def a_whole_record(db: Database, staff: dict[str, Actor], written: str) -> TreatmentSession:
    """A signed session with every kind of free text the record holds, each saying `written`: a
    note, a side effect of another kind and what was done, an alert's acknowledgement, a return
    and its answer, and an addendum's reason and text."""
    from zoneinfo import ZoneInfo

    from sqlmodel import select

    from console.chair import alerts
    from console.domain.protocol import Protocol
    from console.review.returns import resubmit, return_for_correction
    from console.review.signing import Proof, SigningSitting, add_addendum
    from console.store.models import Alert

    nurse, doctor = staff["nina"], staff["priya"]
    row = ready_for_discharge(db, nurse)
    sessions.add_note(db, nurse, row.id, f"Note: {written}", ZoneInfo("America/Chicago"))
    effect = charting.record_side_effect(
        db,
        nurse,
        row.id,
        {
            "effect": "other",
            "other_text": f"Other: {written}",
            "grade": 1,
            "onset_at": db.clock.now(),
            "action_taken": f"Action: {written}",
        },
    )
    charting.record_vitals(db, nurse, row.id, vitals_data(db, spo2=88), Protocol().thresholds)
    with db.read() as session:
        alert = session.exec(select(Alert).where(Alert.session_id == row.id)).one()
    alerts.acknowledge(db, nurse, alert.id, alert.version, f"Acknowledged: {written}")
    record_baseline(db, nurse, row.id)
    discharge_checked(db, nurse, row.id)
    current = sessions.discharge(
        db, nurse, row.id, sessions.get_session(db, row.id).version, continuing=[effect.id]
    )
    return_for_correction(db, doctor, current.id, f"Comment: {written}")
    resubmit(db, nurse, current.id, f"Response: {written}")
    approved_by(db, doctor, current.id)
    add_addendum(
        db,
        nurse,
        current.id,
        {"reason": f"Reason: {written}", "text": f"Addendum: {written}"},
        Proof("nina", "long enough pw"),
        SigningSitting("nina", timedelta(10)),
    )
    return sessions.get_session(db, current.id)


def rems_monitored(db: Database, nurse: Actor, session_id: int, ready_to_leave_min: int = 120) -> None:
    """A nasal session's REMS form after its dose: two devices five minutes apart from the dose's
    time, nothing seen, ready to leave after `ready_to_leave_min` minutes."""
    from console.chair import rems

    facts = rems.facts_of(db, session_id)
    assert facts.check is not None and facts.doses  # asked at pre-assessment, dosed
    first = facts.doses[0].administered_at
    devices = {"device_1_at": first, "device_2_at": first + timedelta(minutes=5)}
    check = rems.record_devices(db, nurse, session_id, facts.check.version, devices)
    seen = dict.fromkeys(("sedation", "dissociation", "respiratory_depression"), False)
    rems.record_observations(
        db, nurse, session_id, check.version, seen | {"ready_to_leave_min": ready_to_leave_min}
    )


def a_rems_session(db: Database, nurse: Actor, mrn: str = "MRN-1001") -> TreatmentSession:
    """A nasal esketamine session whose REMS monitoring form is complete: asked, dosed with two
    devices, read before, at 40 minutes and before leaving, observed, discharged after 2 hours."""
    from console.chair import rems

    row = checked_in_session(db, nurse, method="nasal_spray", mrn=mrn, minutes_ago=140)
    answers = {"enrolment_id": "REMS-100234", "benzodiazepines": False, "sedative_hypnotics": False}
    answers |= {"psychostimulants": True, "maois": False, "opioids": False}

    def before_dose() -> None:
        check = rems.ask_questions(db, nurse, row.id, answers)
        charting.record_pain(
            db, nurse, row.id, {"kind": "before", "score": 6, "scored_at": db.clock.now()}, row.version
        )
        charting.record_vitals(db, nurse, row.id, vitals_data(db))
        charting.record_dose(db, nurse, row.id, nasal_dose_data(db))
        first = db.clock.now()
        devices = {"device_1_at": first, "device_2_at": first + timedelta(minutes=5)}
        assert isinstance(db.clock, FixedClock)
        db.clock.advance(minutes=5)
        rems.record_devices(db, nurse, row.id, check.version, devices)
        db.clock.advance(minutes=-5)

    at_minutes_ago(db, 130, before_dose)
    at_minutes_ago(db, 90, lambda: charting.record_vitals(db, nurse, row.id, vitals_data(db, systolic=138)))
    check = rems.facts_of(db, row.id).check
    assert check is not None
    seen = {
        "sedation": False,
        "dissociation": True,
        "dissociation_at": db.clock.now() - timedelta(minutes=100),
        "dissociation_resolved_at": db.clock.now() - timedelta(minutes=40),
    }
    rems.record_observations(
        db, nurse, row.id, check.version, seen | {"respiratory_depression": False, "ready_to_leave_min": 120}
    )
    record_baseline(db, nurse, row.id)
    current = sessions.get_session(db, row.id)
    charting.record_pain(
        db, nurse, row.id, {"kind": "after", "score": 2, "scored_at": db.clock.now()}, current.version
    )
    discharge_checked(db, nurse, row.id)
    return sessions.discharge(db, nurse, row.id, sessions.get_session(db, row.id).version)
